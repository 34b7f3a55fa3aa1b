"""The plan report says where today's deployment sits on a sweep of its scenario (issue 16)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from crowdguard.cli.main import main
from crowdguard.scenario.schema import Scenario, ThreatLevel
from crowdguard.sweep import SerialBackend, SweepOptions, run_sweep

from .conftest import flat_county


def _two_team_county() -> Scenario:
    """The flat county with two teams: today's deployment inside the grid 1..5."""
    county = flat_county()
    second = county.teams[0].model_copy(update={"callsign": "team-2"})
    return county.model_copy(update={"teams": [*county.teams, second]})


def _plan(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["crowdguard", "plan", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    return int(exited.value.code or 0), capsys.readouterr().err


@pytest.fixture
def swept(tmp_path: Path) -> tuple[Path, Path]:
    """A scenario file of the two-team county and a finished serial sweep of it."""
    county = _two_team_county()
    scenario_file = tmp_path / "county.yaml"
    scenario_file.write_text(yaml.safe_dump(county.model_dump(mode="json")), encoding="utf-8")
    run_sweep(county, teams=[1, 2, 3, 4, 5], threats=[ThreatLevel.SUBSTANTIAL], seeds=range(4),
              options=SweepOptions(mode="free"), out=tmp_path / "sweep", backend=SerialBackend(),
              threshold="1%", metric="harm_stated", resamples=50)  # fmt: skip
    return scenario_file, tmp_path / "sweep"


def test_the_plan_shows_where_today_sits_on_the_sweep(
    swept: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scenario_file, sweep = swept
    out = tmp_path / "plan"
    code, err = _plan([str(scenario_file), "--mode", "free", "--seed", "1", "--out", str(out),
                       "--sweep", str(sweep)], monkeypatch, capsys)  # fmt: skip
    assert code == 0, err
    placed = json.loads((out / "plan.json").read_text(encoding="utf-8"))["proportionality"]
    # four streets of equal risk: harm falls linearly until every street has a team
    # (conftest), so with two teams another team still buys a quarter of the harm
    assert placed["teams"] == 2 and placed["threat"] == "SUBSTANTIAL"
    assert placed["metric"] == "harm_stated" and placed["position"] == "below"
    assert placed["point"]["teams"] == 4
    harm = {c["teams"]: c["mean"] for c in placed["point"]["curve"]}
    assert placed["harm"] == pytest.approx(harm[2])
    assert placed["next_team_reduces"] == pytest.approx(harm[2] - harm[3])
    assert placed["sweep"]["folder"] == "sweep" and placed["sweep"]["same_scenario"] is True
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Proportionate presence" in report and "2 teams at SUBSTANTIAL" in report
    assert "<b>below</b> the proportionate range" in report


def test_a_sweep_of_another_scenario_or_no_sweep_exits_2(
    swept: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scenario_file, sweep = swept
    other = tmp_path / "other.yaml"
    data = yaml.safe_load(scenario_file.read_text(encoding="utf-8"))
    other.write_text(yaml.safe_dump({**data, "id": "another-county"}), encoding="utf-8")
    for args, message in (
        ([str(other), "--sweep", str(sweep)], "the sweep is of scenario 'flat-county'"),
        ([str(scenario_file), "--sweep", str(tmp_path / "nowhere")], "not a folder"),
        ([str(scenario_file), "--sweep", str(tmp_path)], "no sweep.json"),
    ):
        out = tmp_path / "out"
        code, err = _plan([*args, "--mode", "free", "--out", str(out)], monkeypatch, capsys)
        assert code == 2, err
        assert message in err and "Traceback" not in err
        assert not out.exists()  # nothing half-written
