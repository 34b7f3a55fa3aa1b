"""The season simulator: determinism, conservation and hand-checkable cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from crowdguard.dispatch.recommend import LatLon, matrix_travel, straight_line_travel
from crowdguard.errors import InputError
from crowdguard.simulation.incidents import IncidentDraw, draw_incidents
from crowdguard.simulation.season import simulate_season

START = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
PLACES: dict[str, LatLon] = {
    "winchester": (51.0632, -1.3080),
    "southampton": (50.9027, -1.4063),
    "portsmouth": (50.7989, -1.0912),
    "hq-north": (51.05, -1.30),
    "hq-south": (50.85, -1.25),
}
VENUES = ["winchester", "southampton", "portsmouth"]


def day_roster(
    day: dt.date, teams: list[tuple[str, str, str]], hours: tuple[int, int]
) -> dict[str, Any]:
    """Each team patrols one venue from ``hours[0]`` to ``hours[1]`` local time."""
    stamp = day.isoformat()
    return {
        "date": stamp,
        "teams": [
            {
                "team": team,
                "base": base,
                "segments": [
                    {
                        "kind": "base",
                        "start": f"{stamp}T{hours[0]:02d}:00",
                        "end": f"{stamp}T{hours[0]:02d}:30",
                    },
                    {
                        "kind": "transit",
                        "venue": venue,
                        "start": f"{stamp}T{hours[0]:02d}:30",
                        "end": f"{stamp}T{hours[0] + 1:02d}:00",
                    },
                    {
                        "kind": "patrol",
                        "venue": venue,
                        "start": f"{stamp}T{hours[0] + 1:02d}:00",
                        "end": f"{stamp}T{hours[1]:02d}:00",
                    },
                ],
            }
            for team, base, venue in teams
        ],
    }


TEAMS = [
    ("arv-1", "hq-north", "winchester"),
    ("arv-2", "hq-south", "southampton"),
    ("arv-3", "hq-south", "portsmouth"),
    ("arv-4", "hq-north", "southampton"),
]
ROSTERS = {
    (START + dt.timedelta(days=d)).date(): day_roster(
        (START + dt.timedelta(days=d)).date(), TEAMS, (9, 21)
    )
    for d in range(3)
}
CROWD = np.zeros((3, 72))
for d in range(3):
    CROWD[:, d * 24 + 10 : d * 24 + 20] = [[5000], [12000], [3000]]


def run(seed: int | None = 1, **kw: Any) -> Any:
    args: dict[str, Any] = {
        "places": PLACES,
        "venues": VENUES,
        "crowd": CROWD,
        "start": START,
        "expected_incidents": 120,
        "travel_minutes": straight_line_travel(),
        "seed": seed,
    }
    args.update(kw)
    return simulate_season(ROSTERS, **args)


def test_the_same_seed_gives_the_same_season_and_another_seed_does_not() -> None:
    a, b, c = run(1), run(1), run(2)
    assert np.array_equal(a.incidents.minutes, b.incidents.minutes)
    assert np.array_equal(a.response_minutes, b.response_minutes, equal_nan=True)
    assert np.array_equal(a.team, b.team)
    assert a.overall == b.overall
    assert not np.array_equal(a.incidents.minutes, c.incidents.minutes)


@pytest.mark.parametrize(("expected", "max_wait"), [(30, float("inf")), (900, 5.0)])
def test_every_incident_is_served_or_counted_unserved(expected: int, max_wait: float) -> None:
    result = run(3, expected_incidents=expected, max_wait_minutes=max_wait)
    n = len(result.incidents)
    served = ~np.isnan(result.response_minutes)
    assert result.served + result.unserved == n
    assert int(served.sum()) == result.served
    assert np.array_equal(served, result.team >= 0)
    assert sum(v.incidents for v in result.by_venue) == n
    assert sum(v.served for v in result.by_venue) == result.served
    assert np.all(result.response_minutes[served] >= result.wait_minutes[served])
    if max_wait < float("inf"):
        assert result.unserved > 0  # four teams cannot carry 900 calls in 30 hours
        assert np.all(result.wait_minutes[served] <= max_wait)
    else:
        assert result.unserved == 0  # light load, every call comes an hour before shifts end


def test_incidents_follow_the_crowd() -> None:
    result = run(5, expected_incidents=600)
    counts = {v.venue: v.incidents for v in result.by_venue}
    # Expected shares 5:12:3 of 600 -> 150, 360, 90; allow 4 standard deviations.
    for venue, mean in (("winchester", 150), ("southampton", 360), ("portsmouth", 90)):
        assert abs(counts[venue] - mean) <= 4 * mean**0.5
    hours = (result.incidents.minutes // 60) % 24
    assert np.all((hours >= 10) & (hours < 20))  # only when the crowd is there


def test_a_hand_checkable_day() -> None:
    """One team patrols Winchester; two calls come from Southampton, 7 minutes away."""
    names = ["winchester", "southampton", "hq-north"]
    minutes = [[0, 7, 5], [7, 0, 9], [5, 9, 0]]
    travel = matrix_travel([PLACES[n] for n in names], minutes)
    day = START.date()
    roster = {day: day_roster(day, [("arv-1", "hq-north", "winchester")], (9, 21))}
    calls = IncidentDraw(
        minutes=np.array([8 * 60.0, 12 * 60.0, 12 * 60.0 + 10]),  # 08:00, 12:00, 12:10
        venue=np.array([1, 1, 1]),
        false_alarm=np.array([False, False, True]),
        on_scene=np.array([30.0, 30.0, 30.0]),
    )
    result = simulate_season(
        roster,
        places=PLACES,
        venues=["winchester", "southampton"],
        crowd=np.ones((2, 24)),
        start=START,
        expected_incidents=0,
        travel_minutes=travel,
        seed=0,
        incidents=calls,
    )
    # 08:00: nobody on shift until 09:00, then from base hq-north (9 min): 60 + 9.
    # 12:00: from the Winchester patrol, 7 min. 12:10: waits until the team is back at
    # 12:44 (7 + 30 + 7), then 7 min more: 34 + 7 = 41.
    assert result.response_minutes.tolist() == pytest.approx([69.0, 7.0, 41.0])
    assert result.wait_minutes.tolist() == pytest.approx([60.0, 0.0, 34.0])
    winchester = result.by_venue[0]
    # First call: busy 09:00-09:46 (9 there, 30 on scene, then 7 to Winchester, where the
    # roster's 09:30-10:00 transit is heading); the patrol only starts at 10:00: none lost.
    # Second: 12:00-12:44 lost. Third: 12:44-13:28 lost. Total 88 minutes at Winchester.
    assert winchester.patrol_minutes_lost == pytest.approx(88.0)
    assert winchester.patrol_minutes_rostered == pytest.approx(11 * 60)
    assert result.overall.median_minutes == pytest.approx(41.0)
    assert result.overall.share_within_target == pytest.approx(1 / 3)


def test_crowd_may_be_a_function() -> None:
    def crowd(venue: str, when: dt.datetime) -> float:
        k = VENUES.index(venue)
        hour = int((when - START).total_seconds() // 3600)
        return float(CROWD[k, hour])

    by_array = run(9)
    by_function = run(9, crowd=crowd, hours=72)
    assert np.array_equal(by_array.incidents.minutes, by_function.incidents.minutes)


def test_false_alarms_are_a_share_of_incidents() -> None:
    rng = np.random.default_rng(4)
    draw = draw_incidents(
        np.ones((2, 1000)), expected_total=20_000, rng=rng, false_alarm_share=0.25
    )
    assert len(draw) == pytest.approx(20_000, abs=4 * 20_000**0.5)
    assert draw.false_alarm.mean() == pytest.approx(0.25, abs=0.015)
    assert np.all(np.diff(draw.minutes) >= 0)
    assert np.all(draw.on_scene > 0)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"start": dt.datetime(2026, 12, 1)}, "start"),
        ({"venues": ["winchester", "nowhere"]}, "nowhere"),
        ({"crowd": np.ones((2, 72))}, "crowd"),
        ({"crowd": -np.ones((3, 72))}, "crowd"),
        ({"false_alarm_share": 1.5}, "false_alarm_share"),
    ],
)
def test_bad_input_is_named(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        run(**changes)
