"""A finished plan holding one day's roster for the demo's teams, stored straight into a
store (no solve): every team patrols one venue the whole day, so units are on shift and
placed at a venue whatever the time of the test. Used by the page and browser tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine

from crowdguard.jobs import service as jobs
from crowdguard.jobs.models import PlanCreate
from crowdguard.scenario.load import demo_scenario
from crowdguard.store.db import make_sessionmaker, session_scope

__all__ = ["PATROLS", "demo_roster", "store_demo_roster"]

PATROLS = {
    "alpha-1": "winchester-cathedral-market",
    "alpha-2": "portsmouth-gunwharf-quays",
    "alpha-4": "newport-st-james-square",
    "bravo-2": "southampton-westquay",
    "bravo-3": "basingstoke-festival-place",
}
"""Who patrols where all day (the other teams have no roster: they are at their base)."""


def demo_roster(day: dt.date) -> dict[str, Any]:
    """The ``rosters/YYYY-MM-DD.json`` contract: :data:`PATROLS` from 00:00 to 23:59."""
    scenario = demo_scenario()
    known = {v.id for v in scenario.venues}
    assert set(PATROLS.values()) <= known, set(PATROLS.values()) - known
    bases = {t.callsign: t.base for t in scenario.teams}
    return {
        "date": day.isoformat(),
        "teams": [
            {
                "team": team,
                "base": bases[team],
                "segments": [
                    {
                        "kind": "patrol",
                        "venue": venue,
                        "start": f"{day.isoformat()}T00:00:00",
                        "end": f"{day.isoformat()}T23:59:00",
                    }
                ],
            }
            for team, venue in PATROLS.items()
        ],
    }


def store_demo_roster(engine: Engine, day: dt.date, now: dt.datetime) -> None:
    """Store a finished plan of the demo scenario with :func:`demo_roster` for ``day``."""
    with session_scope(make_sessionmaker(engine)) as session:
        plan = jobs.create_plan(
            session=session,
            data=PlanCreate(scenario_id=demo_scenario().id, seed=1),
            actor="test",
            now=now,
        )
        jobs.finish_plan(
            session=session,
            plan_id=plan.id,
            now=now,
            result={"solver": "hand-written"},
            rosters={day.isoformat(): demo_roster(day)},
        )
