"""The Home Office counting of :mod:`crowdguard.stats.operations`, as one SQL aggregation.

The statistics read the operations log through these statements (SQLAlchemy Core, the
same text on SQLite and PostgreSQL): reading 100,000 rows into Python and classifying
them took 13 s on PostgreSQL, one grouping pass takes under a second
(``docs/benchmarks/stats.md``). The pure core (:func:`~crowdguard.stats.operations.
classify`) stays the definition: ``tests/server/test_counting_sql.py`` checks these
statements against it, count for count, on generated logs with the edge cases the rules
name (midnight, 31 March, clock changes, several units, stand-downs, self-authority).

The rules, row by row (``operations.py`` module docstring and ``_reason``): a row counts
when armed, for an incident, authorised (or self-authorised and under way: its authority
is when it set off) and deployed; otherwise it carries the rank of its reason in
:data:`REASONS`. Per incident: an operation when at least one row counts, at the earliest
authority among its armed incident rows; self-authorised when that earliest authority
was (ties: the earliest row); ARV "involving" when a counting unit is an ARV, "initial or
sole" when the first counting unit out was (ties: the ARV, then the earliest row); its
grade is the earliest row's that has one. An incident with no counting row is excluded
for its lowest-ranked reason, at its earliest authority or call time.

Months and years are Europe/London: the statements never convert time zones (SQLite has
no zone data); they compare the stored UTC instants with each month's London bounds,
computed here in Python (:func:`month_bounds`).

Statements only: :mod:`crowdguard.stats.service` runs them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    and_,
    case,
    func,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from crowdguard.stats.operations import REASON_ORDER, Purpose
from crowdguard.stats.tables import DeploymentRow
from crowdguard.stats.years import LONDON, Period
from crowdguard.store.db import UTCDateTime

__all__ = ["REASONS", "month_bounds", "operations_by_month", "response_ranks"]

REASONS: tuple[str, ...] = REASON_ORDER
"""Exclusion reasons; rank ``i + 1`` in SQL is ``REASONS[i]`` (0: the row counts)."""


class epoch_micros(FunctionElement[int]):  # noqa: N801 (an SQL function's name)
    """Microseconds since 1970 of a stored (naive UTC) timestamp, exactly, as an integer."""

    type = BigInteger()
    inherit_cache = True
    name = "epoch_micros"


@compiles(epoch_micros)
def _epoch_micros_postgresql(element: epoch_micros, compiler: SQLCompiler, **kw: Any) -> str:
    (arg,) = list(element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(arg, **kw)}) * 1000000 AS BIGINT)"


@compiles(epoch_micros, "sqlite")
def _epoch_micros_sqlite(element: epoch_micros, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLAlchemy stores 'YYYY-MM-DD HH:MM:SS.ffffff': whole seconds from strftime, the
    # microseconds from characters 21-26 ('' when absent casts to 0).
    (arg,) = list(element.clauses)
    x = compiler.process(arg, **kw)
    return f"(CAST(strftime('%s', {x}) AS INTEGER) * 1000000 + CAST(substr({x}, 21, 6) AS INTEGER))"


def month_bounds(period: Period) -> list[tuple[str, dt.datetime]]:
    """Each month the period touches (``YYYY-MM``) with its first instant in the period
    (London midnight), then ``("", period.end)``."""
    out: list[tuple[str, dt.datetime]] = []
    for month in period.months():
        year, number = map(int, month.split("-"))
        first = max(period.first, dt.date(year, number, 1))
        out.append((month, dt.datetime.combine(first, dt.time(), tzinfo=LONDON)))
    out.append(("", period.end))
    return out


def _bucket(moment: ColumnElement[Any], bounds: list[tuple[str, dt.datetime]]) -> Any:
    """The index of the month of ``bounds`` holding ``moment`` (NULL outside them): a
    binary search in nested CASEs, so a ten-year period costs 7 comparisons, not 120."""
    at = [literal(b, UTCDateTime()) for _, b in bounds]

    def search(lo: int, hi: int) -> Any:  # moment in [at[lo], at[hi])
        if hi - lo == 1:
            return literal(lo)
        mid = (lo + hi) // 2
        return case((moment < at[mid], search(lo, mid)), else_=search(mid, hi))

    return case(
        (moment.is_(None), None),
        (moment < at[0], None),
        (moment >= at[-1], None),
        else_=search(0, len(at) - 1),
    )


def _per_incident(*, counts: bool = True) -> Any:
    """One row per incident of the whole log (the module docstring's rules); without
    ``counts``, only what response times need (units, call, first arrival, grade: one sort
    instead of three)."""
    d = DeploymentRow
    authority = case(
        (d.authorised_at.is_not(None), d.authorised_at),
        (d.self_authorised, func.coalesce(d.deployed_at, d.arrived_at)),
        else_=None,
    )
    deployed = or_(d.deployed_at.is_not(None), d.arrived_at.is_not(None))
    purposes = {p.value: REASONS.index(p.value) + 1 for p in Purpose if p is not Purpose.incident}
    rank = case(
        (not_(d.armed), REASONS.index("no armed officers") + 1),
        (
            d.purpose != Purpose.incident.value,
            case(purposes, value=d.purpose, else_=REASONS.index("no armed officers") + 1),
        ),
        (authority.is_(None), REASONS.index("not authorised") + 1),
        (not_(deployed), REASONS.index("stood down before deployment") + 1),
        else_=0,
    )
    may_authorise = case(
        (and_(d.armed, d.purpose == Purpose.incident.value, authority.is_not(None)), 1), else_=0
    )
    on_the_way = case(
        (and_(deployed, d.arrived_at.is_(None), d.stood_down_at.is_not(None)), 1), else_=0
    )
    rows = select(
        d.id,
        d.incident,
        d.arv,
        d.discharges,
        d.self_authorised,
        d.from_patrol,
        d.opened_at,
        d.arrived_at,
        d.grade,
        authority.label("authority"),
        rank.label("rank"),
        may_authorise.label("may"),
        on_the_way.label("on_the_way"),
        func.coalesce(d.deployed_at, d.arrived_at).label("out_at"),
    ).subquery("r")
    counts_first = case((rows.c.rank == 0, 0), else_=1)
    graded_first = case((rows.c.grade.is_(None), 1), else_=0)
    windows = [
        func.row_number()
        .over(partition_by=rows.c.incident, order_by=(graded_first, rows.c.id))
        .label("rn_grade")
    ]
    if counts:
        windows += [
            func.row_number()
            .over(
                partition_by=rows.c.incident,
                order_by=(rows.c.may.desc(), rows.c.authority, rows.c.id),
            )
            .label("rn_authority"),
            func.row_number()
            .over(
                partition_by=rows.c.incident,
                order_by=(counts_first, rows.c.out_at, rows.c.arv.desc(), rows.c.id),
            )
            .label("rn_out"),
        ]
    w = select(rows, *windows).subquery("w").c
    counting = w.rank == 0

    def any_(condition: ColumnElement[bool]) -> Any:
        return func.max(case((condition, 1), else_=0))

    columns = [
        w.incident,
        func.sum(case((counting, 1), else_=0)).label("units"),
        func.min(w.opened_at).label("opened_at"),
        func.min(case((counting, w.arrived_at), else_=None)).label("first_arrival"),
        func.max(case((w.rn_grade == 1, w.grade), else_=None)).label("grade"),
    ]
    if counts:
        columns += [
            func.min(case((w.may == 1, w.authority), else_=None)).label("authority"),
            any_(and_(w.rn_authority == 1, w.may == 1, w.self_authorised)).label("self"),
            any_(and_(counting, w.arv)).label("arv"),
            any_(and_(counting, w.rn_out == 1, w.arv)).label("arv_first"),
            any_(and_(counting, w.discharges > 0)).label("discharge"),
            func.sum(case((counting, w.on_the_way), else_=0)).label("on_the_way"),
            any_(and_(counting, w.from_patrol)).label("from_patrol"),
            func.min(case((w.rank > 0, w.rank), else_=None)).label("reason"),
            func.min(func.coalesce(w.authority, w.opened_at)).label("excluded_at"),
        ]
    return select(*columns).group_by(w.incident).subquery("p")


def operations_by_month(period: Period) -> Select[Any]:
    """Rows ``(month index, reason rank, incidents, arv, arv_first, discharge, self,
    deployments, on_the_way, from_patrol)``: reason 0 are operations authorised in that
    month of the period, others the incidents excluded for that reason (placed at their
    earliest authority or call), indexed into :func:`month_bounds`."""
    p = _per_incident().c
    bounds = month_bounds(period)
    operation = p.units > 0
    placed = select(
        case((operation, _bucket(p.authority, bounds)), else_=_bucket(p.excluded_at, bounds)).label(
            "month"
        ),
        case((operation, 0), else_=p.reason).label("reason"),
        p.arv,
        p.arv_first,
        p.discharge,
        p.self,
        p.units,
        p.on_the_way,
        p.from_patrol,
    ).subquery("placed")
    q = placed.c
    return (
        select(
            q.month,
            q.reason,
            func.count(),
            func.sum(q.arv),
            func.sum(q.arv_first),
            func.sum(q.discharge),
            func.sum(q.self),
            func.sum(q.units),
            func.sum(q.on_the_way),
            func.sum(q.from_patrol),
        )
        .where(q.month.is_not(None))
        .group_by(q.month, q.reason)
    )


def response_ranks(period: Period) -> Select[Any]:
    """Rows ``(month index, grade, operations, rank, microseconds)`` giving, per month of
    the call (London) in the period and grade (``call`` when none), the nearest-rank median,
    90th percentile and longest time from the call to the first armed unit on scene (ranks
    ceil(n/2), ceil(9n/10) and n, in integers: :func:`~crowdguard.stats.operations.
    percentile`)."""
    p = _per_incident(counts=False).c
    bounds = month_bounds(period)
    timed = (
        select(
            _bucket(p.opened_at, bounds).label("month"),
            func.coalesce(p.grade, "call").label("grade"),
            (epoch_micros(p.first_arrival) - epoch_micros(p.opened_at)).label("micros"),
        )
        .where(p.units > 0, p.first_arrival.is_not(None), p.opened_at.is_not(None))
        .subquery("timed")
    )
    t = timed.c
    group = (t.month, t.grade)
    ranked = (
        select(
            t.month,
            t.grade,
            t.micros,
            func.row_number().over(partition_by=group, order_by=(t.micros,)).label("rn"),
            func.count().over(partition_by=group).label("n"),
        )
        .where(t.month.is_not(None))
        .subquery("ranked")
    )
    r = ranked.c
    return (
        select(r.month, r.grade, r.n, r.rn, r.micros)
        .where(
            or_(
                and_(2 * r.rn >= r.n, 2 * (r.rn - 1) < r.n),
                and_(10 * r.rn >= 9 * r.n, 10 * (r.rn - 1) < 9 * r.n),
                r.rn == r.n,
            )
        )
        .order_by(r.month, r.grade, r.rn)
    )
