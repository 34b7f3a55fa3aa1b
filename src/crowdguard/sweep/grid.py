"""The sweep's grid: how a scenario is varied in team count and threat level.

**Threat level.** The scenario's ``threat_level`` is replaced; nothing else changes. It
enters the game where the risk model puts it (:mod:`crowdguard.risk.payoffs`, step 4): the
likelihood of an attempt (``THREAT_LIKELIHOOD``) scales the defender's payoffs and the
reported risk, and the attacker's loss when a patrol is on scene (``CAPTURE_PENALTY``) falls
at SEVERE and CRITICAL, which is what moves the equilibrium coverage (``domain.md``
section 4: heightened and exceptional response levels).

**Teams.** A deployment of ``n`` teams is drawn from the scenario's own teams, cycled:

1. The scenario's teams are grouped by shift pattern (their list of shifts), in order of
   first appearance, and the groups are interleaved: the first team of each pattern, then
   the second of each, and so on. The demo's four day teams (10:00-16:00) and four evening
   teams (16:00-22:00) become day, evening, day, evening, ... so a small deployment still
   covers both shifts.
2. ``n`` teams are the first ``n`` of that cycle, repeated as often as needed: team ``i``
   copies the base, kind and shifts of cycle member ``i mod T`` (``T`` teams in the
   scenario). Copies get a call sign ``<callsign>-x<k>`` for the ``k``-th repeat
   (``alpha-1-x2``), so every team is distinct and every base is reused in its original
   proportion.

``n`` below ``T`` removes teams from the end of the cycle; ``n = T`` is the scenario itself
(in cycle order). Team-hours are the rostered shift hours of the deployment over the
planned days (:func:`team_hours`): the x-axis of the sweep's curves.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from crowdguard.errors import InputError
from crowdguard.scenario.schema import Scenario, Team, ThreatLevel, Weekday

__all__ = [
    "MAX_TEAMS",
    "GridPoint",
    "cycle_order",
    "parse_teams",
    "parse_threats",
    "team_hours",
    "vary",
]

#: The most teams a sweep may ask for (a guard against a typo such as ``2:4000``).
MAX_TEAMS = 1000


@dataclass(frozen=True, order=True)
class GridPoint:
    """One deployment to evaluate: a threat level and a number of teams."""

    threat: ThreatLevel
    teams: int

    @property
    def label(self) -> str:
        """``SEVERE/12``: how the point is named in progress and failure reports."""
        return f"{self.threat.value}/{self.teams}"


def parse_teams(text: str) -> list[int]:
    """``"2:40"`` (inclusive), ``"2:40:2"`` (a step), ``"4,8,12"`` or ``"8"`` -> team counts.

    :class:`InputError` naming ``--teams`` for anything else, for counts below 1 or above
    :data:`MAX_TEAMS`, and for an empty range.
    """
    spec = text.strip()
    expected = "expected A:B, A:B:STEP or a comma-separated list of whole numbers, e.g. 2:40"
    counts: list[int] = []
    try:
        if ":" in spec:
            parts = [int(p) for p in spec.split(":")]
            if len(parts) not in (2, 3):
                raise ValueError(spec)
            start, stop = parts[0], parts[1]
            step = parts[2] if len(parts) == 3 else 1
            if step < 1:
                raise InputError(f"--teams {text!r}: the step must be at least 1")
            counts = list(range(start, stop + 1, step))
        else:
            counts = [int(p) for p in spec.split(",") if p.strip()]
    except ValueError:
        raise InputError(f"--teams {text!r}: {expected}") from None
    if not counts:
        raise InputError(f"--teams {text!r}: no team counts in that range; {expected}")
    bad = [c for c in counts if not 1 <= c <= MAX_TEAMS]
    if bad:
        raise InputError(f"--teams {text!r}: {bad[0]} teams is outside 1..{MAX_TEAMS}")
    return sorted(set(counts))


def parse_threats(text: str) -> list[ThreatLevel]:
    """``"SUBSTANTIAL,SEVERE"`` -> threat levels, lowest first (case-insensitive)."""
    names = [p.strip().upper() for p in text.split(",") if p.strip()]
    known = ", ".join(level.value for level in ThreatLevel)
    if not names:
        raise InputError(f"--threat {text!r}: empty; expected some of {known}")
    levels: list[ThreatLevel] = []
    for name in names:
        try:
            levels.append(ThreatLevel(name))
        except ValueError:
            raise InputError(
                f"--threat {text!r}: {name!r} is not a threat level ({known})"
            ) from None
    order = list(ThreatLevel)
    return sorted(set(levels), key=order.index)


def cycle_order(teams: Sequence[Team]) -> list[Team]:
    """The scenario's teams with shift patterns interleaved (module docstring, step 1)."""
    groups: dict[str, list[Team]] = {}
    for team in teams:
        pattern = repr([(str(s.hours), sorted(s.days)) for s in team.shifts])
        groups.setdefault(pattern, []).append(team)
    interleaved = itertools.zip_longest(*groups.values())
    return [team for row in interleaved for team in row if team is not None]


def _deployment(scenario: Scenario, n: int) -> list[Team]:
    cycle = cycle_order(scenario.teams)
    taken = {t.callsign for t in scenario.teams}
    teams: list[Team] = []
    for i in range(n):
        source = cycle[i % len(cycle)]
        repeat = i // len(cycle)
        if repeat == 0:
            teams.append(source)
            continue
        callsign = f"{source.callsign}-x{repeat + 1}"
        while callsign in taken:  # a scenario that already uses the -xK form
            callsign += "x"
        taken.add(callsign)
        teams.append(source.model_copy(update={"callsign": callsign}))
    # the scenario's own teams keep its order, so the scenario's own deployment is planned
    # exactly as ``crowdguard plan`` plans it (the day solver's optimum can depend on it)
    order = {t.callsign: i for i, t in enumerate(scenario.teams)}
    originals = sorted((t for t in teams if t.callsign in order), key=lambda t: order[t.callsign])
    return originals + [t for t in teams if t.callsign not in order]


def vary(scenario: Scenario, point: GridPoint) -> Scenario:
    """The scenario with ``point.teams`` teams (cycled, module docstring) at ``point.threat``."""
    if point.teams < 1:
        raise InputError(f"--teams: {point.teams} teams; expected at least 1")
    return scenario.model_copy(
        update={
            "teams": _deployment(scenario, point.teams),
            "threat_level": point.threat,
            "threat_source": f"what-if sweep ({point.threat.value}); "
            f"the scenario's own: {scenario.threat_level.value}",
        }
    )


def team_hours(scenario: Scenario, days: Sequence[dt.date]) -> float:
    """Rostered shift hours of every team over ``days`` (a shift ending at 24:00 counts to it)."""
    total = 0.0
    for day in days:
        weekday = Weekday.of(day)
        for team in scenario.teams:
            for shift in team.shifts:
                if weekday in shift.days:  # an overnight shift counts to its end
                    start, end = shift.hours.minutes()
                    total += (end - start) / 60.0
    return total
