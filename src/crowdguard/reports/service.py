"""Public reports in the store: intake with triage and duplicate suggestions, reads,
grade overrides and duplicate marks. The only code touching report rows.

Intake (``docs/theory/respond.md`` for the rules):

1. The honeypot: a filled ``website`` field is answered exactly like a real report (a
   fresh reference, 201) and **nothing is stored or audited**, so a bot learns nothing.
   (The honeypot technique: OWASP Automated Threats handbook, countermeasure "Honeypot";
   the form hides the field, so only software fills it in.)
1a. Checks against the store and the clock that the schema alone cannot make
   (:class:`ReportFieldError`, HTTP 422 naming the field): a ``venue_id`` must be a stored
   venue (else the report would have no usable location), and ``observed_at`` must lie
   between :data:`OBSERVED_MAX_AGE` before and :data:`OBSERVED_MAX_AHEAD` after receipt.
2. The report is triaged by :func:`crowdguard.reports.triage.triage` against the stored
   venues (the venues slice), open or not by :func:`scenario_venue_open`.
3. Possible duplicates: :func:`suggest_duplicates` (same category, 50 m, 30 min) over the
   stored reports observed within 30 minutes of this one; both sides record the pair.
4. The row and an audit row are written in the caller's transaction; the API answers only
   after it commits, so an acknowledged reference is durable (SQLite: WAL with
   ``synchronous=FULL``, so every commit is fsynced; PostgreSQL: ``synchronous_commit``
   on, its default).

Intake is serialised: SQLite runs every transaction ``BEGIN IMMEDIATE``; on PostgreSQL each
intake first takes a transaction-scoped advisory lock, so two reports of the same thing
arriving together still see each other for step 3 (under READ COMMITTED neither would see
the other's uncommitted row, and both would rewrite an earlier report's suggestion list).

Every later change (grade override with who and why, duplicate mark, status) is audited in
the hash-chained trail (:mod:`crowdguard.audit.service`).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any, Literal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from crowdguard.audit import service as audit
from crowdguard.errors import InputError
from crowdguard.reports.duplicates import DuplicateCandidate, suggest_duplicates
from crowdguard.reports.models import (
    ReportControl,
    ReportPublic,
    ReportRecord,
    ReportSubmission,
    new_reference,
)
from crowdguard.reports.tables import ReportRow
from crowdguard.reports.triage import (
    ROUTE_CODE,
    ROUTE_GRADE,
    Grade,
    Route,
    TriageResult,
    override_grade,
    scenario_venue_open,
    triage,
)
from crowdguard.scenario.schema import Venue
from crowdguard.store.errors import ConflictError, NotFoundError
from crowdguard.venues import service as venues

__all__ = [
    "DUPLICATE_RADIUS_M",
    "DUPLICATE_WINDOW",
    "OBSERVED_MAX_AGE",
    "OBSERVED_MAX_AHEAD",
    "ReportFieldError",
    "board_summary",
    "get_report",
    "list_reports",
    "mark_duplicate",
    "override",
    "record_view",
    "report_point",
    "set_status",
    "stored_venues",
    "submit_report",
]

DUPLICATE_WINDOW = dt.timedelta(minutes=30)
"""Reports observed this close in time may be duplicates (FixMyStreet #1677, domain.md 9)."""
DUPLICATE_RADIUS_M = 50.0
"""Reports this close in metres may be duplicates."""
OBSERVED_MAX_AGE = dt.timedelta(days=5 * 366)
"""Oldest ``observed_at`` accepted [DESIGN]: ACT asks for old suspicions too, but not ancient."""
OBSERVED_MAX_AHEAD = dt.timedelta(minutes=10)
"""``observed_at`` may be this far after receipt (the reporter's clock may run fast)."""
Status = Literal["new", "triaged", "assigned", "closed"]
_INTAKE_LOCK = 0x43475250  # "CGRP": CrowdGuard report intake


class ReportFieldError(InputError):
    """A report field the store or the clock refuses; the API answers 422 naming ``loc``."""

    def __init__(self, loc: tuple[str, ...], message: str) -> None:
        super().__init__(f"{'.'.join(loc)}: {message}")
        self.loc = loc
        self.message = message


def stored_venues(*, session: Session) -> list[Venue]:
    """Every stored venue (the crowded places triage measures distances to)."""
    rows, _ = venues.list_venues(session=session, limit=1_000_000, offset=0)
    return [Venue.model_validate(row.data) for row in rows]


def _control(row: ReportRow) -> ReportControl:
    return ReportControl.model_validate(
        {**row.data, "status": row.status, "duplicate_of": row.duplicate_of}
    )


def record_view(row: ReportRow) -> ReportRecord:
    """The control-room view of a stored report."""
    return ReportRecord(
        report=_control(row),
        grade=row.grade,
        code=row.code,
        overridden=row.overridden,
        triage=row.triage,
        duplicates=list(row.duplicates),
        updated_at=row.updated_at,
    )


def _point(control: ReportControl, places: dict[str, Venue]) -> tuple[float, float] | None:
    point = control.location.point
    if point is None and control.location.venue_id in places:
        venue = places[control.location.venue_id or ""]
        point = (venue.lat, venue.lon)
    return point


def _fresh_reference(session: Session, rng: random.Random | None) -> str:
    while True:
        reference = new_reference(rng)
        if session.get(ReportRow, reference) is None:
            return reference


def submit_report(
    *,
    session: Session,
    report: ReportSubmission,
    now: dt.datetime,
    channel: Literal["web", "phone", "api", "patrol"] = "web",
    rng: random.Random | None = None,
) -> tuple[ReportPublic, ReportRow | None]:
    """Accept a public report; returns the reporter's receipt and the stored row.

    The row is None for a honeypot submission (nothing stored). ``rng`` draws the
    reference in tests only; otherwise :func:`new_reference` uses :mod:`secrets`.
    """
    if report.website:
        return ReportPublic(reference=new_reference(rng), received_at=now), None
    _check_observed(report.observed_at, now)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _INTAKE_LOCK})
    known = stored_venues(session=session)
    venue_id = report.location.venue_id
    if venue_id is not None and venue_id not in {v.id for v in known}:
        raise ReportFieldError(
            ("location", "venue_id"),
            f"no crowded place {venue_id!r} is known; pick one from the list, or give a map "
            "point or a description of where",
        )
    reference = _fresh_reference(session, rng)
    control = ReportControl.from_create(
        report.as_create(), reference=reference, received_at=now, channel=channel
    )
    result: TriageResult = triage(
        control, venues=known, is_open=scenario_venue_open, received_at=now
    )
    point = _point(control, {v.id: v for v in known})
    row = ReportRow(
        reference=reference,
        received_at=now,
        observed_at=control.observed_at,
        channel=channel,
        category=control.category.value,
        status="triaged",
        grade=result.grade.value,
        code=result.code,
        overridden=False,
        venue_id=control.location.venue_id,
        lat=point[0] if point else None,
        lon=point[1] if point else None,
        data=control.model_dump(mode="json", exclude={"status", "duplicate_of"}),
        triage=result.model_dump(mode="json"),
        duplicates=[],
        duplicate_of=None,
        updated_at=now,
    )
    if point is not None:
        row.duplicates = _link_duplicates(session, row)
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        at=now,
        actor=None,
        action="report.create",
        entity="report",
        entity_id=reference,
        detail={"category": row.category, "grade": row.grade, "duplicates": row.duplicates},
    )
    return ReportPublic(reference=reference, received_at=now), row


