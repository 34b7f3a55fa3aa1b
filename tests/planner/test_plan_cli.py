"""`crowdguard plan` and `crowdguard demo` as a planner uses them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from crowdguard.scenario.schema import Scenario


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crowdguard", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


def write_scenario(path: Path, scenario: Scenario) -> Path:
    path.write_text(yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False))
    return path


def test_plan_writes_every_contract_file(tmp_path: Path, scenario: Scenario) -> None:
    source = write_scenario(tmp_path / "small.yaml", scenario)
    out = tmp_path / "out"
    result = run("plan", str(source), "--out", str(out), "--seed", "4")
    assert result.returncode == 0, result.stderr
    assert "Report:" in result.stdout and "certificate holds" in result.stdout
    plan = json.loads((out / "plan.json").read_text())
    assert plan["scenario"] == "small" and plan["certificate"]["holds"]
    rosters = sorted(p.name for p in (out / "rosters").iterdir())
    assert rosters == ["2026-12-04.json", "2026-12-05.json", "2026-12-06.json"]
    travel = json.loads((out / "travel_times.json").read_text())
    assert travel["unit"] == "minutes"
    assert [p["id"] for p in travel["places"]] == [
        "market",
        "high-street",
        "westquay",
        "ops-win",
        "pic-sou",
    ]
    assert len(travel["minutes"]) == 5 and all(len(row) == 5 for row in travel["minutes"])


def test_report_is_self_contained(tmp_path: Path, scenario: Scenario) -> None:
    """The report opens with no network: nothing is fetched from elsewhere."""
    source = write_scenario(tmp_path / "small.yaml", scenario)
    out = tmp_path / "out"
    assert run("plan", str(source), "--out", str(out), "--seed", "1").returncode == 0
    html = (out / "report.html").read_text()
    assert "Cathedral market" in html and "OFFICIAL-SENSITIVE" in html
    assert not re.search(r"""(src|href)\s*=\s*["'](https?:)?//""", html)
    assert "<script src" not in html and "<link" not in html
    assert html.count("data:image/png;base64,") >= 2 and "<svg" in html
    # the planner's view maps one day's drawn routes, and says which day
    assert "Routes on " in html and "(planner view)" in html


def test_bad_scenario_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "bad.yaml"
    source.write_text("id: x\nname: y\nstart: 2026-12-01\nend: 2026-11-01\n")
    out = tmp_path / "out"
    result = run("plan", str(source), "--out", str(out))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "bad.yaml" in result.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [source]  # no staging folder left behind


def test_missing_scenario_and_bad_days_are_usage_errors(tmp_path: Path) -> None:
    missing = run("plan", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "o"))
    assert missing.returncode == 2 and "nope.yaml" in missing.stderr
    zero = run("demo", "--days", "0", "--out", str(tmp_path / "o"))
    assert zero.returncode == 2 and "--days" in zero.stderr
    assert not (tmp_path / "o").exists()


def test_rerun_replaces_the_output_folder_atomically(tmp_path: Path, scenario: Scenario) -> None:
    source = write_scenario(tmp_path / "small.yaml", scenario)
    out = tmp_path / "out"
    assert run("plan", str(source), "--out", str(out), "--seed", "1").returncode == 0
    (out / "stale.txt").write_text("from an earlier run")
    assert run("plan", str(source), "--out", str(out), "--seed", "2", "-q").returncode == 0
    assert not (out / "stale.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "small.yaml"]


def test_demo_runs_on_the_embedded_scenario(tmp_path: Path) -> None:
    result = run("demo", "--days", "2", "--seed", "3", "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = Path(result.stdout.strip())
    assert report == (tmp_path / "crowdguard-demo" / "report.html").resolve()
    assert report.exists()
    plan = json.loads((report.parent / "plan.json").read_text())
    assert len({row["venue"] for row in plan["coverage"]}) >= 15


def test_plan_prints_what_the_operational_limits_cost(tmp_path: Path, scenario: Scenario) -> None:
    """Issue 11 s.2: a limit's price is said beside the plan, as the floors' are."""
    data = scenario.model_dump(mode="json")
    data["patrol"]["max_transit_share"] = 0.1
    source = tmp_path / "limited.yaml"
    source.write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp_path / "out"
    result = run("plan", str(source), "--out", str(out), "--seed", "4", "--days", "1")
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "plan.json").read_text())["certificate"]["operational_limits"]
    assert report["limits"] == {"max_transit_share": 0.1}
    line = " ".join(result.stdout.split())
    assert (
        f"Operational limits (max_transit_share 0.1): {report['harm_with_limits']:.1f} people; "
        f"without them {report['harm_without_limits']:.1f} (the limits cost "
        f"{report['cost']:.2f})." in line
    )
    page = (out / "report.html").read_text()
    assert 'id="operational-limits"' in page and "<code>max_transit_share</code> 0.1" in page


def test_without_limits_plans_the_unconstrained_plan_they_are_priced_against(
    tmp_path: Path, scenario: Scenario
) -> None:
    """`--without-limits` gives the plan the limits' price is measured against: its harm is
    the 'without them' figure of the limited plan, it carries no limits and says so."""
    data = scenario.model_dump(mode="json")
    data["patrol"]["max_transit_share"] = 0.1
    source = tmp_path / "limited.yaml"
    source.write_text(yaml.safe_dump(data, sort_keys=False))
    limited, lifted = tmp_path / "limited", tmp_path / "lifted"
    common = ["--seed", "4", "--days", "1"]
    assert run("plan", str(source), "--out", str(limited), *common).returncode == 0
    result = run("plan", str(source), "--out", str(lifted), *common, "--without-limits")
    assert result.returncode == 0, result.stderr
    assert "Planned without the scenario's operational limits" in " ".join(result.stdout.split())
    price = json.loads((limited / "plan.json").read_text())["certificate"]["operational_limits"]
    free = json.loads((lifted / "plan.json").read_text())
    assert "operational_limits" not in free["certificate"]
    assert -free["defender_utility"] == pytest.approx(price["harm_without_limits"], rel=1e-6)
    # a scenario without limits has nothing to lift: refused, nothing written
    plain = write_scenario(tmp_path / "plain.yaml", scenario)
    refused = run("plan", str(plain), "--out", str(tmp_path / "x"), "--without-limits")
    assert refused.returncode == 2 and "sets no operational limits" in refused.stderr
    assert not (tmp_path / "x").exists()
