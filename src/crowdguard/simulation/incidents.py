"""Draw a season's incidents: a Poisson process per venue and hour, proportional to crowd.

Incidents needing an armed response arrive at venue ``v`` during hour ``h`` as a Poisson
process of rate ``lambda[v, h] = rate * crowd[v, h]``: more people, more calls. Within an
hour the arrival times of a Poisson process are independent and uniform (the order
statistics property; e.g. Ross, *Introduction to Probability Models*, 12th ed., section
5.3.5), so each cell draws a Poisson count and then uniform times. ``rate`` is chosen so the
season expects ``expected_total`` incidents: ``rate = expected_total / sum(crowd)``.

A share of incidents are false alarms (calls made in good faith that turn out to be
nothing): each incident independently with probability ``false_alarm_share``. They are
dispatched like any other (nobody knows at the time) but usually clear sooner, so they
draw their on-scene time from their own distribution.

On-scene times are [ESTIMATE]: lognormal with a median of 45 minutes (30 for false alarms)
by default; :func:`exponential_on_scene` gives the memoryless case used by the M/M/c check.
All randomness comes from the ``rng`` argument (a NumPy ``Generator``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from crowdguard.errors import InputError

__all__ = [
    "IncidentDraw",
    "OnSceneMinutes",
    "crowd_matrix",
    "draw_incidents",
    "exponential_on_scene",
    "lognormal_on_scene",
]

FloatArray = npt.NDArray[np.float64]
OnSceneMinutes = Callable[[np.random.Generator, int], FloatArray]
"""Draws ``n`` on-scene times in minutes from ``rng``."""


def lognormal_on_scene(median: float = 45.0, sigma: float = 0.6) -> OnSceneMinutes:
    """On-scene minutes, lognormal with the given median and log-scale ``sigma``."""
    if median <= 0 or sigma < 0:
        raise InputError("lognormal_on_scene: need median > 0 and sigma >= 0")

    def draw(rng: np.random.Generator, n: int) -> FloatArray:
        return np.asarray(rng.lognormal(math.log(median), sigma, size=n), dtype=np.float64)

    return draw


def exponential_on_scene(mean: float) -> OnSceneMinutes:
    """On-scene minutes, exponential with the given mean (the M in M/M/c)."""
    if mean <= 0:
        raise InputError(f"exponential_on_scene: mean must be positive, got {mean}")

    def draw(rng: np.random.Generator, n: int) -> FloatArray:
        return np.asarray(rng.exponential(mean, size=n), dtype=np.float64)

    return draw


@dataclass(frozen=True)
class IncidentDraw:
    """A season's incidents, sorted by time.

    ``minutes``: arrival time in minutes after the season start; ``venue``: index into the
    venue list; ``false_alarm``; ``on_scene``: minutes the attending team stays.
    """

    minutes: FloatArray
    venue: npt.NDArray[np.int64]
    false_alarm: npt.NDArray[np.bool_]
    on_scene: FloatArray

    def __len__(self) -> int:
        return int(self.minutes.shape[0])


def crowd_matrix(
    venues: Sequence[str],
    start: dt.datetime,
    hours: int,
    crowd: Callable[[str, dt.datetime], float],
) -> FloatArray:
    """``crowd(venue, hour_start)`` tabulated over venues x ``hours`` hours from ``start``.

    Hours are real (UTC) hours, so a clock change does not repeat or skip one.
    """
    if start.tzinfo is None:
        raise InputError("crowd_matrix: start must be timezone-aware")
    t0 = start.astimezone(dt.UTC)
    tz = start.tzinfo
    out = np.empty((len(venues), hours), dtype=np.float64)
    for h in range(hours):
        when = (t0 + dt.timedelta(hours=h)).astimezone(tz)
        for v, venue in enumerate(venues):
            out[v, h] = crowd(venue, when)
    return out


def draw_incidents(
    crowd: FloatArray,
    *,
    expected_total: float,
    rng: np.random.Generator,
    false_alarm_share: float = 0.2,
    on_scene: OnSceneMinutes | None = None,
    false_alarm_on_scene: OnSceneMinutes | None = None,
) -> IncidentDraw:
    """Draw incidents over a venues x hours ``crowd`` array (see the module docstring)."""
    crowd = np.asarray(crowd, dtype=np.float64)
    if crowd.ndim != 2:
        raise InputError(f"crowd: expected a venues x hours array, got shape {crowd.shape}")
    if not np.all(np.isfinite(crowd)) or np.any(crowd < 0):
        raise InputError("crowd: every value must be a finite, non-negative number of people")
    if not (math.isfinite(expected_total) and expected_total >= 0):
        raise InputError(f"expected_incidents: must be >= 0, got {expected_total}")
    if not 0.0 <= false_alarm_share <= 1.0:
        raise InputError(f"false_alarm_share: must be in [0, 1], got {false_alarm_share}")
    total_crowd = float(crowd.sum())
    if total_crowd <= 0 and expected_total > 0:
        raise InputError("crowd: all zero, so no incident can be placed anywhere")
    rate = expected_total / total_crowd if total_crowd > 0 else 0.0
    counts = rng.poisson(rate * crowd)
    n = int(counts.sum())
    n_hours = crowd.shape[1]
    cells = np.repeat(np.arange(crowd.size), counts.ravel())
    venue = (cells // n_hours).astype(np.int64)
    hour = cells % n_hours
    minutes = (hour + rng.random(n)) * 60.0
    order = np.argsort(minutes, kind="stable")
    minutes, venue = minutes[order], venue[order]
    false_alarm = rng.random(n) < false_alarm_share
    genuine_draw = on_scene or lognormal_on_scene()
    false_draw = false_alarm_on_scene or (
        lognormal_on_scene(30.0, 0.6) if on_scene is None else genuine_draw
    )
    scene = genuine_draw(rng, n)
    n_false = int(false_alarm.sum())
    if n_false:
        scene[false_alarm] = false_draw(rng, n_false)
    return IncidentDraw(minutes=minutes, venue=venue, false_alarm=false_alarm, on_scene=scene)