def _check_observed(observed: dt.datetime, now: dt.datetime) -> None:
    """Step 1a: ``observed_at`` within [now - OBSERVED_MAX_AGE, now + OBSERVED_MAX_AHEAD]."""
    earliest, latest = now - OBSERVED_MAX_AGE, now + OBSERVED_MAX_AHEAD
    if not earliest <= observed <= latest:
        raise ReportFieldError(
            ("observed_at",),
            f"{observed.isoformat()} is outside the accepted range; expected a time between "
            f"{earliest.isoformat(timespec='minutes')} and {latest.isoformat(timespec='minutes')}",
        )


def _link_duplicates(session: Session, new: ReportRow) -> list[str]:
    """Step 3: suggestions among recent reports; both rows record each pair."""
    recent = session.scalars(
        select(ReportRow).where(
            ReportRow.category == new.category,
            ReportRow.lat.is_not(None),
            ReportRow.observed_at >= new.observed_at - DUPLICATE_WINDOW,
            ReportRow.observed_at <= new.observed_at + DUPLICATE_WINDOW,
        )
    ).all()
    if not recent:
        return []

    def candidate(row: ReportRow) -> DuplicateCandidate:
        assert row.lat is not None and row.lon is not None
        return DuplicateCandidate(row.reference, row.category, row.lat, row.lon, row.observed_at)

    pairs = suggest_duplicates(
        [candidate(r) for r in [*recent, new]],
        radius_m=DUPLICATE_RADIUS_M,
        window=DUPLICATE_WINDOW,
    )
    others = {r.reference: r for r in recent}
    found: list[str] = []
    for pair in pairs:
        if new.reference not in (pair.first, pair.second):
            continue
        other = pair.second if pair.first == new.reference else pair.first
        found.append(other)
        row = others[other]
        if new.reference not in row.duplicates:
            row.duplicates = [*row.duplicates, new.reference]
    return sorted(found)


