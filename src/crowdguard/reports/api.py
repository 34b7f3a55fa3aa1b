"""Report endpoints: public intake (no token, rate-limited) and the control room's reads,
grade overrides and duplicate marks (control and admin only).

Abuse controls on intake (OWASP Automated Threats handbook: "Rate limiting", "Honeypot";
OWASP API Security Top 10 2023, API4 "Unrestricted Resource Consumption"): a body cap of
:data:`REPORT_MAX_BYTES` (413, whether or not ``Content-Length`` is sent), a sliding-window
count per client address (429 with ``Retry-After``, RFC 6585 section 4), and the honeypot
field handled by the service. The address is the TCP peer: behind a reverse proxy, run
``crowdguard serve --trusted-proxy ADDR`` so the peer is the real client (nothing else
may set it: ``X-Forwarded-For`` is ignored by default). Past the rate limit,
the intake writer's bounded queue answers 503 with ``Retry-After`` when reports arrive faster
than the store takes them (:class:`~crowdguard.reports.intake.IntakeBusy`).
"""

from __future__ import annotations

import threading
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.exceptions import HTTPException, RequestValidationError

from crowdguard.api.auth import Principal, require
from crowdguard.api.deps import ContextDep, NowDep, SessionDep, get_context
from crowdguard.api.events import BoardEvent, BusDep, publish_after_commit
from crowdguard.api.pagination import Page, PageDep
from crowdguard.reports import service
from crowdguard.reports.intake import IntakeBusy, IntakeWriter
from crowdguard.reports.models import (
    DuplicateMark,
    GradeChange,
    ReportCategory,
    ReportPublic,
    ReportRecord,
    ReportSubmission,
)
from crowdguard.store.errors import TooManyAttemptsError
from crowdguard.users.models import Role
from crowdguard.users.throttle import LoginThrottle

__all__ = ["REPORT_MAX_BYTES", "body_cap", "get_intake", "intake_guard", "router"]

REPORT_MAX_BYTES = 64 * 1024
"""Largest report body accepted (413 above): a full report is well under 40 KiB."""

router = APIRouter(prefix="/reports", tags=["reports"])
Control = Annotated[Principal, Depends(require(Role.admin, Role.control))]
Reference = Annotated[
    str, Path(pattern=r"^CG-[A-Z0-9]{4}-[A-Z0-9]{4}$", description="report reference")
]
_LIMITER_LOCK = threading.Lock()
_TOO_LARGE = f"body: larger than the {REPORT_MAX_BYTES} byte report limit"


def _limiter(request: Request, context: ContextDep) -> LoginThrottle | None:
    rate = context.settings.report_rate_per_minute
    if rate <= 0:
        return None
    with _LIMITER_LOCK:
        limiter: LoginThrottle | None = getattr(request.app.state, "report_limiter", None)
        if limiter is None:
            # A sliding-window counter per client address; the login throttle's counter
            # (OWASP source throttling) counts submissions here instead of failures.
            limiter = LoginThrottle(clock=context.clock, max_failures=rate, window_seconds=60)
            request.app.state.report_limiter = limiter
    return limiter


def intake_guard(request: Request, context: ContextDep) -> None:
    """413 for a declared oversized body; 429 with ``Retry-After`` past the per-address rate.

    Every attempt counts against the rate, accepted or not (a bot's malformed bodies too).
    Synchronous, so the HTML form's route can call it directly; the JSON route adds
    :func:`body_cap` for bodies sent without ``Content-Length``.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > REPORT_MAX_BYTES:
        raise HTTPException(413, _TOO_LARGE)
    limiter = _limiter(request, context)
    if limiter is None:
        return
    key = f"report:{request.client.host if request.client else 'unknown'}"
    with _LIMITER_LOCK:  # check and count as one step, so a burst cannot slip past
        wait = limiter.retry_after(key)
        if not wait:
            limiter.fail(key)
    if wait:
        raise TooManyAttemptsError(
            f"reports: too many reports from this address; try again in {wait} s "
            "(in an emergency call 999)",
            retry_after=wait,
        )


async def body_cap(request: Request) -> None:
    """413 for a body over :data:`REPORT_MAX_BYTES` however it was sent (chunked too).

    The body was already read, bounded, by :class:`~crowdguard.api.limits.RequestLimits`
    and Starlette caches it on the request, so measuring it here costs nothing.
    """
    if len(await request.body()) > REPORT_MAX_BYTES:
        raise HTTPException(413, _TOO_LARGE)


def get_intake(request: Request) -> IntakeWriter:
    """The app's report intake writer (made by :func:`crowdguard.api.app.create_app`)."""
    writer: IntakeWriter = request.app.state.report_intake
    return writer


