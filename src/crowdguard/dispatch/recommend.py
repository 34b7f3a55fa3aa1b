"""Recommend the nearest suitable unit by travel time, with the patrol cover it would cost.

Peer users' most repeated request is "nearest suitable unit in one click, filtered by
capability, by travel time" (CoCeSo #95, OpenCAD #129; ``domain.md`` section 9). The
method:

1. **Where is each unit now?** From its roster (:class:`crowdguard.patrols.roster.TeamRoster`,
   the ``rosters/YYYY-MM-DD.json`` contract of ``design.md``): inside a *patrol* segment it is at the venue, inside a *base*
   segment at the base. Inside a *transit* segment it is between the previous place
   (``origin``) and the next (``destination``); rather than invent a point on a road we do
   not know, its time to the incident is the better of two journeys it can really make:
   finish the transit then drive on (``remaining + travel(destination, incident)``) or turn
   back (``elapsed + travel(origin, incident)``). A unit with no roster at all is at its
   base; a unit with a roster but no segment covering ``now`` is off shift and skipped.
2. **Filter** by state (only ``available``) and capability (``armed`` unless
   ``require_armed=False``). With ``offer_arv=False`` units of kind ``arv`` are held back:
   the College of Policing's APP (Armed Policing: Deployment of AFOs) sends armed officers
   only where there is reason to suppose someone is armed or so dangerous that firearms may
   be needed (or as a planned contingency), on a firearms commander's authority; a report
   without such grounds (a HOT item, casualties alone) gets the other units, for tasking.
3. **Rank** by estimated time of arrival from the ``travel_minutes(from, to)`` callable
   (road travel times, never straight-line distance) times the unit's
   ``travel_multiplier``, ties broken by unit id. The multiplier is its kind's in the
   scenario's ``patrol.team_kinds`` (``domain.md`` [ESTIMATE]: a foot team, dropped off and
   walking in, takes 1.2 times the driving time; an ARV 1.0), as the patrol graph charges it
   (:mod:`crowdguard.patrols.graph`), so at the same distance an ARV comes before a foot
   team. Minutes already on the roster (the rest of a transit) are not scaled again.
4. **Coverage gap** for the top ``k``: the unit is busy over
   ``[now, now + eta + on_scene + return]`` where *return* is the trip from the incident to
   where its roster would have it when it leaves the scene. Every patrol segment of its
   roster overlapping that window is reported, clipped to the window: the patrol minutes
   the force loses by sending this unit.

:class:`~crowdguard.errors.NoUnitAvailable` is raised when no unit qualifies, with counts of
why each was excluded.

Test doubles (``style.md`` lesson 9): :func:`straight_line_travel` (haversine distance at a
road speed with a detour factor) and :func:`matrix_travel` (the ``travel_times.json``
matrix).
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from crowdguard.dispatch.states import UnitState
from crowdguard.errors import InputError, NoUnitAvailable
from crowdguard.geometry import great_circle_m
from crowdguard.patrols.roster import LatLon, MissedPatrol, PlacedSegment, place_segments

__all__ = [
    "ARV_KIND",
    "DispatchUnit",
    "LatLon",
    "MissedPatrol",
    "PlacedSegment",
    "Position",
    "Recommendation",
    "TravelMinutes",
    "coverage_gap",
    "eta_minutes",
    "matrix_travel",
    "place_segments",
    "position_at",
    "recommend",
    "straight_line_travel",
]

ARV_KIND = "arv"
"""The unit kind held back when a report gives no APP grounds for an armed response."""

TravelMinutes = Callable[[LatLon, LatLon], float]
LONDON = ZoneInfo("Europe/London")


# The roster contract, where its segments put a unit (PlacedSegment, place_segments) and
# the patrols it would miss (MissedPatrol): crowdguard.patrols.roster, re-exported here.


# --- units, positions, recommendations ------------------------------------------------


@dataclass(frozen=True, slots=True)
class DispatchUnit:
    """What the recommender needs to know about a unit."""

    id: str
    state: UnitState
    base: LatLon
    segments: tuple[PlacedSegment, ...] = ()
    armed: bool = True
    base_id: str = "base"
    kind: str = ""
    travel_multiplier: float = 1.0
    """Its kind's factor on the travel model's minutes (``patrol.team_kinds``)."""


@dataclass(frozen=True, slots=True)
class Position:
    """Where a unit is at a moment: at a place, or in transit between two."""

    kind: Literal["patrol", "transit", "base", "off_shift"]
    place: str
    point: LatLon
    origin: LatLon | None = None
    elapsed_minutes: float = 0.0
    remaining_minutes: float = 0.0

    def describe(self) -> str:
        """``"patrol at winchester-market"``, ``"in transit to ..."``, ``"at base ..."``."""
        if self.kind == "transit":
            return f"in transit to {self.place} ({self.remaining_minutes:.0f} min left)"
        if self.kind == "patrol":
            return f"patrol at {self.place}"
        return f"at {self.place}"


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One candidate unit, its arrival estimate and its coverage gap."""

    unit_id: str
    eta_minutes: float
    position: str
    busy_until: dt.datetime
    return_minutes: float
    missed: tuple[MissedPatrol, ...]
    kind: str = ""
    travel_multiplier: float = 1.0

    @property
    def missed_minutes(self) -> float:
        """Total patrol minutes missed."""
        return sum(m.minutes for m in self.missed)


