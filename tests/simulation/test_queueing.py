"""The season simulator reproduces M/M/c queueing theory."""

from __future__ import annotations

import math

import pytest

from crowdguard.errors import InputError
from crowdguard.simulation.queueing import erlang_c, mmc_mean_wait, simulate_mmc


def erlang_c_by_sum(c: int, lam: float, mu: float) -> float:
    """The textbook sum-of-factorials form (Gross & Harris), independent of the recursion."""
    a = lam / mu
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


@pytest.mark.parametrize(
    ("c", "lam", "mu"), [(1, 0.5, 1.0), (2, 1.2, 1.5), (5, 4.0, 1.0), (12, 10.0, 1.0)]
)
def test_erlang_c_matches_the_sum_formula(c: int, lam: float, mu: float) -> None:
    assert erlang_c(c, lam, mu) == pytest.approx(erlang_c_by_sum(c, lam, mu), rel=1e-12)


def test_one_server_is_the_m_m_1_queue() -> None:
    lam, mu = 0.7, 1.0
    assert erlang_c(1, lam, mu) == pytest.approx(lam / mu)
    assert mmc_mean_wait(1, lam, mu) == pytest.approx(lam / (mu * (mu - lam)))


def test_an_overloaded_queue_is_rejected() -> None:
    with pytest.raises(InputError, match="utilisation"):
        erlang_c(2, 3.0, 1.0)


@pytest.mark.parametrize(
    ("teams", "calls_per_hour", "job_minutes", "hours"),
    [(2, 1.2, 40.0, 12_000), (3, 2.4, 45.0, 8_000)],
)
def test_the_simulator_reproduces_erlang_c(
    teams: int, calls_per_hour: float, job_minutes: float, hours: int
) -> None:
    mu = 60.0 / job_minutes
    p_wait = erlang_c(teams, calls_per_hour, mu)
    wq = mmc_mean_wait(teams, calls_per_hour, mu) * 60.0
    est = simulate_mmc(
        teams, calls_per_hour=calls_per_hour, mean_service_minutes=job_minutes, hours=hours, seed=11
    )
    assert est.calls == pytest.approx(calls_per_hour * hours, rel=0.05)
    # About 4 standard errors of a correlated queue over ~15,000 calls.
    assert est.p_wait == pytest.approx(p_wait, abs=0.02)
    assert est.mean_wait_minutes == pytest.approx(wq, rel=0.15)
