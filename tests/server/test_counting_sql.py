"""The SQL counting (``stats/queries.py``, what the statistics and briefings use) against the
pure Python core (``stats/operations.py``, the hand-checked definition), on generated logs,
on SQLite and PostgreSQL.

The generated log crowds its incidents onto the moments the rules turn on: 23:59 and 00:00
around 31 March/1 April (the financial year), month ends, midnight, the clock changes of
29 March and 25 October 2026 (an hour that does not exist, one that happens twice); several
units per incident with tied times (who was first out, who authorised first), stand-downs
before setting off and on the way, self-authorised units with and without a departure time,
unauthorised and unarmed rows, escorts and patrols, discharges, grades missing or differing
within an incident, calls with no time, an arrival logged before the call (a typo), units
taken off a patrol. The expected figures are computed from the generated values directly
(never read back from the store).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from sqlalchemy import Engine, insert

from crowdguard.stats import service
from crowdguard.stats.operations import (
    ArvDefinition,
    Deployment,
    Purpose,
    classify,
    combine,
    count_by_month,
    response_times,
)
from crowdguard.stats.tables import DeploymentRow
from crowdguard.stats.years import LONDON, Period, financial_year
from crowdguard.store.db import make_sessionmaker, session_scope

UTC = dt.UTC
HOT = [
    dt.datetime(2026, 3, 31, 23, 59, tzinfo=LONDON),  # 22:59 UTC: still 2025/26
    dt.datetime(2026, 4, 1, 0, 0, tzinfo=LONDON),
    dt.datetime(2027, 3, 31, 23, 59, tzinfo=LONDON),
    dt.datetime(2027, 4, 1, 0, 0, tzinfo=LONDON),
    dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # clocks go forward
    dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # 01:30 BST, then 01:30 GMT
    dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
    dt.datetime(2026, 12, 31, 23, 58, tzinfo=LONDON),
    dt.datetime(2026, 6, 30, 23, 59, tzinfo=LONDON),  # BST month end: 22:59 UTC
    dt.datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=LONDON),
]
FIRST = dt.datetime(2025, 3, 1, tzinfo=UTC)
SPAN_MINUTES = 60 * 24 * 800


def _moment(rng: random.Random) -> dt.datetime:
    if rng.random() < 0.5:
        base = rng.choice(HOT).astimezone(UTC)
        moment = base + dt.timedelta(minutes=rng.randint(-3, 3))
    else:
        moment = FIRST + dt.timedelta(minutes=rng.randrange(SPAN_MINUTES))
    if rng.random() < 0.3:
        moment += dt.timedelta(microseconds=rng.randrange(1, 60_000_000))
    return moment


def _unit(rng: random.Random, incident: str, call: dt.datetime | None, start: dt.datetime) -> dict[str, Any]:  # fmt: skip
    step = dt.timedelta(minutes=rng.choice((0, 0, 1, 2, 5)))  # zero: tied with another unit
    authorised: dt.datetime | None = start + step
    deployed: dt.datetime | None = authorised
    arrived: dt.datetime | None = authorised + dt.timedelta(
        minutes=rng.choice((0, 3, 9, 40)),
        seconds=rng.choice((0, 9, 21)),  # 9.5 s is 0.2 min when rounded, 9 s 0.1
        microseconds=rng.choice((0, 500_000, 999_999)),
    )
    stood_down = None
    self_authorised = False
    roll = rng.random()
    if roll < 0.12:  # stood down before it set off
        deployed = arrived = None
        stood_down = start + dt.timedelta(minutes=1)
    elif roll < 0.24:  # stood down on the way
        arrived = None
        stood_down = start + dt.timedelta(minutes=6)
    elif roll < 0.36:  # self-authorised: no authorisation time, its departure is the authority
        authorised, self_authorised = None, True
        if rng.random() < 0.3:
            deployed = None  # only an arrival logged
    elif roll < 0.40:  # neither authorised nor self-authorised
        authorised = None
    purpose = Purpose.incident
    if rng.random() < 0.08:
        purpose = rng.choice([p for p in Purpose if p is not Purpose.incident])
    return {
        "incident": incident,
        "unit": f"arv-{rng.randrange(9)}",
        "unit_kind": "arv",
        "arv": rng.random() < 0.6,
        "armed": rng.random() > 0.05,
        "purpose": purpose.value,
        "source": "test",
        "grade": rng.choice((None, None, "immediate", "priority")),
        "opened_at": call,
        "authorised_at": authorised,
        "authorised_by": None if authorised is None else "insp-tfc",
        "self_authorised": self_authorised,
        "deployed_at": deployed,
        "arrived_at": arrived,
        "stood_down_at": stood_down,
        "ended_at": (arrived or stood_down or start) + dt.timedelta(minutes=30),
        "discharges": rng.choice((0, 0, 0, 0, 1, 3)),
        "from_patrol": rng.random() < 0.2,
        "recorded_by": "test",
        "updated_at": start,
    }


def generated_log(seed: int, incidents: int) -> list[dict[str, Any]]:
    """Rows of ``incidents`` incidents of one to four units (module docstring)."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for n in range(incidents):
        start = _moment(rng)
        call = None if rng.random() < 0.1 else start - dt.timedelta(minutes=rng.randint(0, 15))
        if call is not None and rng.random() < 0.03:
            call = start + dt.timedelta(hours=2)  # a call logged after the arrival
        units = [_unit(rng, f"inc-{n}", call, start) for _ in range(rng.choice((1, 1, 2, 3, 4)))]
        rows.extend(units)
    rng.shuffle(rows)  # rows of one incident are not adjacent in the log
    return rows


