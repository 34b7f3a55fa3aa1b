"""Server-rendered pages: the public report form (``/report``) and the control-room board
(``/board``), plus their static assets (vendored, no CDN: the pages work offline).

The form works without JavaScript: it posts ``application/x-www-form-urlencoded`` to
``/report``, which builds the same :class:`ReportSubmission` the JSON API takes and calls
the same service function, under the same rate limit and size limit. Every public page
carries the plain banner "In an emergency call 999" (ACT guidance; ``domain.md`` section 8).
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from crowdguard.api.deps import NowDep, SessionDep
from crowdguard.reports import service as reports
from crowdguard.reports.api import intake_guard
from crowdguard.reports.models import EMERGENCY_REMINDER, ReportCategory, ReportSubmission
from crowdguard.store.errors import NotFoundError
from crowdguard.web.board import BoardEvent, BusDep, publish_after_commit

__all__ = ["CATEGORY_LABELS", "router"]

_HERE = Path(str(resources.files("crowdguard.web")))
templates = Jinja2Templates(directory=str(_HERE / "templates"))
LONDON = ZoneInfo("Europe/London")
STATIC = {"board.js": "text/javascript", "style.css": "text/css"}

CATEGORY_LABELS: dict[str, str] = {
    ReportCategory.unattended_item.value: "An unattended bag or item",
    ReportCategory.suspicious_vehicle.value: "A suspicious vehicle",
    ReportCategory.hostile_reconnaissance.value: "Someone watching or filming security",
    ReportCategory.weapons.value: "Weapons",
    ReportCategory.gathering_materials.value: "Buying or gathering unusual materials",
    ReportCategory.storage.value: "Storing unusual materials",
    ReportCategory.research.value: "Unusual research or questions",
    ReportCategory.finance.value: "Unusual money transactions",
    ReportCategory.communications.value: "Suspicious communications",
    ReportCategory.online_content.value: "Terrorist or extremist content online",
    ReportCategory.crowd_safety_non_ct.value: "Crowd safety (crowding, lost child)",
    ReportCategory.attack_in_progress.value: "An attack is happening now (also call 999)",
}

router = APIRouter(include_in_schema=False)


def _form_to_body(form: dict[str, str], now: dt.datetime) -> dict[str, Any]:
    """The JSON body the API would take, from the form's flat fields."""
    observed = form.get("observed_at", "").strip()
    if observed:
        try:
            when = dt.datetime.fromisoformat(observed)
        except ValueError:
            when = None
        observed_at: Any = (
            (when.replace(tzinfo=LONDON) if when.tzinfo is None else when).isoformat()
            if when is not None
            else observed
        )
    else:
        observed_at = now.isoformat()
    location: dict[str, Any] = {}
    for key in ("text", "lat", "lon"):
        value = form.get(f"location_{key}", "").strip()
        if value:
            location[key] = value
    contact = {
        k: form[f"contact_{k}"].strip()
        for k in ("name", "phone", "email")
        if form.get(f"contact_{k}", "").strip()
    }
    body: dict[str, Any] = {
        "category": form.get("category", ""),
        "location": location,
        "observed_at": observed_at,
        "description": form.get("description", ""),
        "weapons_seen": form.get("weapons_seen") == "on",
        "casualties": form.get("casualties") == "on",
        "website": form.get("website", ""),
    }
    if contact:
        body["contact"] = contact
    return body


def _page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        name,
        {"reminder": EMERGENCY_REMINDER, "categories": CATEGORY_LABELS, **context},
        status_code=status,
    )


@router.get("/report", response_class=HTMLResponse)
def report_form(request: Request) -> HTMLResponse:
    """The public report form."""
    return _page(request, "report.html", form={}, errors=[])


@router.post("/report", response_class=HTMLResponse, dependencies=[Depends(intake_guard)])
async def report_submit(
    request: Request, session: SessionDep, now: NowDep, bus: BusDep
) -> HTMLResponse:
    """Accept the form; show the reference, or the form again with what to fix."""
    raw = await request.form()
    form = {k: v for k, v in raw.items() if isinstance(v, str)}
    try:
        submission = ReportSubmission.model_validate(_form_to_body(form, now))
    except ValidationError as exc:
        errors = [
            f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}"
            for e in exc.errors(include_url=False, include_input=False)
        ]
        return _page(request, "report.html", 422, form=form, errors=errors)
    receipt, row = reports.submit_report(session=session, report=submission, now=now)
    if row is not None:
        publish_after_commit(session, bus, BoardEvent("report-created", reports.board_summary(row)))
    return _page(request, "received.html", 201, receipt=receipt)


@router.get("/board", response_class=HTMLResponse)
def board(request: Request) -> HTMLResponse:
    """The control-room live board (log in with a control or admin account)."""
    return _page(request, "board.html")


@router.get("/static/{name}")
def static(name: str) -> FileResponse:
    """A vendored static asset."""
    if name not in STATIC:
        raise NotFoundError(f"static: no asset {name!r}")
    return FileResponse(_HERE / "static" / name, media_type=STATIC[name])
