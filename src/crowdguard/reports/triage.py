"""THRIVE-based triage of public reports into grades, with reasons and routing advice.

THRIVE (Threat, Harm, Risk, Investigation, Vulnerability, Engagement) is the assessment
police call handlers use for initial grading (Avon & Somerset FOI; Wiltshire Police call
grading policy; ``domain.md`` section 8), and it stays the grading frame here. Tagging each
rule below with one THRIVE dimension is our design [DESIGN], a way to show which part of
the assessment a rule speaks to, not part of THRIVE itself. Forces grade calls Emergency (1), Priority (2),
Scheduled (3) or resolution without deployment; CrowdGuard adds *Refer* for reports that
belong to another service (CTIRU, Prevent). Routing follows the [DESIGN] grade table of
``domain.md`` section 8:

====  =====================  ===============================================  =============
Code  Grade                  Routing                                          Examples
====  =====================  ===============================================  =============
P1    immediate              999; event control; an ARV only on APP grounds   attack, weapon,
                                 (below); a suspicious item: the 4 Cs, EOD        HOT item
P2    priority               CT duty officer within 1 hour; patrol tasking    hostile recce
                                                                              today
P3    scheduled              ACT route to CT Policing                         vehicle hire
P4    refer                  CTIRU (online terrorist content)                 extremist posts
P5    no_deployment          101 and event stewards                           crowding
P6    refer                  Prevent (safeguarding)                           radicalisation
====  =====================  ===============================================  =============

Each rule below is applied in turn; the grade is the most urgent grade of any rule that
fired, and the advice lists every route that fired (most urgent first). The rules, their
THRIVE dimension and thresholds are the ``RULES`` table and are [DESIGN]: a starting point
for a force to tune, not policy.

1. ``attack_in_progress`` (Threat): category *attack in progress* -> P1.
2. ``weapons_seen`` (Threat): the reporter saw a weapon -> P1.
3. ``casualties`` (Harm): people are hurt -> P1.
4. ``hot_item`` (Risk): an item with any HOT flag (Hidden, Obviously suspicious, not
   Typical) -> P1.
5. ``weapon_words_now`` (Threat): the description names a weapon *and* uses a word of
   immediacy ("now", "running", "happening") -> P1.
6. ``weapon_words`` (Threat): a weapon word without immediacy -> P2.
7. ``hostile_reconnaissance_today`` (Risk): hostile reconnaissance seen within the last
   24 hours -> P2.
8. ``near_open_crowded_place`` (Risk): a CT category (ACT list except online content,
   plus suspicious vehicle) seen within 400 m of a crowded place that was open at the
   time, within the last 2 hours -> P2.
9. ``act_category`` (Investigation): any ACT category except online content, or a
   suspicious vehicle -> P3.
10. ``online_content`` (Investigation): -> P4 (CTIRU).
11. ``safeguarding_words`` (Vulnerability): words about radicalisation -> P6 (Prevent).
12. ``non_ct`` (Harm): category *crowd safety (non-CT)* -> P5.
13. ``unattended_not_hot`` (Risk): an unattended item with no HOT flag -> P5 (stewards
    apply HOT; lost property).
14. ``not_current`` (Risk, time): a P1 rule on something seen more than 2 hours before the
    report was received is not a threat to life *now*: it routes to P2 instead.
15. ``anonymous`` (Engagement): no way to call back; the report is researched before any
    action (ACT). Does not change the grade.
16. ``location_text_only`` (Investigation): no point or venue, proximity not assessed.
    Does not change the grade.

A control-room supervisor may override the grade with :func:`override_grade`, which
requires a reason and returns an auditable record.

**Armed response follows APP, not the grade.** A threat to life is P1, but P1 alone does
not send armed officers. The College of Policing's APP (Armed Policing: Deployment of
Authorised Firearms Officers) deploys them only where there is reason to suppose a person
is armed, or so dangerous that firearms may be needed, or as a planned contingency, and a
firearms commander authorises it. So the advice offers the nearest suitable ARV only when a
current report says someone is armed or attacking (rules 1, 2 and 5:
:data:`FIREARMS_RULES`), and names who must authorise. A HOT item alone gets the 4 Cs
(Confirm, Clear, Communicate, Control), a cordon and explosive ordnance disposal (EOD);
casualties alone get an ambulance through 999 (``domain.md`` section 8). The dispatch
recommender reads :attr:`TriageResult.firearms_grounds` the same way.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from crowdguard.errors import InputError
from crowdguard.geometry import great_circle_m
from crowdguard.reports.models import (
    ACT_CATEGORIES,
    ReportCategory,
    ReportControl,
    ReportCreate,
)
from crowdguard.scenario.schema import Venue

__all__ = [
    "ARMED_ADVICE",
    "CASUALTY_ADVICE",
    "CURRENT_WINDOW",
    "FIREARMS_AUTHORITY",
    "FIREARMS_RULES",
    "ITEM_ADVICE",
    "PROXIMITY_M",
    "RECONNAISSANCE_WINDOW",
    "ROUTE_ADVICE",
    "ROUTE_CODE",
    "ROUTE_GRADE",
    "RULES",
    "Grade",
    "GradeOverride",
    "Reason",
    "Route",
    "Thrive",
    "TriageResult",
    "VenuePoint",
    "override_grade",
    "scenario_venue_open",
    "triage",
]

PROXIMITY_M = 400.0
"""A report this close (metres) to an open crowded place counts as *near* it [DESIGN]."""

CURRENT_WINDOW = dt.timedelta(hours=2)
"""Seen within this long before the report was received: the threat may be current."""

RECONNAISSANCE_WINDOW = dt.timedelta(hours=24)
"""Hostile reconnaissance seen within this window is urgent (domain.md: "today")."""


class Grade(StrEnum):
    """Response grades, most urgent first."""

    immediate = "immediate"
    priority = "priority"
    scheduled = "scheduled"
    refer = "refer"
    no_deployment = "no_deployment"


_GRADE_RANK = {grade: rank for rank, grade in enumerate(Grade)}


class Route(StrEnum):
    """Where a report goes (domain.md section 8 grade table), most urgent first."""

    emergency = "emergency"
    ct_duty_officer = "ct_duty_officer"
    act_ct_policing = "act_ct_policing"
    ctiru = "ctiru"
    non_ct = "non_ct"
    prevent = "prevent"


ROUTE_CODE: dict[Route, str] = {
    Route.emergency: "P1",
    Route.ct_duty_officer: "P2",
    Route.act_ct_policing: "P3",
    Route.ctiru: "P4",
    Route.non_ct: "P5",
    Route.prevent: "P6",
}
"""The domain table's codes."""