def _deployments(rows: list[dict[str, Any]]) -> list[Deployment]:
    keys = [
        "incident",
        "unit",
        "arv",
        "armed",
        "opened_at",
        "authorised_at",
        "authorised_by",
        "self_authorised",
        "deployed_at",
        "arrived_at",
        "stood_down_at",
        "ended_at",
        "discharges",
        "grade",
        "from_patrol",
    ]
    return [Deployment(purpose=Purpose(r["purpose"]), **{k: r[k] for k in keys}) for r in rows]


PERIODS = [
    Period(dt.date(2025, 4, 1), dt.date(2027, 3, 31)),  # two whole financial years
    Period(dt.date(2026, 3, 29), dt.date(2026, 10, 25)),  # clock change to clock change
    Period(dt.date(2026, 12, 31), dt.date(2026, 12, 31)),  # one day
]


@pytest.fixture
def logged(engine: Engine) -> tuple[Engine, list[Deployment]]:
    rows = generated_log(seed=15, incidents=1500)
    with session_scope(make_sessionmaker(engine)) as session:
        session.execute(insert(DeploymentRow), rows)
    return engine, _deployments(rows)


@pytest.mark.parametrize("arv", list(ArvDefinition))
def test_sql_counts_equal_the_python_core_month_by_month(
    logged: tuple[Engine, list[Deployment]], arv: ArvDefinition
) -> None:
    engine, deployments = logged
    with session_scope(make_sessionmaker(engine)) as session:
        for period in PERIODS:
            expected = count_by_month(deployments, period, arv_definition=arv)
            got = service.month_counts(session=session, period=period, arv_definition=arv)
            assert got == expected, period
    # The generated log does exercise every rule in the first period.
    total = combine(expected_months := count_by_month(deployments, PERIODS[0]).values())
    assert total.operations > 500 and total.stood_down_on_the_way > 50
    assert total.self_authorised > 50 and total.from_patrol > 50
    assert set(total.excluded) >= {"stood down before deployment", "not authorised", "escort"}
    assert len(expected_months) == 24


def test_sql_years_and_response_times_equal_the_python_core(
    logged: tuple[Engine, list[Deployment]],
) -> None:
    engine, deployments = logged
    operations, _ = classify(deployments)
    with session_scope(make_sessionmaker(engine)) as session:
        for period in PERIODS:
            got = service.response_aggregate(session=session, period=period).rows
            expected = response_times(operations, period)
            assert [r.model_dump() for r in got] == [
                {
                    "month": e.month,
                    "grade": e.grade,
                    "operations": e.operations,
                    "median_minutes": e.median_minutes,
                    "p90_minutes": e.p90_minutes,
                    "max_minutes": e.max_minutes,
                }
                for e in expected
            ], period
        assert sum(r.operations for r in got) > 0
        whole = PERIODS[0]
        aggregate = service.operations_aggregate(session=session, period=whole)
    inside = [o for o in operations if whole.contains(o.authorised_at)]
    by_year = {ending: [o for o in inside if o.year.ending == ending] for ending in (2026, 2027)}
    assert [(y.year_ending, y.operations, y.arv_operations) for y in aggregate.by_year] == [
        (ending, len(ops), sum(o.arv_involved for o in ops)) for ending, ops in by_year.items()
    ]
    # 23:59 on 31 March 2026 (BST) is in 2025/26, a minute later in 2026/27.
    assert financial_year(HOT[0]).ending == 2026 and financial_year(HOT[1]).ending == 2027
    assert aggregate.operations == len(inside)
