"""The event organiser's page (``/organiser``): my events, my security plans, their reviews.

An organiser registers an event at one of the force's venues, writes its security plan in
a form with the plan schema's sections (:mod:`crowdguard.web.plan_form`: the example's
guidance inline, a validation error next to the field it names) or pastes it as YAML or
JSON, and reads the review: the tier and verdicts, the findings with their advice, the
advice letter (the API's HTML, fitted to a phone, and PDF), and every version with the
findings it resolved and those still open (:func:`crowdguard.plans.revisions.diff_reviews`).
Once advice is issued (or the plan accepted) they revise it: a new version, reviewed at
once (TPPA s.7 expects the document to be revised and re-sent).

Every read and write goes through the same services as ``/api/v1/events`` and
``/api/v1/security-plans`` with the organiser's own id, so another organiser's event is
"not found", as in the API. Nothing operational is on the page: no patrol, roster, team,
unit or report, no venue's footfall or risk estimate, and no name of the police staff who
reviewed or overrode a finding (the API shows ``by`` to staff only).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from crowdguard.api.auth import Principal
from crowdguard.api.deps import ContextDep, NowDep, SessionDep
from crowdguard.errors import InputError
from crowdguard.plans import service as plans
from crowdguard.plans.review import Review, loads_plan
from crowdguard.plans.revisions import PlanStatus, diff_reviews
from crowdguard.plans.schema import SecurityPlan, VenueKind
from crowdguard.store.errors import ConflictError, NotFoundError
from crowdguard.users.models import Role
from crowdguard.venues import service as venues
from crowdguard.venues.models import EventCreate
from crowdguard.venues.tables import EventRow
from crowdguard.web.common import PageStop, PageUserDep, login_form, page, refuse
from crowdguard.web.plan_form import field_errors, form_values, plan_data, plan_form
from crowdguard.web.session import cross_site

__all__ = ["STATUS_WORDS", "MyEventDep", "OrganiserDep", "my_event", "organiser_gate", "router"]

router = APIRouter(include_in_schema=False)
LONDON = ZoneInfo("Europe/London")
EventId = Annotated[int, Path(ge=1, le=2**31 - 1)]
MAX_PLAN_TEXT = 200_000
"""Longest pasted plan read (characters); the example plan is about 7,000."""

STATUS_WORDS = {
    PlanStatus.submitted: "Sent: waiting for the police's review",
    PlanStatus.under_review: "Being reviewed by the police",
    PlanStatus.advice_issued: "Advice issued: read the letter, then revise the plan",
    PlanStatus.resubmitted: "Revised version sent: waiting for the police's review",
    PlanStatus.accepted: "Accepted",
}
REVISABLE = frozenset({PlanStatus.advice_issued, PlanStatus.accepted})
"""A new version may follow advice or acceptance; while a version awaits review the
workflow refuses one (:data:`crowdguard.plans.revisions.ALLOWED_TRANSITIONS`)."""


async def posted_form(request: Request) -> dict[str, str | list[str]]:
    """The posted form as path -> text (or every value, for a name sent more than once)."""
    form = await request.form(max_files=0, max_fields=3000)
    out: dict[str, str | list[str]] = {}
    for key in form:
        got = [v for v in form.getlist(key) if isinstance(v, str)]
        out[key] = got if len(got) > 1 else (got[0] if got else "")
    return out


PostedForm = Annotated[dict[str, str | list[str]], Depends(posted_form)]


def organiser_gate(request: Request, user: PageUserDep) -> Principal:
    """The signed-in organiser; else the login form, or "not for your account" for another
    role, and a change posted from another site refused (:class:`PageStop`)."""
    if user is None:
        raise PageStop(
            login_form(request, title="Log in to your events", next_path=request.url.path)
        )
    if user.role is not Role.organiser:
        raise PageStop(refuse(request, user, "/organiser"))
    refused = cross_site(request) if request.method == "POST" else None
    if refused is not None:
        raise PageStop(refused)
    return user


OrganiserDep = Annotated[Principal, Depends(organiser_gate)]


def my_event(
    request: Request, user: OrganiserDep, session: SessionDep, event_id: EventId
) -> EventRow:
    """The signed-in organiser's event ``event_id``; another organiser's is "no such event",
    as in the API (a 404 page, :class:`PageStop`)."""
    try:
        return venues.get_event(session=session, event_id=event_id, organiser_id=user.id)
    except NotFoundError:
        raise PageStop(
            page(
                request,
                "message.html",
                user=user,
                status=404,
                title="No such event",
                message=f"You have no event {event_id}. Your events are listed on your page.",
            )
        ) from None


MyEventDep = Annotated[EventRow, Depends(my_event)]


def _local(moment: dt.datetime) -> str:
    return f"{moment.astimezone(LONDON):%a %d %b %Y %H:%M}"


def _venue_names(session: Session) -> dict[str, str]:
    rows, _ = venues.list_venues(session=session, limit=1000, offset=0)
    out: dict[str, str] = {}
    for row in rows:
        venue = venues.venue_public(row).venue
        out[venue.id] = f"{venue.name}, {venue.town}" if venue.town else venue.name
    return out


def _plan_headline(session: Session, event_id: int, user: Principal) -> dict[str, Any] | None:
    plan_id = plans.plan_for_event(session=session, event_id=event_id)
    if plan_id is None:
        return None
    row = plans.get_plan(session=session, plan_id=plan_id, organiser_id=user.id)
    public = plans.plan_public(session=session, row=row)
    return {
        "id": public.id,
        "status": public.status,
        "words": STATUS_WORDS[public.status],
        "version": public.current_version,
        "tier": public.tier,
        "legal_verdict": public.legal_verdict,
        "open_findings": public.open_findings,
        "review_due": public.review_due,
        "revisable": public.status in REVISABLE,
    }


# -- my events ------------------------------------------------------------------------------


def _events_page(
    request: Request,
    user: Principal,
    session: Session,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    rows, total = venues.list_events(session=session, limit=500, offset=0, organiser_id=user.id)
    names = _venue_names(session)
    events = [
        {
            "id": r.id,
            "name": r.name,
            "venue": names.get(r.venue_id, r.venue_id),
            "starts": _local(r.starts_at),
            "ends": _local(r.ends_at),
            "attendance": r.expected_attendance,
            "plan": _plan_headline(session, r.id, user),
        }
        for r in rows
    ]
    return page(
        request,
        "organiser.html",
        user=user,
        status=status,
        events=events,
        events_total=total,
        venue_choices=sorted(names.items(), key=lambda item: item[1]),
        errors=errors or {},
        form=form or {},
        done=request.query_params.get("done", "")[:200],
    )


@router.get("/organiser", response_class=HTMLResponse)
def organiser(request: Request, user: OrganiserDep, session: SessionDep) -> Response:
    """My events and their plans' state, and a form to register an event."""
    return _events_page(request, user, session)


