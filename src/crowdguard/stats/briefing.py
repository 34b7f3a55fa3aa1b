"""Briefings: everything for the commissioner, a safe summary for the public.

**Commissioner** (marked OFFICIAL-SENSITIVE, the Government Security Classifications
handling caveat for OFFICIAL information whose loss could harm operations): the headline
counts, the counting rules, every statistics table with its plot, patrol hours per venue,
and the revisions between published releases.

**Public**: "no details are being released about the number of officers involved or when
the patrols will take place" (the force's own wording, quoted in issue 15), and response
measures at SUBSTANTIAL and SEVERE are not published (ProtectUK tactic IB1; ``domain.md``
section 4). The public summary is therefore built **only** from :data:`PUBLIC_STATEMENTS`,
a whitelist of fixed sentences whose only inputs are counts over the whole period and
county, each passed through :func:`public_count` (rounded to the nearest
:data:`ROUND_TO`, "fewer than :data:`THRESHOLD`" below the threshold), the period's dates,
and figures the Home Office has already published. No venue, time, team, call sign,
officer number or patrol hour can reach it: the templates receive nothing else.

Markdown and HTML come from Jinja2 templates in ``stats/templates``; the PDF is
WeasyPrint's rendering of the HTML, as the plan-review letters are.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Literal

from crowdguard.errors import InputError
from crowdguard.stats.models import (
    OperationsAggregate,
    PatrolAggregate,
    PlanReviewAggregate,
    ReportsAggregate,
    ResponseAggregate,
)
from crowdguard.stats.reference import Figure, latest, revisions
from crowdguard.stats.trends import (
    PLOTTED,
    Table,
    format_cell,
    operations_by_month_table,
    operations_trend_table,
    patrols_table,
    plan_reviews_table,
    reports_table,
    response_table,
)
from crowdguard.stats.years import Period
from crowdguard.templating import environment, long_date

__all__ = [
    "MARKING",
    "PUBLIC_MIN_DAYS",
    "PUBLIC_STATEMENTS",
    "ROUND_TO",
    "THRESHOLD",
    "Audience",
    "BriefingData",
    "BriefingFormat",
    "briefing_tables",
    "check_public_period",
    "public_count",
    "public_statements",
    "render_briefing",
]

TEMPLATES = Path(__file__).parent / "templates"
MARKING = "OFFICIAL-SENSITIVE"
THRESHOLD = 10
"""Counts below this are published as "fewer than 10" (small numbers identify incidents)."""
ROUND_TO = 10
"""Counts at or above the threshold are rounded to the nearest ten."""
PUBLIC_MIN_DAYS = 28
"""The shortest period a public summary may cover: a count over a day or a weekend says
when armed officers were busy (and, by difference with a neighbouring period, where)."""
FORCE = "Hampshire & Isle of Wight Constabulary"
COUNTY = "Hampshire and the Isle of Wight"


class Audience(StrEnum):
    """Who a briefing is for."""

    commissioner = "commissioner"
    public = "public"


BriefingFormat = Literal["md", "html", "pdf"]


@dataclass(frozen=True, slots=True)
class BriefingData:
    """Everything a briefing is built from (aggregates and published figures only)."""

    period: Period
    prepared: dt.date
    operations: OperationsAggregate
    response: ResponseAggregate
    patrols: PatrolAggregate
    reports: ReportsAggregate
    plan_reviews: PlanReviewAggregate
    figures: tuple[Figure, ...]


def check_public_period(period: Period) -> None:
    """Refuse a public summary over fewer than :data:`PUBLIC_MIN_DAYS` days."""
    days = (period.last - period.first).days + 1
    if days < PUBLIC_MIN_DAYS:
        raise InputError(
            f"--period: {period} is {days} day(s); a public summary covers at least "
            f"{PUBLIC_MIN_DAYS} days (a shorter one says when armed officers were out)"
        )


def public_count(n: int) -> str:
    """A count fit for the public: "fewer than 10" below :data:`THRESHOLD`, else "about"
    the count rounded to the nearest :data:`ROUND_TO` (half up)."""
    if n < THRESHOLD:
        return f"fewer than {THRESHOLD}"
    rounded = ((n + ROUND_TO // 2) // ROUND_TO) * ROUND_TO
    return f"about {rounded:,}"


# The whitelist: (id, sentence). Placeholders take only public_count() texts, the period's
# dates, and already-published Home Office figures; nothing else is ever interpolated.
PUBLIC_STATEMENTS: tuple[tuple[str, str], ...] = (
    ("period", "This summary covers {first} to {last}."),
    (
        "operations",
        "Armed officers were authorised and sent to {operations} incidents in {county} in "
        "this period, counted the way the Home Office counts firearms operations (one "
        "incident is one operation, however many officers attend).",
    ),
    ("arv", "Armed response vehicles attended {arv} of these incidents."),
    ("discharges", "Police firearms were discharged at people in {discharges} incidents."),
    (
        "patrols",
        "Armed officers also patrolled crowded places such as Christmas markets and shopping "
        "centres across {county}. For operational reasons we do not publish where or when "
        "patrols take place, or how many officers are involved.",
    ),
    (
        "reports",
        "Members of the public sent {reports} reports of concern through our online form. "
        "Every report is assessed by officers.",
    ),
    ("plans", "We reviewed {plans} event security plans with their organisers."),
    (
        "published",
        "The most recent Home Office figure for Hampshire is {value} firearms operations in "
        "the {year} ({source}).",
    ),
    (
        "report-it",
        "If you see something that concerns you, report it. In an emergency call 999. "
        "Otherwise use the ACT online form at gov.uk/ACT or call 0800 789 321.",
    ),
)


def public_statements(data: BriefingData) -> list[str]:
    """The public summary: the whitelisted sentences filled with safe values only."""
    ops = data.operations
    values: dict[str, dict[str, str]] = {
        "period": {
            "first": long_date(data.period.first),
            "last": long_date(data.period.last),
        },
        "operations": {"operations": public_count(ops.operations), "county": COUNTY},
        "arv": {"arv": public_count(ops.arv_operations)},
        "discharges": {"discharges": public_count(ops.discharge_incidents)},
        "patrols": {"county": COUNTY},
        "reports": {"reports": public_count(data.reports.total)},
        "plans": {"plans": public_count(data.plan_reviews.reviews)},
        "report-it": {},
    }
    published = [
        f
        for (area, measure, _), f in latest(data.figures).items()
        if area == "hampshire" and measure == "firearms_operations" and f.value is not None
    ]
    if published:
        newest = max(published, key=lambda f: f.year)
        values["published"] = {
            "value": f"{int(newest.value or 0):,}",
            "year": newest.year.long,
            "source": f"Home Office, {newest.release}",
        }
    if ops.arv_operations == 0 and ops.operations == 0:
        values.pop("arv")
    return [text.format(**values[key]) for key, text in PUBLIC_STATEMENTS if key in values]


def briefing_tables(data: BriefingData) -> list[Table]:
    """Every table of the commissioner's briefing, in order."""
    return [
        operations_trend_table(data.operations, data.figures),
        operations_by_month_table(data.operations),
        response_table(data.response),
        patrols_table(data.patrols),
        reports_table(data.reports),
        plan_reviews_table(data.plan_reviews),
    ]


