"""The two attackers: hand-checked best responses, realised cover, and the roster observer."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from crowdguard.errors import InputError
from crowdguard.risk.payoffs import Targets
from crowdguard.simulation.attacker import (
    OBSERVERS,
    Observer,
    best_response,
    daily_informed_harm,
    mean_interval,
    observe_and_strike,
    realised_cover,
)

LONDON = ZoneInfo("Europe/London")
DAY0 = dt.datetime(2026, 12, 1, 14, 0, tzinfo=LONDON)


def make_targets(
    venues: list[str],
    days: int,
    *,
    reward: list[float],
    harm: list[float],
    hours: int = 1,
) -> Targets:
    """``venues`` open ``hours`` one-hour slots a day for ``days`` days from 1 Dec 14:00.

    Per venue: attacker reward ``reward`` uncovered, ``-10`` covered; defender loses
    ``harm`` uncovered and ``0.4 harm`` covered (patrol effectiveness 0.6).
    """
    ids, venue, start, end, slot, slot_starts = [], [], [], [], [], []
    a_c, a_u, d_c, d_u = [], [], [], []
    for d in range(days):
        for h in range(hours):
            begin = DAY0 + dt.timedelta(days=d, hours=h)
            slot_starts.append(begin)
            for v, name in enumerate(venues):
                ids.append(f"{name}@{begin.isoformat()}")
                venue.append(name)
                start.append(begin)
                end.append(begin + dt.timedelta(hours=1))
                slot.append(len(slot_starts) - 1)
                a_c.append(-10.0)
                a_u.append(reward[v])
                d_c.append(-0.4 * harm[v])
                d_u.append(-harm[v])
    n = len(ids)
    return Targets(
        ids=tuple(ids),
        venue=tuple(venue),
        start=tuple(start),
        end=tuple(end),
        slot=np.array(slot),
        slot_starts=tuple(slot_starts),
        crowd=np.ones(n),
        risk=np.array([-x for x in d_u]),
        defender_covered=np.array(d_c),
        defender_uncovered=np.array(d_u),
        attacker_covered=np.array(a_c),
        attacker_uncovered=np.array(a_u),
    )


def test_best_response_by_hand() -> None:
    t = make_targets(["a", "b", "c"], 1, reward=[100.0, 60.0, 30.0], harm=[50.0, 40.0, 20.0])
    # Attacker: a 0.5*-10 + 0.5*100 = 45; b 0.2*-10 + 0.8*60 = 46; c 30. Best: b.
    # Defender loss at b: 0.2*16 + 0.8*40 = 35.2.
    result = best_response(t, np.array([0.5, 0.2, 0.0]))
    assert result.target_id.startswith("b@")
    assert result.attacker_utility == pytest.approx(46.0)
    assert result.harm == pytest.approx(35.2)


def test_ties_are_broken_in_the_defenders_favour() -> None:
    t = make_targets(["a", "b"], 1, reward=[50.0, 50.0], harm=[80.0, 10.0])
    # Equal attacker utility (50) at both; the defender loses less at b.
    result = best_response(t, np.zeros(2))
    assert result.target_id.startswith("b@")
    assert result.harm == pytest.approx(10.0)


def test_daily_informed_harm_takes_each_days_best_response() -> None:
    t = make_targets(["a", "b"], 3, reward=[50.0, 40.0], harm=[80.0, 10.0])
    cover = np.tile([1.0, 0.0], 3)  # a covered every day: -10 < 40, so b is attacked
    assert daily_informed_harm(t, cover) == pytest.approx(10.0)
    assert daily_informed_harm(t, np.zeros(6), from_day=1) == pytest.approx(80.0)
    t2 = make_targets(["a", "b"], 2, reward=[50.0, 50.0], harm=[80.0, 10.0])
    assert daily_informed_harm(t2, np.zeros(4), ties="attacker") == pytest.approx(80.0)


def _roster(day: str, venue: str, start: str, end: str) -> dict[str, Any]:
    return {
        "date": day,
        "teams": [
            {
                "team": "alpha-1",
                "base": "hq",
                "segments": [
                    {"kind": "patrol", "venue": venue, "start": start, "end": end},
                ],
            }
        ],
    }


def test_realised_cover_needs_more_than_half_the_slot() -> None:
    t = make_targets(["a", "b"], 1, reward=[1.0, 1.0], harm=[1.0, 1.0], hours=2)
    # a: 14:00-15:00 fully (slot 0) and 15:00-15:20 (a third of slot 1). b: never.
    rosters = {"2026-12-01": _roster("2026-12-01", "a", "2026-12-01T14:00", "2026-12-01T15:20")}
    covered = realised_cover(t, rosters)
    by_id = dict(zip(t.ids, covered, strict=True))
    assert by_id[f"a@{DAY0.isoformat()}"]
    assert not by_id[f"a@{(DAY0 + dt.timedelta(hours=1)).isoformat()}"]
    assert not any(v for k, v in by_id.items() if k.startswith("b@"))


def test_realised_cover_rejects_a_broken_segment() -> None:
    t = make_targets(["a"], 1, reward=[1.0], harm=[1.0])
    with pytest.raises(InputError, match=r"rosters\[2026-12-01\]: team alpha-1"):
        realised_cover(t, {"2026-12-01": _roster("2026-12-01", "a", "noon", "later")})


@pytest.mark.parametrize("observer", OBSERVERS, ids=lambda o: o.name)
def test_observer_finds_the_venue_never_patrolled(observer: Observer) -> None:
    """Venue a (higher reward) is patrolled every day, b never: after watching, the observer
    strikes b every day and meets nobody."""
    t = make_targets(["a", "b"], 20, reward=[100.0, 60.0], harm=[50.0, 30.0])
    covered = np.tile([True, False], 20)
    run = observe_and_strike(t, covered, observer=observer, window=14)
    assert list(run.days) == list(range(14, 20))
    assert all(t.venue[i] == "b" for i in run.targets)
    assert run.unopposed_share == 1.0
    assert run.mean_harm == pytest.approx(30.0)


def test_weekday_observer_learns_a_weekly_pattern_the_hour_observer_cannot() -> None:
    """Venue a is patrolled on six weekdays out of seven, the less attractive b never. The
    weekday observer strikes a on the seventh weekday, b otherwise; the hour-of-day observer,
    seeing a covered six days in seven, always strikes b and so does less harm."""
    days = 28
    t = make_targets(["a", "b"], days, reward=[100.0, 60.0], harm=[50.0, 30.0])
    gap = 3  # the weekday (counted from day 0) a is unpatrolled
    covered = np.array([[d % 7 != gap, False] for d in range(days)]).ravel()
    weekly = observe_and_strike(t, covered, observer=Observer("weekday", "frequency"))
    hourly = observe_and_strike(t, covered, observer=Observer("hour", "frequency"))
    for d, i in zip(weekly.days, weekly.targets, strict=True):
        assert t.venue[i] == ("a" if d % 7 == gap else "b")
    assert weekly.mean_harm > hourly.mean_harm
    assert weekly.unopposed.all() and hourly.unopposed.all()


def test_recency_weights_the_last_days_more() -> None:
    """a was patrolled for ten days, then dropped for the last four: the recency observer
    sees the change; the frequency observer still thinks a is well covered."""
    t = make_targets(["a", "b"], 15, reward=[100.0, 60.0], harm=[50.0, 30.0])
    covered = np.array([[d < 10, d >= 10] for d in range(15)]).ravel()
    recent = observe_and_strike(t, covered, observer=Observer("hour", "recency"), window=14)
    frequent = observe_and_strike(t, covered, observer=Observer("hour", "frequency"), window=14)
    assert t.venue[int(recent.targets[0])] == "a"
    assert t.venue[int(frequent.targets[0])] == "b"


def test_observer_window_errors_name_the_option() -> None:
    t = make_targets(["a"], 5, reward=[1.0], harm=[1.0])
    covered = np.zeros(5, dtype=bool)
    with pytest.raises(InputError, match="--window 0"):
        observe_and_strike(t, covered, observer=OBSERVERS[0], window=0)
    with pytest.raises(InputError, match="--window 5: the horizon has only 5 days"):
        observe_and_strike(t, covered, observer=OBSERVERS[0], window=5)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-100, 100), min_size=2, max_size=30))
def test_mean_interval_matches_scipys_t_interval(values: list[float]) -> None:
    interval = mean_interval(values)
    x = np.array(values)
    assert interval.mean == pytest.approx(x.mean())
    if x.std() > 1e-9:
        low, high = stats.t.interval(0.95, x.size - 1, loc=x.mean(), scale=stats.sem(x))
        assert interval.low == pytest.approx(low, rel=1e-6, abs=1e-9)
        assert interval.high == pytest.approx(high, rel=1e-6, abs=1e-9)
    assert interval.low <= interval.mean <= interval.high
