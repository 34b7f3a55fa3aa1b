"""Server-rendered pages: the public report form (``/report``) and the control-room board
(``/board``), plus their static assets (vendored, no CDN: the pages work offline).

**The public form** works without JavaScript: it posts ``application/x-www-form-urlencoded``
to ``/report``, which builds the same :class:`ReportSubmission` the JSON API takes and hands
it to the same intake writer (:mod:`crowdguard.reports.intake`: group commit, answered only
once stored), under the same rate and size limits and the same bounded queue (503 with
``Retry-After``, the form's text kept for sending again). A refused form comes back with
status 422, each message next to its field saying what was expected, and nothing stored.
JavaScript only adds conveniences: a click on the venue map picks a place or a map
point, "use my location", and showing the questions that fit the chosen category. Every
public page carries the plain banner "In an emergency call 999" (ACT guidance;
``domain.md`` section 8). The public sees stored venues (public places) and its own
reference, never another report, a grade, a base or a contact detail.

**The map** is the pages' one Leaflet map (``static/cgmap.js``) over the offline Natural
Earth base map: a venue's marker chooses it, a click elsewhere marks a point. The public
sees stored venues (public places) only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import HTTPException
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from crowdguard.api.deps import SessionDep, get_context
from crowdguard.api.limits import DatabaseGate
from crowdguard.dispatch.states import UnitState
from crowdguard.reports import service as reports
from crowdguard.reports.api import REPORT_MAX_BYTES, get_intake, intake_guard
from crowdguard.reports.intake import IntakeBusy
from crowdguard.reports.models import (
    HONEYPOT_FIELD,
    MAX_DESCRIPTION,
    ReportCategory,
    ReportPublic,
    ReportSubmission,
)
from crowdguard.scenario.schema import Venue
from crowdguard.store.db import session_scope
from crowdguard.store.errors import TooManyAttemptsError
from crowdguard.web.common import PageUserDep, page

__all__ = [
    "BOARD_CATEGORY_LABELS",
    "CATEGORY_LABELS",
    "FIELD_HELP",
    "GRADE_CODES",
    "GRADE_LABELS",
    "UNIT_STATE_LABELS",
    "form_errors",
    "form_to_body",
    "router",
]

LONDON = ZoneInfo("Europe/London")
CATEGORY_LABELS: dict[str, str] = {
    ReportCategory.unattended_item.value: "An unattended bag or item",
    ReportCategory.suspicious_vehicle.value: "A suspicious vehicle",
    ReportCategory.hostile_reconnaissance.value: "Someone watching, filming or asking about security",
    ReportCategory.weapons.value: "Weapons",
    ReportCategory.gathering_materials.value: "Buying or gathering unusual materials (chemicals, gas cylinders, vehicle hire)",
    ReportCategory.storage.value: "Storing unusual materials",
    ReportCategory.research.value: "Unusual research or questions",
    ReportCategory.finance.value: "Unusual money transactions",
    ReportCategory.communications.value: "Suspicious communications",
    ReportCategory.online_content.value: "Terrorist or extremist content online",
    ReportCategory.crowd_safety_non_ct.value: "Crowd safety (overcrowding, a lost child)",
    ReportCategory.attack_in_progress.value: "An attack is happening now (call 999 first)",
}  # fmt: skip
"""The public's words for each category, in the order the form lists them."""

BOARD_CATEGORY_LABELS: dict[str, str] = {
    c.value: c.value.replace("_", " ").capitalize() for c in ReportCategory
} | {ReportCategory.crowd_safety_non_ct.value: "Crowd safety (not CT)"}
"""The control room's words for each category (the ACT terms)."""

GRADE_LABELS: dict[str, str] = {
    "immediate": "Immediate",
    "priority": "Priority",
    "scheduled": "Scheduled",
    "refer": "Refer",
    "no_deployment": "No deployment",
}
"""The board's legend: triage grades, most urgent first."""

GRADE_CODES: dict[str, str] = {
    "immediate": "P1",
    "priority": "P2",
    "scheduled": "P3",
    "refer": "P4, P6",
    "no_deployment": "P5",
}
"""The domain codes each grade covers (``crowdguard.reports.triage.ROUTE_CODE``)."""

UNIT_STATE_LABELS: dict[str, str] = {
    UnitState.available.value: "Available",
    UnitState.assigned.value: "Assigned",
    UnitState.en_route.value: "En route",
    UnitState.on_scene.value: "On scene",
    UnitState.committed.value: "Committed",
    UnitState.off_duty.value: "Off duty",
}
"""The board's words for each unit state (the moves allowed come from the API)."""