def _headlines(data: BriefingData) -> list[str]:
    ops = data.operations
    excluded = ", ".join(f"{k} {v}" for k, v in sorted(ops.excluded.items())) or "none"
    return [
        f"{ops.operations} firearms operations ({ops.arv_operations} involving an ARV, "
        f"{ops.self_authorised} self-authorised) from {ops.deployments} unit deployments.",
        f"{ops.discharge_incidents} incidents with firearms discharged at persons.",
        f"Not counted: {excluded}.",
        f"Protective patrols: {data.patrols.planned_hours:g} hours planned, "
        f"{data.patrols.delivered_hours:g} delivered over {data.patrols.days_with_rosters} "
        f"days; {data.patrols.responses_from_patrol} operations took a team off a patrol.",
        f"{data.reports.total} public reports; {data.plan_reviews.reviews} security-plan reviews.",
    ]


def _revision_lines(figures: tuple[Figure, ...]) -> list[str]:
    return [
        f"{r.area} {r.measure} {r.year.label}: "
        + " -> ".join(f"{v:g} ({release})" for release, v in r.values)
        for r in revisions(figures)
    ]


def _commissioner(
    data: BriefingData, fmt: Literal["md", "html"], image: Literal["svg", "png"] = "svg"
) -> str:
    """The full briefing; ``image`` is how HTML embeds the plots (PNG for the PDF: WeasyPrint
    lays out a raster image several times faster than an SVG of the same plot)."""
    tables = briefing_tables(data)
    context: dict[str, object] = {
        "marking": MARKING,
        "title": "Armed policing: operations, response and patrols",
        "force": FORCE,
        "period": f"{long_date(data.period.first)} to {long_date(data.period.last)}",
        "prepared": long_date(data.prepared),
        "headlines": _headlines(data),
        "notes": data.operations.notes,
        "tables": tables,
        "revisions": _revision_lines(data.figures),
        "cell": format_cell,
        "mime": "image/svg+xml" if image == "svg" else "image/png",
    }
    if fmt == "html":
        from crowdguard.stats.plots import plot

        context["figures"] = [
            (
                t,
                base64.b64encode(plot(t, image)).decode("ascii")
                if t.name in PLOTTED and t.rows
                else "",
            )
            for t in tables
        ]
    name = "commissioner.html.j2" if fmt == "html" else "commissioner.md.j2"
    return environment(TEMPLATES, html=fmt == "html").get_template(name).render(**context)


def _public(data: BriefingData, fmt: Literal["md", "html"]) -> str:
    context = {
        "title": f"Armed policing in {COUNTY}: public summary",
        "statements": public_statements(data),
    }
    name = "public.html.j2" if fmt == "html" else "public.md.j2"
    return environment(TEMPLATES, html=fmt == "html").get_template(name).render(**context)


def render_briefing(data: BriefingData, audience: Audience, fmt: BriefingFormat) -> bytes:
    """The briefing as Markdown, HTML or PDF bytes (a public one over at least
    :data:`PUBLIC_MIN_DAYS` days)."""
    if audience is Audience.public:
        check_public_period(data.period)
    commissioner = audience is Audience.commissioner
    if fmt != "pdf":
        return (_commissioner(data, fmt) if commissioner else _public(data, fmt)).encode("utf-8")
    import weasyprint  # heavy import, only when a PDF is asked for

    html = _commissioner(data, "html", "png") if commissioner else _public(data, "html")
    pdf = weasyprint.HTML(string=html).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf
