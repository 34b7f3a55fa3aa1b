"""The M/M/c check: the season simulator against Erlang's formula.

With ``c`` identical teams at one place, zero travel, Poisson calls at rate ``lambda``
and exponential on-scene times of mean ``1/mu``, the simulator is an M/M/c queue (first
come, first served). Queueing theory then gives, for offered load ``a = lambda/mu`` and
utilisation ``rho = a/c < 1``:

* the **Erlang C** probability that a call has to wait (Erlang, 1917; Gross, Shortle,
  Thompson & Harris, *Fundamentals of Queueing Theory*, 4th ed., section 2.3)::

      C(c, a) = (a^c / c!) / (1 - rho)  /  ( sum_{k<c} a^k / k!  +  (a^c / c!) / (1 - rho) )

  computed here through the stable Erlang B recursion ``B(0) = 1``,
  ``B(k) = a B(k-1) / (k + a B(k-1))`` and ``C = B / (1 - rho (1 - B))``;
* the **mean wait** in queue ``Wq = C(c, a) / (c mu - lambda)``.

Worked example: two teams, 1.2 calls per hour, 40-minute jobs (``mu`` = 1.5 per hour):
``a`` = 0.8, ``rho`` = 0.4; ``B(1)`` = 0.8/1.8 ~ 0.4444, ``B(2)`` = 0.3556/2.3556 ~ 0.1509;
``C`` = 0.1509 / (1 - 0.4 x 0.8491) ~ 0.2286 (the sum formula: 0.5333 / (1.8 + 0.5333));
``Wq`` = 0.2286 / (3 - 1.2) h ~ 0.127 h ~ 7.6 minutes.

:func:`simulate_mmc` builds exactly that set-up for :func:`simulate_season` and returns
the estimates, so a test can compare the two.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from crowdguard.dispatch.recommend import LatLon
from crowdguard.errors import InputError
from crowdguard.patrols.roster import DayRoster, Segment, TeamRoster
from crowdguard.simulation.incidents import exponential_on_scene
from crowdguard.simulation.season import simulate_season

__all__ = ["MMCEstimate", "erlang_b", "erlang_c", "mmc_mean_wait", "simulate_mmc"]


def _check(servers: int, arrival_rate: float, service_rate: float) -> float:
    if servers < 1:
        raise InputError(f"servers: need at least 1, got {servers}")
    if arrival_rate <= 0 or service_rate <= 0:
        raise InputError("arrival_rate and service_rate must be positive")
    return arrival_rate / service_rate


def erlang_b(servers: int, offered_load: float) -> float:
    """Erlang B blocking probability by the stable recursion (no factorials)."""
    b = 1.0
    for k in range(1, servers + 1):
        b = offered_load * b / (k + offered_load * b)
    return b


def erlang_c(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Probability that a call waits in an M/M/c queue (Erlang C)."""
    a = _check(servers, arrival_rate, service_rate)
    rho = a / servers
    if rho >= 1:
        raise InputError(f"utilisation {rho:.3f} >= 1: the queue grows without bound")
    b = erlang_b(servers, a)
    return b / (1 - rho * (1 - b))


def mmc_mean_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Mean time in queue ``Wq`` of an M/M/c queue, in the rates' time unit."""
    return erlang_c(servers, arrival_rate, service_rate) / (servers * service_rate - arrival_rate)


@dataclass(frozen=True)
class MMCEstimate:
    """Simulated M/M/c figures: share of calls that waited and mean wait (minutes)."""

    calls: int
    p_wait: float
    mean_wait_minutes: float


def simulate_mmc(
    servers: int,
    *,
    calls_per_hour: float,
    mean_service_minutes: float,
    hours: int,
    seed: int,
) -> MMCEstimate:
    """Run the season simulator as an M/M/c queue and estimate ``P(wait)`` and ``Wq``.

    ``servers`` teams patrol one venue around the clock with zero travel time; calls are a
    homogeneous Poisson process (constant crowd); on-scene times are exponential.
    """
    _check(servers, calls_per_hour, 60.0 / mean_service_minutes)
    start = dt.datetime(2027, 1, 4, tzinfo=dt.UTC)
    days = math.ceil(hours / 24) + 1
    here: LatLon = (51.0, -1.3)
    rosters = {}
    for d in range(days):
        day = start + dt.timedelta(days=d)
        patrol = Segment(kind="patrol", venue="venue", start=day, end=day + dt.timedelta(days=1))
        rosters[day.date()] = DayRoster.of(
            day.date(),
            (
                TeamRoster(team=f"team-{j + 1}", base="base", segments=(patrol,))
                for j in range(servers)
            ),
        )
    result = simulate_season(
        rosters,
        places={"venue": here, "base": here},
        venues=["venue"],
        crowd=np.ones((1, hours)),
        start=start,
        expected_incidents=calls_per_hour * hours,
        travel_minutes=lambda _a, _b: 0.0,
        seed=seed,
        false_alarm_share=0.0,
        on_scene=exponential_on_scene(mean_service_minutes),
        response_target_minutes=0.0,
    )
    waits = result.wait_minutes
    return MMCEstimate(
        calls=int(waits.size),
        p_wait=float(np.mean(waits > 0)),
        mean_wait_minutes=float(np.mean(waits)),
    )
