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
3. Possible duplicates (same category, 50 m, 30 min): of the stored reports, at most
   :data:`DUPLICATE_SUGGESTIONS`, those observed nearest in time
   (:func:`crowdguard.reports.duplicates.nearest_duplicates`). Each pair is one
   :class:`DuplicateLinkRow`; the new report lists its side in ``duplicates`` and the
   earlier one reads the pair through its links, so both sides show it
   (:attr:`ReportRow.possible_duplicates`) and no earlier row is ever rewritten.
4. The row, its links and an audit row are written in the caller's transaction; the API
   answers only after it commits, so an acknowledged reference is durable (SQLite: WAL with
   ``synchronous=FULL``, so every commit is fsynced; PostgreSQL: ``synchronous_commit``
   on, its default).

:func:`submit_report` does this for one report in the caller's transaction (the HTML form).
:func:`store_reports` does it for a batch in one transaction: the API's intake writer
(:mod:`crowdguard.reports.intake`) commits many reports with one fsync.

Intake is serialised: SQLite runs every transaction ``BEGIN IMMEDIATE``; on PostgreSQL each
intake transaction first takes a transaction-scoped advisory lock, so two reports of the same
thing arriving together still see each other for step 3 (under READ COMMITTED neither would
see the other's uncommitted row, and the pair would be lost). Intake writes only new rows
(reports, links, audit) and locks no stored report (a link's foreign key takes PostgreSQL's
KEY SHARE lock, which an override's update does not conflict with), so it waits only for
the intake lock and then the audit lock, in that order.

Every later change (grade override with who and why, duplicate mark, status) is audited in
the hash-chained trail (:mod:`crowdguard.audit.service`).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Select, String, and_, bindparam, func, insert, or_, select, text
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from crowdguard.audit import service as audit
from crowdguard.errors import InputError
from crowdguard.geometry import bounding_box
from crowdguard.reports.duplicates import (
    DuplicateCandidate,
    DuplicatePair,
    nearest_duplicates,
)
from crowdguard.reports.models import (
    OverridePublic,
    ReportBoardSummary,
    ReportControl,
    ReportPublic,
    ReportRecord,
    ReportSubmission,
    new_reference,
)
from crowdguard.reports.tables import DuplicateLinkRow, ReportRow
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
from crowdguard.store.db import UTCDateTime
from crowdguard.store.errors import ConflictError, NotFoundError
from crowdguard.venues import service as venues

if TYPE_CHECKING:  # SQLAlchemy 2.1 spells a select's row type this way (a runtime error in 2.0)
    _Nearby = Select[str, float | None, float | None, dt.datetime]

__all__ = [
    "DUPLICATE_RADIUS_M",
    "DUPLICATE_SUGGESTIONS",
    "DUPLICATE_WINDOW",
    "OBSERVED_MAX_AGE",
    "OBSERVED_MAX_AHEAD",
    "IntakeItem",
    "ReportFieldError",
    "VenueCache",
    "board_summary",
    "get_report",
    "list_reports",
    "mark_duplicate",
    "override",
    "record_view",
    "report_point",
    "screen_report",
    "set_status",
    "store_reports",
    "stored_venues",
    "submit_report",
]

DUPLICATE_WINDOW = dt.timedelta(minutes=30)
"""Reports observed this close in time may be duplicates (FixMyStreet #1677, domain.md 9)."""
DUPLICATE_RADIUS_M = 50.0
"""Reports this close in metres may be duplicates."""
DUPLICATE_SUGGESTIONS = 10
"""At intake a report is linked to at most this many stored reports: the possible duplicates
observed nearest in time to it [DESIGN]. Ten is what a dispatcher can read at a glance; in a
surge about one incident each report links to its neighbours in time, so the links still
chain the whole surge together, and the work per report no longer grows with the surge."""
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


VenueCache = dict[str, tuple[dict[str, Any], Venue]]
"""Venues already validated, by id, with the stored data they were validated from."""


def stored_venues(*, session: Session, cache: VenueCache | None = None) -> list[Venue]:
    """Every stored venue (the crowded places triage measures distances to).

    With ``cache``, a venue whose stored data equals the cached data is not validated again
    (the data is compared on every call, so a venue changed by anyone, in any process, is
    validated afresh; a removed one leaves the cache).
    """
    rows, _ = venues.list_venues(session=session, limit=1_000_000, offset=0)
    if cache is None:
        return [Venue.model_validate(row.data) for row in rows]
    found: list[Venue] = []
    for row in rows:
        held = cache.get(row.id)
        if held is None or held[0] != row.data:
            held = (row.data, Venue.model_validate(row.data))
            cache[row.id] = held
        found.append(held[1])
    for gone in cache.keys() - {row.id for row in rows}:
        del cache[gone]
    return found


def _control(row: ReportRow) -> ReportControl:
    return ReportControl.model_validate(
        {**row.data, "status": row.status, "duplicate_of": row.duplicate_of}
    )


def record_view(row: ReportRow) -> ReportRecord:
    """The control-room view of a stored report (``duplicates``: both sides of each pair)."""
    return ReportRecord(
        report=_control(row),
        grade=row.grade,
        code=row.code,
        overridden=row.overridden,
        override=(
            OverridePublic.model_validate(row.grade_override)
            if row.grade_override is not None
            else None
        ),
        triage=row.triage,
        duplicates=row.possible_duplicates,
        updated_at=row.updated_at,
    )


def _point(control: ReportControl, places: dict[str, Venue]) -> tuple[float, float] | None:
    point = control.location.point
    if point is None and control.location.venue_id in places:
        venue = places[control.location.venue_id or ""]
        point = (venue.lat, venue.lon)
    return point


_TAKEN = select(ReportRow.reference).where(
    ReportRow.reference.in_(bindparam("references", expanding=True))
)


def _fresh_references(session: Session, count: int, rng: random.Random | None) -> list[str]:
    """``count`` new references, none stored yet and no two alike (one query per draw)."""
    fresh: list[str] = []
    while len(fresh) < count:
        drawn = {new_reference(rng) for _ in range(count - len(fresh))} - set(fresh)
        taken = set(session.connection().execute(_TAKEN, {"references": list(drawn)}).scalars())
        fresh.extend(sorted(drawn - taken) if rng is not None else drawn - taken)
    return fresh


def _insert_links(session: Session, links: list[dict[str, Any]]) -> None:
    """Write the duplicate links (one statement; their reports are already flushed)."""
    if links:
        session.connection().execute(insert(DuplicateLinkRow), links)


def screen_report(
    *, report: ReportSubmission, now: dt.datetime, rng: random.Random | None = None
) -> ReportPublic | None:
    """Steps 1 and 1a that need no store: the receipt for a honeypot submission (store
    nothing), else None once ``observed_at`` is within range (:class:`ReportFieldError`
    if not)."""
    if report.website:
        return ReportPublic(reference=new_reference(rng), received_at=now)
    _check_observed(report.observed_at, now)
    return None


def submit_report(
    *,
    session: Session,
    report: ReportSubmission,
    now: dt.datetime,
    channel: Literal["web", "phone", "api", "patrol"] = "web",
    rng: random.Random | None = None,
) -> tuple[ReportPublic, ReportRow | None]:
    """Accept a public report in the caller's transaction; returns the receipt and the row.

    The row is None for a honeypot submission (nothing stored). ``rng`` draws the
    reference in tests only; otherwise :func:`new_reference` uses :mod:`secrets`. This is
    the one-report path (one transaction, so one fsync, per report); the API's intake goes
    through :class:`crowdguard.reports.intake.IntakeWriter`, which stores many reports per
    transaction with :func:`store_reports`.
    """
    honeypot = screen_report(report=report, now=now, rng=rng)
    if honeypot is not None:
        return honeypot, None
    _lock_intake(session)
    known = stored_venues(session=session)
    links: list[dict[str, Any]] = []
    [reference] = _fresh_references(session, 1, rng)
    row = _store(session, IntakeItem(report, now, channel), reference, known, links)
    _insert_links(session, links)
    return ReportPublic(reference=row.reference, received_at=now), row


@dataclass(frozen=True, slots=True)
class IntakeItem:
    """One screened submission waiting to be stored: the report, when it was received and
    by which channel."""

    report: ReportSubmission
    received_at: dt.datetime
    channel: Literal["web", "phone", "api", "patrol"] = "web"


def store_reports(
    *,
    session: Session,
    items: Sequence[IntakeItem],
    venue_cache: VenueCache | None = None,
    rng: random.Random | None = None,
) -> list[ReportRow | ReportFieldError]:
    """Steps 1a-4 for several screened reports in the caller's one transaction, in order.

    Each item gets its stored row, or the :class:`ReportFieldError` that refused it (an
    unknown venue, a time out of range: checked before anything of that item is written, so
    the others are unaffected). Each report sees the ones before it as stored (duplicates),
    and the audit rows follow the same order. The caller commits; nothing here is durable
    until it does.
    """
    _lock_intake(session)
    known = stored_venues(session=session, cache=venue_cache)
    stored: list[ReportRow | ReportFieldError] = []
    links: list[dict[str, Any]] = []
    references = _fresh_references(session, len(items), rng)
    for item, reference in zip(items, references, strict=True):
        try:
            _check_observed(item.report.observed_at, item.received_at)
            stored.append(_store(session, item, reference, known, links))
        except ReportFieldError as exc:
            stored.append(exc)
    _insert_links(session, links)
    return stored


def _lock_intake(session: Session) -> None:
    """PostgreSQL: one intake transaction at a time (see the module docstring)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _INTAKE_LOCK})


def _store(
    session: Session,
    item: IntakeItem,
    reference: str,
    known: list[Venue],
    links: list[dict[str, Any]],
) -> ReportRow:
    """Steps 1a (venue), 2, 3 and 4 for one report whose time was already checked; its
    duplicate links are appended to ``links`` for :func:`_insert_links`.

    The row is inserted with one Core statement (an ORM flush costs several times more);
    the :class:`ReportRow` returned holds what was inserted and belongs to no session."""
    report, now, channel = item.report, item.received_at, item.channel
    places = {v.id: v for v in known}
    venue_id = report.location.venue_id
    if venue_id is not None and venue_id not in places:
        raise ReportFieldError(
            ("location", "venue_id"),
            f"no crowded place {venue_id!r} is known; pick one from the list, or give a map "
            "point or a description of where",
        )
    control = ReportControl.from_create(
        report, reference=reference, received_at=now, channel=channel
    )
    result: TriageResult = triage(
        control, venues=known, is_open=scenario_venue_open, received_at=now
    )
    point = _point(control, places)
    values: dict[str, Any] = {
        "reference": reference,
        "received_at": now,
        "observed_at": control.observed_at,
        "channel": channel,
        "category": control.category.value,
        "status": "triaged",
        "grade": result.grade.value,
        "code": result.code,
        "overridden": False,
        "venue_id": control.location.venue_id,
        "lat": point[0] if point else None,
        "lon": point[1] if point else None,
        "data": control.model_dump(mode="json", exclude={"status", "duplicate_of"}),
        "triage": result.model_dump(mode="json"),
        "duplicates": [],
        "duplicate_of": None,
        "updated_at": now,
    }
    if point is not None:
        found = _nearest_stored(session, values)
        values["duplicates"] = sorted(link["other"] for link in found)
        links.extend(found)
    session.connection().execute(_INSERT_REPORT, values)  # seen by the next report's walk
    row = ReportRow(**values)
    set_committed_value(row, "later_links", [])  # a new report: nobody has named it yet
    audit.record(
        session=session,
        at=now,
        actor=None,
        action="report.create",
        entity="report",
        entity_id=reference,
        detail={"category": row.category, "grade": row.grade, "duplicates": row.duplicates},
    )
    return row


_INSERT_REPORT = insert(ReportRow)


def _check_observed(observed: dt.datetime, now: dt.datetime) -> None:
    """Step 1a: ``observed_at`` within [now - OBSERVED_MAX_AGE, now + OBSERVED_MAX_AHEAD]."""
    earliest, latest = now - OBSERVED_MAX_AGE, now + OBSERVED_MAX_AHEAD
    if not earliest <= observed <= latest:
        raise ReportFieldError(
            ("observed_at",),
            f"{observed.isoformat()} is outside the accepted range; expected a time between "
            f"{earliest.isoformat(timespec='minutes')} and {latest.isoformat(timespec='minutes')}",
        )


def _nearest_stored(session: Session, new: dict[str, Any]) -> list[dict[str, Any]]:
    """Step 3: links to the stored reports that may duplicate ``new``, at most
    :data:`DUPLICATE_SUGGESTIONS`, nearest in observation time.

    The store is read outwards in time from ``new`` in both directions (the covering index
    ``ix_reports_duplicate_walk``), only rows inside a lat/lon box around the point
    (a superset of the 50 m circle), in pages, until each direction has given
    ``DUPLICATE_SUGGESTIONS`` rows that pass the exact test or the 30 minutes run out. The
    ``k`` nearest overall are among those, so the work per report is bounded by ``k``
    however many reports of the same thing are stored. Earlier rows are never rewritten.
    """
    me = DuplicateCandidate(
        new["reference"], new["category"], new["lat"], new["lon"], new["observed_at"]
    )
    k = DUPLICATE_SUGGESTIONS
    bounds = {"category": me.category, **_box(me.lat, me.lon)}
    connection = session.connection()  # Core: the rows are plain values, no ORM objects
    found: list[DuplicatePair] = []
    for walk, edge in (
        (_WALK_LATER, me.observed_at + DUPLICATE_WINDOW),
        (_WALK_EARLIER, me.observed_at - DUPLICATE_WINDOW),
    ):
        taken = 0
        after = (me.observed_at, "")  # start at new's own time (every reference sorts after "")
        while taken < k:
            values = {**bounds, "edge": edge, "after_at": after[0], "after_ref": after[1]}
            rows = connection.execute(walk, values).all()
            page = [
                DuplicateCandidate(ref, me.category, lat, lon, at)
                for ref, lat, lon, at in rows
                if lat is not None and lon is not None  # always, inside the box
            ]
            if page:  # those that pass the exact test count towards k
                hits = nearest_duplicates(me, page, k=len(page), **_LIMITS)
                taken += len(hits)
                found.extend(hits)
            if len(rows) < _PAGE:
                break
            after = (rows[-1][3], rows[-1][0])

    def other(pair: DuplicatePair) -> str:
        return pair.second if pair.first == me.id else pair.first

    # The k nearest in time of both directions (the order nearest_duplicates uses).
    found.sort(key=lambda pair: (pair.minutes_apart, pair.distance_m, other(pair)))
    return [
        {
            "reference": me.id,
            "other": other(pair),
            "distance_m": round(pair.distance_m, 2),
            "minutes_apart": round(pair.minutes_apart, 3),
        }
        for pair in found[:k]
    ]


_PAGE = DUPLICATE_SUGGESTIONS
_LIMITS: dict[str, Any] = {"radius_m": DUPLICATE_RADIUS_M, "window": DUPLICATE_WINDOW}


def _box(lat: float, lon: float) -> dict[str, float]:
    """A lat/lon box holding the whole search circle around ``(lat, lon)``."""
    box = bounding_box(lat, lon, DUPLICATE_RADIUS_M)
    return {"lat_lo": box.south, "lat_hi": box.north, "lon_lo": box.west, "lon_hi": box.east}


def _walk(*, later: bool) -> _Nearby:
    """Stored reports of a category inside a box, observed from ``after_at`` (exclusive of
    the rows up to ``after_ref`` there) out to ``edge``, nearest in time first. One
    statement per direction, built once, so SQLAlchemy compiles and caches it once."""
    at, reference = ReportRow.observed_at, ReportRow.reference
    after_at = bindparam("after_at", type_=UTCDateTime)
    after_ref = bindparam("after_ref", type_=String)
    edge = bindparam("edge", type_=UTCDateTime)
    stmt = select(reference, ReportRow.lat, ReportRow.lon, at).where(
        ReportRow.category == bindparam("category", type_=String),
        ReportRow.lat.between(bindparam("lat_lo"), bindparam("lat_hi")),
        ReportRow.lon.between(bindparam("lon_lo"), bindparam("lon_hi")),
    )
    if later:
        # ``at >= after_at`` on its own too: the index range must not hide inside the OR,
        # or the walk would start from the category's oldest report.
        stmt = stmt.where(
            at >= after_at,
            at <= edge,
            or_(at > after_at, and_(at == after_at, reference > after_ref)),
        )
        return stmt.order_by(at.asc(), reference.asc()).limit(_PAGE)
    stmt = stmt.where(
        at <= after_at,
        at >= edge,
        or_(at < after_at, and_(at == after_at, reference < after_ref)),
    )
    return stmt.order_by(at.desc(), reference.desc()).limit(_PAGE)


_WALK_LATER = _walk(later=True)
_WALK_EARLIER = _walk(later=False)


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
        stmt.order_by(ReportRow.received_at.desc(), ReportRow.reference)
        .limit(limit)
        .offset(offset)
        .options(selectinload(ReportRow.later_links))
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
    row.grade_override = OverridePublic(
        by=change.by,
        at=change.at,
        from_grade=change.from_grade.value,
        to_grade=change.to_grade.value,
        reason=change.reason,
    ).model_dump(mode="json")
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
        detail={"duplicate_of": of, "suggested": of in row.possible_duplicates},
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


def report_firearms_grounds(*, session: Session, reference: str) -> tuple[str, ...]:
    """The triage rules that give APP grounds for an armed response to a report
    (:attr:`~crowdguard.reports.triage.TriageResult.firearms_grounds`); empty: none."""
    row = get_report(session=session, reference=reference)
    return TriageResult.model_validate(row.triage).firearms_grounds


def board_summary(row: ReportRow) -> ReportBoardSummary:
    """What the live board shows of a report (control room only: no contact details)."""
    text = str(row.data.get("location", {}).get("text") or "")
    return ReportBoardSummary(
        reference=row.reference,
        received_at=row.received_at,
        category=row.category,
        grade=row.grade,
        code=row.code,
        status=row.status,
        venue_id=row.venue_id,
        lat=row.lat,
        lon=row.lon,
        where=text[:120],
        duplicates=row.possible_duplicates,
        duplicate_of=row.duplicate_of,
        override=(
            OverridePublic.model_validate(row.grade_override)
            if row.grade_override is not None
            else None
        ),
    )


def count_by_category_grade(
    *, session: Session, start: dt.datetime, end: dt.datetime
) -> dict[str, dict[str, int]]:
    """Reports received in ``[start, end)``: ``{category: {grade: count}}`` (aggregates for
    statistics; no report content)."""
    rows = session.execute(
        select(ReportRow.category, ReportRow.grade, func.count())
        .where(ReportRow.received_at >= start, ReportRow.received_at < end)
        .group_by(ReportRow.category, ReportRow.grade)
    ).all()
    out: dict[str, dict[str, int]] = {}
    for category, grade, count in rows:
        out.setdefault(str(category), {})[str(grade)] = int(count)
    return {k: dict(sorted(v.items())) for k, v in sorted(out.items())}
