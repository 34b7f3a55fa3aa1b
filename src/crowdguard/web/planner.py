"""The patrol planner's page (``/planner``): the season at a glance, starting a plan with a
live progress bar, and a day's rosters as a timeline and as routes on the map.

Server-rendered from the stored plans (:mod:`crowdguard.jobs.service`) and rosters
(:func:`crowdguard.rosters.service.day_rosters`, audited); the page's script
(``static/planner.js``) starts a plan through the documented API (``POST /api/v1/plans``
with the session cookie) and follows its progress (``GET /api/v1/plans/{id}``). The page
never shows a plan's seed (reading it is audited, in the API).

**The season at a glance** reads the finished plan's ``plan.json`` coverage rows (``{venue,
start, end, coverage, risk}``, [DESIGN] contracts): each venue's mean coverage and highest
risk colour its marker, and a calendar heatmap gives the mean coverage by venue and hour of
day (local time). The stated defender utility is shown, and the worst-tie one when the plan
has it (``worst_tie_defender_utility``, issue 10: the harm if the attacker breaks ties
against the defender, Tambe, *Security and Game Theory*, 2011, ch. 2 on strong versus weak
Stackelberg equilibria).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from crowdguard.api.deps import NowDep, SessionDep
from crowdguard.jobs import service as jobs
from crowdguard.rosters import service as rosters
from crowdguard.store.errors import NotFoundError
from crowdguard.users.models import Role
from crowdguard.venues import service as venues
from crowdguard.web.common import PageUserDep, login_form, page, refuse

__all__ = ["HEAT_STEPS", "coverage_summary", "router"]

router = APIRouter(include_in_schema=False)
LONDON = ZoneInfo("Europe/London")
HEAT_STEPS = 8
"""Colour steps of the heatmap and the map (classes ``heat-0`` .. ``heat-7``)."""


def _step(value: float, top: float) -> int:
    if top <= 0:
        return 0
    return max(0, min(HEAT_STEPS - 1, int(value / top * (HEAT_STEPS - 1) + 0.5)))


def coverage_summary(result: dict[str, Any]) -> dict[str, Any]:
    """Per venue: mean coverage and highest risk over the plan's targets; and the mean
    coverage by venue and local hour of day (the calendar heatmap), with colour steps."""
    rows = result.get("coverage") or []
    by_venue: dict[str, list[tuple[float, float]]] = defaultdict(list)
    by_hour: dict[tuple[str, int], list[float]] = defaultdict(list)
    for row in rows:
        if not isinstance(row, dict):
            continue
        venue = str(row.get("venue", ""))
        try:
            coverage = float(row.get("coverage", 0.0))
            risk = float(row.get("risk", 0.0))
            start = dt.datetime.fromisoformat(str(row.get("start")))
        except (TypeError, ValueError):
            continue
        by_venue[venue].append((coverage, risk))
        local = start if start.tzinfo is None else start.astimezone(LONDON)
        by_hour[(venue, local.hour)].append(coverage)
    venues_out = {
        v: {
            "coverage": sum(c for c, _ in pairs) / len(pairs),
            "risk": max(r for _, r in pairs),
            "targets": len(pairs),
        }
        for v, pairs in by_venue.items()
    }
    top_risk = max((s["risk"] for s in venues_out.values()), default=0.0)
    for summary in venues_out.values():
        summary["coverage_step"] = _step(summary["coverage"], 1.0)
        summary["risk_step"] = _step(summary["risk"], top_risk)
    hours = sorted({h for _, h in by_hour})
    heat = {
        v: {
            h: {
                "value": sum(by_hour[(v, h)]) / len(by_hour[(v, h)]),
                "step": _step(sum(by_hour[(v, h)]) / len(by_hour[(v, h)]), 1.0),
            }
            for h in hours
            if (v, h) in by_hour
        }
        for v in venues_out
    }
    return {"venues": venues_out, "hours": hours, "heat": heat}


def _places(
    snapshot: dict[str, Any],
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    def points(key: str) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for item in snapshot.get(key) or []:
            if isinstance(item, dict) and "id" in item and "lat" in item and "lon" in item:
                out[str(item["id"])] = {
                    "id": str(item["id"]),
                    "name": str(item.get("name", item["id"])),
                    "lat": float(item["lat"]),
                    "lon": float(item["lon"]),
                }
        return out

    return points("venues"), points("bases")


def _minutes(text: str, day: dt.date) -> int:
    moment = dt.datetime.fromisoformat(text)
    local = moment if moment.tzinfo is None else moment.astimezone(LONDON)
    if local.date() < day:
        return 0
    if local.date() > day:
        return 24 * 60
    return local.hour * 60 + local.minute


@router.get("/planner", response_class=HTMLResponse)
def planner(
    request: Request,
    user: PageUserDep,
    session: SessionDep,
    now: NowDep,
    plan: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    day: Annotated[dt.date | None, Query()] = None,
) -> HTMLResponse:
    """The season, a day, and starting a plan (planners and admins)."""
    if user is None:
        return login_form(request, title="Log in to the planner", next_path="/planner")
    if user.role not in (Role.planner, Role.admin):
        return refuse(request, user, "/planner")
    summaries, total = jobs.list_plans(session=session, limit=20, offset=0)
    scenario_rows, _ = venues.list_scenarios(session=session, limit=200, offset=0)
    chosen = plan
    if chosen is None:
        chosen = next((p.id for p in summaries if p.status.value == "done"), None)
    context: dict[str, Any] = {
        "plans": summaries,
        "plans_total": total,
        "scenarios": [(s.id, s.name) for s in scenario_rows],
        "chosen": None,
        "season": None,
        "day": None,
        "problem": "",
    }
    if chosen is not None:
        try:
            row = jobs.get_plan(session=session, plan_id=chosen)
        except NotFoundError:
            context["problem"] = f"There is no plan {chosen}."
            row = None
        if row is not None:
            context["chosen"] = _chosen(row)
            if row.status == "done" and isinstance(row.result, dict):
                context["season"] = _season(row.result, row.scenario_snapshot or {})
                context["day"] = _day(session, user, now, row, day)
    return page(request, "planner.html", user=user, **context)


def _chosen(row: Any) -> dict[str, Any]:
    result = row.result if isinstance(row.result, dict) else {}
    worst = result.get("worst_tie_defender_utility")
    return {
        "id": row.id,
        "scenario_id": row.scenario_id,
        "status": row.status,
        "progress": row.progress,
        "error": row.error,
        "defender_utility": result.get("defender_utility"),
        "worst_tie": worst if isinstance(worst, int | float) else None,
        "solver": result.get("solver") or row.solver,
        "dates": _dates(row.scenario_snapshot or {}, row.days),
        "on_sweep": _on_sweep(result.get("proportionality")),
    }


def _on_sweep(placed: Any) -> dict[str, Any] | None:
    """Where the plan's deployment sits on a sweep of its scenario (``plan.json``'s
    ``proportionality``, issue 16), as the page words it; ``None`` without a sweep."""
    if not isinstance(placed, dict) or not isinstance(placed.get("point"), dict):
        return None
    point, sweep = placed["point"], placed.get("sweep") or {}
    return {
        "teams": placed.get("teams"),
        "threat": placed.get("threat"),
        "position": placed.get("position"),
        "metric": str(placed.get("metric", "")).replace("_", " "),
        "next_team_reduces": placed.get("next_team_reduces"),
        "proportionate": point.get("teams"),
        "interval": point.get("interval") or {},
        "threshold": point.get("threshold_spec"),
        "same_scenario": sweep.get("same_scenario", True),
    }


def _dates(snapshot: dict[str, Any], days: int | None) -> list[dt.date]:
    """The plan's days: the scenario's period, or its first ``days``."""
    try:
        first = dt.date.fromisoformat(str(snapshot.get("start", ""))[:10])
        last = dt.date.fromisoformat(str(snapshot.get("end", ""))[:10])
    except ValueError:
        return []
    if days is not None:
        last = min(last, first + dt.timedelta(days=days - 1))
    count = max(0, min((last - first).days + 1, 366))
    return [first + dt.timedelta(days=k) for k in range(count)]


def _season(result: dict[str, Any], snapshot: dict[str, Any]) -> dict[str, Any]:
    summary = coverage_summary(result)
    venue_points, _ = _places(snapshot)
    markers = [{**venue_points[v], **s} for v, s in summary["venues"].items() if v in venue_points]
    names = {v: p["name"] for v, p in venue_points.items()}
    return {**summary, "markers": markers, "names": names}


def _day(
    session: Any, user: Any, now: dt.datetime, row: Any, day: dt.date | None
) -> dict[str, Any] | None:
    snapshot = row.scenario_snapshot or {}
    if day is None:
        dates = _dates(snapshot, row.days)
        if not dates:
            return None
        day = dates[0]
    found = rosters.day_rosters(
        session=session,
        day=day,
        role=Role(user.role),
        team=user.team,
        actor=user.username,
        now=now,
        lead=dt.timedelta(0),
    )
    venue_points, base_points = _places(snapshot)
    teams = []
    routes = []
    for roster in found.teams:
        bars = []
        stops: list[dict[str, Any]] = []
        base = base_points.get(roster.base)
        if base is not None:
            stops.append(base)
        for segment in roster.segments:
            start = _minutes(segment.start, day)
            end = _minutes(segment.end, day)
            venue = venue_points.get(segment.venue or "")
            bars.append(
                {
                    "kind": segment.kind,
                    "x": start,
                    "width": max(1, end - start),
                    "label": f"{segment.kind} {venue['name'] if venue else ''} "
                    f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}".strip(),
                }
            )
            if segment.kind == "patrol" and venue is not None and stops[-1:] != [venue]:
                stops.append(venue)
        if base is not None and len(stops) > 1:
            stops.append(base)
        teams.append({"team": roster.team, "bars": bars, "plan_id": roster.plan_id})
        routes.append({"team": roster.team, "stops": stops})
    return {
        "date": day,
        "teams": teams,
        "routes": routes,
        "other_plan": any(t["plan_id"] != row.id for t in teams),
    }
