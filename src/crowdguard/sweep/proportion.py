"""The proportionality point: the deployment past which another team buys little.

"We continually review these plans to make sure that we provide an appropriate and
proportional police presence." Proportionate here means: per threat level, on the curve of
expected harm against the number of teams, the **proportionality point** is the smallest
deployment ``n*`` such that every further team in the grid reduces the expected harm by less
than a threshold ``t`` the user sets:

    n* = min { n_i : (H(n_j) - H(n_{j+1})) / (n_{j+1} - n_j) < t  for every j >= i }

(``H`` is the mean harm over seeds at each team count; with a grid step above one team the
reduction is per team). "Every further" rather than "the next" makes the answer robust to a
curve that flattens and then drops again. If even the last step of the grid buys ``t`` or
more, the point lies beyond the grid (``None``: extend ``--teams``). The threshold is in the
harm's unit (expected people harmed x threat likelihood, ``docs/theory/risk.md``), or a
percentage of the harm at the grid's smallest deployment (``"1%"``), resolved once per
threat level from the full data.

**The interval** is a paired percentile bootstrap over seeds (Efron & Tibshirani, *An
Introduction to the Bootstrap*, 1993, ch. 13): ``resamples`` times, draw the seeds with
replacement, recompute every team count's mean harm from the *same* drawn seeds (the seeds
are common random numbers across deployments, so the differences the point depends on keep
their pairing), and find that resample's ``n*``; the interval is the ``(1 - confidence)/2``
and ``(1 + confidence)/2`` quantiles of those points (a point beyond the grid counts as
larger than any). Only seeds present at every team count of the threat level are used.
A harm that does not vary with the seed (``harm_stated``, ``harm_daily``) gives a
zero-width interval: the point is exact.

:func:`where_today` places a deployment (e.g. the scenario's own teams at today's threat
level) on that curve, for the plan report and the planner's page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from crowdguard.errors import InputError

__all__ = [
    "HARM_METRICS",
    "CurvePoint",
    "Proportionality",
    "Threshold",
    "TodayOnCurve",
    "curve",
    "marginal_point",
    "parse_threshold",
    "place_on_sweep",
    "proportionality",
    "where_today",
]

FloatArray = npt.NDArray[np.float64]
#: Harm columns a proportionality point may be read from (``crowdguard.sweep.task``).
HARM_METRICS = ("harm_realised", "harm_stated", "harm_worst_tie", "harm_daily")
DEFAULT_RESAMPLES = 2000


@dataclass(frozen=True)
class Threshold:
    """A harm reduction per team: absolute, or a share of the harm at the fewest teams."""

    value: float
    relative: bool

    def resolve(self, base_harm: float) -> float:
        """The absolute threshold given the harm at the grid's smallest deployment."""
        return self.value * base_harm if self.relative else self.value

    def __str__(self) -> str:
        return f"{self.value * 100:g}%" if self.relative else f"{self.value:g}"


def parse_threshold(text: str) -> Threshold:
    """``"0.5"`` (harm units per team) or ``"1%"`` (of the harm at the fewest teams)."""
    spec = text.strip()
    relative = spec.endswith("%")
    try:
        value = float(spec[:-1] if relative else spec)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0 or (relative and value >= 100):
        raise InputError(
            f"--threshold {text!r}: expected a positive harm per team (e.g. 0.5) or a "
            "percentage of the harm at the fewest teams below 100 (e.g. 1%)"
        )
    return Threshold(value / 100 if relative else value, relative)


@dataclass(frozen=True)
class CurvePoint:
    """One team count on a threat level's curve: mean of a column over seeds, 95% interval."""

    teams: int
    team_hours: float
    mean: float
    low: float
    high: float
    seeds: int


