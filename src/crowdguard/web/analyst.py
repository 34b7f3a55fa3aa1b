"""The analyst's dashboard (``/analyst``): the aggregates issue 15 defines, never a roster.

Server-rendered from :mod:`crowdguard.stats.service`, the same functions as
``/api/v1/stats/*`` (Home Office counting rules: one incident one operation, financial
years in Europe/London; :mod:`crowdguard.stats.operations`): firearms operations by
financial year beside the published series, by month, response times by month and grade,
security-plan review outcomes, and public reports by category and grade; interactive
charts (uPlot, ``static/analyst.js``) of operations per year beside the published series
(with its table) and of median response times by month and grade, and every table's CSV
(``/api/v1/stats/tables/{name}``). Counts only: no
report text, roster, team or time of a patrol reaches the page. Analysts, planners and
admins may open it. ``?period=`` takes a financial year (``2026/27``) or ``FROM:TO``.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from crowdguard.api.deps import ContextDep, NowDep, SessionDep
from crowdguard.errors import InputError
from crowdguard.stats import service as stats
from crowdguard.stats.models import ResponseAggregate
from crowdguard.stats.reference import load_reference, reference_in
from crowdguard.stats.trends import TableName, format_cell, operations_trend_table
from crowdguard.stats.years import financial_year, parse_period
from crowdguard.users.models import Role
from crowdguard.web.common import PageUserDep, login_form, page, refuse

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
ROLES = frozenset({Role.analyst, Role.planner, Role.admin})


@router.get("/analyst", response_class=HTMLResponse)
def analyst(
    request: Request,
    user: PageUserDep,
    session: SessionDep,
    context: ContextDep,
    now: NowDep,
    period: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    """The statistics dashboard for a period (default: this financial year)."""
    if user is None:
        return login_form(request, title="Log in to the statistics", next_path="/analyst")
    if user.role not in ROLES:
        return refuse(request, user, "/analyst")
    text = period.strip() or str(financial_year(now))
    try:
        chosen = parse_period(text, option="period")
    except InputError as exc:
        return page(
            request, "analyst.html", user=user, status=422, period=text, problem=str(exc),
            operations=None,
        )  # fmt: skip
    reference = reference_in(context.settings.data_dir)
    operations = stats.operations_aggregate(session=session, period=chosen, reference=reference)
    trend = operations_trend_table(operations, load_reference(reference))
    response = stats.response_aggregate(session=session, period=chosen)
    return page(
        request,
        "analyst.html",
        user=user,
        period=text,
        problem="",
        operations=operations,
        trend={"columns": list(trend.columns), "rows": [list(r) for r in trend.rows]},
        trend_table={
            "title": trend.title,
            "columns": trend.columns,
            "rows": [[format_cell(c) for c in r] for r in trend.rows],
            "notes": trend.notes,
        },
        csv={
            n.value: f"/api/v1/stats/tables/{n.value}?{urlencode({'period': text, 'format': 'csv'})}"
            for n in TableName
        },
        response=response,
        response_chart=_response_chart(response, [m.month for m in operations.by_month]),
        reviews=stats.plan_review_aggregate(session=session, period=chosen),
        reports=stats.reports_aggregate(session=session, period=chosen),
    )


def _response_chart(response: ResponseAggregate, months: list[str]) -> dict[str, object]:
    """The response-times chart's data: median minutes per month of the period, one series
    per grade (null where a month had no timed response: a gap)."""
    grades = sorted({r.grade for r in response.rows})
    medians = {(r.month, r.grade): r.median_minutes for r in response.rows}
    return {
        "months": months,
        "series": [
            {"label": f"{g} (median minutes)", "values": [medians.get((m, g)) for m in months]}
            for g in grades
        ],
    }
