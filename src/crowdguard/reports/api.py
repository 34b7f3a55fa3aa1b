"""Report endpoints: public intake (no token, rate-limited) and the control room's reads,
grade overrides and duplicate marks (control and admin only)."""

from __future__ import annotations

import threading
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.exceptions import HTTPException

from crowdguard.api.auth import Principal, require
from crowdguard.api.deps import ContextDep, NowDep, SessionDep
from crowdguard.api.pagination import Page, PageDep
from crowdguard.reports import service
from crowdguard.reports.models import (
    DuplicateMark,
    GradeChange,
    ReportPublic,
    ReportRecord,
    ReportSubmission,
)
from crowdguard.store.errors import TooManyAttemptsError
from crowdguard.users.models import Role
from crowdguard.users.throttle import LoginThrottle
from crowdguard.web.board import BoardEvent, BusDep, publish_after_commit

__all__ = ["REPORT_MAX_BYTES", "intake_guard", "router"]

REPORT_MAX_BYTES = 64 * 1024
"""Largest report body accepted (413 above): a full report is well under 40 KiB."""

router = APIRouter(prefix="/reports", tags=["reports"])
Control = Annotated[Principal, Depends(require(Role.admin, Role.control))]
Reference = Annotated[
    str, Path(pattern=r"^CG-[A-Z0-9]{4}-[A-Z0-9]{4}$", description="report reference")
]
_LIMITER_LOCK = threading.Lock()


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
    """413 for an oversized body; 429 with ``Retry-After`` past the per-address rate."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > REPORT_MAX_BYTES:
        raise HTTPException(413, f"body: larger than the {REPORT_MAX_BYTES} byte report limit")
    limiter = _limiter(request, context)
    if limiter is None:
        return
    key = f"report:{request.client.host if request.client else 'unknown'}"
    wait = limiter.retry_after(key)
    if wait:
        raise TooManyAttemptsError(
            f"reports: too many reports from this address; try again in {wait} s "
            "(in an emergency call 999)",
            retry_after=wait,
        )
    limiter.fail(key)


@router.post(
    "",
    response_model=ReportPublic,
    status_code=201,
    dependencies=[Depends(intake_guard)],
    responses={429: {"description": "Too many reports from this address; see Retry-After"}},
)
def submit_report(
    body: ReportSubmission, session: SessionDep, now: NowDep, bus: BusDep
) -> ReportPublic:
    """Report a concern (no account needed). Answered only once the report is stored.

    In an emergency call 999: this is not an emergency line.
    """
    receipt, row = service.submit_report(session=session, report=body, now=now)
    if row is not None:
        publish_after_commit(session, bus, BoardEvent("report-created", service.board_summary(row)))
    return receipt


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
) -> Page[ReportRecord]:
    """Reports, newest first, with precise location and contact (control room only)."""
    rows, total = service.list_reports(
        session=session, limit=page.limit, offset=page.offset, grade=grade, status=status
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
    publish_after_commit(session, bus, BoardEvent("report-graded", service.board_summary(row)))
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
    publish_after_commit(session, bus, BoardEvent("report-updated", service.board_summary(row)))
    return service.record_view(row)
