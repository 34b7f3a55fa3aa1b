"""``crowdguard scenario check`` and ``crowdguard scenario load`` as a newcomer uses them."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

GOOD = """\
id: test-season
name: Test season
start: 2026-12-01
end: 2026-12-07
threat_level: SUBSTANTIAL
threat_source: "JTAC via ProtectUK, checked 2026-11-30"
venues:
  - id: market
    name: Market
    kind: christmas_market
    lat: 51.06
    lon: -1.31
    opening_hours:
      daily: "10:00-18:00"
      exceptions: {2026-12-05: "9:00-21:00"}
    peak_occupancy: 1000
    capacity: 2000
    source: "[ESTIMATE] all figures"
  - id: centre
    name: Centre
    kind: shopping_centre
    lat: 51.07
    lon: -1.32
    opening_hours:
      weekly: {sat: "09:00-18:00"}
    peak_occupancy: 8000
    source: "[ESTIMATE] all figures"
bases:
  - {id: hq, name: HQ, lat: 51.0, lon: -1.3}
teams:
  - {callsign: alpha-1, base: hq, shifts: ["10:00-16:00"]}
"""


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    """``crowdguard ARGS`` in this process (as ``main()`` runs it: errors exit 2)."""
    from crowdguard.cli.main import main

    monkeypatch.delenv("CROWDGUARD_DATABASE_URL", raising=False)

    def invoke(*args: str) -> Result:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["crowdguard", *args])
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return Result(code, out.out, out.err)

    return invoke


def test_the_command_runs_as_a_program(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD.replace("kind: christmas_market", "kind: outlet"), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "crowdguard", "scenario", "check", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "did you mean 'outlet_village'?" in done.stderr


@pytest.fixture
def season(tmp_path: Path) -> Path:
    path = tmp_path / "season.yaml"
    path.write_text(GOOD, encoding="utf-8")
    return path


def test_check_summarises_a_valid_file_and_names_what_to_fix(
    season: Path, run: Callable[..., Result]
) -> None:
    result = run("scenario", "check", str(season))
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())
    assert f"{season}: valid. Test season (test-season)" in out
    assert "Tue 01 Dec 2026 to Mon 07 Dec 2026 (7 days), threat SUBSTANTIAL" in out
    assert "2 venues (1 christmas market, 1 shopping centre); 1 base; 1 team (1 foot)" in out
    assert "42 team-hours on shift" in out  # 6 h x 7 days
    # the centre gives no area or capacity: its risk rests on a default, and it says so
    assert "warning: centre: risk rests on the default footprint of a shopping centre" in out
    assert "give its area_m2 (or capacity)" in out
    assert "market: risk rests" not in out


def test_check_json_is_one_document_with_the_same_facts(
    season: Path, run: Callable[..., Result]
) -> None:
    result = run("scenario", "check", str(season), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    market, centre = summary["venues"]
    assert (market["area_m2"], market["area_source"]) == (1000.0, "capacity")
    assert (centre["area_m2"], centre["area_source"]) == (10000.0, "default")
    assert market["open_days"] == 7 and market["open_hours"] == 8 * 6 + 12
    assert centre["open_days"] == 1 and summary["team_hours"] == 42.0
    assert [w.split(":")[0] for w in summary["warnings"]] == ["centre"]


def test_check_warns_of_last_years_dates_a_closed_venue_and_no_threat_source(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    text = (
        GOOD.replace("2026-12-05:", "2025-12-05:")
        .replace('weekly: {sat: "09:00-18:00"}', "daily: closed")
        .replace('threat_source: "JTAC via ProtectUK, checked 2026-11-30"\n', "")
    )
    path = tmp_path / "old.yaml"
    path.write_text(text, encoding="utf-8")
    warnings = json.loads(run("scenario", "check", str(path), "--json").stdout)["warnings"]
    assert any(
        w.startswith("market: opening_hours.exceptions on 2025-12-05 fall outside the period")
        for w in warnings
    )
    assert "centre: never open between 2026-12-01 and 2026-12-07" in " ".join(warnings)
    assert any(w.startswith("threat_source is empty") for w in warnings)


def test_check_names_the_limits_and_a_venue_no_home_sector_reaches(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    """Issue 11 s.2: a home sector that leaves a venue out means it is never patrolled; the
    check says so before a season is planned around the gap, and how to close it."""
    far = GOOD.replace("lat: 51.07\n    lon: -1.32", "lat: 51.25\n    lon: -0.76")  # ~43 km
    path = tmp_path / "limited.yaml"
    path.write_text(far + "patrol: {home_radius_km: 20, max_transit_share: 0.33}\n")
    result = run("scenario", "check", str(path))
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())
    assert "Operational limits: home_radius_km 20, max_transit_share 0.33" in out
    assert "warning: centre: outside every team's home sector" in out
    assert "add it to a base's sector or raise home_radius_km" in out
    summary = json.loads(run("scenario", "check", str(path), "--json").stdout)
    assert summary["operational_limits"] == {"home_radius_km": 20.0, "max_transit_share": 0.33}
    # the base lists the outlier in its sector: no warning
    path.write_text(path.read_text().replace("lon: -1.3}", "lon: -1.3, sector: [centre]}"))
    warnings = json.loads(run("scenario", "check", str(path), "--json").stdout)["warnings"]
    assert not any("home sector" in w for w in warnings)


def test_check_reads_the_demo_by_name(run: Callable[..., Result]) -> None:
    result = run("scenario", "check", "demo", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["id"] == "hampshire-iow-christmas-2026"
    assert summary["operational_limits"] == {
        "home_radius_km": 20.0, "max_transit_share": 0.33, "min_stay_minutes": 60.0
    }  # fmt: skip
    assert not any("home sector" in w for w in summary["warnings"])


def test_check_of_a_bad_file_is_one_line_and_exit_2(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD.replace("kind: christmas_market", "kind: outlet"), encoding="utf-8")
    result = run("scenario", "check", str(path))
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert f"{path}:10: venues[0].kind:" in line and "did you mean 'outlet_village'?" in line


def _stored(data_dir: Path) -> dict[str, object]:
    from crowdguard.store.db import make_engine, make_sessionmaker, session_scope
    from crowdguard.store.settings import resolve_settings
    from crowdguard.venues import service

    engine = make_engine(resolve_settings(data_dir).database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            row = service.get_scenario(session=session, scenario_id="test-season")
            return {
                "snapshot": row.snapshot,
                "venues": sorted(
                    v.id for v in service.list_venues(session=session, limit=50, offset=0)[0]
                ),
                "teams": [
                    t.callsign for t in service.list_teams(session=session, limit=50, offset=0)[0]
                ],
                "centre": service.get_venue(session=session, venue_id="centre").data,
            }
    finally:
        engine.dispose()


def test_load_puts_the_scenario_its_venues_and_teams_in_the_store(
    season: Path, tmp_path: Path, run: Callable[..., Result]
) -> None:
    data = tmp_path / "store"
    result = run("scenario", "load", str(season), "--data-dir", str(data))
    assert result.returncode == 0, result.stderr
    assert "loaded scenario 'test-season' (2 venues, 1 team; 4 records created" in result.stdout
    assert 'POST /api/v1/plans with {"scenario_id": "test-season"}' in result.stdout
    stored = _stored(data)
    assert stored["venues"] == ["centre", "market"] and stored["teams"] == ["alpha-1"]
    from crowdguard.scenario import Scenario, load_scenario

    assert Scenario.model_validate(stored["snapshot"]) == load_scenario(season)

    again = run("scenario", "load", str(season), "--data-dir", str(data))
    assert again.returncode == 2
    assert "already in the store: scenario 'test-season'; venues market, centre; teams alpha-1" in (
        again.stderr
    )
    assert "--replace" in again.stderr

    bigger = season.with_name("v2.yaml")
    bigger.write_text(GOOD.replace("peak_occupancy: 8000", "peak_occupancy: 9000"), "utf-8")
    replaced = run("scenario", "load", str(bigger), "--data-dir", str(data), "--replace")
    assert replaced.returncode == 0, replaced.stderr
    assert "0 records created, 4 replaced" in replaced.stdout
    assert _stored(data)["centre"]["peak_occupancy"] == 9000  # type: ignore[index]


@pytest.fixture
def linked(tmp_path: Path) -> Path:
    import yaml

    from crowdguard.scenario.load import resolve_plan_ref

    plan = yaml.safe_load(resolve_plan_ref("demo:winchester-cathedral-market").read_text())
    plan["venue"]["id"] = "market"
    (tmp_path / "market-plan.yaml").write_text(yaml.safe_dump(plan), encoding="utf-8")
    path = tmp_path / "linked.yaml"
    path.write_text(
        GOOD.replace(
            '    source: "[ESTIMATE] all figures"\n',
            '    source: "[ESTIMATE] all figures"\n    security_plan: market-plan.yaml\n',
            1,
        ),
        encoding="utf-8",
    )
    return path


def test_load_refuses_a_plan_file_link_and_drops_it_when_told(
    linked: Path, tmp_path: Path, run: Callable[..., Result]
) -> None:
    data = tmp_path / "store"
    refused = run("scenario", "load", str(linked), "--data-dir", str(data))
    assert refused.returncode == 2
    (line,) = refused.stderr.strip().splitlines()
    assert "venues[0].security_plan: venue 'market' links the plan file" in line
    assert "--drop-plan-links" in line
    assert not data.exists()  # refused before the store was opened: nothing written
    dropped = run("scenario", "load", str(linked), "--data-dir", str(data), "--drop-plan-links")
    assert dropped.returncode == 0, dropped.stderr
    assert "security-plan links dropped for market" in dropped.stderr
    assert _stored(data)["snapshot"]["venues"][0]["security_plan"] is None  # type: ignore[index]
