"""Simulate a whole season of incidents and armed responses in virtual time (SimPy).

What it answers: with *these* drawn rosters, how fast do armed teams reach incidents at the
crowded places, how often does nobody come within the target, and how much patrol cover
is lost while teams attend? It is a discrete-event simulation in the style of SimPy
(processes as generators; SimPy documentation, "SimPy in 10 minutes"), one virtual minute
per time unit:

1. **Incidents** arrive as a Poisson process per venue and hour proportional to the
   expected crowd (:mod:`crowdguard.simulation.incidents`), a share of them false alarms.
2. **Teams** follow the drawn rosters (the ``rosters/YYYY-MM-DD.json`` contract of
   ``design.md``): patrol at a venue, transit, or wait at base; off shift outside their
   segments.
3. **Dispatch**: on each call the recommender
   (:func:`crowdguard.dispatch.recommend.recommend`, ``k=1``) picks the available armed
   team with the shortest travel time. If none is available the call waits in a
   first-come-first-served queue; the next team to be freed (or to come on shift) takes
   the oldest waiting call. A call waiting longer than ``max_wait_minutes`` is *unserved*.
4. **Attendance**: the team drives (``eta``), stays on scene (the drawn on-scene time),
   then returns to where its roster now has it; the unit state machine
   (:mod:`crowdguard.dispatch.states`) moves ``available -> assigned -> en_route ->
   on_scene -> committed -> available``. Only then is it available again: conservative,
   since a real team clearing a scene could be re-tasked on the way back.
5. **Accounting**: the *response time* of a served call is the time from the call to the
   team's arrival (queueing included); *coverage lost* is the rostered patrol minutes the
   attending team missed (its coverage gap, :func:`crowdguard.dispatch.recommend.coverage_gap`),
   charged to the venue that lost the patrol. Every incident ends up either served or
   unserved (conservation).

Randomness: one NumPy ``Generator`` from ``seed`` draws everything (arrivals, false alarms,
on-scene times); the same seed gives the same season. Without a seed, the generator is
seeded from the ``secrets`` module.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from collections import deque
from collections.abc import Callable, Collection, Generator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import simpy

from crowdguard.dispatch.recommend import (
    DispatchUnit,
    LatLon,
    Recommendation,
    TravelMinutes,
    place_segments,
    recommend,
)
from crowdguard.dispatch.states import Task, Unit, UnitState, arrive, assign, transition_unit
from crowdguard.errors import InputError, NoUnitAvailable
from crowdguard.patrols.roster import DayRoster, Segment, TeamRoster, parse_roster
from crowdguard.simulation.incidents import (
    IncidentDraw,
    OnSceneMinutes,
    crowd_matrix,
    draw_incidents,
)

__all__ = ["SeasonResult", "VenueSummary", "merge_rosters", "simulate_season"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class VenueSummary:
    """Response and coverage figures for one venue (or ``"all"``).

    ``share_within_target`` counts unserved incidents as failures. Response-time figures
    are over served incidents (NaN when there are none).
    """

    venue: str
    incidents: int
    served: int
    unserved: int
    median_minutes: float
    p90_minutes: float
    share_within_target: float
    patrol_minutes_rostered: float
    patrol_minutes_lost: float

    @property
    def share_patrol_lost(self) -> float:
        """Patrol minutes lost as a share of those rostered (NaN when none rostered)."""
        if self.patrol_minutes_rostered <= 0:
            return math.nan
        return self.patrol_minutes_lost / self.patrol_minutes_rostered


@dataclass(frozen=True)
class SeasonResult:
    """A simulated season: per-incident outcomes and summaries.

    ``response_minutes[i]`` is NaN for an unserved incident; ``wait_minutes[i]`` is the
    time call ``i`` spent queued before a team was sent; ``team[i]`` the index into
    ``teams`` of the team sent (-1 if none).
    """

    start: dt.datetime
    response_target_minutes: float
    venues: tuple[str, ...]
    teams: tuple[str, ...]
    incidents: IncidentDraw
    response_minutes: FloatArray
    wait_minutes: FloatArray
    team: npt.NDArray[np.int64]
    overall: VenueSummary
    by_venue: tuple[VenueSummary, ...]

    @property
    def served(self) -> int:
        """Incidents a team reached."""
        return self.overall.served

    @property
    def unserved(self) -> int:
        """Incidents no team reached."""
        return self.overall.unserved


def merge_rosters(
    rosters: Mapping[Any, Mapping[str, Any] | DayRoster],
) -> list[TeamRoster]:
    """Join daily rosters (date -> roster, or a document of the contract) into one roster
    per team."""
    segments: dict[str, list[Segment]] = {}
    bases: dict[str, str] = {}
    for key in sorted(rosters, key=str):
        day = parse_roster(rosters[key], source=f"rosters[{key}]")
        for team in day.teams:
            if bases.setdefault(team.team, team.base) != team.base:
                raise InputError(
                    f"rosters[{key}]: team {team.team} starts from base {team.base} but from "
                    f"{bases[team.team]} on an earlier day; one base per team per season"
                )
            segments.setdefault(team.team, []).extend(team.segments)
    return [TeamRoster(team=t, base=bases[t], segments=segs) for t, segs in segments.items()]


def _summary(
    name: str,
    mask: npt.NDArray[np.bool_],
    response: FloatArray,
    target: float,
    rostered: float,
    lost: float,
) -> VenueSummary:
    values = response[mask]
    served = values[~np.isnan(values)]
    n = int(mask.sum())
    return VenueSummary(
        venue=name,
        incidents=n,
        served=int(served.size),
        unserved=n - int(served.size),
        median_minutes=float(np.median(served)) if served.size else math.nan,
        p90_minutes=float(np.percentile(served, 90)) if served.size else math.nan,
        share_within_target=float((served <= target).sum() / n) if n else math.nan,
        patrol_minutes_rostered=rostered,
        patrol_minutes_lost=lost,
    )


def simulate_season(
    rosters: Mapping[Any, Mapping[str, Any] | DayRoster],
    *,
    places: Mapping[str, LatLon],
    venues: Sequence[str],
    crowd: FloatArray | Callable[[str, dt.datetime], float],
    start: dt.datetime,
    expected_incidents: float,
    travel_minutes: TravelMinutes,
    seed: int | np.random.Generator | None = None,
    hours: int | None = None,
    false_alarm_share: float = 0.2,
    on_scene: OnSceneMinutes | None = None,
    false_alarm_on_scene: OnSceneMinutes | None = None,
    response_target_minutes: float = 10.0,
    max_wait_minutes: float = math.inf,
    unarmed: Collection[str] = (),
    incidents: IncidentDraw | None = None,
) -> SeasonResult:
    """Run one season (see the module docstring).

    ``rosters``: date -> roster document; ``places``: venue and base id -> ``(lat, lon)``;
    ``venues``: the venue ids incidents happen at (rows of ``crowd``); ``crowd``: a
    venues x hours array of expected people from ``start``, or ``crowd(venue, hour_start)``
    (then ``hours`` defaults to the end of the last roster segment); ``expected_incidents``:
    the season's expected number of calls; ``travel_minutes(from, to)``: road travel time.
    ``incidents`` replaces the Poisson draw with given incidents (tests).
    """
    if start.tzinfo is None:
        raise InputError("start: must be timezone-aware, e.g. 2026-11-20T00:00:00+00:00")
    if not venues:
        raise InputError("venues: need at least one venue")
    for v in venues:
        if v not in places:
            raise InputError(f"venues: {v!r} has no entry in places (expected lat/lon)")
    rng = (
        seed
        if isinstance(seed, np.random.Generator)
        else np.random.default_rng(secrets.randbits(128) if seed is None else seed)
    )
    t0 = start.astimezone(dt.UTC)

    teams = merge_rosters(rosters)
    if not teams:
        raise InputError("rosters: no team is rostered on any day")
    units: dict[str, DispatchUnit] = {}
    for team in teams:
        if team.base not in places:
            raise InputError(f"rosters: team {team.team}: base {team.base!r} not in places")
        units[team.team] = DispatchUnit(
            id=team.team,
            state=UnitState.available,
            base=places[team.base],
            segments=place_segments(team, places, source="rosters"),
            armed=team.team not in unarmed,
            base_id=team.base,
        )
    team_ids = tuple(units)
    team_index = {t: i for i, t in enumerate(team_ids)}
    venue_index = {v: i for i, v in enumerate(venues)}

    # 1. Incidents.
    if incidents is None:
        if callable(crowd):
            if hours is None:
                last = max((s.end for u in units.values() for s in u.segments), default=t0)
                hours = max(1, math.ceil((last - t0).total_seconds() / 3600))
            crowd = crowd_matrix(venues, start, hours, crowd)
        crowd_arr = np.asarray(crowd, dtype=np.float64)
        if crowd_arr.ndim != 2 or crowd_arr.shape[0] != len(venues):
            raise InputError(f"crowd: expected shape ({len(venues)}, hours), got {crowd_arr.shape}")
        incidents = draw_incidents(
            crowd_arr,
            expected_total=expected_incidents,
            rng=rng,
            false_alarm_share=false_alarm_share,
            on_scene=on_scene,
            false_alarm_on_scene=false_alarm_on_scene,
        )
    n = len(incidents)
    arrival = incidents.minutes
    scene = incidents.on_scene
    where = [places[v] for v in venues]
    response = np.full(n, np.nan)
    wait = np.full(n, np.nan)
    sent = np.full(n, -1, dtype=np.int64)
    lost = np.zeros(len(venues))
    lost_elsewhere = 0.0  # patrols at places outside ``venues`` (none in a normal plan)

    env = simpy.Environment()
    state: dict[str, Unit] = {t: Unit(id=t, armed=units[t].armed) for t in team_ids}
    waiting: deque[int] = deque()

    def clock(minutes: float) -> dt.datetime:
        return t0 + dt.timedelta(minutes=minutes)

    def set_unit(unit: Unit) -> None:
        state[unit.id] = unit
        units[unit.id] = replace(units[unit.id], state=unit.state)

    def attend(i: int, rec: Recommendation, task: Task) -> Generator[simpy.Event, Any, None]:
        nonlocal lost_elsewhere
        yield env.timeout(rec.eta_minutes)
        unit, task, _ = arrive(state[rec.unit_id], task, at=clock(env.now))
        set_unit(unit)
        response[i] = env.now - arrival[i]
        yield env.timeout(float(scene[i]))
        unit, _ = transition_unit(unit, UnitState.committed, at=clock(env.now), cause="returning")
        set_unit(unit)
        yield env.timeout(rec.return_minutes)
        unit, _ = transition_unit(unit, UnitState.available, at=clock(env.now), cause="back")
        set_unit(unit)
        for missed in rec.missed:
            k = venue_index.get(missed.venue)
            if k is None:
                lost_elsewhere += missed.minutes
            else:
                lost[k] += missed.minutes
        serve_queue()

    def try_dispatch(i: int) -> bool:
        try:
            rec = recommend(
                list(units.values()),
                where[int(incidents.venue[i])],
                travel_minutes=travel_minutes,
                now=clock(env.now),
                k=1,
                on_scene_minutes=float(scene[i]),
            )[0]
        except NoUnitAvailable:
            return False
        wait[i] = env.now - arrival[i]
        sent[i] = team_index[rec.unit_id]
        # Assign now, not when the process first runs: a second call in the same instant
        # must see this team as taken.
        unit, task, _ = assign(state[rec.unit_id], Task(id=f"incident-{i}"), at=clock(env.now))
        set_unit(unit)
        env.process(attend(i, rec, task))
        return True

    def serve_queue() -> None:
        while waiting:
            i = waiting[0]
            if env.now - arrival[i] > max_wait_minutes:
                waiting.popleft()  # abandoned: counted as unserved
                continue
            if not try_dispatch(i):
                break
            waiting.popleft()

    def calls() -> Generator[simpy.Event, Any, None]:
        for i in range(n):
            delay = float(arrival[i]) - env.now
            if delay > 0:
                yield env.timeout(delay)
            if waiting or not try_dispatch(i):
                waiting.append(i)

    def shift_starts() -> Generator[simpy.Event, Any, None]:
        starts: set[float] = set()
        for unit in units.values():
            previous_end: dt.datetime | None = None
            for seg in unit.segments:
                if previous_end is None or seg.start > previous_end:
                    starts.add((seg.start - t0).total_seconds() / 60.0)
                previous_end = seg.end
        for minute in sorted(s for s in starts if s >= 0):
            yield env.timeout(minute - env.now)
            serve_queue()

    env.process(calls())
    env.process(shift_starts())
    env.run()

    # 5. Accounting.
    rostered = np.zeros(len(venues))
    for unit in units.values():
        for seg in unit.segments:
            k = venue_index.get(seg.place)
            if seg.kind == "patrol" and k is not None:
                rostered[k] += (seg.end - seg.start).total_seconds() / 60.0
    target = response_target_minutes
    by_venue = tuple(
        _summary(v, incidents.venue == k, response, target, float(rostered[k]), float(lost[k]))
        for k, v in enumerate(venues)
    )
    overall = _summary(
        "all",
        np.ones(n, dtype=bool),
        response,
        target,
        float(rostered.sum()),
        float(lost.sum()) + lost_elsewhere,
    )
    return SeasonResult(
        start=start,
        response_target_minutes=target,
        venues=tuple(venues),
        teams=team_ids,
        incidents=incidents,
        response_minutes=response,
        wait_minutes=wait,
        team=sent,
        overall=overall,
        by_venue=by_venue,
    )
