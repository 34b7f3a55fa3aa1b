"""Re-plan the rest of a day without a team that has been dispatched.

Sending a team to an incident costs the patrols it was rostered for until it is back: the
**coverage gap**. The other teams' drawn rosters were optimal for a force that included it,
so the control room can re-solve what is left of the day without it. Pure: a scenario and a
roster in, plain data out (nothing stored changes; the answer is advice).

Method:

1. **Gap.** The team's rostered *patrol* segments overlapping ``[now, back_at)`` (``back_at``
   defaults to the end of the day), clipped to that window
   (:class:`~crowdguard.dispatch.recommend.MissedPatrol`, as in the recommender's step 4).
2. **Remaining targets.** The day's targets (:func:`crowdguard.risk.payoffs.build_targets`,
   with the plan's security-plan multipliers) whose slot has not ended at ``now``; the slot
   in progress is included, since teams can still move in it.
3. **Teams per slot.** The teams on shift (:func:`crowdguard.patrols.planner.slot_teams_for`),
   *before*: as rostered; *after*: less the dispatched team in every slot that starts
   before ``back_at`` (every remaining slot when it is not expected back).
4. **Solve each slot's security game** with the *before* and *after* teams
   (:func:`crowdguard.games.solve`: ORIGAMI, or ERASER where ORIGAMI does not apply;
   Kiekintveld et al., AAMAS 2009), each certified. A slot's Strong Stackelberg coverage is
   the defender's best answer to an attacker who strikes in that slot; the slot's attacker
   utility before and after prices the loss, and the worst slot is the day's exposure.
5. **Draw** one roster for the rest of the day from the *after* coverage by randomised
   systematic sampling (:func:`crowdguard.patrols.planner.draw_rosters`), so each
   venue-slot is patrolled with exactly its coverage in expectation. ``rng`` is
   ``secrets.SystemRandom()`` unless a seeded generator is passed.

This is the planner's *free placement* (``mode="free"``): a team is placed per slot and the
drive between slots is not modelled. The stored plan used walkable routes on the patrol graph
(:mod:`crowdguard.patrols.dayplan`), but that graph starts every team at its base at its
shift start (Yin et al., IAAI 2012; Fang, Jiang and Tambe, AAMAS 2013), so it cannot start a
re-plan from where teams are in the middle of the day, and it needs a MILP per request. Free
placement is the same game's upper bound on cover and is solved in milliseconds.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from crowdguard.dispatch.recommend import MissedPatrol, TeamRoster
from crowdguard.errors import InputError
from crowdguard.games import SecurityGame, solve
from crowdguard.patrols.planner import draw_rosters, slot_teams_for
from crowdguard.risk.payoffs import PlanGaps, Targets, build_targets
from crowdguard.scenario.schema import Scenario

__all__ = ["DayReplan", "SlotChange", "TargetChange", "coverage_gap_until", "replan_day"]


@dataclass(frozen=True, slots=True)
class SlotChange:
    """One remaining slot: who is on duty and the slot game's value, before and after."""

    start: dt.datetime
    end: dt.datetime
    teams_before: tuple[str, ...]
    teams_after: tuple[str, ...]
    attacker_utility_before: float
    attacker_utility_after: float
    defender_utility_before: float
    defender_utility_after: float


@dataclass(frozen=True, slots=True)
class TargetChange:
    """One remaining venue-slot's coverage with and without the dispatched team."""

    venue: str
    start: dt.datetime
    end: dt.datetime
    coverage_before: float
    coverage_after: float


@dataclass(frozen=True)
class DayReplan:
    """The gap a dispatched team leaves and the rest of the day re-solved without it."""

    team: str
    day: dt.date
    now: dt.datetime
    back_at: dt.datetime | None
    gap: tuple[MissedPatrol, ...]
    slots: tuple[SlotChange, ...]
    targets: tuple[TargetChange, ...]
    roster: dict[str, Any]

    @property
    def gap_minutes(self) -> float:
        """Rostered patrol minutes the team misses."""
        return sum(m.minutes for m in self.gap)

    @property
    def worst_attacker_utility_before(self) -> float | None:
        """The attacker's best remaining slot as rostered (None: nothing left today)."""
        return max((s.attacker_utility_before for s in self.slots), default=None)

    @property
    def worst_attacker_utility_after(self) -> float | None:
        """The attacker's best remaining slot without the team."""
        return max((s.attacker_utility_after for s in self.slots), default=None)


def coverage_gap_until(
    roster: TeamRoster | None, *, now: dt.datetime, until: dt.datetime
) -> tuple[MissedPatrol, ...]:
    """Step 1: the team's patrol segments overlapping ``[now, until)``, clipped."""
    if roster is None or until <= now:
        return ()
    missed = []
    for seg in sorted(roster.segments, key=lambda s: s.start):
        if seg.kind != "patrol" or seg.venue is None:
            continue
        start, end = max(seg.start, now), min(seg.end, until)
        if start < end:
            missed.append(MissedPatrol(seg.venue, start, end))
    return tuple(missed)


