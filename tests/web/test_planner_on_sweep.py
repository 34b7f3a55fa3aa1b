"""The planner's page says where a plan's deployment sits on its scenario's sweep (issue 16)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from html_parse import parse
from sqlalchemy import Engine

from crowdguard.jobs import service as jobs
from crowdguard.jobs.models import PlanCreate
from crowdguard.scenario.load import demo_scenario
from crowdguard.store.clock import FakeClock
from crowdguard.store.db import make_sessionmaker, session_scope
from crowdguard.users.models import Role

PLACED = {
    "threat": "SUBSTANTIAL",
    "teams": 6,
    "team_hours": 252.0,
    "metric": "harm_realised",
    "harm": 3.2,
    "next_team_reduces": 0.41,
    "position": "below",
    "summary": "...",
    "point": {"teams": 9, "threshold_spec": "1%", "curve": [],
              "interval": {"low": 8, "high": None, "confidence": 0.95}},
    "sweep": {"folder": "winter", "same_scenario": False},
}  # fmt: skip


def _store(engine: Engine, clock: FakeClock, result: dict[str, object]) -> int:
    with session_scope(make_sessionmaker(engine)) as session:
        plan = jobs.create_plan(
            session=session,
            data=PlanCreate(scenario_id=demo_scenario().id, seed=1),
            actor="test",
            now=clock.now(),
        )
        jobs.finish_plan(session=session, plan_id=plan.id, now=clock.now(), result=result,
                         rosters={})  # fmt: skip
        return plan.id


def test_the_page_places_the_plan_on_its_sweep_and_says_nothing_without_one(
    client: TestClient, engine: Engine, clock: FakeClock, signed_in: Callable[[Role], str]
) -> None:
    base: dict[str, object] = {"solver": "hand-written", "defender_utility": -1.0, "coverage": []}
    plain = _store(engine, clock, base)
    placed = _store(engine, clock, {**base, "proportionality": PLACED})
    signed_in(Role.planner)
    assert not parse(client.get(f"/planner?plan={plain}").text).has_id("on-sweep")
    text = " ".join(parse(client.get(f"/planner?plan={placed}").text).text("on-sweep").split())
    assert "6 teams at SUBSTANTIAL is below the proportionate range" in text
    assert "(9 teams; interval 8–beyond the grid)" in text
    assert "one more team would reduce harm realised by 0.41" in text
    assert "The scenario has changed since the sweep" in text
