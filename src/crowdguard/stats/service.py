"""The operations log in the store, and the statistics computed from it.

* :func:`record_dispatch` is dispatch's hook: every unit move dispatch makes (assigned, en
  route, on scene, released, task closed) updates the log in the same transaction. A unit
  sent to a task starts a row for incident ``task-<id>``; the user who sent it is recorded
  as the authorising person at that moment (the control room's firearms commander or the
  operator acting on their authority; :func:`amend_deployment` corrects it). A unit that
  sets off with no task (self-dispatch) starts a **self-authorised** row of its own
  incident. A release before arrival is a stand-down (before deployment if the unit never
  set off). A row started while the unit's roster had it on a patrol segment is marked
  ``from_patrol`` (:func:`crowdguard.rosters.service.patrolling`): the patrol turned into
  an incident response, counted as an operation, never as the patrol.
* :func:`record_deployment` enters by hand what dispatch does not see (escorts, guarding,
  VIP protection, an incident handled off the system).
* The aggregate functions count the log in SQL (:mod:`crowdguard.stats.queries`: the Home
  Office rules of the pure core :mod:`crowdguard.stats.operations` as one grouping pass,
  checked against it in the tests) and, for patrol hours, read the rosters (audited as
  ``roster.aggregate``) and the patrol teams' deployments into the pure core. They return
  counts only.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crowdguard.audit import service as audit
from crowdguard.dispatch.states import TransitionEvent
from crowdguard.plans import service as plans
from crowdguard.reports import service as reports
from crowdguard.rosters import service as rosters
from crowdguard.stats import queries
from crowdguard.stats.briefing import BriefingData
from crowdguard.stats.models import (
    DeploymentCreate,
    DeploymentPublic,
    DeploymentUpdate,
    MonthOperations,
    OperationsAggregate,
    PatrolAggregate,
    PlanReviewAggregate,
    PublishedPoint,
    ReportsAggregate,
    ResponseAggregate,
    ResponseRow,
    VenuePatrolRow,
    YearOperations,
)
from crowdguard.stats.operations import (
    ArvDefinition,
    Deployment,
    OperationCounts,
    PatrolSegment,
    Purpose,
    busy_intervals,
    combine,
    patrol_delivery,
)
from crowdguard.stats.reference import FIRST_COMPARABLE, Figure, comparable, load_reference, series
from crowdguard.stats.tables import DeploymentRow
from crowdguard.stats.trends import (
    Table,
    TableName,
    operations_by_month_table,
    operations_trend_table,
    patrols_table,
    plan_reviews_table,
    reports_table,
    response_table,
)
from crowdguard.stats.years import LONDON, Period, financial_year
from crowdguard.store.errors import NotFoundError

__all__ = [
    "amend_deployment",
    "briefing_data",
    "deployment_public",
    "list_deployments",
    "load_deployments",
    "month_counts",
    "operations_aggregate",
    "patrol_aggregate",
    "plan_review_aggregate",
    "record_deployment",
    "record_dispatch",
    "reports_aggregate",
    "response_aggregate",
    "stats_table",
]

ARV_KINDS = frozenset({"arv"})
"""Team kinds that are armed response vehicles (``patrol.team_kinds``: ``arv``)."""
LOOK_BACK = dt.timedelta(days=7)
"""How far before a period an incident's first row may lie and still be read whole."""


class _Unit(Protocol):
    callsign: str
    kind: str
    armed: bool


class _Task(Protocol):
    id: int
    report_ref: str | None
    created_at: dt.datetime


def _open_row(session: Session, unit: str) -> DeploymentRow | None:
    return session.scalar(
        select(DeploymentRow)
        .where(
            DeploymentRow.unit == unit,
            DeploymentRow.ended_at.is_(None),
            DeploymentRow.source == "dispatch",
        )
        .order_by(DeploymentRow.id.desc())
        .limit(1)
    )