FIELD_HELP: dict[str, str] = {
    "category": "Choose what your report is about from the list.",
    "description": f"Tell us what you saw, in up to {MAX_DESCRIPTION} characters.",
    "location": "Tell us where: choose a place from the list, describe it in words, "
    "or mark a point on the map.",
    "venue_id": "Choose a place from the list, or leave it on 'Not listed'.",
    "location_text": "Describe the place in up to 500 characters.",
    "location_lat": "Latitude: degrees north between -90 and 90, such as 51.0606, "
    "given together with a longitude (or leave both empty).",
    "location_lon": "Longitude: degrees east between -180 and 180, such as -1.3131, "
    "given together with a latitude (or leave both empty).",
    "location_precision_m": "Accuracy: a number of metres above 0 and up to 100000, or empty.",
    "observed_at": "When: a date and time such as 2026-12-05 14:30, not in the future "
    "and within the last five years; or leave it empty if it is happening now.",
    "item_description": "Describe the item in up to 500 characters.",
    "vehicle_vrm": "Registration: 2 to 10 letters, digits and spaces, such as AB12 CDE.",
    "vehicle_description": "Describe the vehicle in up to 500 characters.",
    "person_description": "Describe the person or people in up to 500 characters.",
    "person_direction": "Direction of travel: up to 200 characters.",
    "contact_name": "Name: up to 200 characters, or leave it empty.",
    "contact_phone": "Phone: 6 to 20 digits (spaces, brackets, + and - are fine), "
    "or leave it empty.",
    "contact_email": "E-mail: an address such as name@example.org, or leave it empty.",
    HONEYPOT_FIELD: "Leave this field empty.",
}
"""What each form field expects: the message shown next to a refused field."""

# The form's fields (anything else posted is ignored) and the loc -> field mapping.
TEXT_FIELDS = (
    "category",
    "description",
    "venue_id",
    "location_text",
    "location_lat",
    "location_lon",
    "location_precision_m",
    "observed_at",
    "item_description",
    "vehicle_vrm",
    "vehicle_description",
    "person_description",
    "person_direction",
    "contact_name",
    "contact_phone",
    "contact_email",
    HONEYPOT_FIELD,
)
CHECKBOXES = ("weapons_seen", "casualties", "item_hidden", "item_obvious", "item_not_typical")
_LOC_FIELDS: dict[tuple[str, ...], str] = {
    ("location", "venue_id"): "venue_id",
    ("location", "text"): "location_text",
    ("location", "lat"): "location_lat",
    ("location", "lon"): "location_lon",
    ("location", "precision_m"): "location_precision_m",
    ("items", "description"): "item_description",
    ("vehicles", "vrm"): "vehicle_vrm",
    ("vehicles", "description"): "vehicle_description",
    ("persons", "description"): "person_description",
    ("persons", "direction_of_travel"): "person_direction",
    ("contact", "name"): "contact_name",
    ("contact", "phone"): "contact_phone",
    ("contact", "email"): "contact_email",
}
_TIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M")

router = APIRouter(include_in_schema=False)


# --- the public form ----------------------------------------------------------------------


def _public_venues(places: Sequence[Venue]) -> list[dict[str, Any]]:
    """The venue picker's options and map markers, by town then name (public places: their
    name, town and point, no other detail)."""
    return [
        {"id": v.id, "name": v.name, "town": v.town, "lat": v.lat, "lon": v.lon}
        for v in sorted(places, key=lambda v: (v.town.lower(), v.name.lower()))
    ]


def _parse_when(text: str) -> dt.datetime | None:
    """A form time: ISO 8601 (with or without offset) or ``DD/MM/YYYY HH:MM``; London if
    no offset. None if it is none of these."""
    value = text.strip()
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        for fmt in _TIME_FORMATS:
            try:
                when = dt.datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
        else:
            return None
    return when.replace(tzinfo=LONDON) if when.tzinfo is None else when


def _number(value: str) -> float | str:
    try:
        return float(value)
    except ValueError:
        return value  # pydantic refuses it, naming the field