def _local_instant(text: str) -> dt.datetime | str:
    """A ``datetime-local`` value read as Europe/London (the text back when unreadable, for
    the model to refuse with its own words)."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    return moment if moment.tzinfo else moment.replace(tzinfo=LONDON)


@router.post("/organiser/events", response_class=HTMLResponse)
def register_event(
    request: Request,
    user: OrganiserDep,
    session: SessionDep,
    now: NowDep,
    name: Annotated[str, Form(max_length=400)] = "",
    venue_id: Annotated[str, Form(max_length=200)] = "",
    starts_at: Annotated[str, Form(max_length=40)] = "",
    ends_at: Annotated[str, Form(max_length=40)] = "",
    expected_attendance: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Register an event (the organiser owns it); the form again with reasons if refused."""
    form = {"name": name, "venue_id": venue_id, "starts_at": starts_at, "ends_at": ends_at,
            "expected_attendance": expected_attendance}  # fmt: skip
    try:
        data = EventCreate.model_validate(
            {
                "name": name.strip(),
                "venue_id": venue_id,
                "starts_at": _local_instant(starts_at),
                "ends_at": _local_instant(ends_at),
                "expected_attendance": expected_attendance.strip() or None,
            }
        )
        row = venues.create_event(
            session=session, data=data, organiser_id=user.id, actor=user.username, now=now
        )
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            where = str(error["loc"][-1]) if error["loc"] else "ends_at"
            errors.setdefault(where, str(error["msg"]).removeprefix("Value error, "))
        return _events_page(request, user, session, status=422, errors=errors, form=form)
    except NotFoundError:
        return _events_page(
            request, user, session, status=422,
            errors={"venue_id": "choose one of the venues in the list"}, form=form,
        )  # fmt: skip
    return RedirectResponse(f"/organiser/events/{row.id}?done=registered", status_code=303)


