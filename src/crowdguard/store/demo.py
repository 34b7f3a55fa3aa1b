"""Seed an empty store with the embedded Hampshire & Isle of Wight demo on first start."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crowdguard.venues.service import load_scenario_records
from crowdguard.venues.tables import ScenarioRow, VenueRow

__all__ = ["seed_demo"]


def seed_demo(*, session: Session, now: dt.datetime) -> str:
    """Load the demo scenario, its venues and teams if the store holds no venues yet.

    Returns a one-line account of what happened (the demo may not be installed).
    """
    if (session.scalar(select(func.count()).select_from(VenueRow)) or 0) > 0:
        return "store already holds data; demo not loaded"
    if (session.scalar(select(func.count()).select_from(ScenarioRow)) or 0) > 0:
        return "store already holds scenarios; demo not loaded"
    try:
        from crowdguard.scenario.load import demo_scenario
    except ImportError:
        return "demo scenario not available in this build; starting with an empty store"
    scenario = demo_scenario()
    added = load_scenario_records(session=session, scenario=scenario, actor="system", now=now)
    return f"loaded demo scenario {scenario.id!r} ({added} records)"