def form_to_body(form: dict[str, str], now: dt.datetime) -> tuple[dict[str, Any], dict[str, str]]:
    """The JSON body the API would take, from the form's flat fields; and the errors
    found before the model sees it (times the model cannot read, times in the future, a
    map point with only one coordinate), by field."""
    errors: dict[str, str] = {}

    def get(name: str) -> str:
        return form.get(name, "").strip()

    observed = get("observed_at")
    observed_at = now
    if observed:
        when = _parse_when(observed)
        if when is None or not (
            now - reports.OBSERVED_MAX_AGE <= when <= now + reports.OBSERVED_MAX_AHEAD
        ):
            errors["observed_at"] = FIELD_HELP["observed_at"]
        else:
            observed_at = when

    location: dict[str, Any] = {}
    if get("venue_id"):
        location["venue_id"] = get("venue_id")
    if get("location_text"):
        location["text"] = get("location_text")
    lat, lon = get("location_lat"), get("location_lon")
    if bool(lat) != bool(lon):
        errors["location_lon" if lat else "location_lat"] = FIELD_HELP[
            "location_lon" if lat else "location_lat"
        ]
    elif lat:
        location["lat"], location["lon"] = _number(lat), _number(lon)
        if get("location_precision_m"):
            location["precision_m"] = _number(get("location_precision_m"))

    body: dict[str, Any] = {
        "category": get("category"),
        "location": location,
        "observed_at": observed_at.isoformat(),
        "description": get("description"),
        "weapons_seen": form.get("weapons_seen") == "on",
        "casualties": form.get("casualties") == "on",
        HONEYPOT_FIELD: form.get(HONEYPOT_FIELD, ""),
    }
    hot = {
        "hidden": form.get("item_hidden") == "on",
        "obviously_suspicious": form.get("item_obvious") == "on",
        "not_typical": form.get("item_not_typical") == "on",
    }
    if get("item_description") or any(hot.values()):
        body["items"] = [
            {"description": get("item_description") or "an item (see the report)", **hot}
        ]
    if get("vehicle_vrm") or get("vehicle_description"):
        vehicle: dict[str, Any] = {
            "description": get("vehicle_description") or "a vehicle (see the report)"
        }
        if get("vehicle_vrm"):
            vehicle["vrm"] = get("vehicle_vrm")
        body["vehicles"] = [vehicle]
    if get("person_description") or get("person_direction"):
        person: dict[str, Any] = {
            "description": get("person_description") or "a person (see the report)"
        }
        if get("person_direction"):
            person["direction_of_travel"] = get("person_direction")
        body["persons"] = [person]
    contact = {k: get(f"contact_{k}") for k in ("name", "phone", "email") if get(f"contact_{k}")}
    if contact:
        body["contact"] = contact
    return body, errors


def form_errors(exc: ValidationError) -> dict[str, str]:
    """The form field each validation error belongs to, with what that field expects."""
    errors: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_input=False):
        loc = tuple(str(p) for p in error["loc"] if not isinstance(p, int))
        field = _LOC_FIELDS.get(loc[:2], loc[0] if loc else "form")
        if field not in FIELD_HELP:
            field = "form"
        errors.setdefault(field, FIELD_HELP.get(field, "Please check the form and send it again."))
    return errors


