"""The recommender on a hand-built map where the straight-line nearest unit is not the fastest."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crowdguard.dispatch.recommend import (
    DispatchUnit,
    LatLon,
    matrix_travel,
    place_segments,
    position_at,
    recommend,
    straight_line_travel,
)
from crowdguard.dispatch.states import UnitState
from crowdguard.errors import InputError, NoUnitAvailable
from crowdguard.patrols.roster import parse_roster

# The map. X is the incident. A is 1 km north of X but across the river (no bridge nearby):
# 25 minutes by road. B is 4 km south on the ring road: 8 minutes. C is 6 km east: 12.
PLACES: dict[str, LatLon] = {
    "incident": (51.000, -1.300),
    "a-venue": (51.009, -1.300),
    "b-venue": (50.964, -1.300),
    "c-venue": (51.000, -1.214),
    "hq": (51.050, -1.350),
}
ROAD = {
    ("a-venue", "incident"): 25.0,
    ("b-venue", "incident"): 8.0,
    ("c-venue", "incident"): 12.0,
    ("hq", "incident"): 15.0,
    ("a-venue", "b-venue"): 30.0,
    ("a-venue", "c-venue"): 30.0,
    ("b-venue", "c-venue"): 20.0,
    ("a-venue", "hq"): 20.0,
    ("b-venue", "hq"): 20.0,
    ("c-venue", "hq"): 20.0,
}
NAMES = list(PLACES)
MINUTES = [
    [0.0 if a == b else ROAD.get((a, b), ROAD.get((b, a), 99.0)) for b in NAMES] for a in NAMES
]
TRAVEL = matrix_travel([PLACES[n] for n in NAMES], MINUTES)
X = PLACES["incident"]
DAY = "2026-12-05"
NOW = dt.datetime(2026, 12, 5, 11, 0, tzinfo=dt.UTC)  # GMT: local time = UTC in December


def seg(kind: str, start: str, end: str, venue: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": kind, "start": f"{DAY}T{start}", "end": f"{DAY}T{end}"}
    if venue:
        out["venue"] = venue
    return out


def unit(
    name: str,
    segments: list[dict[str, Any]],
    *,
    state: UnitState = UnitState.available,
    armed: bool = True,
) -> DispatchUnit:
    roster = parse_roster(
        {"date": DAY, "teams": [{"team": name, "base": "hq", "segments": segments}]}
    )
    placed = place_segments(roster.teams[0], PLACES)
    return DispatchUnit(name, state, PLACES["hq"], placed, armed=armed, base_id="hq")


def patrolling(name: str, venue: str, **kw: Any) -> DispatchUnit:
    return unit(name, [seg("patrol", "10:00", "18:00", venue)], **kw)


def test_the_fastest_unit_by_road_wins_not_the_nearest_in_a_straight_line() -> None:
    units = [
        patrolling("arv-a", "a-venue"),
        patrolling("arv-b", "b-venue"),
        patrolling("arv-c", "c-venue"),
    ]
    by_road = recommend(units, X, travel_minutes=TRAVEL, now=NOW)
    assert [r.unit_id for r in by_road] == ["arv-b", "arv-c", "arv-a"]
    assert [r.eta_minutes for r in by_road] == [8.0, 12.0, 25.0]
    assert by_road[0].position == "patrol at b-venue"
    # The map is a real test: by straight line, A would have been chosen.
    crow = recommend(units, X, travel_minutes=straight_line_travel(), now=NOW, k=1)
    assert crow[0].unit_id == "arv-a"


def test_k_limits_the_list() -> None:
    units = [patrolling("arv-a", "a-venue"), patrolling("arv-b", "b-venue")]
    assert len(recommend(units, X, travel_minutes=TRAVEL, now=NOW, k=1)) == 1
    with pytest.raises(InputError, match="k"):
        recommend(units, X, travel_minutes=TRAVEL, now=NOW, k=0)


def test_busy_and_unarmed_units_are_filtered_out() -> None:
    units = [
        patrolling("arv-b", "b-venue", state=UnitState.en_route),
        patrolling("foot-c", "c-venue", armed=False),
        patrolling("arv-a", "a-venue"),
    ]
    assert [r.unit_id for r in recommend(units, X, travel_minutes=TRAVEL, now=NOW)] == ["arv-a"]
    anyone = recommend(units, X, travel_minutes=TRAVEL, now=NOW, require_armed=False)
    assert [r.unit_id for r in anyone] == ["foot-c", "arv-a"]


def test_an_off_shift_unit_is_skipped_and_a_unit_without_roster_waits_at_base() -> None:
    ended = unit("arv-b", [seg("patrol", "06:00", "10:30", "b-venue")])
    reserve = DispatchUnit("arv-reserve", UnitState.available, PLACES["hq"], base_id="hq")
    recs = recommend([ended, reserve], X, travel_minutes=TRAVEL, now=NOW)
    assert [(r.unit_id, r.eta_minutes, r.position) for r in recs] == [
        ("arv-reserve", 15.0, "at hq")
    ]


def test_no_unit_available_says_why() -> None:
    units = [
        patrolling("arv-b", "b-venue", state=UnitState.on_scene),
        patrolling("foot-c", "c-venue", armed=False),
        unit("arv-a", [seg("patrol", "06:00", "10:00", "a-venue")]),
    ]
    with pytest.raises(NoUnitAvailable, match="1 busy or off duty, 1 off shift and 1 unarmed"):
        recommend(units, X, travel_minutes=TRAVEL, now=NOW)


def test_no_unit_on_shift_says_so_in_words_and_when_the_next_shift_starts() -> None:
    units = [
        unit("arv-a", [seg("patrol", "16:00", "20:00", "a-venue")]),
        unit("arv-b", [seg("patrol", "06:00", "10:00", "b-venue")]),
    ]
    with pytest.raises(NoUnitAvailable) as refused:
        recommend(units, X, travel_minutes=TRAVEL, now=NOW)
    message = str(refused.value)
    assert "all 2 units are off shift" in message
    assert "the next rostered shift starts at 16:00" in message
    assert "on shift at 11:00 on Sat 5 Dec" in message  # local time in words, not ISO 8601


@pytest.mark.parametrize(
    ("minute", "expected"),
    [
        (10, 20 + 8),  # 20 min left to B, then B -> X: carry on
        (2, 2 + 25),  # only 2 min out of A: turning back to A, then A -> X, is faster
    ],
)
def test_a_unit_in_transit_takes_the_better_of_carrying_on_and_turning_back(
    minute: int, expected: float
) -> None:
    mover = unit(
        "arv-t",
        [
            seg("patrol", "10:00", "11:00", "a-venue"),
            seg("transit", "11:00", "11:30"),
            seg("patrol", "11:30", "13:00", "b-venue"),
        ],
    )
    now = NOW + dt.timedelta(minutes=minute)
    position = position_at(mover, now)
    assert position.kind == "transit" and position.place == "b-venue"
    rec = recommend([mover], X, travel_minutes=TRAVEL, now=now)[0]
    assert rec.eta_minutes == pytest.approx(expected)


def b_then_c() -> DispatchUnit:
    return unit(
        "arv-b",
        [
            seg("patrol", "10:00", "12:00", "b-venue"),
            seg("transit", "12:00", "12:20"),
            seg("patrol", "12:20", "14:00", "c-venue"),
        ],
    )


@pytest.mark.parametrize(
    ("on_scene", "missed"),
    [
        # leaves X at 11:38, roster says b-venue: back 8 min later, 11:46. Missed 11:00-11:46.
        (30, [("b-venue", "11:00", "11:46")]),
        # leaves 12:08 mid-transit to c-venue: 12 min back to C, 12:20. C's patrol not touched.
        (60, [("b-venue", "11:00", "12:00")]),
        # leaves 12:18, back at C at 12:30: also misses 12:20-12:30 at C.
        (70, [("b-venue", "11:00", "12:00"), ("c-venue", "12:20", "12:30")]),
    ],
)
def test_coverage_gap_lists_the_patrol_minutes_missed(
    on_scene: float, missed: list[tuple[str, str, str]]
) -> None:
    rec = recommend([b_then_c()], X, travel_minutes=TRAVEL, now=NOW, on_scene_minutes=on_scene)[0]
    got = [(m.venue, m.start.strftime("%H:%M"), m.end.strftime("%H:%M")) for m in rec.missed]
    assert got == missed
    expected_minutes = sum(
        (dt.datetime.strptime(e, "%H:%M") - dt.datetime.strptime(s, "%H:%M")).seconds / 60
        for _, s, e in missed
    )
    assert rec.missed_minutes == pytest.approx(expected_minutes)


def test_naive_roster_times_are_london_local_time() -> None:
    summer = parse_roster(
        {
            "date": "2026-07-01",
            "teams": [
                {
                    "team": "t",
                    "base": "hq",
                    "segments": [
                        {"kind": "base", "start": "2026-07-01T10:00", "end": "2026-07-01T11:00"}
                    ],
                }
            ],
        }
    )
    placed = place_segments(summer.teams[0], PLACES)
    assert placed[0].start == dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC)  # BST = UTC+1


@pytest.mark.parametrize(
    ("segment", "message"),
    [
        ({"kind": "patrol", "start": f"{DAY}T10:00", "end": f"{DAY}T11:00"}, "venue"),
        (
            {"kind": "patrol", "venue": "a-venue", "start": f"{DAY}T11:00", "end": f"{DAY}T10:00"},
            "not after start",
        ),
        (
            {"kind": "lunch", "start": f"{DAY}T10:00", "end": f"{DAY}T11:00"},
            "teams.0.segments.0.kind",
        ),
    ],
)
def test_bad_rosters_are_rejected_naming_the_field(segment: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_roster({"date": DAY, "teams": [{"team": "t", "base": "hq", "segments": [segment]}]})


def test_overlapping_segments_and_unknown_places_are_rejected() -> None:
    with pytest.raises(InputError, match="overlap"):
        unit("t", [seg("patrol", "10:00", "12:00", "a-venue"), seg("base", "11:00", "13:00")])
    with pytest.raises(InputError, match="unknown place 'nowhere'"):
        unit("t", [seg("patrol", "10:00", "12:00", "nowhere")])


@settings(max_examples=50, deadline=None)
@given(
    data=st.data(),
    n_units=st.integers(1, 6),
)
def test_the_first_choice_is_the_fastest_available_armed_unit(
    data: st.DataObject, n_units: int
) -> None:
    """Against a direct argmin over a random road matrix (units patrolling, no transit)."""
    venues = ["a-venue", "b-venue", "c-venue", "hq"]
    cell = st.floats(1.0, 60.0, allow_nan=False)
    to_incident = {v: data.draw(cell, label=f"minutes {v}") for v in venues}
    minutes = [
        [0.0 if a == b else 30.0 for b in NAMES] for a in NAMES
    ]  # between venues: irrelevant here
    for v, m in to_incident.items():
        i, j = NAMES.index(v), NAMES.index("incident")
        minutes[i][j] = minutes[j][i] = m
    travel = matrix_travel([PLACES[n] for n in NAMES], minutes)
    units = []
    for u in range(n_units):
        venue = data.draw(st.sampled_from(venues[:3]), label=f"venue {u}")
        state = data.draw(st.sampled_from([UnitState.available, UnitState.on_scene]))
        armed = data.draw(st.booleans())
        units.append(patrolling(f"u{u}", venue, state=state, armed=armed))
    eligible = [
        (to_incident[u.segments[0].place], u.id)
        for u in units
        if u.state is UnitState.available and u.armed
    ]
    if not eligible:
        with pytest.raises(NoUnitAvailable):
            recommend(units, X, travel_minutes=travel, now=NOW)
        return
    recs = recommend(units, X, travel_minutes=travel, now=NOW, k=len(units))
    assert [(r.eta_minutes, r.unit_id) for r in recs] == sorted(eligible)


def test_at_the_same_distance_an_arv_ranks_before_a_foot_team() -> None:
    """Each unit's kind scales its travel (foot 1.2, ARV 1.0: the default team kinds), on the
    way there and back; the tie-break by id would otherwise put the foot team first."""
    foot = DispatchUnit("a-foot", UnitState.available, PLACES["hq"], kind="foot",
                        travel_multiplier=1.2, base_id="hq")  # fmt: skip
    arv = DispatchUnit("b-arv", UnitState.available, PLACES["hq"], kind="arv",
                       travel_multiplier=1.0, base_id="hq")  # fmt: skip
    first, second = recommend([foot, arv], X, travel_minutes=TRAVEL, now=NOW)
    assert (first.unit_id, first.kind, first.eta_minutes) == ("b-arv", "arv", 15.0)
    assert (second.unit_id, second.kind, second.eta_minutes) == ("a-foot", "foot", 18.0)
    assert (first.return_minutes, second.return_minutes) == (15.0, 18.0)
    # Same multiplier: the id decides, as before.
    same = recommend([foot, DispatchUnit("b-arv", UnitState.available, PLACES["hq"],
                                         travel_multiplier=1.2, base_id="hq")],
                     X, travel_minutes=TRAVEL, now=NOW)  # fmt: skip
    assert [r.unit_id for r in same] == ["a-foot", "b-arv"]


def test_a_transit_s_rostered_minutes_are_not_scaled_again() -> None:
    """Half-way through a 20-minute rostered drive, a foot team's 10 minutes left are roster
    time (already a foot team's); only the leg from there to the incident is scaled."""
    roster = parse_roster({"date": DAY, "teams": [{"team": "f", "base": "hq", "segments": [
        seg("transit", "10:50", "11:10", "b-venue"), seg("patrol", "11:10", "18:00", "b-venue")]}]})  # fmt: skip
    foot = DispatchUnit("f", UnitState.available, PLACES["hq"],
                        place_segments(roster.teams[0], PLACES), kind="foot",
                        travel_multiplier=1.2, base_id="hq")  # fmt: skip
    (only,) = recommend([foot], X, travel_minutes=TRAVEL, now=NOW)
    # on to b-venue (10 left + 1.2 x 8) beats back to hq (10 done + 1.2 x 15)
    assert only.eta_minutes == pytest.approx(10 + 1.2 * 8)


def test_without_app_grounds_arvs_are_held_back_and_the_refusal_counts_them() -> None:
    """APP: a report giving no reason to suppose anyone is armed gets no ARV (issue 13)."""
    arv = patrolling("arv-b", "b-venue")
    arv = DispatchUnit(arv.id, arv.state, arv.base, arv.segments, kind="arv", base_id="hq")
    foot = patrolling("foot-c", "c-venue")
    foot = DispatchUnit(foot.id, foot.state, foot.base, foot.segments, kind="foot", base_id="hq")
    both = [arv, foot]
    assert [r.unit_id for r in recommend(both, X, travel_minutes=TRAVEL, now=NOW)] == [
        "arv-b",
        "foot-c",
    ]
    held = recommend(both, X, travel_minutes=TRAVEL, now=NOW, offer_arv=False)
    assert [r.unit_id for r in held] == ["foot-c"]
    with pytest.raises(NoUnitAvailable, match="1 ARV held back"):
        recommend([arv], X, travel_minutes=TRAVEL, now=NOW, offer_arv=False)
