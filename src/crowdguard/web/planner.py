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

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from crowdguard.api.deps import GateReleaseDep, NowDep, SessionDep, done_with_database
from crowdguard.errors import InputError
from crowdguard.jobs import service as jobs
from crowdguard.jobs.whatif import BusyError, price_overrides
from crowdguard.patrols.season_routes import DatedOverride
from crowdguard.plans import service as security_plans
from crowdguard.plans.revisions import DEFAULT_DAYS_BEFORE
from crowdguard.rosters import service as rosters
from crowdguard.store.errors import NotFoundError
from crowdguard.users.models import Role
from crowdguard.venues import service as venues
from crowdguard.web.common import PageUserDep, login_form, page, refuse
from crowdguard.web.maps import route_drawer
from crowdguard.web.session import cross_site

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
    by_date = _by_date(rows)
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
    return {"venues": venues_out, "hours": hours, "heat": heat, **by_date}


def _by_date(rows: list[Any]) -> dict[str, Any]:
    """The calendar heatmap by date: each venue's mean coverage on each day of the plan
    (local dates), for a season's view at a glance."""
    cells: dict[tuple[str, dt.date], list[float]] = defaultdict(list)
    for row in rows:
        if not isinstance(row, dict):
            continue
        try:
            coverage = float(row.get("coverage", 0.0))
            start = dt.datetime.fromisoformat(str(row.get("start")))
        except (TypeError, ValueError):
            continue
        local = start if start.tzinfo is None else start.astimezone(LONDON)
        cells[(str(row.get("venue", "")), local.date())].append(coverage)
    dates = sorted({d for _, d in cells})
    venues = sorted({v for v, _ in cells})
    day_heat: dict[str, dict[dt.date, dict[str, Any]]] = {v: {} for v in venues}
    for (venue, day), values in cells.items():
        mean = sum(values) / len(values)
        day_heat[venue][day] = {"value": mean, "step": _step(mean, 1.0)}
    return {"dates": dates, "day_heat": day_heat}


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


def _minutes(moment: dt.datetime, day: dt.date) -> int:
    local = moment.astimezone(LONDON)
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
    context = _planner_context(session, user, now, plan, day)
    return page(request, "planner.html", user=user, **context)


def _planner_context(
    session: Any, user: Any, now: dt.datetime, plan: int | None, day: dt.date | None
) -> dict[str, Any]:
    """Everything the page shows, read from the store (the template reads nothing more)."""
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
        "queue": _review_queue(session, now),
        "whatif": {},
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
    context["whatif_choices"] = _whatif_choices(session, context)
    return context


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
        "overrides": [o for o in result.get("overrides") or [] if isinstance(o, dict)],
        "floors": _floors(result),
    }


def _floors(result: dict[str, Any]) -> list[str]:
    """The plan's floors and variant cap as it met them (``plan.json``'s ``options``,
    ``response_floor_check``, ``variants_cost`` and ``visibility``), in words."""
    given = result.get("options")
    options: dict[str, Any] = given if isinstance(given, dict) else {}
    words = []
    check = result.get("response_floor_check")
    if isinstance(check, dict) and isinstance(check.get("floor"), int | float):
        lowest = check.get("lowest")
        crowd = check.get("min_crowd")
        words.append(
            f"Response floor {check['floor']:.0%} (a team within {check.get('target_minutes')} "
            f"min) at {check.get('venue_slots')} venue-slots"
            + (
                f" with at least {crowd:g} people"
                if isinstance(crowd, int | float) and crowd
                else ""
            )
            + "; lowest chance there "
            + ("-" if not isinstance(lowest, int | float) else f"{lowest:.0%}")
            + "."
        )
    floor = options.get("visibility_floor")
    days = [r for r in result.get("visibility") or [] if isinstance(r, dict)]
    if isinstance(floor, int | float) and days:
        low = min(days, key=lambda r: float(r.get("expected_shoppers", 0.0)))
        words.append(
            f"Visibility floor {floor:g} shoppers a day; lowest day {low.get('date')}: "
            f"{float(low.get('expected_shoppers', 0.0)):.0f}."
        )
    cost = result.get("variants_cost")
    if isinstance(options.get("max_variants"), int) and isinstance(cost, int | float):
        words.append(
            f"At most {options['max_variants']} routes per team per day: costs {cost:.3f} "
            "in defender utility over the plan."
        )
    return words


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
    drawn = route_drawer(snapshot)
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
        routes.append({"team": roster.team, "stops": stops, "path": drawn(roster.team, stops)})
    return {
        "date": day,
        "teams": teams,
        "routes": routes,
        "other_plan": any(t["plan_id"] != row.id for t in teams),
    }


REVIEW_HORIZON_DAYS = 28
"""How far ahead the planner's review queue looks (overdue reviews are always in it)."""


