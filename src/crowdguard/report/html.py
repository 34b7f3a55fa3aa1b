"""The self-contained HTML report of a patrol plan (``DIR/report.html``).

One file, no network: figures are embedded (PNG as data URIs, the map as inline SVG) and
the stylesheet is inline. It is a planner's document: it shows coverage and risk, never a
drawn roster, and carries the OFFICIAL-SENSITIVE marking of the Government Security
Classifications (Cabinet Office, 2018) because coverage patterns are operationally useful to a
hostile observer (domain.md section 4: response measures are planned ahead and not published).

In routes mode it also states what the planner's options cost: each pin or forbid with the
defender utility and route entropy it took (the warnings ARMOR gave its users, Pita et al.,
AAMAS 2008), the price of a ``--max-variants`` cap, the expected shoppers who pass a patrol
each day, and the trade-off between visibility and protection on one day
(:func:`crowdguard.patrols.whatifs.visibility_tradeoff`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from jinja2 import Environment, PackageLoader, select_autoescape

from crowdguard import __version__
from crowdguard.patrols.planner import PatrolPlan
from crowdguard.report.render import Renderer
from crowdguard.risk.footprint import footprint_warnings
from crowdguard.scenario.load import is_demo

__all__ = [
    "PlanReviewSummary",
    "VenueSummary",
    "plan_review_summaries",
    "render_report",
    "venue_summaries",
]


@dataclass(frozen=True)
class VenueSummary:
    """Season figures for one venue, as shown in the report and the CLI table."""

    id: str
    name: str
    town: str
    open_slots: int
    mean_coverage: float
    patrol_hours: float
    mean_risk: float
    peak_risk: float
    peak_slot: str
    peak_slot_coverage: float
    mean_response: float | None = None
    """Mean chance a team is within the response target (routes mode; ``None`` otherwise)."""


def venue_summaries(plan: PatrolPlan) -> list[VenueSummary]:
    """Per-venue totals, highest risk first."""
    targets = plan.targets
    zone = ZoneInfo(plan.scenario.timezone)
    slot_hours = plan.scenario.slot_minutes / 60
    venues_arr = np.array(targets.venue)
    out = []
    for venue in plan.scenario.venues:
        mask = venues_arr == venue.id
        if not mask.any():
            out.append(
                VenueSummary(venue.id, venue.name, venue.town, 0, 0.0, 0.0, 0.0, 0.0, "-", 0.0)
            )
            continue
        index = np.flatnonzero(mask)
        risk = targets.risk[index]
        peak = int(index[int(np.argmax(risk))])
        out.append(
            VenueSummary(
                id=venue.id,
                name=venue.name,
                town=venue.town,
                open_slots=int(index.size),
                mean_coverage=float(plan.coverage[index].mean()),
                patrol_hours=float(plan.coverage[index].sum() * slot_hours),
                mean_risk=float(risk.mean()),
                peak_risk=float(risk.max()),
                peak_slot=targets.start[peak].astimezone(zone).strftime("%a %d %b %H:%M"),
                peak_slot_coverage=float(plan.coverage[peak]),
                mean_response=None if plan.response is None else float(plan.response[index].mean()),
            )
        )
    out.sort(key=lambda v: v.peak_risk, reverse=True)
    return out


@dataclass(frozen=True)
class PlanReviewSummary:
    """One linked security plan's review and what it did to the patrols (report and CLI)."""

    venue: str
    venue_name: str
    event: str
    tier: str
    verdict: str
    multipliers: dict[str, float]
    findings: tuple[tuple[str, str], ...]  # (rule id, title) moving risk
    mean_coverage: float
    mean_coverage_if_resolved: float | None
    patrol_hours_delta: float | None
    fictional: tuple[str, ...] = ()  # invented details of a demo plan, said so in the report


def plan_review_summaries(plan: PatrolPlan) -> list[PlanReviewSummary]:
    """The ``plan_reviews`` rows with names and finding titles, most patrol hours moved first.

    A plan's effect is the counterfactual of :mod:`crowdguard.plans.influence` (its open
    findings all resolved); ``None`` where it has not been solved.
    """
    names = {v.id: v.name for v in plan.scenario.venues}
    out = []
    for row in plan.plan_review_rows():
        link = plan.linked_plans[row["venue"]]
        moving = set(row["findings_moving_risk"])
        out.append(
            PlanReviewSummary(
                venue=row["venue"],
                venue_name=names.get(row["venue"], row["venue"]),
                event=row["event"],
                tier=row["tier"],
                verdict=row["verdict"],
                multipliers=row["multipliers"],
                findings=tuple((f.rule, f.title) for f in link.review.findings if f.rule in moving),
                mean_coverage=row["mean_coverage"],
                mean_coverage_if_resolved=row["mean_coverage_if_resolved"],
                patrol_hours_delta=row["patrol_hours_delta"],
                fictional=tuple(link.review.fictional_details),
            )
        )
    out.sort(key=lambda r: abs(r.patrol_hours_delta or 0.0), reverse=True)
    return out


def _by_hour(
    plan: PatrolPlan, values: np.ndarray, venue_ids: list[str]
) -> tuple[np.ndarray, list[int]]:
    """Mean of ``values`` per venue and hour of day (NaN where never open)."""
    zone = ZoneInfo(plan.scenario.timezone)
    hours = np.array([s.astimezone(zone).hour for s in plan.targets.start])
    shown = sorted(set(hours.tolist()))
    row = {v: i for i, v in enumerate(venue_ids)}
    rows = np.array([row[v] for v in plan.targets.venue])
    cols = np.searchsorted(shown, hours)
    total = np.zeros((len(venue_ids), len(shown)))
    count = np.zeros_like(total)
    np.add.at(total, (rows, cols), values)
    np.add.at(count, (rows, cols), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
    mean[count == 0] = np.nan
    return mean, shown


def _route_day(plan: PatrolPlan, route_day: dt.date | None) -> dt.date | None:
    """The day whose drawn routes the report maps: the one asked for, else the riskiest."""
    if plan.mode != "routes" or not plan.day_plans:
        return None
    if route_day is not None:
        return route_day
    zone = ZoneInfo(plan.scenario.timezone)
    dates = np.array([s.astimezone(zone).date().toordinal() for s in plan.targets.start])
    totals = np.bincount(dates - dates.min(), weights=plan.targets.risk)
    return dt.date.fromordinal(int(dates.min() + np.argmax(totals)))


def _route_lines(plan: PatrolPlan, day: dt.date) -> list[tuple[str, list[tuple[float, float]]]]:
    """Each team's drawn route that day as map points: base, patrolled venues, base, leg by
    leg along the plan's travel model (:func:`crowdguard.patrols.travel.drawn_route`: the
    road graph's paths when given; a leg between the island and the mainland through the
    terminals of the ferry it takes)."""
    from crowdguard.patrols.travel import drawn_route

    places = {v.id for v in plan.scenario.venues} | {b.id for b in plan.scenario.bases}
    travel = plan.travel_times()
    lines = []
    drawn = plan.rosters().get(day.isoformat())
    for team in () if drawn is None else drawn.teams:
        stops = [team.base]
        for segment in team.patrols():
            venue = segment.venue
            if venue is not None and venue in places and stops[-1] != venue:
                stops.append(venue)
        stops.append(team.base)
        lines.append((team.team, drawn_route(plan.scenario, travel, team.team, stops)))
    return lines


def _crossings_shown(
    plan: PatrolPlan,
) -> list[tuple[str, tuple[float, float], tuple[float, float]]]:
    """The ferry routes to draw: the travel model's, when the scenario has places on both
    sides of the water."""
    scenario = plan.scenario
    sides = {v.island for v in scenario.venues} | {b.island for b in scenario.bases}
    if len(sides) < 2:
        return []
    return [
        (c.id, (c.mainland.lat, c.mainland.lon), (c.island.lat, c.island.lon))
        for c in plan.travel_times().crossings
    ]


def render_report(
    plan: PatrolPlan,
    *,
    generated: dt.datetime | None = None,
    route_day: dt.date | None = None,
    renderer: Renderer | None = None,
) -> str:
    """The report as one HTML string; ``route_day`` picks the day of the route map.

    ``renderer`` draws the figures (:mod:`crowdguard.report.figures`), side by side in its
    worker processes when it has some; default: here, one after the other."""
    renderer = renderer or Renderer(0)
    scenario = plan.scenario
    summaries = venue_summaries(plan)
    venue_ids = [s.id for s in summaries]
    labels = [f"{s.name} ({s.town})" if s.town else s.name for s in summaries]
    coverage_grid, hours = _by_hour(plan, plan.coverage, venue_ids)
    risk_grid, _ = _by_hour(plan, plan.targets.risk, venue_ids)
    by_id = {v.id: v for v in scenario.venues}
    shown_day = _route_day(plan, route_day)
    crossings = _crossings_shown(plan)
    venues = [
        (s.name, by_id[s.id].lat, by_id[s.id].lon, s.mean_coverage, s.mean_risk) for s in summaries
    ]
    bases = [(b.name, b.lat, b.lon) for b in scenario.bases]
    # the slowest first, so that the workers finish together
    figures = {
        "map_svg": renderer.figure("venue_map_svg", venues, bases, crossings=crossings),
    }
    if shown_day is not None:
        figures["routes_svg"] = renderer.figure(
            "venue_map_svg",
            venues,
            bases,
            routes=_route_lines(plan, shown_day),
            crossings=crossings,
            title=f"Drawn routes, {shown_day:%a %d %b %Y}",
        )
    figures["coverage_png"] = renderer.figure(
        "heatmap_png",
        coverage_grid,
        labels,
        hours,
        title="Mean patrol coverage by hour",
        colorbar="coverage",
        vmax=1.0,
    )
    figures["risk_png"] = renderer.figure(
        "heatmap_png",
        risk_grid,
        labels,
        hours,
        title="Mean risk by hour",
        colorbar="expected harm",
        cmap="magma_r",
    )
    if plan.response is not None:
        response_grid, _ = _by_hour(plan, plan.response, venue_ids)
        figures["response_png"] = renderer.figure(
            "heatmap_png",
            response_grid,
            labels,
            hours,
            title=f"Chance a team is within {scenario.patrol.response_target_minutes:g} minutes",
            colorbar="probability",
            cmap="cividis",
            vmax=1.0,
        )
    if plan.visibility_tradeoff and plan.visibility_tradeoff_day is not None:
        figures["tradeoff_png"] = renderer.figure(
            "tradeoff_png",
            plan.visibility_tradeoff,
            title=f"Price of visibility, {plan.visibility_tradeoff_day:%a %d %b %Y}",
        )
    if plan.on_sweep is not None:
        figures["sweep_png"] = renderer.figure("sweep_position_png", plan.on_sweep)
    zone = ZoneInfo(scenario.timezone)
    attacked_venue, _, attacked_time = plan.attacked_target.partition("@")
    attacked_when = (
        dt.datetime.fromisoformat(attacked_time).astimezone(zone) if attacked_time else None
    )
    context: dict[str, Any] = {
        "scenario": scenario,
        "plan": plan,
        "version": __version__,
        "generated": (generated or dt.datetime.now(zone)).strftime("%d %b %Y %H:%M %Z"),
        "period": f"{plan.days[0]:%a %d %b %Y} to {plan.days[-1]:%a %d %b %Y}",
        "summaries": summaries,
        "plan_reviews": plan_review_summaries(plan),
        "response_rows": plan.response_by_venue(),
        "route_day": f"{shown_day:%A %d %B %Y}" if shown_day else "",
        "n_targets": len(plan.targets),
        "n_slots": len(plan.targets.slot_starts),
        "attacked_venue": by_id[attacked_venue].name if attacked_venue in by_id else attacked_venue,
        "attacked_when": attacked_when.strftime("%a %d %b %H:%M") if attacked_when else "",
        "team_hours": sum(len(t) for t in plan.slot_teams) * scenario.slot_minutes / 60,
        "override_rows": plan.override_rows(),
        "response_check": plan.response_floor_check(),
        "variants_cost": plan.variants_cost(),
        "visibility_rows": plan.visibility_rows(),
        "footprint_warnings": footprint_warnings(scenario),
        "crossings": [name for name, _, _ in crossings],
        "is_demo": is_demo(scenario),
        "tradeoff_day": f"{plan.visibility_tradeoff_day:%A %d %B %Y}"
        if plan.visibility_tradeoff_day
        else "",
    }
    # the figures last: the workers drew them while the rest was worked out
    drawn = {name: job.result() for name, job in figures.items()}
    context.update(
        coverage_png=drawn["coverage_png"],
        risk_png=drawn["risk_png"],
        map_svg=drawn["map_svg"],
        response_png=drawn.get("response_png"),
        routes_svg=drawn.get("routes_svg"),
        tradeoff_png=drawn.get("tradeoff_png"),
        on_sweep=None if plan.on_sweep is None else {**plan.on_sweep, "png": drawn["sweep_png"]},
    )
    env = Environment(
        loader=PackageLoader("crowdguard.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    return env.get_template("report.html.j2").render(**context)