ROUTE_GRADE: dict[Route, Grade] = {
    Route.emergency: Grade.immediate,
    Route.ct_duty_officer: Grade.priority,
    Route.act_ct_policing: Grade.scheduled,
    Route.ctiru: Grade.refer,
    Route.prevent: Grade.refer,
    Route.non_ct: Grade.no_deployment,
}
"""The grade each route implies."""

ROUTE_ADVICE: dict[Route, str] = {
    Route.emergency: "Threat to life: treat as a 999 call; inform event control.",
    Route.ct_duty_officer: "Urgent CT: pass to the CT duty officer within 1 hour; consider "
    "tasking a patrol to the location.",
    Route.act_ct_policing: "CT intelligence: send by the ACT route to CT Policing for research.",
    Route.ctiru: "Online content: refer to the Counter Terrorism Internet Referral Unit (CTIRU).",
    Route.non_ct: "Not counter-terrorism: pass to 101 and the event stewards.",
    Route.prevent: "Safeguarding: refer to Prevent.",
}
"""Routing advice shown to the operator, per route."""

FIREARMS_RULES = frozenset({"attack_in_progress", "weapons_seen", "weapon_words_now"})
"""Rules that, when current, give reason to suppose someone is armed or so dangerous that
firearms may be needed: the APP grounds for offering an armed response."""

FIREARMS_AUTHORITY = "a firearms commander"
"""Who must authorise the deployment of armed officers (APP Armed Policing)."""

ARMED_ADVICE = (
    "Armed response: someone is reported armed or attacking, so there is reason to suppose "
    "firearms may be needed (APP Armed Policing: Deployment of AFOs): the nearest suitable "
    f"ARV, subject to authorisation by {FIREARMS_AUTHORITY}."
)
"""Advice added when one of :data:`FIREARMS_RULES` fired on a current report."""