def get_report(*, session: Session, reference: str) -> ReportRow:
    """The stored report with this reference, or :class:`NotFoundError`."""
    row = session.get(ReportRow, reference)
    if row is None:
        raise NotFoundError(f"reference: no report {reference!r}")
    return row


def list_reports(
    *,
    session: Session,
    limit: int,
    offset: int,
    grade: str | None = None,
    status: str | None = None,
    category: str | None = None,
) -> tuple[list[ReportRow], int]:
    """One page of reports, newest first, optionally by grade, status and category; and the
    total."""
    stmt = select(ReportRow)
    count = select(func.count()).select_from(ReportRow)
    filters = ((ReportRow.grade, grade), (ReportRow.status, status), (ReportRow.category, category))
    for column, value in filters:
        if value is not None:
            stmt = stmt.where(column == value)
            count = count.where(column == value)
    total = session.scalar(count) or 0
    rows = session.scalars(
        stmt.order_by(ReportRow.received_at.desc(), ReportRow.reference).limit(limit).offset(offset)
    ).all()
    return list(rows), total


def override(
    *,
    session: Session,
    reference: str,
    grade: Grade | str,
    reason: str,
    actor: str,
    now: dt.datetime,
) -> ReportRow:
    """Change a report's grade by hand (:func:`override_grade`): audited with who and why.

    The domain code follows the grade: the triage's own most urgent route of that grade if
    one fired, else the first code of the grade in the domain table (``ROUTE_GRADE``).
    """
    row = get_report(session=session, reference=reference)
    current = TriageResult.model_validate({**row.triage, "grade": row.grade})
    change = override_grade(current, grade, reason=reason, by=actor, at=now)
    row.grade = change.to_grade.value
    row.code = _code_for(change.to_grade, current.routes)
    row.overridden = True
    row.updated_at = now
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="report.grade",
        entity="report",
        entity_id=reference,
        detail={
            "from": change.from_grade.value,
            "to": change.to_grade.value,
            "reason": change.reason,
            "rules_fired": list(change.rules_fired),
        },
    )
    return row


def _code_for(grade: Grade, fired: tuple[Route, ...]) -> str:
    for route in (*fired, *Route):
        if ROUTE_GRADE[route] is grade:
            return ROUTE_CODE[route]
    raise AssertionError(f"no route has grade {grade}")  # every grade has a route


def mark_duplicate(
    *, session: Session, reference: str, of: str, actor: str, now: dt.datetime
) -> ReportRow:
    """Record that ``reference`` repeats report ``of`` (which must exist and differ)."""
    row = get_report(session=session, reference=reference)
    if of == reference:
        raise ConflictError(f"of: report {reference} cannot duplicate itself")
    original = get_report(session=session, reference=of)
    if original.duplicate_of == reference:
        raise ConflictError(f"of: {of} is already marked a duplicate of {reference}")
    row.duplicate_of = original.reference
    row.updated_at = now
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="report.duplicate",
        entity="report",
        entity_id=reference,
        detail={"duplicate_of": of, "suggested": of in row.duplicates},
    )
    return row


def set_status(
    *, session: Session, reference: str, status: Status, actor: str | None, now: dt.datetime
) -> ReportRow:
    """Move a report to ``status`` (dispatch calls this on assign and close); audited."""
    row = get_report(session=session, reference=reference)
    if row.status != status:
        audit.record(
            session=session,
            at=now,
            actor=actor,
            action="report.status",
            entity="report",
            entity_id=reference,
            detail={"from": row.status, "to": status},
        )
        row.status = status
        row.updated_at = now
    return row


def report_point(*, session: Session, reference: str) -> tuple[float, float] | None:
    """Where a report is (its point, else its venue's), or None for text-only reports."""
    row = get_report(session=session, reference=reference)
    if row.lat is None or row.lon is None:
        return None
    return (row.lat, row.lon)


def board_summary(row: ReportRow) -> dict[str, Any]:
    """What the live board shows of a report (control room only: no contact details)."""
    text = str(row.data.get("location", {}).get("text") or "")
    return {
        "reference": row.reference,
        "received_at": row.received_at.isoformat(),
        "category": row.category,
        "grade": row.grade,
        "code": row.code,
        "status": row.status,
        "venue_id": row.venue_id,
        "lat": row.lat,
        "lon": row.lon,
        "where": text[:120],
        "duplicates": list(row.duplicates),
    }