def _new_row(unit: _Unit, *, incident: str, actor: str | None, now: dt.datetime) -> DeploymentRow:
    return DeploymentRow(
        incident=incident,
        unit=unit.callsign,
        unit_kind=unit.kind[:10],
        arv=unit.kind in ARV_KINDS,
        armed=unit.armed,
        purpose=Purpose.incident.value,
        source="dispatch",
        self_authorised=False,
        discharges=0,
        recorded_by=actor,
        updated_at=now,
    )


def _patrolling(session: Session, unit: _Unit, actor: str | None, now: dt.datetime) -> bool:
    """The unit was on a rostered patrol when it was taken for this incident."""
    return rosters.patrolling(session=session, team=unit.callsign, at=now, actor=actor, now=now)


def record_dispatch(
    *,
    session: Session,
    units: Sequence[_Unit],
    task: _Task | None,
    events: Sequence[TransitionEvent],
    actor: str | None,
    now: dt.datetime,
) -> None:
    """Log what one dispatch change did to its units (module docstring)."""
    by_callsign = {u.callsign: u for u in units}
    for event in events:
        if event.kind != "unit" or event.id not in by_callsign:
            continue
        unit = by_callsign[event.id]
        row = _open_row(session, unit.callsign)
        to = event.to_state
        if to == "assigned" and task is not None:
            if row is not None:  # a row left open by an earlier job: close it now
                row.ended_at, row.updated_at = now, now
            row = _new_row(unit, incident=f"task-{task.id}", actor=actor, now=now)
            row.from_patrol = _patrolling(session, unit, actor, now)
            row.task_id = task.id
            row.authorised_at, row.authorised_by = now, actor
            row.opened_at = task.created_at
            if task.report_ref is not None:
                report = reports.get_report(session=session, reference=task.report_ref)
                row.report_ref, row.grade, row.category = (
                    task.report_ref,
                    report.grade,
                    report.category,
                )
                row.opened_at = report.received_at
            session.add(row)
        elif to == "en_route":
            if row is None:  # self-dispatch: no task, on the unit's own authority
                stamp = int(now.timestamp())
                row = _new_row(unit, incident=f"self-{unit.callsign}-{stamp}", actor=actor, now=now)
                row.from_patrol = _patrolling(session, unit, actor, now)
                row.self_authorised = True
                row.opened_at = now
                session.add(row)
            if row.deployed_at is None:
                row.deployed_at = now
            row.updated_at = now
        elif to == "on_scene" and row is not None:
            row.deployed_at = row.deployed_at or now
            row.arrived_at = row.arrived_at or now
            row.updated_at = now
        elif to in ("available", "off_duty") and row is not None:
            if row.arrived_at is None:
                row.stood_down_at = now
            row.ended_at, row.updated_at = now, now
    session.flush()


def deployment_public(row: DeploymentRow) -> DeploymentPublic:
    """Public schema of a log row (control and admin only)."""
    return DeploymentPublic(
        id=row.id,
        incident=row.incident,
        unit=row.unit,
        unit_kind=row.unit_kind,
        arv=row.arv,
        armed=row.armed,
        purpose=row.purpose,
        source=row.source,
        task_id=row.task_id,
        grade=row.grade,
        opened_at=row.opened_at,
        authorised_at=row.authorised_at,
        authorised_by=row.authorised_by,
        self_authorised=row.self_authorised,
        deployed_at=row.deployed_at,
        arrived_at=row.arrived_at,
        stood_down_at=row.stood_down_at,
        ended_at=row.ended_at,
        discharges=row.discharges,
        from_patrol=row.from_patrol,
        recorded_by=row.recorded_by,
        updated_at=row.updated_at,
    )


