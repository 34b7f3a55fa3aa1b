"""Two attackers to judge a patrol plan by: the game's best responder and a roster watcher.

**The best-responding attacker** is the one the Stackelberg game assumes (Kiekintveld et al.,
"Computing optimal randomized resource allocations for massive security games", AAMAS 2009,
section 2): it knows the coverage ``c`` (not the daily draw) and strikes the target that
maximises its expected utility ``c_i U_a^c(i) + (1 - c_i) U_a^u(i)``, breaking ties in the
defender's favour (the Strong Stackelberg convention, as in the planner). The *expected harm*
is minus the defender's expected utility at that target.

**The observer** is a hostile reconnaissance model, closer to what the police fear (Project
Servator's premise that deployments must not be learnable; ``domain.md`` section 4): it does
not know the coverage, it has watched the actual patrols of the last ``window`` days
(default 14) and, on each following day, strikes the venue-slot where patrols were least
seen relative to its reward:

1. Each day's roster becomes a realised 0/1 cover per target (a team patrols the venue for
   more than half of the slot).
2. From the ``window`` days before day ``d`` it estimates the coverage of every *pattern*:
   ``hour`` = (venue, time of day), or ``weekday`` = (venue, weekday, time of day). The
   estimate is the share of watched days the pattern was patrolled (``frequency``) or the
   same share with weights halving every ``half_life_days`` into the past (``recency``).
   A pattern never seen open falls back to the venue's share over the window, then to the
   share of all targets.
3. On day ``d`` it strikes the target of that day with the largest *estimated* attacker
   utility; the realised harm is the actual roster's: ``-defender_covered`` if a team was
   there, ``-defender_uncovered`` if not.

Averaged over every day after the first ``window`` and over several roster draws (seeds),
this is the harm a patient watcher causes. A fixed rota is learnt within a week, so the
observer finds its gaps every day; the Stackelberg plan's draws are independent from day to
day, so what the observer saw tells it nothing about tomorrow beyond the coverage.

For reference, :func:`daily_informed_harm` is the attacker who knows the coverage and strikes
each day (the best response within each day's targets): with ``ties="defender"`` the per-day
counterpart of the season's best response, with ``ties="attacker"`` the worst a plan whose
coverage is known can concede per day. Note the Stackelberg plan makes many targets equally
attractive, so an observer (who neither knows the coverage nor breaks ties kindly) can do
more daily harm than the tie-broken best response; whether it *learnt* anything is measured
against what the coverage predicts for the targets it chose
(:mod:`crowdguard.simulation.compare`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from scipy import stats

from crowdguard.errors import InputError
from crowdguard.patrols.roster import DayRoster, parse_roster
from crowdguard.risk.payoffs import Targets

__all__ = [
    "OBSERVERS",
    "BestResponse",
    "Interval",
    "Observer",
    "ObserverRun",
    "best_response",
    "daily_informed_harm",
    "day_index",
    "mean_interval",
    "observe_and_strike",
    "realised_cover",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
TIE_TOL = 1e-6


@dataclass(frozen=True)
class BestResponse:
    """The best-responding attacker's target and the defender's expected loss there."""

    target: int
    target_id: str
    attacker_utility: float
    harm: float


def _utilities(targets: Targets, coverage: FloatArray) -> tuple[FloatArray, FloatArray]:
    c = np.asarray(coverage, dtype=np.float64)
    if c.shape != (len(targets),):
        raise InputError(f"coverage: expected {len(targets)} values, got shape {c.shape}")
    attacker = c * targets.attacker_covered + (1 - c) * targets.attacker_uncovered
    defender = c * targets.defender_covered + (1 - c) * targets.defender_uncovered
    return attacker, defender


def best_response(targets: Targets, coverage: FloatArray, *, tol: float = TIE_TOL) -> BestResponse:
    """The attacker's best response to ``coverage``, ties broken for the defender.

    The attack set is every target within ``tol`` of the attacker's best expected utility
    (the planner's certificate uses the same tolerance); among them the attacker takes the
    one where the defender loses least.
    """
    attacker, defender = _utilities(targets, coverage)
    best = float(attacker.max())
    attack_set = np.flatnonzero(attacker >= best - tol)
    target = int(attack_set[np.argmax(defender[attack_set])])
    return BestResponse(
        target=target,
        target_id=targets.ids[target],
        attacker_utility=float(attacker[target]),
        harm=-float(defender[target]),
    )


def day_index(targets: Targets, timezone: str = "Europe/London") -> npt.NDArray[np.int64]:
    """Local calendar day of each target, counted from the first target's day (0, 1, ...)."""
    zone = ZoneInfo(timezone)
    dates = [start.astimezone(zone).date() for start in targets.start]
    first = min(dates)
    return np.array([(d - first).days for d in dates], dtype=np.int64)


def daily_informed_harm(
    targets: Targets,
    coverage: FloatArray,
    *,
    from_day: int = 0,
    timezone: str = "Europe/London",
    tol: float = TIE_TOL,
    ties: Literal["defender", "attacker"] = "defender",
) -> float:
    """Mean over days ``>= from_day`` of the best response within each day's targets.

    ``ties="defender"`` is the Strong Stackelberg convention; ``ties="attacker"`` takes the
    most harmful target of each day's attack set instead (an attacker indifferent to the
    defender, so the worst case for a plan whose coverage is known).
    """
    attacker, defender = _utilities(targets, coverage)
    days = day_index(targets, timezone)
    harms = []
    for d in np.unique(days[days >= from_day]):
        members = np.flatnonzero(days == d)
        best = float(attacker[members].max())
        attack_set = members[attacker[members] >= best - tol]
        pick = defender[attack_set].max() if ties == "defender" else defender[attack_set].min()
        harms.append(-float(pick))
    if not harms:
        raise InputError(f"--window {from_day}: no day left to attack after the window")
    return float(np.mean(harms))


def realised_cover(
    targets: Targets, rosters: Mapping[str, DayRoster | Mapping[str, Any]]
) -> BoolArray:
    """Whether a team actually patrolled each target (more than half of its slot).

    ``rosters``: date -> roster (:class:`~crowdguard.patrols.roster.DayRoster`, or a
    ``rosters/YYYY-MM-DD.json`` document, validated into one). Patrol segments at a venue are
    intersected with that venue's slots.
    """
    by_venue: dict[str, list[int]] = {}
    for i, venue in enumerate(targets.venue):
        by_venue.setdefault(venue, []).append(i)
    starts = np.array([t.timestamp() for t in targets.start])
    ends = np.array([t.timestamp() for t in targets.end])
    patrolled = np.zeros(len(targets))
    for key, doc in rosters.items():
        for team in parse_roster(doc, source=f"rosters[{key}]").teams:
            for seg in team.patrols():
                if seg.venue not in by_venue:
                    continue
                a, b = seg.start.timestamp(), seg.end.timestamp()
                index = np.asarray(by_venue[seg.venue])
                overlap = np.clip(
                    np.minimum(ends[index], b) - np.maximum(starts[index], a), 0, None
                )
                patrolled[index] = np.maximum(patrolled[index], overlap)
    return np.asarray(patrolled > 0.5 * (ends - starts))


@dataclass(frozen=True)
class Observer:
    """How the observer estimates coverage: by which pattern, with which weighting."""

    pattern: Literal["hour", "weekday"]
    weighting: Literal["frequency", "recency"]
    half_life_days: float = 2.0

    @property
    def name(self) -> str:
        """E.g. ``weekday-frequency``."""
        return f"{self.pattern}-{self.weighting}"


OBSERVERS: tuple[Observer, ...] = (
    Observer("hour", "frequency"),
    Observer("hour", "recency"),
    Observer("weekday", "frequency"),
    Observer("weekday", "recency"),
)


@dataclass(frozen=True)
class ObserverRun:
    """One observer against one season of rosters: its daily targets and realised harms."""

    observer: str
    days: npt.NDArray[np.int64]
    targets: npt.NDArray[np.int64]
    harm: FloatArray
    unopposed: BoolArray

    @property
    def mean_harm(self) -> float:
        """Mean realised harm per day attacked."""
        return float(self.harm.mean())

    @property
    def unopposed_share(self) -> float:
        """Share of the days attacked on which no team was at the struck target."""
        return float(self.unopposed.mean())


def _pattern_keys(
    targets: Targets, pattern: str, timezone: str
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    zone = ZoneInfo(timezone)
    local = [start.astimezone(zone) for start in targets.start]
    raw: list[tuple[str, int, dt.time]] = [
        (v, t.weekday() if pattern == "weekday" else -1, t.time())
        for v, t in zip(targets.venue, local, strict=True)
    ]
    code: dict[Any, int] = {}
    keys = np.array([code.setdefault(k, len(code)) for k in raw], dtype=np.int64)
    venue_code: dict[str, int] = {}
    venues = np.array([venue_code.setdefault(v, len(venue_code)) for v in targets.venue])
    return keys, venues.astype(np.int64)


def observe_and_strike(
    targets: Targets,
    covered: BoolArray,
    *,
    observer: Observer,
    window: int = 14,
    timezone: str = "Europe/London",
) -> ObserverRun:
    """Run one observer over one season of realised cover (module docstring, steps 2-3)."""
    if window < 1:
        raise InputError(f"--window {window}: expected a whole number of days >= 1")
    cover = np.asarray(covered, dtype=np.float64)
    if cover.shape != (len(targets),):
        raise InputError(f"covered: expected {len(targets)} values, got shape {cover.shape}")
    days = day_index(targets, timezone)
    n_days = int(days.max()) + 1
    if n_days <= window:
        raise InputError(
            f"--window {window}: the horizon has only {n_days} days; need more days than the "
            "window (lower --window or raise --days)"
        )
    keys, venues = _pattern_keys(targets, observer.pattern, timezone)
    n_keys, n_venues = int(keys.max()) + 1, int(venues.max()) + 1
    struck_days, struck, harms = [], [], []
    for d in range(window, n_days):
        today = np.flatnonzero(days == d)
        if today.size == 0:
            continue
        seen = np.flatnonzero((days >= d - window) & (days < d))
        age = (d - 1 - days[seen]).astype(np.float64)
        if observer.weighting == "recency":
            weight = 0.5 ** (age / observer.half_life_days)
        else:
            weight = np.ones(seen.size)
        hits = cover[seen] * weight
        key_n = np.bincount(keys[seen], weights=weight, minlength=n_keys)
        key_hit = np.bincount(keys[seen], weights=hits, minlength=n_keys)
        venue_n = np.bincount(venues[seen], weights=weight, minlength=n_venues)
        venue_hit = np.bincount(venues[seen], weights=hits, minlength=n_venues)
        overall = float(hits.sum() / weight.sum()) if seen.size else 0.0
        k, v = keys[today], venues[today]
        estimate = np.where(
            key_n[k] > 0,
            key_hit[k] / np.maximum(key_n[k], 1e-300),
            np.where(venue_n[v] > 0, venue_hit[v] / np.maximum(venue_n[v], 1e-300), overall),
        )
        utility = (
            estimate * targets.attacker_covered[today]
            + (1 - estimate) * targets.attacker_uncovered[today]
        )
        target = int(today[int(np.argmax(utility))])
        harm = -float(
            targets.defender_covered[target]
            if cover[target]
            else targets.defender_uncovered[target]
        )
        struck_days.append(d)
        struck.append(target)
        harms.append(harm)
    return ObserverRun(
        observer=observer.name,
        days=np.asarray(struck_days, dtype=np.int64),
        targets=np.asarray(struck, dtype=np.int64),
        harm=np.asarray(harms, dtype=np.float64),
        unopposed=np.asarray(cover[np.asarray(struck, dtype=np.int64)] == 0, dtype=bool),
    )


@dataclass(frozen=True)
class Interval:
    """A mean with a 95% confidence interval (``low``, ``high``) over ``n`` replicates."""

    mean: float
    low: float
    high: float
    n: int

    def to_json(self) -> dict[str, float | int]:
        """A plain dict."""
        return {"mean": self.mean, "low": self.low, "high": self.high, "n": self.n}


def mean_interval(values: Sequence[float], confidence: float = 0.95) -> Interval:
    """Student-t interval for the mean of independent replicates (one per roster seed).

    Each replicate is one season's mean daily harm; seeds are independent, so the t interval
    over them is exact for normal replicate means and close otherwise (Student, 1908).
    A single replicate, or replicates that never vary (a rota), give a zero-width interval.
    """
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        raise InputError("replicates: need at least one")
    mean = float(x.mean())
    if x.size == 1 or float(x.std()) == 0.0:
        return Interval(mean, mean, mean, int(x.size))
    half = float(stats.t.ppf(0.5 + confidence / 2, x.size - 1)) * float(
        x.std(ddof=1) / math.sqrt(x.size)
    )
    return Interval(mean, mean - half, mean + half, int(x.size))