ITEM_ADVICE = (
    "Suspicious item: the 4 Cs: Confirm it is suspicious (HOT), Clear the area, "
    "Communicate (999, event control), Control the cordon; request explosive ordnance "
    "disposal (EOD). No ARV unless someone is reported armed or so dangerous that firearms "
    "may be needed (APP)."
)
"""Advice for a current HOT item (ProtectUK; police ACT guidance)."""

CASUALTY_ADVICE = (
    "Casualties: ambulance through 999; an ARV only if someone is reported armed or so "
    "dangerous that firearms may be needed (APP)."
)
"""Advice for people hurt, with no report of anyone armed."""


class Thrive(StrEnum):
    """The THRIVE dimensions."""

    threat = "threat"
    harm = "harm"
    risk = "risk"
    investigation = "investigation"
    vulnerability = "vulnerability"
    engagement = "engagement"


RULES: dict[str, tuple[Thrive, Route | None, str]] = {
    "attack_in_progress": (Thrive.threat, Route.emergency, "an attack is reported in progress"),
    "weapons_seen": (Thrive.threat, Route.emergency, "the reporter saw a weapon"),
    "casualties": (Thrive.harm, Route.emergency, "people are reported hurt"),
    "hot_item": (Thrive.risk, Route.emergency, "an item is Hidden, Obviously suspicious or not Typical"),
    "weapon_words_now": (Thrive.threat, Route.emergency, "the description names a weapon and says it is happening now"),
    "weapon_words": (Thrive.threat, Route.ct_duty_officer, "the description names a weapon"),
    "hostile_reconnaissance_today": (Thrive.risk, Route.ct_duty_officer, "hostile reconnaissance seen within 24 hours"),
    "near_open_crowded_place": (Thrive.risk, Route.ct_duty_officer, "seen recently near a crowded place that was open"),
    "act_category": (Thrive.investigation, Route.act_ct_policing, "an ACT category of concern"),
    "online_content": (Thrive.investigation, Route.ctiru, "online content"),
    "safeguarding_words": (Thrive.vulnerability, Route.prevent, "the description suggests radicalisation"),
    "non_ct": (Thrive.harm, Route.non_ct, "crowd safety, not counter-terrorism"),
    "unattended_not_hot": (Thrive.risk, Route.non_ct, "an unattended item with no HOT flag"),
    "not_current": (Thrive.risk, Route.ct_duty_officer, "seen more than 2 hours before the report: not current"),
    "anonymous": (Thrive.engagement, None, "anonymous: no call back; research before action"),
    "location_text_only": (Thrive.investigation, None, "location is text only: proximity not assessed"),
}  # fmt: skip
"""rule -> (THRIVE dimension, route it implies or None, what it means)."""

_WEAPON = re.compile(
    r"\b(guns?|firearms?|pistols?|rifles?|shotguns?|handguns?|knife|knives|machetes?|blades?|"
    r"swords?|axes?|bombs?|explosives?|grenades?|acid|shooting (?:at|people)|opened fire|"
    r"shots? fired|stabb(?:ing|ed)|suicide vest)\b",
    re.IGNORECASE,
)
_NOW = re.compile(
    r"\b(now|right now|just now|running|happening|currently|screaming|chasing|attacking|"
    r"in progress)\b",
    re.IGNORECASE,
)
_SAFEGUARDING = re.compile(
    r"\b(radicali[sz](?:ed|ing|ation)|extremist views?|being groomed|groomed|joining (?:isis|"
    r"daesh)|martyrdom)\b",
    re.IGNORECASE,
)
_CT_NEAR = (ACT_CATEGORIES - {ReportCategory.online_content}) | {ReportCategory.suspicious_vehicle}


class VenuePoint(Protocol):
    """Anything with an id and a point: a scenario ``Venue`` qualifies."""

    @property
    def id(self) -> str: ...

    @property
    def lat(self) -> float: ...

    @property
    def lon(self) -> float: ...


V = TypeVar("V", bound=VenuePoint)


