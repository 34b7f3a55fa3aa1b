"""What a user gets: plan.json's plan_reviews, the CLI table, the report section, the letters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crowdguard.pipeline import PlanInputs, PlanOptions, make_plan
from crowdguard.report.output import write_plan_outputs
from crowdguard.scenario.load import demo_scenario

# These tests exercise the free-placement season game (fast, exact, checked against LPs);
# the patrol-graph mode has its own tests in tests/planner/test_routes_mode.py.

EVENTS = {
    "winchester-cathedral-market",
    "southampton-christmas-market",
    "gunwharf-quays-christmas-village",
    "portsmouth-guildhall-ice-rink",
}
ROW_KEYS = {
    "venue",
    "event",
    "tier",
    "verdict",
    "source",
    "findings_moving_risk",
    "multipliers",
    "mean_coverage",
    "mean_coverage_if_resolved",
    "patrol_hours_delta",
    "influence_mode",
}


@pytest.fixture(scope="module")
def demo_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("demo") / "out"
    result = subprocess.run(
        [sys.executable, "-m", "crowdguard", "demo", "--out", str(out), "--seed", "4",
         "--days", "3"],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out, result


def test_demo_writes_a_letter_per_event(demo_run: tuple[Path, Any]) -> None:
    out, _ = demo_run
    letters = out / "letters"
    assert {p.stem for p in letters.glob("*.md")} == EVENTS
    assert {p.stem for p in letters.glob("*.html")} == EVENTS
    for event in EVENTS:
        text = (letters / f"{event}.md").read_text(encoding="utf-8")
        assert len(text) > 200
    pdfs = {p.stem for p in letters.glob("*.pdf")}
    assert pdfs in (EVENTS, set())  # all, or none when WeasyPrint's libraries are missing
    for pdf in letters.glob("*.pdf"):
        assert pdf.read_bytes().startswith(b"%PDF")
    # The atomic write leaves no staging folder behind.
    assert [p.name for p in out.parent.iterdir()] == ["out"]


def test_plan_json_carries_plan_reviews(demo_run: tuple[Path, Any]) -> None:
    out, _ = demo_run
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    rows = plan["plan_reviews"]
    assert {r["event"] for r in rows} == EVENTS
    for row in rows:
        assert set(row) == ROW_KEYS
        assert row["source"] == f"demo:{row['event']}"  # the scenario's link, not a file path
        assert set(row["multipliers"]) == {"vehicle", "marauding", "ied"}
        assert all(m >= 1.0 for m in row["multipliers"].values())
        assert 0.0 <= row["mean_coverage"] <= 1.0
        assert 0.0 <= row["mean_coverage_if_resolved"] <= 1.0
        # Coverage moves only when some finding moves risk.
        if not row["findings_moving_risk"]:
            assert row["multipliers"] == {"vehicle": 1.0, "marauding": 1.0, "ied": 1.0}
            assert row["patrol_hours_delta"] == 0.0
    # mean_coverage agrees with the per-slot coverage list of the same file.
    for row in rows:
        own = [c["coverage"] for c in plan["coverage"] if c["venue"] == row["venue"]]
        assert row["mean_coverage"] == pytest.approx(sum(own) / len(own), abs=1e-5)


def test_cli_and_report_show_the_plans_that_moved_coverage(demo_run: tuple[Path, Any]) -> None:
    out, result = demo_run
    assert "Security plans that moved coverage" in result.stdout
    assert "Guildhall Square ice rink" in result.stdout
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Security plans that moved coverage" in html
    assert "portsmouth-guildhall-ice-rink" in html
    assert "Findings moving risk" in html
    # Invented details of the demo plans are said to be fictional in the report too
    # (issue 13 item 11), e.g. Winchester's VDA 'by the CTSA, 2025'.
    assert "Fictional details</b> (demo data, not facts about any real organisation)" in html
    assert "does not exist" in html


def test_without_linked_plans_nothing_is_added(tmp_path: Path) -> None:
    scenario = demo_scenario()
    plain = scenario.model_copy(
        update={"venues": [v.model_copy(update={"security_plan": None}) for v in scenario.venues]}
    )
    plan = make_plan(
        PlanInputs.read(plain), PlanOptions(seed=1, days=1, mode="free", what_ifs=False)
    )
    assert plan.plan_json()["plan_reviews"] == []
    paths = write_plan_outputs(plan, tmp_path / "o")
    assert "letters" not in paths and not (tmp_path / "o" / "letters").exists()
    assert "Security plans that moved coverage" not in (tmp_path / "o" / "report.html").read_text()


def test_plan_json_before_the_counterfactual_has_null_figures() -> None:
    plan = make_plan(
        PlanInputs.read(demo_scenario()), PlanOptions(seed=1, days=1, mode="free", what_ifs=False)
    )
    rows = plan.plan_json()["plan_reviews"]
    assert {r["event"] for r in rows} == EVENTS
    assert all(r["mean_coverage_if_resolved"] is None for r in rows)
    assert all(set(r) == ROW_KEYS for r in rows)


def test_explain_shows_the_plans_rule_ids_and_multipliers() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "crowdguard", "explain", "demo",
         "portsmouth-guildhall-square-ice-rink", "2026-12-12T16:00", "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    plan = data["security_plan"]
    assert plan["event"] == "portsmouth-guildhall-ice-rink"
    assert plan["multipliers"]["marauding"] > 1.0
    assert "P2" in plan["findings_moving_risk"]
    marauding = next(a for a in data["attacks"] if a["kind"] == "marauding")
    assert [plan["multipliers"]["marauding"]] == [
        f for name, f in marauding["mitigations"] if name.startswith("security plan")
    ]
    plain = subprocess.run(
        [sys.executable, "-m", "crowdguard", "explain", "demo",
         "portsmouth-guildhall-square-ice-rink", "2026-12-12T16:00"],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert "Security plan demo:portsmouth-guildhall-ice-rink" in plain.stdout