def record_deployment(
    *, session: Session, data: DeploymentCreate, actor: str, now: dt.datetime
) -> DeploymentRow:
    """Enter a deployment by hand (audited as ``operations.record``); with ``from_patrol``
    omitted, the unit's roster says whether it was taken off a patrol."""
    from_patrol = data.from_patrol
    if from_patrol is None:
        taken = data.authorised_at or data.deployed_at or data.arrived_at
        from_patrol = taken is not None and rosters.patrolling(
            session=session, team=data.unit, at=taken, actor=actor, now=now
        )
    row = DeploymentRow(
        incident=data.incident,
        unit=data.unit,
        unit_kind=data.unit_kind,
        arv=data.unit_kind in ARV_KINDS,
        armed=data.armed,
        purpose=data.purpose.value,
        source="manual",
        grade=data.grade,
        opened_at=data.opened_at,
        authorised_at=data.authorised_at,
        authorised_by=data.authorised_by,
        self_authorised=data.self_authorised,
        deployed_at=data.deployed_at,
        arrived_at=data.arrived_at,
        stood_down_at=data.stood_down_at,
        ended_at=data.ended_at,
        discharges=data.discharges,
        from_patrol=from_patrol,
        recorded_by=actor,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="operations.record",
        entity="deployment",
        entity_id=str(row.id),
        detail={"incident": row.incident, "purpose": row.purpose},
    )
    return row


def amend_deployment(
    *, session: Session, deployment_id: int, data: DeploymentUpdate, actor: str, now: dt.datetime
) -> DeploymentRow:
    """Correct a logged deployment (audited as ``operations.amend`` with old and new)."""
    row = session.get(DeploymentRow, deployment_id)
    if row is None:
        raise NotFoundError(f"deployment: no deployment {deployment_id}")
    changes: dict[str, Any] = {}
    for name in sorted(data.model_fields_set):
        value = getattr(data, name)
        if name == "purpose" and value is not None:
            value = value.value
        old = getattr(row, name)
        if value is None and name not in ("authorised_at", "authorised_by"):
            continue
        if old != value:
            changes[name] = {
                "from": old.isoformat() if isinstance(old, dt.datetime) else old,
                "to": value.isoformat() if isinstance(value, dt.datetime) else value,
            }
            setattr(row, name, value)
    row.updated_at = now
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="operations.amend",
        entity="deployment",
        entity_id=str(row.id),
        detail=changes,
    )
    return row


def list_deployments(
    *, session: Session, period: Period | None, limit: int, offset: int
) -> tuple[list[DeploymentRow], int]:
    """One page of the log, newest first (optionally authorised within ``period``)."""
    stmt = select(DeploymentRow)
    count = select(func.count()).select_from(DeploymentRow)
    if period is not None:
        moment = func.coalesce(DeploymentRow.authorised_at, DeploymentRow.deployed_at)
        window = (moment >= period.start, moment < period.end)
        stmt, count = stmt.where(*window), count.where(*window)
    total = session.scalar(count) or 0
    rows = session.scalars(stmt.order_by(DeploymentRow.id.desc()).limit(limit).offset(offset))
    return list(rows), total


_COLUMNS = (
    DeploymentRow.incident,
    DeploymentRow.unit,
    DeploymentRow.arv,
    DeploymentRow.armed,
    DeploymentRow.purpose,
    DeploymentRow.opened_at,
    DeploymentRow.authorised_at,
    DeploymentRow.authorised_by,
    DeploymentRow.self_authorised,
    DeploymentRow.deployed_at,
    DeploymentRow.arrived_at,
    DeploymentRow.stood_down_at,
    DeploymentRow.ended_at,
    DeploymentRow.discharges,
    DeploymentRow.grade,
    DeploymentRow.from_patrol,
)
"""The columns the pure core reads, selected as plain rows (no ORM objects: several times
faster)."""


