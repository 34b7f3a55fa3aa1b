"""An armed officer's own page (``/officer``): their next shift only, on a phone.

What the page shows comes from :func:`crowdguard.rosters.service.officer_next_shift`: the
officer's own team, the shift that is on or next, and only once it is released
(``CROWDGUARD_OFFICER_LEAD_MINUTES`` before it starts; [DESIGN] secrecy); otherwise the
plain time it is released. Venue names and local (Europe/London) times, and the route on
the map: base, the venues in order, base again, drawn along the plan's travel model (a
trip to or from the island through the ferry terminals: :func:`crowdguard.web.maps.route_drawer`). Nothing about other teams: the
page holds no other roster, unit or base, and the server renders it with the read
audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from crowdguard.api.deps import ContextDep, NowDep, SessionDep
from crowdguard.dispatch.service import dispatch_places
from crowdguard.jobs import service as jobs
from crowdguard.rosters import service as rosters
from crowdguard.store.errors import NotFoundError
from crowdguard.users.models import Role
from crowdguard.web.common import PageUserDep, login_form, page, refuse
from crowdguard.web.maps import route_drawer

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
LONDON = ZoneInfo("Europe/London")
KIND_WORDS = {"patrol": "Patrol", "transit": "Travel", "base": "At base"}


def local_time(when: dt.datetime | str, now: dt.datetime) -> str:
    """``08:00``, or ``08:00 tomorrow`` / ``08:00 on Tue 9 Dec`` when not today (London)."""
    moment = dt.datetime.fromisoformat(when) if isinstance(when, str) else when
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LONDON)
    local = moment.astimezone(LONDON)
    today = now.astimezone(LONDON).date()
    if local.date() == today:
        return f"{local:%H:%M}"
    if local.date() == today + dt.timedelta(days=1):
        return f"{local:%H:%M} tomorrow"
    return f"{local:%H:%M} on {local:%a} {local.day} {local:%b}"


def _snapshot(session: Any, plan_id: int) -> dict[str, Any] | None:
    """The scenario the shift's plan was solved on (its travel model draws the route)."""
    try:
        return jobs.get_plan(session=session, plan_id=plan_id).scenario_snapshot
    except NotFoundError:
        return None


@router.get("/officer", response_class=HTMLResponse)
def officer(
    request: Request,
    user: PageUserDep,
    session: SessionDep,
    context: ContextDep,
    now: NowDep,
) -> HTMLResponse:
    """My next shift (officers only)."""
    if user is None:
        return login_form(request, title="Log in to see your next shift", next_path="/officer")
    if user.role is not Role.officer:
        return refuse(request, user, "/officer")
    if not user.team:
        return page(request, "officer.html", user=user, shift=None, opens=None, no_team=True)
    shift, opens = rosters.officer_next_shift(
        session=session,
        team=user.team,
        actor=user.username,
        now=now,
        lead=dt.timedelta(minutes=context.settings.officer_lead_minutes),
    )
    if shift is None:
        return page(
            request,
            "officer.html",
            user=user,
            shift=None,
            opens=None if opens is None else local_time(opens, now),
            no_team=False,
        )
    places = dispatch_places(session=session)
    venues = {v.id: v for v in places.venues}
    base = next((b for b in places.bases if b.id == shift.base), None)
    rows: list[dict[str, Any]] = []
    route: list[dict[str, Any]] = []
    if base is not None:
        route.append(
            {"id": base.id, "name": base.name, "lat": base.lat, "lon": base.lon, "kind": "base"}
        )
    for segment in shift.segments:
        venue = venues.get(segment.venue or "")
        where = venue.name if venue else (base.name if base else shift.base)
        rows.append(
            {
                "kind": KIND_WORDS.get(segment.kind, segment.kind),
                "where": where if segment.kind != "transit" else f"to {where}",
                "start": local_time(segment.start, now),
                "end": local_time(segment.end, now),
            }
        )
        fresh = venue is not None and (not route or route[-1]["name"] != venue.name)
        if segment.kind == "patrol" and venue is not None and fresh:
            route.append(
                {
                    "id": venue.id,
                    "name": venue.name,
                    "lat": venue.lat,
                    "lon": venue.lon,
                    "kind": "venue",
                }
            )
    if base is not None and len(route) > 1:
        route.append({**route[0]})
    path = route_drawer(_snapshot(session, shift.plan_id))(shift.team, route)
    return page(
        request,
        "officer.html",
        user=user,
        shift=shift,
        rows=rows,
        route=route,
        path=path,
        base_name=base.name if base else shift.base,
        starts=local_time(shift.starts_at, now),
        ends=local_time(shift.ends_at, now),
        opens=None,
        no_team=False,
    )