def _segment_at(segments: Sequence[PlacedSegment], when: dt.datetime) -> PlacedSegment | None:
    k = bisect.bisect_right(segments, when, key=lambda s: s.start) - 1
    if k >= 0 and segments[k].start <= when < segments[k].end:
        return segments[k]
    return None


def position_at(unit: DispatchUnit, when: dt.datetime) -> Position:
    """Where the roster puts ``unit`` at ``when`` (step 1 of the module docstring)."""
    if not unit.segments:
        return Position("base", unit.base_id, unit.base)
    seg = _segment_at(unit.segments, when)
    if seg is None:
        return Position("off_shift", unit.base_id, unit.base)
    if seg.kind == "transit":
        assert seg.origin is not None
        return Position(
            "transit",
            seg.place,
            seg.point,
            origin=seg.origin,
            elapsed_minutes=(when - seg.start).total_seconds() / 60.0,
            remaining_minutes=(seg.end - when).total_seconds() / 60.0,
        )
    return Position(seg.kind, seg.place, seg.point)


def eta_minutes(
    position: Position,
    incident: LatLon,
    travel_minutes: TravelMinutes,
    travel_multiplier: float = 1.0,
) -> float:
    """Minutes for a unit at ``position`` to reach ``incident`` (steps 1 and 3: the transit
    rule, and the unit's kind's ``travel_multiplier`` on the travel model's minutes)."""
    ahead = position.remaining_minutes + travel_multiplier * travel_minutes(
        position.point, incident
    )
    if position.kind == "transit" and position.origin is not None:
        back = position.elapsed_minutes + travel_multiplier * travel_minutes(
            position.origin, incident
        )
        return min(ahead, back)
    return ahead


def coverage_gap(
    unit: DispatchUnit,
    incident: LatLon,
    *,
    now: dt.datetime,
    eta: float,
    on_scene_minutes: float,
    travel_minutes: TravelMinutes,
) -> tuple[tuple[MissedPatrol, ...], float, dt.datetime]:
    """Patrols missed, return minutes and the time the unit is back (step 4)."""
    leaves = now + dt.timedelta(minutes=eta + on_scene_minutes)
    resume = position_at(unit, leaves)
    back_minutes = unit.travel_multiplier * travel_minutes(incident, resume.point)
    busy_until = leaves + dt.timedelta(minutes=back_minutes)
    segments = unit.segments
    missed: list[MissedPatrol] = []
    # Segments do not overlap, so their ends are sorted: skip those already over.
    for j in range(bisect.bisect_right(segments, now, key=lambda s: s.end), len(segments)):
        seg = segments[j]
        if seg.start >= busy_until:
            break
        if seg.kind == "patrol":
            missed.append(MissedPatrol(seg.place, max(seg.start, now), min(seg.end, busy_until)))
    return tuple(missed), back_minutes, busy_until


def _none_available(
    units: Sequence[DispatchUnit],
    now: dt.datetime,
    *,
    busy: int,
    off_shift: int,
    unarmed: int,
    armed: bool,
    held_back: int = 0,
) -> str:
    """Why no unit can be recommended, in the control room's words: counts, the local time
    and, when every unit is off shift, when the next shift starts."""
    local = now.astimezone(LONDON)
    at = f"{local:%H:%M} on {local:%a} {local.day} {local:%b}"
    kind = "armed unit" if armed else "unit"
    if units and off_shift == len(units):
        starts = [s.start for u in units for s in u.segments if s.start > now]
        nxt = min(starts, default=None)
        later = (
            f"; the next rostered shift starts at {nxt.astimezone(LONDON):%H:%M}"
            if nxt is not None and nxt.astimezone(LONDON).date() == local.date()
            else "; no unit is rostered again today"
        )
        return f"no {kind} is on shift at {at}: all {len(units)} units are off shift{later}"
    parts = [f"{busy} busy or off duty", f"{off_shift} off shift"]
    if armed:
        parts.append(f"{unarmed} unarmed")
    if held_back:
        parts.append(
            f"{held_back} ARV{'' if held_back == 1 else 's'} held back (no APP grounds for an "
            "armed response)"
        )
    return (
        f"no available {kind} at {at}: of {len(units)} units, "
        + ", ".join(parts[:-1])
        + f" and {parts[-1]}"
    )