@dataclass(frozen=True)
class Proportionality:
    """The proportionality point of one threat level, with its bootstrap interval.

    ``teams`` (and ``team_hours``) is ``None`` when the point lies beyond the grid;
    ``low``/``high`` bound the interval in teams, ``high`` is ``None`` when the upper
    bound lies beyond the grid.
    """

    threat: str
    metric: str
    threshold: float
    threshold_spec: str
    teams: int | None
    team_hours: float | None
    low: int | None
    high: int | None
    confidence: float
    resamples: int
    seeds: int
    exact: bool
    curve: tuple[CurvePoint, ...]

    def describe(self) -> str:
        """One line for the CLI: the point and its interval."""
        if self.teams is None:
            return (
                f"{self.threat}: beyond the grid (the last team still reduces {self.metric} by "
                f"{self.threshold:.3g} or more); extend --teams"
            )
        hours = f" ({self.team_hours:,.0f} team-hours)" if self.team_hours is not None else ""
        if self.exact:
            interval = "exact"
        elif self.high is None:
            interval = f"{self.confidence:.0%} interval {self.low} teams to beyond the grid"
        else:
            interval = f"{self.confidence:.0%} interval {self.low}-{self.high} teams"
        return f"{self.threat}: {self.teams} teams{hours}; {interval}"

    def to_json(self) -> dict[str, Any]:
        """A plain dict for ``proportionality.json``."""
        return {
            "threat": self.threat,
            "metric": self.metric,
            "threshold": self.threshold,
            "threshold_spec": self.threshold_spec,
            "teams": self.teams,
            "team_hours": self.team_hours,
            "interval": {"low": self.low, "high": self.high, "confidence": self.confidence},
            "interval_method": "exact (the metric does not vary with the seed)"
            if self.exact
            else f"paired percentile bootstrap over {self.seeds} seeds, {self.resamples} resamples",
            "seeds": self.seeds,
            "curve": [
                {
                    "teams": c.teams,
                    "team_hours": c.team_hours,
                    "mean": _json_number(c.mean),
                    "low": _json_number(c.low),
                    "high": _json_number(c.high),
                    "seeds": c.seeds,
                }
                for c in self.curve
            ],
        }


def _json_number(x: float) -> float | None:
    return None if math.isnan(x) else x


def marginal_point(teams: Sequence[int], harm: Sequence[float], threshold: float) -> int | None:
    """``n*`` of the module docstring on one curve (``teams`` ascending), or ``None``."""
    if len(teams) != len(harm):
        raise InputError("teams and harm: expected the same length")
    if len(teams) < 2:
        raise InputError("--teams: the proportionality point needs at least two team counts")
    n = np.asarray(teams, dtype=np.float64)
    h = np.asarray(harm, dtype=np.float64)
    rate = (h[:-1] - h[1:]) / (n[1:] - n[:-1])
    big = np.flatnonzero(~(rate < threshold))  # NaN counts as "not small"
    if big.size == 0:
        return int(teams[0])
    last = int(big[-1])
    if last == len(rate) - 1:
        return None
    return int(teams[last + 1])


def _matrix(
    rows: Sequence[dict[str, Any]], threat: str, column: str
) -> tuple[list[int], list[float], list[int], FloatArray]:
    """Team counts, team-hours, seeds common to every team count, and values[team, seed]."""
    mine = [r for r in rows if r["threat"] == threat]
    teams = sorted({int(r["teams"]) for r in mine})
    by_team: dict[int, dict[int, float]] = {t: {} for t in teams}
    hours: dict[int, float] = {}
    for r in mine:
        by_team[int(r["teams"])][int(r["seed"])] = float(r[column])
        hours[int(r["teams"])] = float(r["team_hours"])
    common = sorted(set.intersection(*(set(v) for v in by_team.values()))) if teams else []
    values = np.array([[by_team[t][s] for s in common] for t in teams], dtype=np.float64)
    return teams, [hours[t] for t in teams], common, values.reshape(len(teams), len(common))