async def _intake_guard(request: Request) -> None:
    # intake_guard on the event loop: it only counts in memory, so it needs no thread hop.
    intake_guard(request, get_context(request))


@router.post(
    "",
    response_model=ReportPublic,
    status_code=201,
    dependencies=[Depends(body_cap), Depends(_intake_guard)],
    responses={
        413: {"description": f"Body over {REPORT_MAX_BYTES} bytes"},
        429: {"description": "Too many reports from this address; see Retry-After"},
        503: {"description": "Too many reports waiting to be stored; see Retry-After"},
    },
)
async def submit_report(body: ReportSubmission, request: Request) -> ReportPublic:
    """Report a concern (no account needed). Answered only once the report is stored.

    In an emergency call 999: this is not an emergency line.
    """
    # Runs on the event loop and holds no worker thread and no database slot while the
    # intake writer commits it with others (crowdguard.reports.intake), so this route passes
    # the concurrency gate; the writer takes a gate slot per batch instead.
    now = get_context(request).clock.now()
    try:
        return await get_intake(request).submit(body, now=now)
    except service.ReportFieldError as exc:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("body", *exc.loc), "msg": exc.message}]
        ) from None
    except IntakeBusy as exc:
        raise HTTPException(503, str(exc), headers={"Retry-After": str(exc.retry_after)}) from None


@router.get("", response_model=Page[ReportRecord])
def list_reports(
    user: Control,
    session: SessionDep,
    page: PageDep,
    grade: Annotated[
        Literal["immediate", "priority", "scheduled", "refer", "no_deployment"] | None,
        Query(description="only this grade"),
    ] = None,
    status: Annotated[
        Literal["new", "triaged", "assigned", "closed"] | None,
        Query(description="only this status"),
    ] = None,
    category: Annotated[ReportCategory | None, Query(description="only this category")] = None,
) -> Page[ReportRecord]:
    """Reports, newest first, with precise location and contact (control room only)."""
    rows, total = service.list_reports(
        session=session,
        limit=page.limit,
        offset=page.offset,
        grade=grade,
        status=status,
        category=None if category is None else category.value,
    )
    return Page(
        items=[service.record_view(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{reference}", response_model=ReportRecord)
def get_report(reference: Reference, user: Control, session: SessionDep) -> ReportRecord:
    """One report with its triage and duplicate suggestions."""
    return service.record_view(service.get_report(session=session, reference=reference))


@router.post("/{reference}/grade", response_model=ReportRecord)
def change_grade(
    reference: Reference,
    body: GradeChange,
    user: Control,
    session: SessionDep,
    now: NowDep,
    bus: BusDep,
) -> ReportRecord:
    """Override the triage grade; the reason and who made the change are audited."""
    row = service.override(
        session=session,
        reference=reference,
        grade=body.grade,
        reason=body.reason,
        actor=user.username,
        now=now,
    )
    summary = service.board_summary(row)  # with the override: who and why, for the board
    publish_after_commit(session, bus, BoardEvent(kind="report-graded", data=summary))
    return service.record_view(row)


@router.post("/{reference}/duplicate-of", response_model=ReportRecord)
def mark_duplicate(
    reference: Reference,
    body: DuplicateMark,
    user: Control,
    session: SessionDep,
    now: NowDep,
    bus: BusDep,
) -> ReportRecord:
    """Mark this report as a repeat of an earlier one (audited)."""
    row = service.mark_duplicate(
        session=session, reference=reference, of=body.of, actor=user.username, now=now
    )
    summary = service.board_summary(row)
    publish_after_commit(session, bus, BoardEvent(kind="report-updated", data=summary))
    return service.record_view(row)
