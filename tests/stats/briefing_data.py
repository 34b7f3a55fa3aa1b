"""A hand-made :class:`BriefingData` for the pure briefing, trend and plot tests.

The patrol aggregate carries planted, distinctive facts (a venue, its hours) that the
public summary must never show; the counts are chosen so rounding and suppression are
visible (23 operations -> "about 20", 4 discharges -> "fewer than 10").
"""

from __future__ import annotations

import datetime as dt

from crowdguard.stats.briefing import BriefingData
from crowdguard.stats.models import (
    MonthOperations,
    OperationsAggregate,
    PatrolAggregate,
    PlanReviewAggregate,
    ReportsAggregate,
    ResponseAggregate,
    ResponseRow,
    VenuePatrolRow,
    YearOperations,
)
from crowdguard.stats.operations import ArvDefinition
from crowdguard.stats.reference import load_reference
from crowdguard.stats.years import Period, parse_period

PLANTED_VENUE = "quillmoor-arcade"
PLANTED_HOURS = 173.25
"""Distinctive planned hours at the planted venue (never in public text)."""


def sample(period: Period | None = None) -> BriefingData:
    """23 operations (21 ARV, 4 self-authorised, 4 with discharges) over Nov-Jan."""
    period = period or parse_period("2026-11-01:2027-01-31")
    months = [
        MonthOperations(
            month=m, operations=o, arv_operations=a, discharge_incidents=d,
            self_authorised=s, deployments=n,
        )
        for m, o, a, d, s, n in (
            ("2026-11", 6, 5, 1, 1, 9), ("2026-12", 11, 10, 2, 2, 21), ("2027-01", 6, 6, 1, 1, 10),
        )
    ]  # fmt: skip
    return BriefingData(
        period=period,
        prepared=dt.date(2027, 2, 3),
        operations=OperationsAggregate(
            period=str(period),
            arv_definition=ArvDefinition.involving,
            operations=23,
            arv_operations=21,
            discharge_incidents=4,
            self_authorised=4,
            deployments=40,
            excluded={"stood down before deployment": 3, "escort": 2},
            by_month=months,
            by_year=[
                YearOperations(
                    year="2026/27",
                    year_ending=2027,
                    comparable=True,
                    operations=23,
                    arv_operations=21,
                    discharge_incidents=4,
                    self_authorised=4,
                    deployments=40,
                    stood_down_on_the_way=2,
                    excluded={},
                    published={},
                )
            ],
            notes=["One incident is one operation, however many units attend."],
        ),
        response=ResponseAggregate(
            period=str(period),
            rows=[
                ResponseRow(
                    month="2026-12",
                    grade="immediate",
                    operations=9,
                    median_minutes=7.5,
                    p90_minutes=11.0,
                    max_minutes=14.0,
                ),
                ResponseRow(
                    month="2027-01",
                    grade="immediate",
                    operations=5,
                    median_minutes=8.0,
                    p90_minutes=12.0,
                    max_minutes=13.0,
                ),
            ],
        ),
        patrols=PatrolAggregate(
            period=str(period),
            days_with_rosters=61,
            planned_hours=PLANTED_HOURS + 100,
            delivered_hours=PLANTED_HOURS + 90,
            responses_from_patrol=3,
            venues=[
                VenuePatrolRow(
                    venue=PLANTED_VENUE,
                    planned_hours=PLANTED_HOURS,
                    delivered_hours=PLANTED_HOURS - 10,
                    delivered_share=0.942,
                ),
                VenuePatrolRow(
                    venue="winchester-market",
                    planned_hours=100.0,
                    delivered_hours=100.0,
                    delivered_share=1.0,
                ),
            ],
        ),
        reports=ReportsAggregate(
            period=str(period),
            total=57,
            by_category_grade={"suspicious_item": {"p1": 3, "p3": 20}, "hostile_recce": {"p2": 34}},
        ),
        plan_reviews=PlanReviewAggregate(
            period=str(period),
            reviews=4,
            by_verdict={"meets": 3, "falls_short": 1},
            by_tier={"enhanced": 4},
        ),
        figures=tuple(load_reference()),
    )
