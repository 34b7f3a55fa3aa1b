"""Sweeps run serially: the closed-form county, resume after interruption, retries, folders."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from crowdguard.errors import InputError
from crowdguard.risk.payoffs import build_targets
from crowdguard.scenario.schema import Scenario, ThreatLevel
from crowdguard.sweep import (
    COLUMNS,
    SerialBackend,
    SweepEvent,
    SweepOptions,
    read_results,
    run_sweep,
    simulate_seed,
    solve_point,
)
from crowdguard.sweep.testing import FailOnce

FREE = SweepOptions(mode="free", expected_incidents=4.0)


def sweep(scenario: Scenario, out: Path, **kwargs: Any) -> Any:
    settings: dict[str, Any] = {
        "teams": range(1, 7),
        "threats": [ThreatLevel.SUBSTANTIAL],
        "seeds": range(6),
        "options": FREE,
        "backend": SerialBackend(),
        "resamples": 200,
    }
    settings.update(kwargs)
    return run_sweep(scenario, out=out, **settings)


def test_closed_form_county_harm_and_proportionality_point(
    county: Scenario, tmp_path: Path
) -> None:
    """k identical streets: harm R (1 - e min(n, k) / k), so the point is exactly k = 4."""
    risk = float(build_targets(county, days=county.days).risk.max())
    e = county.patrol.effectiveness
    outcome = sweep(county, tmp_path / "s", metric="harm_stated", threshold=f"{0.5 * risk * e / 4}")
    rows = read_results(tmp_path / "s")
    assert len(rows) == 6 * 6
    for row in rows:
        n = row["teams"]
        assert row["harm_stated"] == pytest.approx(risk * (1 - e * min(n, 4) / 4), rel=1e-9)
        assert row["team_hours"] == 2.0 * n
    (point,) = outcome.points
    assert (point.teams, point.low, point.high, point.exact) == (4, 4, 4, True)
    assert point.team_hours == 8.0
    document = json.loads((tmp_path / "s" / "proportionality.json").read_text())
    assert document["points"][0]["teams"] == 4
    assert document["points"][0]["interval_method"].startswith("exact")
    # the county's own deployment (one team) sits below the point: a second team removes R e / 4
    today = outcome.today
    assert (today.teams, today.threat, today.position) == (1, "SUBSTANTIAL", "below")
    assert today.next_team_reduces == pytest.approx(risk * e / 4, rel=1e-9)
    assert document["today"]["position"] == "below"


def test_results_are_tidy_and_say_how_they_were_made(county: Scenario, tmp_path: Path) -> None:
    outcome = sweep(county, tmp_path / "s", code_version="9.9+gabc")
    table = pq.read_table(tmp_path / "s" / "results.parquet")
    assert table.column_names == list(COLUMNS)
    assert table.num_rows == 36
    row = table.slice(0, 1).to_pylist()[0]
    assert row["code_version"] == "9.9+gabc" and row["mode"] == "free"
    assert json.loads(row["options"])["expected_incidents"] == 4.0
    # ties broken against us never harm fewer people than the stated figure
    assert row["harm_worst_tie"] >= row["harm_stated"] - 1e-9
    csv_lines = (tmp_path / "s" / "results.csv").read_text().splitlines()
    assert csv_lines[0].split(",")[:3] == ["scenario", "scenario_digest", "code_version"]
    assert len(csv_lines) == 37
    keys = [(r["teams"], r["seed"]) for r in table.to_pylist()]
    assert keys == sorted(keys)
    for name in ("harm.png", "response.png", "patrol_lost.png"):
        assert (tmp_path / "s" / name).read_bytes()[:4] == b"\x89PNG"
    assert outcome.complete and outcome.run.computed == 36 and outcome.run.solved == 6


class Interrupt(KeyboardInterrupt):
    pass


def test_an_interrupted_sweep_resumes_without_redoing_finished_rows(
    county: Scenario, tmp_path: Path
) -> None:
    whole = sweep(county, tmp_path / "whole")
    assert whole.complete

    def stop_after_ten(event: SweepEvent) -> None:
        if event.done == 10:
            raise Interrupt

    with pytest.raises(Interrupt):
        sweep(county, tmp_path / "cut", on_event=stop_after_ten)
    journal = (tmp_path / "cut" / "journal.jsonl").read_text().splitlines()
    assert len(journal) == 10
    # a crash may cut the last line short: it is ignored, not fatal
    with (tmp_path / "cut" / "journal.jsonl").open("a") as handle:
        handle.write('{"threat": "SUBSTANTIAL", "teams": 3, "se')
    calls: list[int] = []
    resumed = sweep(
        county, tmp_path / "cut", on_start=lambda todo, kept: calls.extend([todo, kept])
    )
    assert calls == [26, 10]
    assert resumed.run.computed == 26 and resumed.reused == 10
    assert pq.read_table(tmp_path / "cut" / "results.parquet").equals(
        pq.read_table(tmp_path / "whole" / "results.parquet")
    )
    # nothing left to do: a rerun computes nothing and solves nothing
    again = sweep(county, tmp_path / "cut")
    assert (again.run.computed, again.run.solved, again.reused) == (0, 0, 36)
    # more seeds later: only the new ones run
    more = sweep(county, tmp_path / "cut", seeds=range(8))
    assert (more.run.computed, more.reused) == (12, 36)


def test_a_task_failing_once_is_retried_and_reported(county: Scenario, tmp_path: Path) -> None:
    flaky = FailOnce(simulate_seed, tmp_path / "marker")
    outcome = sweep(county, tmp_path / "s", simulate=flaky)
    assert outcome.complete and outcome.rows == 36
    (retry,) = outcome.run.retried
    assert retry.attempt == 1 and "injected failure" in retry.error
    manifest = json.loads((tmp_path / "s" / "sweep.json").read_text())
    assert manifest["last_run"]["retried"][0]["task"] == retry.task


def test_a_task_failing_every_attempt_is_reported_never_dropped(
    county: Scenario, tmp_path: Path
) -> None:
    broken = FailOnce(solve_point, tmp_path / "marker", failures=3, label="SUBSTANTIAL/2")
    outcome = sweep(county, tmp_path / "s", solve=broken, retries=2)
    # the point's solve failed three times: its six seeds are listed as failed
    assert [f.task for f in outcome.run.retried] == ["solve SUBSTANTIAL/2"] * 2
    assert len(outcome.run.failed) == 6 and not outcome.complete
    assert all("solve SUBSTANTIAL/2 failed 3 times" in f.error for f in outcome.run.failed)
    assert outcome.rows == 30
    manifest = json.loads((tmp_path / "s" / "sweep.json").read_text())
    assert len(manifest["last_run"]["failed"]) == 6
    # rerun: exactly the missing rows run
    fixed = sweep(county, tmp_path / "s")
    assert fixed.complete and (fixed.run.computed, fixed.run.solved) == (6, 1)


def test_resuming_with_other_options_or_into_a_foreign_folder_is_refused(
    county: Scenario, tmp_path: Path
) -> None:
    sweep(county, tmp_path / "s", seeds=range(2), teams=range(1, 3))
    with pytest.raises(InputError, match="another options"):
        sweep(county, tmp_path / "s", options=SweepOptions(mode="free", expected_incidents=5.0))
    fresh = sweep(
        county,
        tmp_path / "s",
        seeds=range(2),
        teams=range(1, 3),
        options=SweepOptions(mode="free", expected_incidents=5.0),
        fresh=True,
    )
    assert fresh.reused == 0 and fresh.run.computed == 4
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match="holds other files"):
        sweep(county, mine)
    assert (mine / "notes.txt").read_text() == "keep me"
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        sweep(county, tmp_path / "file")


def test_seeds_batched_per_task_give_the_same_rows_and_a_lost_batch_names_each_seed(
    county: Scenario, tmp_path: Path
) -> None:
    from crowdguard.sweep import GridPoint, build_context
    from crowdguard.sweep.runner import run_tasks

    context = build_context(county, FREE)
    points = [GridPoint(ThreatLevel.SUBSTANTIAL, n) for n in (1, 2)]
    rows: dict[int, list[dict[str, Any]]] = {1: [], 8: []}
    for size, collected in rows.items():
        run = run_tasks(context, points, range(10), backend=SerialBackend(),
                        on_row=collected.append, seeds_per_task=size)  # fmt: skip
        assert run.computed == 20 and not run.failed

    def key(row: dict[str, Any]) -> tuple[int, int]:
        return row["teams"], row["seed"]

    assert sorted(rows[1], key=key) == sorted(rows[8], key=key)
    # seed 3 of 2 teams fails every attempt: its task (seeds 0..7) is retried once, then each
    # of its eight seeds is reported as failed; the other rows all arrive
    broken = FailOnce(simulate_seed, tmp_path / "marker", failures=2, label="SUBSTANTIAL/2/3")
    kept: list[dict[str, Any]] = []
    run = run_tasks(context, points, range(10), backend=SerialBackend(), on_row=kept.append,
                    simulate=broken, retries=1, seeds_per_task=8)  # fmt: skip
    assert [f.task for f in run.retried] == ["seed SUBSTANTIAL/2/0..7 (8 seeds)"]
    assert sorted(f.task for f in run.failed) == [f"seed SUBSTANTIAL/2/{s}" for s in range(8)]
    assert len(kept) == run.computed == 12


def test_the_last_point_s_seeds_are_cut_finer_on_several_workers(county: Scenario) -> None:
    """Guided self-scheduling: on two workers the last point's 20 seeds go in shrinking
    tasks (so the workers finish together), the rows are the same, and one worker keeps
    whole batches."""
    from crowdguard.sweep import GridPoint, build_context
    from crowdguard.sweep.runner import _batch, run_tasks, simulate_seeds

    assert [_batch(n, 2, 8) for n in (200, 32, 20, 15, 11, 8, 1)] == [8, 8, 5, 4, 3, 2, 1]
    assert _batch(20, 1, 8) == 8

    class Recording(SerialBackend):
        """Runs in this process; says it has ``workers`` and records each seed task."""

        def __init__(self, workers: int) -> None:
            super().__init__()
            self.workers = workers
            self.batches: list[tuple[int, ...]] = []

        def submit(self, function: Any, *args: Any, **kwargs: Any) -> Any:
            if function is simulate_seeds:
                self.batches.append(args[3])
            return super().submit(function, *args, **kwargs)

    context = build_context(county, FREE)
    points = [GridPoint(ThreatLevel.SUBSTANTIAL, n) for n in (1, 2)]
    sizes: dict[int, list[int]] = {}
    rows: dict[int, list[dict[str, Any]]] = {}
    for workers in (1, 2):
        backend = Recording(workers)
        rows[workers] = []
        run_tasks(context, points, range(20), backend=backend, on_row=rows[workers].append)
        # the first point's seeds are all submitted before the second point is solved
        seen = list(itertools.accumulate(len(b) for b in backend.batches))
        sizes[workers] = [len(b) for b, n in zip(backend.batches, seen, strict=True) if n > 20]
    assert sizes[1] == [8, 8, 4]
    assert sizes[2] == [5, 4, 3, 2, 2, 1, 1, 1, 1]

    def key(row: dict[str, Any]) -> tuple[int, int]:
        return row["teams"], row["seed"]

    assert sorted(rows[1], key=key) == sorted(rows[2], key=key)
