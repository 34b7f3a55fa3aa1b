"""One roster type end to end (issue 10 s.5): a roster the planner draws is the same typed
model, with identical segments, in the file ``crowdguard plan`` writes, in the store, from
the API and in dispatch's picture of where the units are."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from server_helpers import scenario, team
from sqlalchemy import Engine

from crowdguard.jobs import service as jobs
from crowdguard.jobs.models import PlanCreate
from crowdguard.patrols.dayplan import plan_day
from crowdguard.patrols.roster import DayRoster, Segment, TeamRoster, read_roster_file
from crowdguard.patrols.travel import places_of, straight_line_travel
from crowdguard.report.output import write_json
from crowdguard.risk.payoffs import build_targets
from crowdguard.rosters.models import DayRosters
from crowdguard.scenario.schema import Scenario, Team
from crowdguard.store.clock import FakeClock
from crowdguard.store.db import make_sessionmaker, session_scope
from crowdguard.users.models import Role
from crowdguard.venues import service as venues

DAY = dt.date(2026, 12, 5)


def _by_team(roster: DayRoster) -> dict[str, tuple[str, tuple[Segment, ...]]]:
    return {t.team: (t.base, t.segments) for t in roster.teams}


def test_a_drawn_roster_is_one_typed_model_from_planner_to_dispatch(
    engine: Engine,
    clock: FakeClock,
    client: TestClient,
    as_role: Callable[..., dict[str, str]],
    tmp_path: Path,
) -> None:
    body = scenario()
    sc = Scenario.model_validate(body)
    plan = plan_day(
        sc, DAY, build_targets(sc, days=[DAY]), straight_line_travel(places_of(sc)), tie="strong"
    )
    drawn = plan.draw(random.Random(4))
    assert isinstance(drawn, DayRoster) and all(isinstance(t, TeamRoster) for t in drawn.teams)
    assert {t.team for t in drawn.teams} == {"arv-1", "arv-2"}
    assert any(s.kind == "patrol" for t in drawn.teams for s in t.segments)

    # the file `crowdguard plan` writes, read back: the same model, byte-stable
    path = tmp_path / "rosters" / f"{DAY.isoformat()}.json"
    path.parent.mkdir()
    write_json(path, drawn.document())
    from_file = read_roster_file(path)
    assert from_file == drawn
    assert from_file.document() == drawn.document()

    # stored as the planner's job stores it
    with session_scope(make_sessionmaker(engine)) as session:
        now = clock.now()
        venues.create_scenario(session=session, scenario=sc, actor="t", now=now)
        for callsign in ("arv-1", "arv-2"):
            venues.create_team(
                session=session, team=Team.model_validate(team(callsign)), actor="t", now=now
            )
        row = jobs.create_plan(
            session=session, data=PlanCreate(scenario_id="tiny", seed=4), actor="t", now=now
        )
        jobs.finish_plan(
            session=session,
            plan_id=row.id,
            now=now,
            result={"solver": "test"},
            rosters={DAY.isoformat(): from_file},
        )

    # served: the core model plus the store's fields, segments identical
    response = client.get(f"/api/v1/rosters/{DAY.isoformat()}", headers=as_role(Role.planner))
    assert response.status_code == 200
    served = DayRosters.model_validate(response.json())
    assert isinstance(served, DayRoster)
    assert _by_team(served) == _by_team(drawn)
    for entry in served.teams:
        window = entry.window()
        assert window is not None and (entry.starts_at, entry.ends_at) == window
    # the wire writes each time as the planner did (ISO 8601 with its offset)
    wire = response.json()["teams"]
    on_file = {t["team"]: t["segments"] for t in drawn.document()["teams"]}
    for entry in wire:
        assert [(s["start"], s["end"]) for s in entry["segments"]] == [
            (s["start"], s["end"]) for s in on_file[entry["team"]]
        ]

    # dispatch places each unit by those same segments
    clock.set(dt.datetime(2026, 12, 5, 12, 30, tzinfo=dt.UTC))
    units = client.get("/api/v1/dispatch/units", headers=as_role(Role.control))
    assert units.status_code == 200
    for unit in units.json():
        base, segments = _by_team(drawn)[unit["callsign"]]
        now = clock.now()
        current = next(s for s in segments if s.at(now))
        position = unit["position"]
        assert position["kind"] == current.kind
        assert dt.datetime.fromisoformat(position["until"]) == current.end
        if current.kind == "patrol":
            assert position["place_id"] == current.venue
        if current.kind == "base":
            assert position["place_id"] == base
