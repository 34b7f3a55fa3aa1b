"""Targets exist exactly for the slots in which a venue is open, DST included."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from crowdguard.risk import build_targets
from crowdguard.scenario import Scenario, demo_scenario

ScenarioFactory = Callable[..., Scenario]

LONDON = ZoneInfo("Europe/London")
ALL_DAY = {"weekly": {d: "00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}}


def elapsed(a: dt.datetime, b: dt.datetime) -> dt.timedelta:
    return b.astimezone(dt.UTC) - a.astimezone(dt.UTC)


@pytest.mark.parametrize(
    ("day", "slots"),
    [(dt.date(2027, 3, 28), 23), (dt.date(2026, 10, 25), 25), (dt.date(2026, 12, 12), 24)],
)
def test_a_day_has_as_many_hours_as_the_clock_says(
    make_scenario: ScenarioFactory, day: dt.date, slots: int
) -> None:
    scenario = make_scenario(
        opening_hours=ALL_DAY, scenario={"start": day.isoformat(), "end": day.isoformat()}
    )
    targets = build_targets(scenario)
    assert len(targets) == slots
    # Every slot is one real hour long, they tile the day without gap or overlap.
    for start, end in zip(targets.start, targets.end, strict=True):
        assert elapsed(start, end) == dt.timedelta(hours=1)
        assert start.tzinfo is not None
    for end, next_start in zip(targets.end, targets.start[1:], strict=False):
        assert elapsed(end, next_start) == dt.timedelta(0)
    assert targets.start[0] == dt.datetime.combine(day, dt.time(0), tzinfo=LONDON)
    assert len(set(targets.ids)) == slots


def test_clocks_going_back_gives_two_distinct_one_oclock_slots(
    make_scenario: ScenarioFactory,
) -> None:
    day = dt.date(2026, 10, 25)
    scenario = make_scenario(
        opening_hours=ALL_DAY, scenario={"start": day.isoformat(), "end": day.isoformat()}
    )
    targets = build_targets(scenario)
    one_am = [s for s in targets.start if s.hour == 1]
    assert len(one_am) == 2
    assert {s.utcoffset() for s in one_am} == {dt.timedelta(hours=1), dt.timedelta(0)}


def test_slots_are_half_open_and_follow_opening_hours(make_scenario: ScenarioFactory) -> None:
    targets = build_targets(make_scenario(), days=[dt.date(2026, 12, 1)])
    hours = [s.hour for s in targets.start]
    assert hours == list(range(9, 18))  # 09:00-18:00 gives 9 slots; none starts at 18:00
    assert targets.end[-1].hour == 18


def test_a_part_open_slot_counts_its_share_of_the_crowd(make_scenario: ScenarioFactory) -> None:
    weekly = {d: "09:30-18:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    full = make_scenario(opening_hours={"weekly": weekly}, hourly_profile={9: 0.8})
    half = build_targets(full, days=[dt.date(2026, 12, 1)])
    whole = build_targets(make_scenario(hourly_profile={9: 0.8}), days=[dt.date(2026, 12, 1)])
    assert half.start[0].hour == 9
    assert half.crowd[0] == pytest.approx(whole.crowd[0] / 2)


def test_thirty_minute_slots(make_scenario: ScenarioFactory) -> None:
    targets = build_targets(
        make_scenario(scenario={"slot_minutes": 30}), days=[dt.date(2026, 12, 1)]
    )
    assert len(targets) == 18
    assert all(
        elapsed(s, e) == dt.timedelta(minutes=30)
        for s, e in zip(targets.start, targets.end, strict=True)
    )


def test_closed_days_and_seasons_have_no_targets(make_scenario: ScenarioFactory) -> None:
    scenario = make_scenario(
        opens="2026-12-02",
        opening_hours={"weekly": ALL_DAY["weekly"], "exceptions": {"2026-12-03": "closed"}},
    )
    days = {s.date() for s in build_targets(scenario).start}
    assert days == {dt.date(2026, 12, 2)}


def test_slot_index_points_into_slot_starts() -> None:
    targets = build_targets(demo_scenario())
    assert len(targets) > 0
    starts = np.array([targets.slot_starts[s] for s in targets.slot])
    assert all(a == b for a, b in zip(starts, targets.start, strict=True))
    assert np.all(np.diff(targets.slot) >= 0), "targets are grouped by slot"
    assert len(set(targets.slot_starts)) == len(targets.slot_starts)
    assert set(targets.slot.tolist()) == set(range(len(targets.slot_starts)))  # none empty
    for ident, venue, start in zip(targets.ids, targets.venue, targets.start, strict=True):
        assert ident == f"{venue}@{start.isoformat()}"


def test_demo_targets_respect_opening_hours() -> None:
    scenario = demo_scenario()
    targets = build_targets(scenario)
    for venue, start, end in zip(targets.venue, targets.start, targets.end, strict=True):
        ranges = scenario.venue(venue).open_ranges(start.date())
        # The slot [start, end) overlaps an opening range [r.start, r.end).
        assert any(r.start < end.time() and start.time() < r.end for r in ranges), (venue, start)
    assert not any(s.date() == dt.date(2026, 12, 25) for s in targets.start)


def test_days_selects_a_subset() -> None:
    scenario = demo_scenario()
    everything = build_targets(scenario)
    one_day = build_targets(scenario, days=[dt.date(2026, 12, 12)])
    chosen = [i for i, s in enumerate(everything.start) if s.date() == dt.date(2026, 12, 12)]
    assert list(one_day.ids) == [everything.ids[i] for i in chosen]
    assert np.allclose(one_day.risk, everything.risk[chosen])