# -- one event: its plan, review and history ---------------------------------------------------


def _review_view(review: Review) -> dict[str, Any]:
    adequate = sum(1 for item in review.items if item.status == "adequate")
    return {
        "tier": review.tier.value,
        "tier_reason": review.tier_reason,
        "legal_verdict": review.legal_verdict,
        "good_practice_verdict": review.good_practice_verdict,
        "score": review.score,
        "adequate": adequate,
        "item_count": len(review.items),
        "duties_in_force": review.duties_in_force,
        "findings": review.findings,
        "fictional": review.fictional_details,
    }


def _history(session: Session, plan_id: int, user: Principal) -> list[dict[str, Any]]:
    """Every version, oldest first, with its review and what changed since the one before."""
    plan = plans.get_plan(session=session, plan_id=plan_id, organiser_id=user.id)
    out: list[dict[str, Any]] = []
    previous: Review | None = None
    for number in range(1, plan.current_version + 1):
        version = plans.get_version(
            session=session, plan_id=plan_id, version=number, organiser_id=user.id
        )
        review_row = plans.get_review(
            session=session, plan_id=plan_id, version=number, organiser_id=user.id
        )
        review = plans.effective_review(session=session, review_row=review_row)
        out.append(
            {
                "version": number,
                "sent": _local(version.submitted_at),
                "review": _review_view(review),
                "diff": None if previous is None else diff_reviews(previous, review),
            }
        )
        previous = review
    return out


DONE = {
    "registered": "Event registered. Write its security plan next.",
    "sent": "Your plan was sent and reviewed: the review is below.",
}


