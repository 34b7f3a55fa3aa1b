"""One planning pipeline (issue 16, section 0): the CLI, a plan job and the sweep get the same
plan for the same scenario and options, and a served plan has the CLI's what-ifs."""

from __future__ import annotations

import dataclasses
import importlib
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from crowdguard.cli.main import app
from crowdguard.errors import PlanError
from crowdguard.patrols.planner import PatrolPlan
from crowdguard.pipeline import DayOptions, PlanInputs, PlanOptions, make_plan
from crowdguard.scenario.load import demo_scenario_and_plans
from crowdguard.scenario.schema import Scenario

SEED = 5


def _comparable(document: dict[str, Any]) -> dict[str, Any]:
    """plan.json without what differs between two runs of the same plan (timing)."""
    return {k: v for k, v in document.items() if k != "seconds"}


@pytest.mark.slow  # three solves of a demo day on the patrol graph, with the what-ifs: ~30 s
def test_the_cli_a_plan_job_and_the_sweep_get_the_same_plan(tmp_path: Path) -> None:
    from crowdguard.jobs.runner import default_planner
    from crowdguard.sweep import GridPoint, SweepOptions, build_context
    from crowdguard.sweep.task import solve_point

    demo, documents = demo_scenario_and_plans()
    result = CliRunner().invoke(
        app, ["plan", "demo", "--days", "1", "--seed", str(SEED), "--out", str(tmp_path), "-q"]
    )
    assert result.exit_code == 0, result.output
    cli = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))

    # a plan job: the scenario as the server stores it (a JSON snapshot), the job's planner
    snapshot = Scenario.model_validate(json.loads(demo.model_dump_json()))
    job = default_planner()(snapshot, seed=SEED, days=1, progress=None, submitted={})
    served = job.plan_json()
    # the served plan.json is the CLI's, what-ifs included (they were missing from jobs)
    assert _comparable(served) == _comparable(cli)
    assert len(served["visibility_tradeoff"]["points"]) == 4
    assert served["visibility_tradeoff"]["date"] == demo.days[0].isoformat()
    assert any(row["patrol_hours_delta"] is not None for row in served["plan_reviews"])

    # the sweep at the scenario's own deployment plans the same coverage and harm
    context = build_context(demo, SweepOptions(days=1), security_plans=documents)
    point = solve_point(context, GridPoint(demo.threat_level, len(demo.teams)))
    assert [round(float(c), 6) for c in point.coverage] == [r["coverage"] for r in cli["coverage"]]
    assert point.harm_stated == pytest.approx(-cli["defender_utility"], abs=1e-9)
    assert point.harm_worst_tie == pytest.approx(-cli["worst_tie_defender_utility"], abs=1e-9)


def test_the_plan_is_frozen_and_the_loader_reads_each_security_plan_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the module (``crowdguard.plans.review`` the attribute is the review function)
    review_module = importlib.import_module("crowdguard.plans.review")
    reads: list[str] = []
    real = review_module.load_plan

    def counting(path: Any, **kwargs: Any) -> Any:
        reads.append(str(path))
        return real(path, **kwargs)

    monkeypatch.setattr(review_module, "load_plan", counting)
    demo, documents = demo_scenario_and_plans()
    linked = [v.id for v in demo.venues if v.security_plan is not None]
    assert sorted(documents) == sorted(linked) and len(reads) == len(linked)
    plan = make_plan(
        PlanInputs(demo, documents), PlanOptions(seed=1, days=1, mode="free", what_ifs=True)
    )
    assert len(reads) == len(linked), "the pipeline read a security plan file again"
    assert sorted(plan.linked_plans) == sorted(linked)
    assert plan.influences, "the security plans' what-ifs were solved"
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.influences = {}  # type: ignore[misc]
    assert isinstance(plan, PatrolPlan)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (lambda: PlanOptions(mode="fast"), "--mode 'fast'"),  # type: ignore[arg-type]
        (lambda: PlanOptions(days=0), "--days must be at least 1"),
        (lambda: PlanOptions(routes=DayOptions(tie_margin=1.5)), "--tie-margin 1.5"),
        (
            lambda: PlanOptions(mode="free", routes=DayOptions(max_variants=2)),
            "need routes mode",
        ),
        (
            lambda: PlanOptions(routes=DayOptions(visibility_floor=float("nan"))),
            "visibility_floor=nan",
        ),
    ],
)
def test_bad_options_are_refused_when_made(options: Any, message: str) -> None:
    with pytest.raises(PlanError, match=message.replace("(", r"\(")):
        options()


def test_a_visibility_day_outside_the_horizon_is_refused() -> None:
    demo, documents = demo_scenario_and_plans()
    outside = demo.days[3]
    with pytest.raises(PlanError, match="outside the planned days"):
        make_plan(PlanInputs(demo, documents), PlanOptions(days=2, visibility_day=outside))


def test_the_pipelines_public_surface() -> None:
    import crowdguard.pipeline as pipeline

    assert sorted(pipeline.__all__) == [
        "DatedOverride", "DayOptions", "PatrolPlan", "PlanInputs", "PlanOptions", "make_plan",
    ]  # fmt: skip