def _review_queue(session: Any, now: dt.datetime) -> dict[str, Any]:
    """Security plans awaiting review that fall due within :data:`REVIEW_HORIZON_DAYS`,
    overdue first (:func:`crowdguard.plans.service.review_queue`), with their events."""
    today = security_plans.today(now)
    rows, total = security_plans.review_queue(
        session=session, today=today, within_days=REVIEW_HORIZON_DAYS, limit=50, offset=0
    )
    items = []
    for row in rows:
        public = security_plans.plan_public(session=session, row=row)
        event = venues.get_event(session=session, event_id=row.event_id)
        items.append(
            {
                "plan": public,
                "event": event.name,
                "venue": event.venue_id,
                "opens": event.starts_at.astimezone(LONDON).date(),
                "days_left": (row.review_due - today).days,
            }
        )
    return {
        "rows": items,
        "total": total,
        "horizon": REVIEW_HORIZON_DAYS,
        "days_before": DEFAULT_DAYS_BEFORE,
    }


# -- what an override would cost ---------------------------------------------------------------


def _whatif_choices(session: Any, context: dict[str, Any]) -> dict[str, Any] | None:
    """The teams, places and days of the scenario a what-if is priced on: the chosen plan's
    scenario, else the first stored one."""
    chosen = context.get("chosen")
    scenario_id = chosen["scenario_id"] if chosen else None
    if scenario_id is None and context["scenarios"]:
        scenario_id = context["scenarios"][0][0]
    if scenario_id is None:
        return None
    try:
        scenario = venues.scenario_public(
            venues.get_scenario(session=session, scenario_id=scenario_id)
        ).scenario
    except NotFoundError:
        return None
    return {
        "scenario_id": scenario.id,
        "teams": sorted(t.callsign for t in scenario.teams),
        "places": [(v.id, v.name) for v in scenario.venues]
        + [(b.id, f"{b.name} (base)") for b in scenario.bases],
        "start": scenario.start,
        "end": scenario.end,
    }


@router.post("/planner/override-cost", response_class=HTMLResponse)
def override_cost(
    request: Request,
    user: PageUserDep,
    session: SessionDep,
    now: NowDep,
    release_gate: GateReleaseDep,
    scenario_id: Annotated[str, Form(max_length=80)] = "",
    team: Annotated[str, Form(max_length=80)] = "",
    place: Annotated[str, Form(max_length=80)] = "",
    at: Annotated[str, Form(max_length=40)] = "",
    action: Annotated[str, Form(max_length=10)] = "pin",
    plan: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """Price one pin or forbid on its day before it is applied: what it costs in defender
    utility and in predictability (:func:`crowdguard.jobs.whatif.price_overrides`)."""
    if user is None:
        return login_form(request, title="Log in to the planner", next_path="/planner")
    if user.role not in (Role.planner, Role.admin):
        return refuse(request, user, "/planner")
    refused = cross_site(request)
    if refused is not None:
        return refused
    chosen = int(plan) if plan.isdigit() and 0 < int(plan) < 2**31 else None
    form = {"team": team, "place": place, "at": at, "action": action}
    errors: dict[str, str] = {}
    if action not in ("pin", "forbid"):
        errors["action"] = "choose pin or forbid"
    try:
        when = dt.datetime.strptime(at, "%Y-%m-%dT%H:%M")
    except ValueError:
        errors["at"] = "enter a local date and time, such as 2026-12-05T14:00"
    try:
        scenario = venues.scenario_public(
            venues.get_scenario(session=session, scenario_id=scenario_id)
        ).scenario
    except (NotFoundError, ValidationError):
        errors["scenario_id"] = f"no stored scenario {scenario_id!r}"
        scenario = None
    if scenario is not None:
        if team not in {t.callsign for t in scenario.teams}:
            errors["team"] = f"no team {team!r} in {scenario.id}"
        if place not in {v.id for v in scenario.venues} | {b.id for b in scenario.bases}:
            errors["place"] = f"no venue or base {place!r} in {scenario.id}"
    context = _planner_context(session, user, now, chosen, None)
    if errors or scenario is None:
        context["whatif"] = {"form": form, "errors": errors}
        return page(request, "planner.html", user=user, status=422, **context)
    override = DatedOverride(team, place, when, "pin" if action == "pin" else "forbid")
    done_with_database(session, release_gate)  # the day's two solves take seconds
    try:
        rows = price_overrides(scenario, [override])
    except InputError as exc:  # BusyError included: one what-if at a time
        status = 429 if isinstance(exc, BusyError) else 422
        context["whatif"] = {"form": form, "errors": {"form": str(exc)}}
        return page(request, "planner.html", user=user, status=status, **context)
    flag = "--pin" if action == "pin" else "--forbid"
    context["whatif"] = {
        "form": form,
        "errors": {},
        "rows": rows,
        "command": f"crowdguard plan SCENARIO.yaml {flag} {team}@{place}@{at}",
        "action": action,
        "when": when,
    }
    return page(request, "planner.html", user=user, **context)