def curve(rows: Sequence[dict[str, Any]], threat: str, column: str) -> tuple[CurvePoint, ...]:
    """Mean of ``column`` per team count at ``threat`` with a 95% Student-t interval over seeds.

    Every row of the team count counts (not only the seeds common to all), NaN values
    (a season without incidents has no response share) left out.
    """
    from crowdguard.simulation.attacker import mean_interval

    points = []
    mine = [r for r in rows if r["threat"] == threat]
    for t in sorted({int(r["teams"]) for r in mine}):
        at = [r for r in mine if int(r["teams"]) == t]
        values = [float(r[column]) for r in at if not math.isnan(float(r[column]))]
        hours = float(at[0]["team_hours"])
        if not values:
            points.append(CurvePoint(t, hours, math.nan, math.nan, math.nan, 0))
            continue
        interval = mean_interval(values)
        points.append(CurvePoint(t, hours, interval.mean, interval.low, interval.high, interval.n))
    return tuple(points)


def proportionality(
    rows: Sequence[dict[str, Any]],
    *,
    threshold: Threshold | str,
    metric: str = "harm_realised",
    confidence: float = 0.95,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> list[Proportionality]:
    """The proportionality point of every threat level in ``rows`` (module docstring).

    ``seed`` drives the bootstrap's resampling (the same rows always give the same
    interval).
    """
    if metric not in HARM_METRICS:
        raise InputError(f"--metric {metric!r}: expected one of {', '.join(HARM_METRICS)}")
    if not 0 < confidence < 1:
        raise InputError(f"confidence {confidence}: expected a probability between 0 and 1")
    if resamples < 1:
        raise InputError(f"resamples {resamples}: expected at least 1")
    limit = threshold if isinstance(threshold, Threshold) else parse_threshold(threshold)
    from crowdguard.scenario.schema import ThreatLevel

    order = {level.value: i for i, level in enumerate(ThreatLevel)}
    threats = sorted({str(r["threat"]) for r in rows}, key=lambda t: order.get(t, 99))
    rng = np.random.default_rng(seed)
    answers = []
    for threat in threats:
        teams, hours, seeds, values = _matrix(rows, threat, metric)
        if values.size == 0 or np.isnan(values).all():
            raise InputError(
                f"--metric {metric}: no values at {threat} in these results"
                + (
                    " (results written before the planner reported worst-tie harm: rerun the sweep)"
                    if metric == "harm_worst_tie"
                    else ""
                )
            )
        if len(teams) < 2:
            raise InputError(
                f"--teams: the proportionality point needs at least two team counts "
                f"(only {teams[0]} at {threat})"
            )
        means = values.mean(axis=1)
        absolute = limit.resolve(float(means[0]))
        point = marginal_point(teams, means.tolist(), absolute)
        exact = bool(np.all(values == values[:, :1]))
        if exact:
            low, high = point, point
        else:
            big = max(teams) + 1  # stands for "beyond the grid"
            draws = rng.integers(0, len(seeds), size=(resamples, len(seeds)))
            found = np.empty(resamples)
            for b in range(resamples):
                answer = marginal_point(teams, values[:, draws[b]].mean(axis=1).tolist(), absolute)
                found[b] = big if answer is None else answer
            tail = (1 - confidence) / 2
            lo = float(np.quantile(found, tail, method="inverted_cdf"))
            hi = float(np.quantile(found, 1 - tail, method="inverted_cdf"))
            low = None if lo >= big else int(lo)
            high = None if hi >= big else int(hi)
        answers.append(
            Proportionality(
                threat=threat,
                metric=metric,
                threshold=absolute,
                threshold_spec=str(limit),
                teams=point,
                team_hours=None if point is None else hours[teams.index(point)],
                low=low,
                high=high,
                confidence=confidence,
                resamples=0 if exact else resamples,
                seeds=len(seeds),
                exact=exact,
                curve=curve(rows, threat, metric),
            )
        )
    return answers


@dataclass(frozen=True)
class TodayOnCurve:
    """Where one deployment sits on its threat level's curve.

    ``next_team_reduces``: the harm one more team would remove (per team, to the next team
    count of the grid; ``None`` at the grid's end); ``position``: ``below`` the
    proportionality interval (another team still buys at least the threshold), ``within``
    it, or ``past`` it (teams beyond what the threshold calls proportionate). When the whole
    interval lies beyond the grid every deployment in it is ``below``.
    """

    threat: str
    teams: int
    team_hours: float
    harm: float
    next_team_reduces: float | None
    point: Proportionality
    position: str

    def to_json(self) -> dict[str, Any]:
        """``plan.json``'s ``proportionality``: the deployment on its curve, the point and
        the curve (mean and 95% interval of the metric per team count)."""
        return {
            "threat": self.threat,
            "teams": self.teams,
            "team_hours": self.team_hours,
            "metric": self.point.metric,
            "harm": _json_number(self.harm),
            "next_team_reduces": self.next_team_reduces,
            "position": self.position,
            "summary": self.describe(),
            "point": self.point.to_json(),
        }

    def describe(self) -> str:
        """One sentence for a report."""
        gain = (
            "the end of the grid"
            if self.next_team_reduces is None
            else f"one more team reduces {self.point.metric} by {self.next_team_reduces:.3g}"
        )
        return (
            f"{self.teams} teams at {self.threat}: {self.point.metric} {self.harm:.3g}; {gain}; "
            f"{self.position} the proportionate range ({self.point.describe()})"
        )


def place_on_sweep(
    rows: Sequence[dict[str, Any]],
    manifest: Mapping[str, Any],
    proportionality_file: Mapping[str, Any] | None,
    *,
    scenario: str,
    teams: int,
    threat: str,
    resamples: int = DEFAULT_RESAMPLES,
) -> TodayOnCurve:
    """Where a plan's deployment (``teams`` at ``threat``) sits on a sweep of its scenario.

    The sweep's own threshold and metric (its ``proportionality.json``) are used, so the
    placement agrees with the sweep's report. :class:`~crowdguard.errors.InputError` when the
    sweep is of another scenario or its grid does not hold the deployment.
    """
    swept = manifest.get("scenario")
    if swept != scenario:
        raise InputError(
            f"the sweep is of scenario {swept!r}, not {scenario!r}; give a sweep of this "
            "scenario (`crowdguard sweep SCENARIO --out DIR`)"
        )
    spec = (proportionality_file or {}).get("threshold", "1%")
    metric = str((proportionality_file or {}).get("metric", "harm_realised"))
    return where_today(
        rows, teams=teams, threat=threat, threshold=str(spec), metric=metric, resamples=resamples
    )


def where_today(
    rows: Sequence[dict[str, Any]],
    *,
    teams: int,
    threat: str,
    threshold: Threshold | str,
    metric: str = "harm_realised",
    resamples: int = DEFAULT_RESAMPLES,
) -> TodayOnCurve:
    """Place ``teams`` at ``threat`` on the sweep's curve (for the plan report and planner page).

    ``rows``: a sweep's results (:func:`crowdguard.sweep.results.read_results`); the team
    count must be one of the grid's at that threat level.
    """
    mine = [r for r in rows if r["threat"] == threat]
    if not mine:
        found = ", ".join(sorted({str(r["threat"]) for r in rows})) or "none"
        raise InputError(f"threat {threat!r}: not in these results (they hold {found})")
    (point,) = proportionality(mine, threshold=threshold, metric=metric, resamples=resamples)
    steps = {c.teams: c for c in point.curve}
    if teams not in steps:
        raise InputError(
            f"teams {teams}: not a team count of the sweep at {threat} "
            f"(it has {', '.join(str(t) for t in sorted(steps))})"
        )
    ordered = sorted(steps)
    here = steps[teams]
    after = [t for t in ordered if t > teams]
    gain = None
    if after:
        following = steps[after[0]]
        gain = (here.mean - following.mean) / (following.teams - teams)
    if point.low is None or teams < point.low:
        position = "below"  # another team still buys at least the threshold
    elif point.high is None or teams <= point.high:
        position = "within"
    else:
        position = "past"
    return TodayOnCurve(
        threat=threat,
        teams=teams,
        team_hours=here.team_hours,
        harm=here.mean,
        next_team_reduces=gain,
        point=point,
        position=position,
    )