def load_deployments(
    *, session: Session, period: Period | None = None, units: Sequence[str] | None = None
) -> list[Deployment]:
    """Logged deployments as the pure core's values, in log order: every row (``period``
    None), or those of every incident with a row in the period (plus a week's margin before
    it, so an incident's earlier rows are read with it); only ``units``' rows when given.

    The statistics count in SQL (:mod:`crowdguard.stats.queries`); this feeds the pure core
    where it is still needed (the patrol teams' busy time) and the independent checks of
    the SQL (tests, ``bench/stats_counting.py``)."""
    stmt = select(*_COLUMNS)
    if period is not None:
        moment = func.coalesce(
            DeploymentRow.authorised_at, DeploymentRow.deployed_at, DeploymentRow.opened_at
        )
        incidents = (
            select(DeploymentRow.incident)
            .where(moment >= period.start - LOOK_BACK, moment < period.end)
            .distinct()
        )
        stmt = stmt.where(DeploymentRow.incident.in_(incidents))
    if units is not None:
        stmt = stmt.where(DeploymentRow.unit.in_(sorted(set(units))))
    return [
        Deployment(
            incident=r.incident,
            unit=r.unit,
            arv=r.arv,
            armed=r.armed,
            purpose=Purpose(r.purpose),
            opened_at=r.opened_at,
            authorised_at=r.authorised_at,
            authorised_by=r.authorised_by,
            self_authorised=r.self_authorised,
            deployed_at=r.deployed_at,
            arrived_at=r.arrived_at,
            stood_down_at=r.stood_down_at,
            ended_at=r.ended_at,
            discharges=r.discharges,
            grade=r.grade,
            from_patrol=r.from_patrol,
        )
        for r in session.execute(stmt.order_by(DeploymentRow.id))
    ]


def month_counts(
    *, session: Session, period: Period, arv_definition: ArvDefinition = ArvDefinition.involving
) -> dict[str, OperationCounts]:
    """The Home Office counts of every month the period touches (``YYYY-MM``, London; zeros
    included), counted in one SQL aggregation over the log (:mod:`crowdguard.stats.queries`):
    operations by the month of their authorisation, exclusions by reason at their earliest
    time."""
    bounds = queries.month_bounds(period)
    operations: dict[int, OperationCounts] = {}
    excluded: dict[int, dict[str, int]] = defaultdict(dict)
    for (
        month,
        reason,
        n,
        arv,
        arv_first,
        discharge,
        self_,
        units,
        on_way,
        patrol,
    ) in session.execute(queries.operations_by_month(period)):
        if reason == 0:
            operations[month] = OperationCounts(
                operations=n,
                arv_operations=int(arv if arv_definition is ArvDefinition.involving else arv_first),
                discharge_incidents=int(discharge),
                self_authorised=int(self_),
                deployments=int(units),
                stood_down_on_the_way=int(on_way),
                from_patrol=int(patrol),
            )
        else:
            excluded[month][queries.REASONS[reason - 1]] = n
    out: dict[str, OperationCounts] = {}
    for i, (month, _) in enumerate(bounds[:-1]):
        counts = operations.get(i, OperationCounts())
        out[month] = replace(counts, excluded=excluded.get(i, {}))
    return out


def _published(figures: list[Figure], period: Period) -> dict[int, dict[str, PublishedPoint]]:
    first, last = financial_year(period.first), financial_year(period.last)
    out: dict[int, dict[str, PublishedPoint]] = {
        y: {} for y in range(first.ending, last.ending + 1)
    }
    for area, measure, key in (
        ("hampshire", "firearms_operations", "hampshire_operations"),
        ("hampshire", "arv_operations", "hampshire_arv_operations"),
        ("england-and-wales", "firearms_operations", "england_and_wales_operations"),
        ("england-and-wales", "arv_operations", "england_and_wales_arv_operations"),
    ):
        for year, figure in series(figures, area=area, measure=measure, first=first, last=last):
            out[year.ending][key] = (
                PublishedPoint(value=None)
                if figure is None
                else PublishedPoint(
                    value=figure.value,
                    release=figure.release,
                    source=figure.source,
                    label=figure.label,
                )
            )
    return out