class Reason(BaseModel):
    """One rule that fired."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str
    thrive: Thrive
    route: Route | None
    detail: str


class TriageResult(BaseModel):
    """The outcome of triage: grade, domain code, routes, advice and every reason."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    grade: Grade
    code: str = Field(description="P1..P6 of the most urgent route")
    routes: tuple[Route, ...]
    advice: tuple[str, ...]
    reasons: tuple[Reason, ...]
    nearest_open_venue: str | None = None
    distance_m: float | None = None
    overridden: bool = False

    @property
    def rules(self) -> tuple[str, ...]:
        """The names of the rules that fired, in order."""
        return tuple(reason.rule for reason in self.reasons)

    @property
    def firearms_grounds(self) -> tuple[str, ...]:
        """The rules giving APP grounds for an armed response: one of
        :data:`FIREARMS_RULES` on a current report (routed to 999). Empty: no ARV is offered.
        Read from the reasons, so a triage stored before this property existed answers too."""
        return tuple(
            r.rule for r in self.reasons if r.rule in FIREARMS_RULES and r.route is Route.emergency
        )


class GradeOverride(BaseModel):
    """An auditable record of a supervisor changing a triage grade."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    from_grade: Grade
    to_grade: Grade
    reason: str
    by: str
    at: dt.datetime
    rules_fired: tuple[str, ...]
    triage: TriageResult


def _reason(rule: str, detail: str = "", route: Route | None = None) -> Reason:
    thrive, default_route, meaning = RULES[rule]
    return Reason(
        rule=rule,
        thrive=thrive,
        route=route if route is not None else default_route,
        detail=f"{meaning}{': ' + detail if detail else ''}",
    )


def _nearest_open(
    point: tuple[float, float],
    venues: Sequence[V],
    is_open: Callable[[V, dt.datetime], bool],
    when: dt.datetime,
) -> tuple[V, float] | None:
    """The nearest venue open at ``when`` and its distance: venues are tried nearest first,
    so opening hours are usually checked once, not for every venue (ties: list order)."""
    by_distance = sorted(
        (great_circle_m(point[0], point[1], v.lat, v.lon), i) for i, v in enumerate(venues)
    )
    for distance, i in by_distance:
        if is_open(venues[i], when):
            return venues[i], distance
    return None


def triage(
    report: ReportCreate | ReportControl,
    *,
    venues: Sequence[V] = (),
    is_open: Callable[[V, dt.datetime], bool] | None = None,
    received_at: dt.datetime | None = None,
) -> TriageResult:
    """Grade a report by the rules in the module docstring.

    ``venues`` are the crowded places (anything with ``id``, ``lat``, ``lon``) and
    ``is_open(venue, when)`` says whether one was open at a time (without it every venue is
    taken as open). ``received_at`` defaults to the report's own ``received_at`` (control
    records) or to ``observed_at``.
    """
    if received_at is None:
        received_at = report.received_at if isinstance(report, ReportControl) else None
    received = received_at or report.observed_at
    age = received - report.observed_at
    current = age <= CURRENT_WINDOW
    text = report.description
    category = report.category
    reasons: list[Reason] = []

    # Rules 1-5 and 14: threats to life, unless not current.
    emergency: list[tuple[str, str]] = []
    if category is ReportCategory.attack_in_progress:
        emergency.append(("attack_in_progress", ""))
    if report.weapons_seen:
        emergency.append(("weapons_seen", ""))
    if report.casualties:
        emergency.append(("casualties", ""))
    hot = [item.description for item in report.items if item.hot]
    if hot:
        emergency.append(("hot_item", ", ".join(hot)))
    weapon = _WEAPON.search(text)
    now_word = _NOW.search(text)
    if weapon and now_word:
        emergency.append(("weapon_words_now", f"{weapon.group(0)!r} and {now_word.group(0)!r}"))
    elif weapon:
        reasons.append(_reason("weapon_words", repr(weapon.group(0))))
    for rule, detail in emergency:
        if current:
            reasons.append(_reason(rule, detail))
        else:
            reasons.append(_reason(rule, detail, route=Route.ct_duty_officer))
    if emergency and not current:
        hours = age.total_seconds() / 3600
        reasons.append(_reason("not_current", f"{hours:.1f} h before the report"))

    # Rule 7: hostile reconnaissance today.
    if (
        category is ReportCategory.hostile_reconnaissance
        and dt.timedelta(0) - CURRENT_WINDOW <= age <= RECONNAISSANCE_WINDOW
    ):
        reasons.append(_reason("hostile_reconnaissance_today"))

    # Rule 8: near an open crowded place, recently.
    point = report.location.point
    nearest_id: str | None = None
    nearest_m: float | None = None
    if point is None and report.location.venue_id is not None:
        for venue in venues:
            if venue.id == report.location.venue_id:
                point = (venue.lat, venue.lon)
                break
    if point is not None and venues:
        checker: Callable[[V, dt.datetime], bool] = is_open or (lambda _v, _t: True)
        found = _nearest_open(point, venues, checker, report.observed_at)
        if found is not None:
            nearest_id, nearest_m = found[0].id, found[1]
            if category in _CT_NEAR and current and nearest_m <= PROXIMITY_M:
                reasons.append(
                    _reason("near_open_crowded_place", f"{nearest_m:.0f} m from {nearest_id}")
                )
    elif point is None and report.location.venue_id is None:
        reasons.append(_reason("location_text_only"))

    # Rules 9-13: intelligence, referrals, non-CT.
    if category in _CT_NEAR:
        reasons.append(_reason("act_category", category.value))
    if category is ReportCategory.online_content:
        reasons.append(_reason("online_content"))
    safeguarding = _SAFEGUARDING.search(text)
    if safeguarding:
        reasons.append(_reason("safeguarding_words", repr(safeguarding.group(0))))
    if category is ReportCategory.crowd_safety_non_ct:
        reasons.append(_reason("non_ct"))
    if category is ReportCategory.unattended_item and not hot:
        reasons.append(_reason("unattended_not_hot"))

    # Rule 15: engagement.
    anonymous = report.anonymous
    if anonymous:
        reasons.append(_reason("anonymous"))

    routes = sorted({r.route for r in reasons if r.route is not None}, key=list(Route).index)
    if not routes:  # e.g. an attack-free "weapons" text in a non-CT category: research it
        routes = [Route.act_ct_policing]
    grade = min((ROUTE_GRADE[r] for r in routes), key=_GRADE_RANK.__getitem__)
    top = next(r for r in routes if ROUTE_GRADE[r] is grade)
    advice = [ROUTE_ADVICE[r] for r in routes]
    if emergency and current:
        # After the 999 line: the armed response only on APP grounds, then the item's and
        # the casualties' own advice.
        fired = {rule for rule, _ in emergency}
        specific = []
        if fired & FIREARMS_RULES:
            specific.append(ARMED_ADVICE)
        if "hot_item" in fired:
            specific.append(ITEM_ADVICE)
        if "casualties" in fired and not fired & FIREARMS_RULES:
            specific.append(CASUALTY_ADVICE)
        advice[1:1] = specific
    return TriageResult(
        grade=grade,
        code=ROUTE_CODE[top],
        routes=tuple(routes),
        advice=tuple(advice),
        reasons=tuple(reasons),
        nearest_open_venue=nearest_id,
        distance_m=nearest_m,
    )


def override_grade(
    result: TriageResult,
    new_grade: Grade | str,
    *,
    reason: str,
    by: str,
    at: dt.datetime | None = None,
) -> GradeOverride:
    """Change a triage grade by hand, recording who, when and why.

    ``reason`` and ``by`` must be non-empty (an override nobody can explain is not
    auditable); ``at`` defaults to the current UTC time.
    """
    if not reason or not reason.strip():
        raise InputError("override_grade: reason: must be a non-empty explanation of the change")
    if not by or not by.strip():
        raise InputError("override_grade: by: must name the person making the change")
    try:
        grade = Grade(new_grade)
    except ValueError:
        raise InputError(
            f"override_grade: new_grade: {new_grade!r} is not a grade; expected one of "
            f"{', '.join(g.value for g in Grade)}"
        ) from None
    when = at if at is not None else dt.datetime.now(dt.UTC)
    updated = result.model_copy(update={"grade": grade, "overridden": True})
    return GradeOverride(
        from_grade=result.grade,
        to_grade=grade,
        reason=reason.strip(),
        by=by.strip(),
        at=when,
        rules_fired=result.rules,
        triage=updated,
    )


def scenario_venue_open(venue: Venue, when: dt.datetime) -> bool:
    """``is_open`` for scenario venues: local (Europe/London) time within opening ranges."""
    local = when.astimezone(ZoneInfo("Europe/London"))
    ranges = venue.open_ranges(local.date())
    clock = local.time().replace(tzinfo=None)
    return any(
        r.start <= clock < r.end or (r.end == dt.time.max and clock >= r.start) for r in ranges
    )
