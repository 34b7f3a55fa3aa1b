"""The operations log in the store, and the statistics computed from it.

* :func:`record_dispatch` is dispatch's hook: every unit move dispatch makes (assigned, en
  route, on scene, released, task closed) updates the log in the same transaction. A unit
  sent to a task starts a row for incident ``task-<id>``; the user who sent it is recorded
  as the authorising person at that moment (the control room's firearms commander or the
  operator acting on their authority; :func:`amend_deployment` corrects it). A unit that
  sets off with no task (self-dispatch) starts a **self-authorised** row of its own
  incident. A release before arrival is a stand-down (before deployment if the unit never
  set off).
* :func:`record_deployment` enters by hand what dispatch does not see (escorts, guarding,
  VIP protection, an incident handled off the system).
* The aggregate functions read the log (and, for patrol hours, the rosters, audited as
  ``roster.aggregate``) and hand the pure core (:mod:`crowdguard.stats.operations`) plain
  :class:`~crowdguard.stats.operations.Deployment` values. They return counts only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crowdguard.audit import service as audit
from crowdguard.dispatch.states import TransitionEvent
from crowdguard.plans import service as plans
from crowdguard.reports import service as reports
from crowdguard.rosters import service as rosters
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
    Exclusion,
    Operation,
    PatrolSegment,
    Purpose,
    busy_intervals,
    classify,
    count_months,
    count_operations,
    patrol_delivery,
    response_times,
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
        recorded_by=row.recorded_by,
        updated_at=row.updated_at,
    )


def record_deployment(
    *, session: Session, data: DeploymentCreate, actor: str, now: dt.datetime
) -> DeploymentRow:
    """Enter a deployment by hand (audited as ``operations.record``)."""
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
)
"""The columns the counting reads, selected as plain rows (no ORM objects: a year of
100,000 deployments loads several times faster)."""


Classified = tuple[list[Operation], list[Exclusion]]
"""What :func:`~crowdguard.stats.operations.classify` returns for a period's log."""


def classified_log(*, session: Session, period: Period) -> Classified:
    """The period's log (:func:`load_deployments`), classified into operations and
    exclusions."""
    return classify(load_deployments(session=session, period=period))


def load_deployments(*, session: Session, period: Period) -> list[Deployment]:
    """Every logged deployment of every incident with a row in the period (plus a week's
    margin before it, so an incident's earlier rows are read with it)."""
    moment = func.coalesce(
        DeploymentRow.authorised_at, DeploymentRow.deployed_at, DeploymentRow.opened_at
    )
    incidents = (
        select(DeploymentRow.incident)
        .where(moment >= period.start - LOOK_BACK, moment < period.end)
        .distinct()
    )
    rows = session.execute(
        select(*_COLUMNS).where(DeploymentRow.incident.in_(incidents)).order_by(DeploymentRow.id)
    )
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
        )
        for r in rows
    ]


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
    classified: Classified | None = None,
) -> OperationsAggregate:
    """Firearms operations authorised in the period, by month and financial year, beside
    the published series (a year's figures are ours for the part of it in the period).
    ``classified``: the period's log already read and classified (:func:`classified_log`)."""
    operations, excluded = classified or classified_log(session=session, period=period)
    inside = [o for o in operations if period.contains(o.authorised_at)]
    gone = [e for e in excluded if e.at is not None and period.contains(e.at)]
    total = count_operations(inside, gone, arv_definition=arv_definition)
    months = count_months(operations, excluded, period, arv_definition=arv_definition)
    published = _published(load_reference(reference), period)
    years: list[YearOperations] = []
    for ending, points in sorted(published.items()):
        ops = [o for o in inside if o.year.ending == ending]
        out = [e for e in gone if e.at is not None and financial_year(e.at).ending == ending]
        counts = count_operations(ops, out, arv_definition=arv_definition)
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


def response_aggregate(
    *, session: Session, period: Period, classified: Classified | None = None
) -> ResponseAggregate:
    """Response times by month and grade for operations whose call came in the period."""
    operations, _ = classified or classified_log(session=session, period=period)
    return ResponseAggregate(
        period=str(period),
        rows=[
            ResponseRow(
                month=r.month,
                grade=r.grade,
                operations=r.operations,
                median_minutes=r.median_minutes,
                p90_minutes=r.p90_minutes,
                max_minutes=r.max_minutes,
            )
            for r in response_times(operations, period)
        ],
    )


def patrol_aggregate(
    *,
    session: Session,
    period: Period,
    actor: str,
    now: dt.datetime,
    deployments: list[Deployment] | None = None,
    classified: Classified | None = None,
) -> PatrolAggregate:
    """Protective patrol hours planned (the rosters) and delivered (less the time each team
    was away on a deployment) per venue; the roster read is audited."""
    raw = rosters.patrols_between(
        session=session, first=period.first, last=period.last, actor=actor, now=now
    )
    segments = [PatrolSegment(team, venue, start, end) for team, venue, start, end in raw]
    if deployments is None:
        deployments = load_deployments(session=session, period=period)
    busy = busy_intervals(deployments, now=now)
    venues = patrol_delivery(segments, busy)
    operations, _ = classified or classify(deployments)
    on_patrol = {
        (s.team, s.start, s.end) for s in segments
    }  # which counted operations took a team off a patrol
    responses = 0
    for o in operations:
        if not period.contains(o.authorised_at):
            continue
        if any(
            team in o.units and start <= o.authorised_at < end for team, start, end in on_patrol
        ):
            responses += 1
    planned = round(sum(v.planned_hours for v in venues), 2)
    delivered = round(sum(v.delivered_hours for v in venues), 2)
    return PatrolAggregate(
        period=str(period),
        days_with_rosters=len({s.start.astimezone(LONDON).date() for s in segments}),
        planned_hours=planned,
        delivered_hours=delivered,
        responses_from_patrol=responses,
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
    """Every aggregate a briefing needs for ``period`` (the log read and classified once;
    the roster read is audited)."""
    log = load_deployments(session=session, period=period)
    classified = classify(log)
    return BriefingData(
        period=period,
        prepared=now.astimezone(LONDON).date(),
        operations=operations_aggregate(
            session=session,
            period=period,
            arv_definition=arv_definition,
            reference=reference,
            classified=classified,
        ),
        response=response_aggregate(session=session, period=period, classified=classified),
        patrols=patrol_aggregate(
            session=session,
            period=period,
            actor=actor,
            now=now,
            deployments=log,
            classified=classified,
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