def _page(
    request: Request,
    name: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A public page (the report form and its answers) with the form's labels."""
    return page(
        request,
        name,
        status=status,
        headers=headers,
        categories=CATEGORY_LABELS,
        grades=GRADE_LABELS,
        grade_codes=GRADE_CODES,
        help=FIELD_HELP,
        max_description=MAX_DESCRIPTION,
        **context,
    )


def _form_page(
    request: Request,
    places: Sequence[Venue],
    *,
    form: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return _page(
        request,
        "report.html",
        status,
        headers,
        form=form,
        errors=errors,
        venues=_public_venues(places),
    )


@router.get("/", response_class=HTMLResponse)
def home(request: Request, user: PageUserDep) -> HTMLResponse:
    """A landing page: report a concern, or log in to one's own page."""
    return _page(request, "home.html", user=user)


@router.get("/report", response_class=HTMLResponse)
def report_form(request: Request, session: SessionDep) -> HTMLResponse:
    """The public report form."""
    return _form_page(request, reports.stored_venues(session=session), form={}, errors={})


@dataclass(frozen=True, slots=True)
class PostedForm:
    """The form's own fields as posted (anything else is dropped), and whether the body
    was over the report size limit (then no field is read)."""

    fields: dict[str, str]
    too_large: bool


async def posted_form(request: Request) -> PostedForm:
    """Read the posted form on the event loop (no worker thread, no database slot)."""
    if len(await request.body()) > REPORT_MAX_BYTES:  # sent chunked, or lying about its size
        return PostedForm({}, too_large=True)
    raw = await request.form()
    fields = {
        k: v for k, v in raw.items() if isinstance(v, str) and (k in TEXT_FIELDS or k in CHECKBOXES)
    }
    return PostedForm(fields, too_large=False)


def _field_of(loc: tuple[str, ...]) -> str:
    """The form field a report location (``("location", "venue_id")``) belongs to."""
    field = _LOC_FIELDS.get(loc[:2], loc[0] if loc else "form")
    return field if field in FIELD_HELP else "form"


async def _form_again(
    request: Request,
    *,
    form: dict[str, str],
    errors: dict[str, str],
    status: int,
    headers: dict[str, str] | None = None,
    check_venue: bool = False,
) -> HTMLResponse:
    """The form again, with what was typed and what to fix.

    ``POST /report`` passes the request gate (it waits on the intake writer instead), so the
    one read this needs (the stored venues, for the picker and the map, and with
    ``check_venue`` whether the chosen venue is one of them, so that error shows with the
    others) takes a slot of the same database gate itself, on the event loop, for a worker
    thread's read only; the page is rendered in a worker thread after the slot is given back.
    """
    sessions = get_context(request).sessions

    def read() -> list[Venue]:
        with session_scope(sessions) as session:
            return reports.stored_venues(session=session)

    gate = get_intake(request).gate  # the gate the request middleware and the writer share
    if isinstance(gate, DatabaseGate):
        async with gate.held():
            places = await run_in_threadpool(read)
    else:  # an app without a gate (tests)
        places = await run_in_threadpool(read)
    venue_id = form.get("venue_id", "").strip()
    known = {v.id for v in places}  # what the writer checks a venue against
    if check_venue and venue_id and "venue_id" not in errors and venue_id not in known:
        errors = {**errors, "venue_id": FIELD_HELP["venue_id"]}
    return await run_in_threadpool(
        lambda: _form_page(
            request, places, form=form, errors=errors, status=status, headers=headers
        )
    )


@router.post("/report", response_class=HTMLResponse)
async def report_submit(
    request: Request, posted: Annotated[PostedForm, Depends(posted_form)]
) -> HTMLResponse:
    """Accept the form; show the reference, or the form again with what to fix (422).

    Like ``POST /api/v1/reports`` this runs on the event loop, passes the request gate and
    holds no worker thread and no database slot while the intake writer stores the report
    with others (so a surge of form reports is group-committed too). It must never block on
    the writer from a gated request: on SQLite the writer needs the gate's only slot.
    A valid form is not read against the store here: the writer refuses an unknown venue
    itself, and only then is the form read again (:func:`_form_again`).
    """
    context = get_context(request)
    form = posted.fields
    try:
        intake_guard(request, context)
        if posted.too_large:
            raise HTTPException(413, f"over {REPORT_MAX_BYTES} bytes")
    except TooManyAttemptsError as exc:
        return await _form_again(
            request,
            form=form,
            errors={"form": f"{exc} Your report has not been sent yet."},
            status=429,
            headers={"Retry-After": str(exc.retry_after)},
        )
    except HTTPException as exc:
        return await _form_again(
            request,
            form=form,
            errors={"form": f"The report is too long to send ({exc.detail}): please shorten it."},
            status=exc.status_code,
        )
    now = context.clock.now()
    body, errors = form_to_body(form, now)
    submission: ReportSubmission | None = None
    try:
        submission = ReportSubmission.model_validate(body)
    except ValidationError as exc:
        errors = {**form_errors(exc), **errors}
    if errors or submission is None:
        return await _form_again(request, form=form, errors=errors, status=422, check_venue=True)
    try:
        receipt = await get_intake(request).submit(submission, now=now)
    except reports.ReportFieldError as exc:  # checks against the store and the clock
        field = _field_of(exc.loc)
        message = FIELD_HELP.get(field, "Please check the form and send it again.")
        return await _form_again(request, form=form, errors={field: message}, status=422)
    except IntakeBusy as exc:
        return _busy(request, form, exc.retry_after)
    return _received(request, receipt, submission)


def _busy(request: Request, form: dict[str, str], retry_after: int) -> HTMLResponse:
    """503: the intake queue is full. Nothing was stored; the page says when to try again,
    repeats the 999 line, and carries what was typed to send it again with one button.
    It reads nothing from the store, so refusing a surge costs the store nothing."""
    return _page(
        request,
        "busy.html",
        503,
        {"Retry-After": str(retry_after)},
        form=form,
        retry_after=retry_after,
    )


def _local(at: dt.datetime) -> str:
    """``14:05 on 5 December 2026`` in UK time."""
    local = at.astimezone(LONDON)
    return f"{local:%H:%M} on {local.day} {local:%B %Y}"


def _received(request: Request, receipt: ReportPublic, report: ReportSubmission) -> HTMLResponse:
    urgent = (
        report.category is ReportCategory.attack_in_progress
        or report.weapons_seen
        or report.casualties
    )
    return _page(
        request,
        "received.html",
        201,
        receipt=receipt,
        received_local=_local(receipt.received_at),
        urgent=urgent,
        anonymous=report.anonymous,
    )