def operations_aggregate(
    *,
    session: Session,
    period: Period,
    arv_definition: ArvDefinition = ArvDefinition.involving,
    reference: Path | None = None,
    months: dict[str, OperationCounts] | None = None,
) -> OperationsAggregate:
    """Firearms operations authorised in the period, by month and financial year, beside
    the published series (a year's figures are ours for the part of it in the period).
    ``months``: :func:`month_counts` already read for this period and definition."""
    if months is None:
        months = month_counts(session=session, period=period, arv_definition=arv_definition)
    total = combine(months.values())
    published = _published(load_reference(reference), period)
    years: list[YearOperations] = []
    for ending, points in sorted(published.items()):
        counts = combine(c for m, c in months.items() if _year_ending(m) == ending)
        year = financial_year(dt.date(ending, 3, 31))
        years.append(
            YearOperations(
                year=year.label,
                year_ending=ending,
                comparable=comparable(year),
                operations=counts.operations,
                arv_operations=counts.arv_operations,
                discharge_incidents=counts.discharge_incidents,
                self_authorised=counts.self_authorised,
                deployments=counts.deployments,
                stood_down_on_the_way=counts.stood_down_on_the_way,
                excluded=dict(counts.excluded),
                published=points,
            )
        )
    notes = [
        "Counted by the Home Office rules: one incident is one operation; self-authorised "
        "deployments count; stood down before deployment, VIP protection, escorts, guarding "
        "and patrols are excluded; discharges count incidents.",
        f"ARV operations: {'operations involving an ARV' if arv_definition is ArvDefinition.involving else 'an ARV was the initial or sole response'}.",
        "An operation is counted in the financial year of its authorisation (Europe/London).",
    ]
    if any(y.year_ending < FIRST_COMPARABLE.ending for y in years):
        notes.append("Not comparable before the year ending March 2009.")
    return OperationsAggregate(
        period=str(period),
        arv_definition=arv_definition,
        operations=total.operations,
        arv_operations=total.arv_operations,
        discharge_incidents=total.discharge_incidents,
        self_authorised=total.self_authorised,
        deployments=total.deployments,
        excluded=dict(total.excluded),
        by_month=[
            MonthOperations(
                month=m,
                operations=c.operations,
                arv_operations=c.arv_operations,
                discharge_incidents=c.discharge_incidents,
                self_authorised=c.self_authorised,
                deployments=c.deployments,
            )
            for m, c in months.items()
        ],
        by_year=years,
        notes=notes,
    )


def _year_ending(month: str) -> int:
    """The financial year (its ending) of a ``YYYY-MM`` month."""
    year, number = map(int, month.split("-"))
    return year + 1 if number >= 4 else year