@router.get("/organiser/events/{event_id}", response_class=HTMLResponse)
def event_page(
    request: Request, user: OrganiserDep, session: SessionDep, event: MyEventDep
) -> Response:
    """One of my events: its plan's state, the current review and letter, every version."""
    event_id = event.id
    headline = _plan_headline(session, event_id, user)
    history = _history(session, headline["id"], user) if headline else []
    overrides = []
    if headline:
        review_row = plans.get_review(session=session, plan_id=headline["id"], organiser_id=user.id)
        overrides = plans.review_public(
            session=session, review_row=review_row, staff=False
        ).overrides
    return page(
        request,
        "organiser_event.html",
        user=user,
        event=event,
        venue=_venue_names(session).get(event.venue_id, event.venue_id),
        starts=_local(event.starts_at),
        ends=_local(event.ends_at),
        plan=headline,
        history=history,
        current=history[-1] if history else None,
        overrides=overrides,
        done=DONE.get(request.query_params.get("done", ""), ""),
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "my-event"


def _starting_values(session: Session, event: Any) -> dict[str, str | list[str]]:
    """A first plan starts from what the event already says: its name, venue and dates."""
    venue = venues.venue_public(venues.get_venue(session=session, venue_id=event.venue_id)).venue
    kinds = {k.value for k in VenueKind}
    values: dict[str, str | list[str]] = {
        "event.id": _slug(event.name),
        "event.name": event.name,
        "venue.id": venue.id,
        "venue.name": venue.name,
        "dates.opens": event.starts_at.astimezone(LONDON).date().isoformat(),
        "dates.closes": event.ends_at.astimezone(LONDON).date().isoformat(),
    }
    if str(venue.kind) in kinds:
        values["venue.kind"] = str(venue.kind)
    return values


def _form_page(
    request: Request,
    user: Principal,
    session: Session,
    event: Any,
    values: dict[str, str | list[str]],
    *,
    errors: dict[str, str] | None = None,
    problem: str = "",
    pasted: str = "",
    paste_problem: str = "",
    status: int = 200,
) -> HTMLResponse:
    headline = _plan_headline(session, event.id, user)
    return page(
        request,
        "organiser_plan.html",
        user=user,
        status=status,
        event=event,
        plan=headline,
        form=plan_form(values, errors, problem),
        pasted=pasted,
        paste_problem=paste_problem,
    )


@router.get("/organiser/events/{event_id}/plan", response_class=HTMLResponse)
def plan_page(
    request: Request, user: OrganiserDep, session: SessionDep, event: MyEventDep
) -> Response:
    """The plan form: empty but for the event's own details, or the current version to
    revise."""
    headline = _plan_headline(session, event.id, user)
    if headline is None:
        return _form_page(request, user, session, event, _starting_values(session, event))
    version = plans.get_version(session=session, plan_id=headline["id"], organiser_id=user.id)
    return _form_page(request, user, session, event, form_values(version.plan))


@router.post("/organiser/events/{event_id}/plan", response_class=HTMLResponse)
def send_plan(
    request: Request,
    user: OrganiserDep,
    session: SessionDep,
    context: ContextDep,
    now: NowDep,
    event: MyEventDep,
    values: PostedForm,
) -> Response:
    """Send the plan (first version or a revision), from the form's fields or pasted text;
    reviewed at once. Refused with the reason next to the field, nothing stored."""
    event_id = event.id
    pasted = values.get("plan_text")
    plan: SecurityPlan
    if isinstance(pasted, str) and pasted.strip():
        if len(pasted) > MAX_PLAN_TEXT:
            return _form_page(
                request, user, session, event, {}, pasted="", status=413,
                paste_problem=f"plan_text: longer than {MAX_PLAN_TEXT:,} characters",
            )  # fmt: skip
        try:
            plan = loads_plan(pasted, source="the pasted plan")
        except InputError as exc:
            return _form_page(request, user, session, event, {}, pasted=pasted,
                              paste_problem=str(exc), status=422)  # fmt: skip
    else:
        data, moved = plan_data(values)
        try:
            plan = SecurityPlan.model_validate(data)
        except ValidationError as exc:
            errors = field_errors(exc, moved)
            return _form_page(request, user, session, event, values, errors=errors, status=422)
    try:
        plan_id = plans.plan_for_event(session=session, event_id=event_id)
        commencement = context.settings.martyns_law_commencement
        if plan_id is None:
            plans.submit_plan(
                session=session, event_id=event_id, plan=plan, organiser_id=user.id,
                actor=user.username, now=now, commencement=commencement,
            )  # fmt: skip
        else:
            plans.resubmit_plan(
                session=session, plan_id=plan_id, plan=plan, organiser_id=user.id,
                actor=user.username, now=now, commencement=commencement,
            )  # fmt: skip
    except InputError as exc:
        status = 409 if isinstance(exc, ConflictError) else 422
        shown = values if not (isinstance(pasted, str) and pasted.strip()) else {}
        return _form_page(request, user, session, event, shown, problem=str(exc),
                          pasted=pasted if isinstance(pasted, str) else "", status=status)  # fmt: skip
    return RedirectResponse(f"/organiser/events/{event_id}?done=sent", status_code=303)
