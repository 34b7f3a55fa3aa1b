"""Shifts that cross midnight (issue 11 s.3): the late economy around markets can be planned.

A shift ``18:00-02:00`` belongs to the date it starts on: that date's plan holds the venue-slots
up to 02:00 the next morning, its roster runs on past midnight, and the next day's plan starts
at 02:00, so every venue-slot is in exactly one day's plan.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from crowdguard.patrols.planner import draw_rosters
from crowdguard.pipeline import PlanInputs, PlanOptions, make_plan
from crowdguard.risk.payoffs import build_targets
from crowdguard.scenario.schema import Scenario, TimeRange

LONDON = ZoneInfo("Europe/London")
FRI, SAT = dt.date(2026, 12, 4), dt.date(2026, 12, 5)


def night_scenario(night: str = "18:00-02:00", day_shift: str = "9:00-17:00") -> dict[str, Any]:
    """A night-time economy street open to 02:00 and a shopping street, Fri-Sat."""
    return {
        "id": "night-test",
        "name": "Night economy test",
        "start": FRI.isoformat(),
        "end": SAT.isoformat(),
        "threat_level": "SUBSTANTIAL",
        "venues": [
            {
                "id": "guildhall-walk", "name": "Guildhall Walk", "kind": "shopping_street",
                "lat": 50.7975, "lon": -1.0920, "peak_occupancy": 3000, "area_m2": 6000,
                "opening_hours": {"daily": ["00:00-02:00", "18:00-24:00"]},
            },
            {
                "id": "commercial-road", "name": "Commercial Road", "kind": "shopping_street",
                "lat": 50.7990, "lon": -1.0895, "peak_occupancy": 5000, "area_m2": 9000,
                "opening_hours": {"daily": "9:00-20:00"},
            },
        ],
        "bases": [{"id": "pic-portsmouth", "name": "Portsmouth", "lat": 50.834, "lon": -1.059}],
        "teams": [
            {"callsign": "night-1", "base": "pic-portsmouth", "shifts": [night]},
            {"callsign": "day-1", "base": "pic-portsmouth", "shifts": [day_shift]},
        ],
    }  # fmt: skip


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)


def test_a_shift_may_cross_midnight_but_opening_hours_keep_to_one_day() -> None:
    scenario = Scenario.model_validate(night_scenario())
    hours = scenario.teams[0].shifts[0].hours
    assert hours.overnight and str(hours) == "18:00-02:00"
    assert hours.minutes() == (18 * 60, 26 * 60)
    # Stored and read back (the plan's scenario snapshot) it is the same shift.
    again = Scenario.model_validate(scenario.model_dump(mode="json"))
    assert again.teams[0].shifts[0].hours == hours
    with pytest.raises(ValueError, match="ends before it starts"):
        TimeRange.parse("18:00-02:00")  # opening hours: write the late night on each date
    with pytest.raises(ValidationError, match="'18:00-18:00' ends before it starts"):
        Scenario.model_validate(night_scenario(night="18:00-18:00"))


def test_the_next_morning_may_not_start_before_the_night_ends() -> None:
    with pytest.raises(ValidationError) as caught:
        Scenario.model_validate(night_scenario(day_shift="1:00-9:00"))
    message = str(caught.value)
    assert "teams[1].shifts: shift 01:00-09:00 of team 'day-1'" in message
    assert "starts before 02:00, when the overnight shift 18:00-02:00 of team 'night-1'" in message
    # One team's own night and next morning overlap: named as such.
    body = night_scenario()
    body["teams"][0]["shifts"] = ["18:00-02:00", "1:00-5:00"]
    with pytest.raises(ValidationError, match="overlapping shifts on mon"):
        Scenario.model_validate(body)
    # From the night's end it is fine.
    Scenario.model_validate(night_scenario(day_shift="2:00-9:00"))


def test_each_venue_slot_is_in_exactly_one_day_s_plan() -> None:
    scenario = Scenario.model_validate(night_scenario())
    friday = build_targets(scenario, days=[FRI])
    saturday = build_targets(scenario, days=[SAT])
    both = build_targets(scenario, days=[FRI, SAT])
    assert set(friday.ids).isdisjoint(saturday.ids)
    assert set(friday.ids) | set(saturday.ids) == set(both.ids)
    small_hours = {s for v, s in zip(friday.venue, friday.start, strict=True) if s.date() == SAT}
    assert small_hours == {at(SAT, 0), at(SAT, 1)}  # Friday's night, to 02:00 Saturday
    assert all(s >= at(SAT, 2) for s in saturday.start)  # Saturday's plan starts at 02:00
    # The night before the period (Thursday's) is not planned: Friday starts at 02:00 too.
    assert min(friday.start) >= at(FRI, 2)
    assert scenario.plan_day_of(at(SAT, 1)) == FRI and scenario.plan_day_of(at(SAT, 2)) == SAT


@pytest.mark.parametrize("mode", ["routes", "free"])
def test_the_night_is_patrolled_and_rostered_under_the_date_it_starts(mode: str) -> None:
    scenario = Scenario.model_validate(night_scenario())
    options = PlanOptions(seed=5, mode=mode, workers=1, what_ifs=False)  # type: ignore[arg-type]
    plan = make_plan(PlanInputs(scenario), options)
    assert plan.certificate["holds"] if mode == "routes" else plan.certificate
    small_hours = [
        i
        for i, (venue, start) in enumerate(zip(plan.targets.venue, plan.targets.start, strict=True))
        if venue == "guildhall-walk" and start in (at(SAT, 0), at(SAT, 1))
    ]
    assert small_hours and all(plan.coverage[i] >= 0.3 for i in small_hours)
    rosters = {d: r.document() for d, r in plan.rosters().items()}
    assert sorted(rosters) == [FRI.isoformat(), SAT.isoformat()]
    friday = {t["team"]: t["segments"] for t in rosters[FRI.isoformat()]["teams"]}
    night = friday["night-1"]
    assert night[0]["start"] == at(FRI, 18).isoformat()
    assert night[-1]["end"] == at(SAT, 2).isoformat()  # runs on past midnight
    # Over draws, the small hours are patrolled (at the one place open then).
    patrolled = []
    for k in range(20):
        rng = random.Random(k)
        drawn = (
            plan.day_plans[FRI.isoformat()].draw(rng)
            if mode == "routes"
            else draw_rosters(
                scenario, plan.targets, plan.coverage, plan.slot_teams, rng=rng, days=[FRI]
            )[FRI.isoformat()]
        ).document()
        segments = next(t["segments"] for t in drawn["teams"] if t["team"] == "night-1")
        assert segments[-1]["end"] == at(SAT, 2).isoformat()
        patrolled += [
            s for s in segments if s["kind"] == "patrol" and s["end"] > at(SAT, 0).isoformat()
        ]
    assert patrolled and all(s["venue"] == "guildhall-walk" for s in patrolled)
    saturday = {t["team"]: t["segments"] for t in rosters[SAT.isoformat()]["teams"]}
    assert all(s["start"] >= at(SAT, 9).isoformat() for s in saturday["day-1"])
    assert saturday["night-1"][-1]["end"] == at(dt.date(2026, 12, 6), 2).isoformat()