def response_aggregate(*, session: Session, period: Period) -> ResponseAggregate:
    """Response times by month and grade for operations whose call came in the period
    (the ranks picked in SQL, :func:`crowdguard.stats.queries.response_ranks`; minutes as
    :func:`crowdguard.stats.operations.response_times` gives them)."""
    bounds = queries.month_bounds(period)
    picked: dict[tuple[int, str], tuple[int, dict[int, int]]] = {}
    for month, grade, n, rank, micros in session.execute(queries.response_ranks(period)):
        picked.setdefault((month, grade), (n, {}))[1][rank] = micros

    def minutes(micros: int) -> float:
        return round(max(0.0, micros / 10**6 / 60.0), 1)

    rows: list[ResponseRow] = []
    for (month, grade), (n, at) in sorted(
        picked.items(), key=lambda kv: (bounds[kv[0][0]][0], kv[0][1])
    ):
        rows.append(
            ResponseRow(
                month=bounds[month][0],
                grade=grade,
                operations=n,
                median_minutes=minutes(at[-(-n // 2)]),
                p90_minutes=minutes(at[-(-9 * n // 10)]),
                max_minutes=minutes(at[n]),
            )
        )
    return ResponseAggregate(period=str(period), rows=rows)


def patrol_aggregate(
    *,
    session: Session,
    period: Period,
    actor: str,
    now: dt.datetime,
    months: dict[str, OperationCounts] | None = None,
) -> PatrolAggregate:
    """Protective patrol hours planned (the rosters) and delivered (less the time each team
    was away on a deployment) per venue; the roster read is audited. Operations that took a
    team off a patrol are those whose log says so (``from_patrol``, set by dispatch from the
    roster: :func:`record_dispatch`). ``months``: :func:`month_counts` already read."""
    raw = rosters.patrols_between(
        session=session, first=period.first, last=period.last, actor=actor, now=now
    )
    segments = [PatrolSegment(team, venue, start, end) for team, venue, start, end in raw]
    teams = sorted({s.team for s in segments})
    deployments = load_deployments(session=session, period=period, units=teams) if teams else []
    venues = patrol_delivery(segments, busy_intervals(deployments, now=now))
    if months is None:
        months = month_counts(session=session, period=period)
    planned = round(sum(v.planned_hours for v in venues), 2)
    delivered = round(sum(v.delivered_hours for v in venues), 2)
    return PatrolAggregate(
        period=str(period),
        days_with_rosters=len({s.start.astimezone(LONDON).date() for s in segments}),
        planned_hours=planned,
        delivered_hours=delivered,
        responses_from_patrol=sum(c.from_patrol for c in months.values()),
        venues=[
            VenuePatrolRow(
                venue=v.venue,
                planned_hours=v.planned_hours,
                delivered_hours=v.delivered_hours,
                delivered_share=None if v.delivered_share is None else round(v.delivered_share, 3),
            )
            for v in venues
        ],
    )


def reports_aggregate(*, session: Session, period: Period) -> ReportsAggregate:
    """Public reports received in the period by category and grade."""
    table = reports.count_by_category_grade(session=session, start=period.start, end=period.end)
    return ReportsAggregate(
        period=str(period),
        total=sum(sum(g.values()) for g in table.values()),
        by_category_grade=table,
    )


def plan_review_aggregate(*, session: Session, period: Period) -> PlanReviewAggregate:
    """Security-plan reviews made in the period by legal verdict and tier."""
    total, verdicts, tiers = plans.review_outcomes(
        session=session, start=period.start, end=period.end
    )
    return PlanReviewAggregate(
        period=str(period), reviews=total, by_verdict=verdicts, by_tier=tiers
    )


def briefing_data(
    *,
    session: Session,
    period: Period,
    actor: str,
    now: dt.datetime,
    reference: Path | None = None,
    arv_definition: ArvDefinition = ArvDefinition.involving,
) -> BriefingData:
    """Every aggregate a briefing needs for ``period`` (the log counted once; the roster
    read is audited)."""
    months = month_counts(session=session, period=period, arv_definition=arv_definition)
    return BriefingData(
        period=period,
        prepared=now.astimezone(LONDON).date(),
        operations=operations_aggregate(
            session=session,
            period=period,
            arv_definition=arv_definition,
            reference=reference,
            months=months,
        ),
        response=response_aggregate(session=session, period=period),
        patrols=patrol_aggregate(
            session=session, period=period, actor=actor, now=now, months=months
        ),
        reports=reports_aggregate(session=session, period=period),
        plan_reviews=plan_review_aggregate(session=session, period=period),
        figures=tuple(load_reference(reference)),
    )


def stats_table(
    *,
    session: Session,
    name: TableName,
    period: Period,
    actor: str,
    now: dt.datetime,
    arv_definition: ArvDefinition = ArvDefinition.involving,
    reference: Path | None = None,
) -> Table:
    """The table ``name`` over ``period``, as its plot draws it and its CSV holds it
    (``operations-by-year`` spans every year held; ``patrol-hours`` audits its roster read)."""
    if name in (TableName.operations_by_year, TableName.operations_by_month):
        ops = operations_aggregate(
            session=session, period=period, arv_definition=arv_definition, reference=reference
        )
        if name is TableName.operations_by_month:
            return operations_by_month_table(ops)
        return operations_trend_table(ops, load_reference(reference))
    if name is TableName.response_times:
        return response_table(response_aggregate(session=session, period=period))
    if name is TableName.patrol_hours:
        return patrols_table(patrol_aggregate(session=session, period=period, actor=actor, now=now))
    if name is TableName.public_reports:
        return reports_table(reports_aggregate(session=session, period=period))
    return plan_reviews_table(plan_review_aggregate(session=session, period=period))