def recommend(
    units: Sequence[DispatchUnit],
    incident_location: LatLon,
    *,
    travel_minutes: TravelMinutes,
    now: dt.datetime,
    require_armed: bool = True,
    offer_arv: bool = True,
    k: int = 3,
    on_scene_minutes: float = 30.0,
) -> list[Recommendation]:
    """The ``k`` best units to send to ``incident_location``, fastest first.

    See the module docstring for the method. Raises
    :class:`~crowdguard.errors.NoUnitAvailable` when no unit is available, on shift,
    (if ``require_armed``) armed and (unless ``offer_arv``) not an ARV.
    """
    if k < 1:
        raise InputError(f"recommend: k: must be at least 1, got {k}")
    busy = unarmed = off_shift = held_back = 0
    ranked: list[tuple[float, str, DispatchUnit, Position]] = []
    for unit in units:
        if unit.state is not UnitState.available:
            busy += 1
            continue
        if require_armed and not unit.armed:
            unarmed += 1
            continue
        if not offer_arv and unit.kind == ARV_KIND:
            held_back += 1
            continue
        position = position_at(unit, now)
        if position.kind == "off_shift":
            off_shift += 1
            continue
        eta = eta_minutes(position, incident_location, travel_minutes, unit.travel_multiplier)
        if not math.isfinite(eta):
            continue
        ranked.append((eta, unit.id, unit, position))
    if not ranked:
        raise NoUnitAvailable(
            _none_available(
                units,
                now,
                busy=busy,
                off_shift=off_shift,
                unarmed=unarmed,
                armed=require_armed,
                held_back=held_back,
            )
        )
    ranked.sort(key=lambda r: (r[0], r[1]))
    out: list[Recommendation] = []
    for eta, _, unit, position in ranked[:k]:
        missed, back, busy_until = coverage_gap(
            unit,
            incident_location,
            now=now,
            eta=eta,
            on_scene_minutes=on_scene_minutes,
            travel_minutes=travel_minutes,
        )
        out.append(
            Recommendation(
                unit.id,
                eta,
                position.describe(),
                busy_until,
                back,
                missed,
                unit.kind,
                unit.travel_multiplier,
            )
        )
    return out


# --- travel-time test doubles -----------------------------------------------------------


def straight_line_travel(speed_kmh: float = 40.0, detour_factor: float = 1.3) -> TravelMinutes:
    """Travel minutes as haversine distance x ``detour_factor`` at ``speed_kmh``.

    A test double and a fallback only: real dispatch uses road travel times.
    """
    if speed_kmh <= 0 or detour_factor < 1:
        raise InputError("straight_line_travel: need speed_kmh > 0 and detour_factor >= 1")
    per_metre = 60.0 / (speed_kmh * 1000.0) * detour_factor

    def travel(origin: LatLon, destination: LatLon) -> float:
        metres = great_circle_m(origin[0], origin[1], destination[0], destination[1])
        return metres * per_metre

    return travel


def matrix_travel(points: Sequence[LatLon], minutes: Sequence[Sequence[float]]) -> TravelMinutes:
    """Travel minutes looked up in a matrix over known points (``travel_times.json``).

    Both ends must be one of ``points`` exactly; anything else is a ``KeyError`` naming it.
    """
    index = {(float(p[0]), float(p[1])): i for i, p in enumerate(points)}
    if len(minutes) != len(points) or any(len(row) != len(points) for row in minutes):
        raise InputError(
            f"matrix_travel: minutes must be {len(points)} x {len(points)} to match the points"
        )
    table = [[float(x) for x in row] for row in minutes]

    def travel(origin: LatLon, destination: LatLon) -> float:
        try:
            return table[index[origin]][index[destination]]
        except KeyError as exc:
            raise KeyError(f"no travel time for point {exc.args[0]}") from None

    return travel