def _remaining(targets: Targets, now: dt.datetime) -> Targets:
    """Step 2: the targets whose slot has not ended, slots renumbered from 0."""
    index = np.array([i for i, end in enumerate(targets.end) if end > now], dtype=int)
    old = [int(s) for s in np.unique(targets.slot[index])] if index.size else []
    new_of = {s: n for n, s in enumerate(old)}
    return Targets(
        ids=tuple(targets.ids[i] for i in index),
        venue=tuple(targets.venue[i] for i in index),
        start=tuple(targets.start[i] for i in index),
        end=tuple(targets.end[i] for i in index),
        slot=np.array([new_of[int(s)] for s in targets.slot[index]], dtype=int),
        slot_starts=tuple(targets.slot_starts[s] for s in old),
        crowd=targets.crowd[index],
        risk=targets.risk[index],
        defender_covered=targets.defender_covered[index],
        defender_uncovered=targets.defender_uncovered[index],
        attacker_covered=targets.attacker_covered[index],
        attacker_uncovered=targets.attacker_uncovered[index],
    )


def _solve_slots(
    targets: Targets, slot_teams: Sequence[Sequence[str]]
) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Step 4: each slot's certified SSE coverage and (attacker, defender) utility."""
    coverage = np.zeros(len(targets))
    values: list[tuple[float, float]] = []
    for s, teams in enumerate(slot_teams):
        index = np.flatnonzero(targets.slot == s)
        game = SecurityGame.from_arrays(
            defender_covered=targets.defender_covered[index],
            defender_uncovered=targets.defender_uncovered[index],
            attacker_covered=targets.attacker_covered[index],
            attacker_uncovered=targets.attacker_uncovered[index],
            resources=len(teams),
            ids=tuple(targets.ids[i] for i in index),
        )
        solution = solve(game, method="auto")
        coverage[index] = solution.coverage
        values.append((solution.attacker_utility, solution.defender_utility))
    return coverage, values


def _clip_roster(roster: Mapping[str, Any], now: dt.datetime) -> dict[str, Any]:
    """Drop what is over and start the slot in progress at ``now``."""
    teams = []
    for team in roster.get("teams", []):
        segments = []
        for seg in team["segments"]:
            start = dt.datetime.fromisoformat(seg["start"])
            end = dt.datetime.fromisoformat(seg["end"])
            if end <= now:
                continue
            segments.append({**seg, "start": max(start, now).astimezone(start.tzinfo).isoformat()})
        if segments:
            teams.append({**team, "segments": segments})
    return {"date": roster["date"], "teams": teams}


def replan_day(
    scenario: Scenario,
    *,
    team: str,
    now: dt.datetime,
    roster: TeamRoster | None,
    back_at: dt.datetime | None = None,
    plan_gaps: PlanGaps | None = None,
    rng: random.Random | None = None,
) -> DayReplan:
    """The gap ``team`` leaves from ``now`` and the rest of the day without it (module
    docstring, steps 1-5). ``roster`` is the team's roster for the day (None: none drawn);
    ``back_at`` is when it is expected back on patrol (None: not today)."""
    if now.tzinfo is None or (back_at is not None and back_at.tzinfo is None):
        raise InputError("replan: now and back_at must be timezone-aware")
    if back_at is not None and back_at <= now:
        raise InputError(
            f"back_at: {back_at.isoformat()} is not after now ({now.isoformat()}); "
            "expected the time the team is expected back on patrol"
        )
    zone = ZoneInfo(scenario.timezone)
    day = now.astimezone(zone).date()
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    until = min(back_at, midnight) if back_at is not None else midnight
    gap = coverage_gap_until(roster, now=now, until=until)
    empty = {"date": day.isoformat(), "teams": []}
    if not scenario.start <= day <= scenario.end:
        return DayReplan(team, day, now, back_at, gap, (), (), empty)
    targets = _remaining(build_targets(scenario, days=[day], plan_gaps=plan_gaps), now)
    if len(targets) == 0:
        return DayReplan(team, day, now, back_at, gap, (), (), empty)
    before = slot_teams_for(scenario, targets)
    after = [
        [t for t in teams if not (t == team and (back_at is None or start < back_at))]
        for teams, start in zip(before, targets.slot_starts, strict=True)
    ]
    coverage_before, values_before = _solve_slots(targets, before)
    coverage_after, values_after = _solve_slots(targets, after)
    slot_ends = [targets.end[int(np.flatnonzero(targets.slot == s)[0])] for s in range(len(before))]
    slots = tuple(
        SlotChange(
            start=targets.slot_starts[s],
            end=slot_ends[s],
            teams_before=tuple(before[s]),
            teams_after=tuple(after[s]),
            attacker_utility_before=values_before[s][0],
            attacker_utility_after=values_after[s][0],
            defender_utility_before=values_before[s][1],
            defender_utility_after=values_after[s][1],
        )
        for s in range(len(before))
    )
    changes = tuple(
        TargetChange(
            venue=targets.venue[i],
            start=targets.start[i],
            end=targets.end[i],
            coverage_before=float(coverage_before[i]),
            coverage_after=float(coverage_after[i]),
        )
        for i in range(len(targets))
    )
    draw = rng if rng is not None else secrets.SystemRandom()
    drawn = draw_rosters(scenario, targets, coverage_after, after, rng=draw, days=[day])
    return DayReplan(
        team, day, now, back_at, gap, slots, changes, _clip_roster(drawn[day.isoformat()], now)
    )
