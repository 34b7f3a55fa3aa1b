"""Counting armed operations the way the Home Office does.

Definitions (``domain.md`` section 6):

* A **firearms operation** is an authorised deployment of armed officers where they may
  have to protect themselves or others from someone who has, or has immediate access to,
  a firearm or other weapon, or is otherwise so dangerous that firearms use may be
  necessary (gov.uk, *Police use of firearms statistics, England and Wales: April 2023 to
  March 2024*, 11 July 2024).
* **One incident is one operation**, however many officers, units or tactics; **self-
  authorised** deployments count (Hansard, written ministerial statement, 5 March 2010).
* An **ARV operation** is a firearms operation *involving* an armed response vehicle
  (the current releases). The older releases counted an ARV operation when an ARV was the
  **initial or sole response** (Hansard WMS 5 March 2010): :class:`ArvDefinition` offers
  both.
* **Excluded**: operations stood down before deployment, VIP protection, armed escorts,
  airport patrols, guarding and **routine patrols** (the 2013/14 bulletin as quoted
  secondhand, ``domain.md`` section 6 [FACT-2nd]; open question 5 there). Protective
  patrols of crowded places are routine patrols here: their **hours** are a separate
  measure (:func:`patrol_delivery`), never added to the Home Office count ([DESIGN]).
* **Discharges** count incidents in which firearms were discharged at persons, not
  rounds.
* Years are financial years (:func:`crowdguard.stats.years.financial_year`); an incident
  is counted in the year of its **authorisation** in Europe/London, even when it runs past
  31 March. The Home Office publishes no rule for this: it is our choice, recorded in
  ``docs/decisions/0005-operations-counted-in-the-year-of-authorisation.md``.

Our reading of "stood down before deployment" ([DESIGN], same decision record): a unit
that was authorised but stood down before it set off (never ``en_route`` or on scene) was
not deployed. A unit stood down **on the way** was deployed: its incident counts. An
incident counts once at least one armed unit was authorised for it and deployed.

Everything here is pure: plain frozen dataclasses in, plain dataclasses out.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from crowdguard.stats.years import FinancialYear, Period, financial_year, local_date

__all__ = [
    "EXCLUDED_PURPOSES",
    "REASON_ORDER",
    "ArvDefinition",
    "Deployment",
    "Exclusion",
    "Operation",
    "OperationCounts",
    "PatrolSegment",
    "Purpose",
    "ResponseSummary",
    "VenuePatrol",
    "busy_intervals",
    "classify",
    "combine",
    "count_by_month",
    "count_by_year",
    "count_months",
    "count_operations",
    "patrol_delivery",
    "percentile",
    "response_times",
]


class Purpose(StrEnum):
    """Why armed officers were deployed: only ``incident`` can be a firearms operation."""

    incident = "incident"
    vip_protection = "vip_protection"
    escort = "escort"
    guarding = "guarding"
    airport_patrol = "airport_patrol"
    routine_patrol = "routine_patrol"
    protective_patrol = "protective_patrol"


EXCLUDED_PURPOSES: frozenset[Purpose] = frozenset(set(Purpose) - {Purpose.incident})
"""Purposes the Home Office count leaves out (module docstring)."""


class ArvDefinition(StrEnum):
    """Which firearms operations are ARV operations."""

    involving = "involving"
    """An ARV took part (current releases)."""
    initial_or_sole = "initial_or_sole"
    """An ARV was the first unit to deploy, or the only one (Hansard WMS 5 March 2010)."""


@dataclass(frozen=True, slots=True)
class Deployment:
    """One unit's deployment to one incident, as the operations log records it.

    ``incident`` groups deployments: one incident is one operation. ``authorised_at`` and
    ``authorised_by`` say when and by whom armed deployment was authorised (a firearms
    commander); a ``self_authorised`` deployment's authority is the moment the unit set
    off when no time is recorded. ``deployed_at`` is when the unit set off (en route),
    ``arrived_at`` when it reached the scene, ``stood_down_at`` when it was stood down
    before the task ended, ``ended_at`` when it left the incident. ``discharges`` counts
    rounds discharged at persons (the count uses incidents, not rounds). ``opened_at`` is
    when the call or report came in (the start of the response time); ``grade`` its
    response grade. ``from_patrol``: the unit was taken off a protective patrol.
    """

    incident: str
    unit: str
    arv: bool
    armed: bool = True
    purpose: Purpose = Purpose.incident
    opened_at: dt.datetime | None = None
    authorised_at: dt.datetime | None = None
    authorised_by: str | None = None
    self_authorised: bool = False
    deployed_at: dt.datetime | None = None
    arrived_at: dt.datetime | None = None
    stood_down_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    discharges: int = 0
    grade: str | None = None
    from_patrol: bool = False

    @property
    def authority_at(self) -> dt.datetime | None:
        """When the deployment was authorised (self-authorised: when the unit set off)."""
        if self.authorised_at is not None:
            return self.authorised_at
        if self.self_authorised:
            return self.deployed_at or self.arrived_at
        return None

    @property
    def deployed(self) -> bool:
        """The unit set off (or was found on scene): it was deployed."""
        return self.deployed_at is not None or self.arrived_at is not None

    @property
    def stood_down_on_the_way(self) -> bool:
        """Deployed, then stood down before reaching the scene."""
        return self.deployed and self.arrived_at is None and self.stood_down_at is not None


@dataclass(frozen=True, slots=True)
class Operation:
    """One counted firearms operation (one incident)."""

    incident: str
    authorised_at: dt.datetime
    year: FinancialYear
    units: tuple[str, ...]
    arv_involved: bool
    arv_initial_or_sole: bool
    self_authorised: bool
    discharge: bool
    deployments: int
    stood_down_on_the_way: int
    from_patrol: bool
    opened_at: dt.datetime | None
    first_arrival: dt.datetime | None
    grade: str | None

    def is_arv(self, definition: ArvDefinition = ArvDefinition.involving) -> bool:
        """True when this is an ARV operation under ``definition``."""
        if definition is ArvDefinition.involving:
            return self.arv_involved
        return self.arv_initial_or_sole


@dataclass(frozen=True, slots=True)
class Exclusion:
    """An incident in the log that is not a firearms operation, and why."""

    incident: str
    reason: str
    at: dt.datetime | None


def _reason(deployment: Deployment) -> str | None:
    """Why one deployment cannot make its incident a firearms operation (None: it can)."""
    if not deployment.armed:
        return "no armed officers"
    if deployment.purpose is not Purpose.incident:
        return deployment.purpose.value
    if deployment.authority_at is None:
        return "not authorised"
    if not deployment.deployed:
        return "stood down before deployment"
    return None


REASON_ORDER: tuple[str, ...] = (
    "stood down before deployment",
    "not authorised",
    *(p.value for p in Purpose if p is not Purpose.incident),
    "no armed officers",
)
"""Exclusion reasons, nearest to counting first: an excluded incident takes the first of
its deployments' reasons in this order."""


def _first(moments: Iterable[dt.datetime | None]) -> dt.datetime | None:
    present = [m for m in moments if m is not None]
    return min(present) if present else None


def classify(deployments: Iterable[Deployment]) -> tuple[list[Operation], list[Exclusion]]:
    """Group deployments by incident and decide, per incident, operation or exclusion.

    An incident is an operation when at least one of its deployments is armed, for an
    incident (not escort, guarding, VIP protection or patrol), authorised (or self-
    authorised) and deployed. It is counted at the earliest authority among its armed
    incident deployments, including units later stood down before deployment (the
    authority was given for the incident). An excluded incident gets the reason of its
    deployment that came nearest to counting (stood down before deployment first).
    Operations are returned in order of authorisation, exclusions in incident order.
    """
    by_incident: dict[str, list[Deployment]] = defaultdict(list)
    for d in deployments:
        by_incident[d.incident].append(d)
    operations: list[Operation] = []
    excluded: list[Exclusion] = []
    for incident, group in by_incident.items():
        counting = [d for d in group if _reason(d) is None]
        if not counting:
            reasons = {r for d in group if (r := _reason(d)) is not None}
            reason = next(r for r in REASON_ORDER if r in reasons)
            at = _first(d.authority_at or d.opened_at for d in group)
            excluded.append(Exclusion(incident, reason, at))
            continue
        authorised = [
            d
            for d in group
            if d.armed and d.purpose is Purpose.incident and d.authority_at is not None
        ]
        authority = min(d.authority_at for d in authorised if d.authority_at is not None)
        first_out = min(counting, key=lambda d: (d.deployed_at or d.arrived_at, not d.arv))
        first_self = min(authorised, key=lambda d: d.authority_at or authority)
        operations.append(
            Operation(
                incident=incident,
                authorised_at=authority,
                year=financial_year(authority),
                units=tuple(sorted({d.unit for d in counting})),
                arv_involved=any(d.arv for d in counting),
                arv_initial_or_sole=first_out.arv,
                self_authorised=first_self.self_authorised,
                discharge=any(d.discharges > 0 for d in counting),
                deployments=len(counting),
                stood_down_on_the_way=sum(d.stood_down_on_the_way for d in counting),
                from_patrol=any(d.from_patrol for d in counting),
                opened_at=_first(d.opened_at for d in group),
                first_arrival=_first(d.arrived_at for d in counting),
                grade=next((d.grade for d in group if d.grade is not None), None),
            )
        )
    operations.sort(key=lambda o: (o.authorised_at, o.incident))
    excluded.sort(key=lambda e: e.incident)
    return operations, excluded


@dataclass(frozen=True, slots=True)
class OperationCounts:
    """Counts over one group of operations (a year, a month, a period)."""

    operations: int = 0
    arv_operations: int = 0
    discharge_incidents: int = 0
    self_authorised: int = 0
    deployments: int = 0
    stood_down_on_the_way: int = 0
    from_patrol: int = 0
    excluded: Mapping[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """Plain values (for JSON and CSV)."""
        return {
            "operations": self.operations,
            "arv_operations": self.arv_operations,
            "discharge_incidents": self.discharge_incidents,
            "self_authorised": self.self_authorised,
            "deployments": self.deployments,
            "stood_down_on_the_way": self.stood_down_on_the_way,
            "from_patrol": self.from_patrol,
            "excluded": dict(sorted(self.excluded.items())),
        }


def combine(parts: Iterable[OperationCounts]) -> OperationCounts:
    """The counts of several disjoint groups together (months into a year or a period)."""
    items = list(parts)
    excluded: Counter[str] = Counter()
    for c in items:
        excluded.update(c.excluded)
    return OperationCounts(
        operations=sum(c.operations for c in items),
        arv_operations=sum(c.arv_operations for c in items),
        discharge_incidents=sum(c.discharge_incidents for c in items),
        self_authorised=sum(c.self_authorised for c in items),
        deployments=sum(c.deployments for c in items),
        stood_down_on_the_way=sum(c.stood_down_on_the_way for c in items),
        from_patrol=sum(c.from_patrol for c in items),
        excluded=dict(excluded),
    )


def count_operations(
    operations: Iterable[Operation],
    excluded: Iterable[Exclusion] = (),
    *,
    arv_definition: ArvDefinition = ArvDefinition.involving,
) -> OperationCounts:
    """The counts over these operations (and exclusions, counted by reason)."""
    ops = list(operations)
    return OperationCounts(
        operations=len(ops),
        arv_operations=sum(o.is_arv(arv_definition) for o in ops),
        discharge_incidents=sum(o.discharge for o in ops),
        self_authorised=sum(o.self_authorised for o in ops),
        deployments=sum(o.deployments for o in ops),
        stood_down_on_the_way=sum(o.stood_down_on_the_way for o in ops),
        from_patrol=sum(o.from_patrol for o in ops),
        excluded=dict(Counter(e.reason for e in excluded)),
    )


def count_by_year(
    deployments: Iterable[Deployment],
    *,
    arv_definition: ArvDefinition = ArvDefinition.involving,
) -> dict[FinancialYear, OperationCounts]:
    """Counts per financial year of authorisation, oldest first (years with none absent).

    Exclusions are placed in the year of their earliest time (authority, else when the
    call came in); those with no time at all are left out of every year.
    """
    operations, excluded = classify(deployments)
    years: dict[FinancialYear, list[Operation]] = defaultdict(list)
    for o in operations:
        years[o.year].append(o)
    gone: dict[FinancialYear, list[Exclusion]] = defaultdict(list)
    for e in excluded:
        if e.at is not None:
            gone[financial_year(e.at)].append(e)
    return {
        year: count_operations(
            years.get(year, ()), gone.get(year, ()), arv_definition=arv_definition
        )
        for year in sorted(set(years) | set(gone))
    }


def count_by_month(
    deployments: Iterable[Deployment],
    period: Period,
    *,
    arv_definition: ArvDefinition = ArvDefinition.involving,
) -> dict[str, OperationCounts]:
    """Counts per month (``YYYY-MM``, London) of every month ``period`` touches, for the
    operations authorised within it (months with none are present, with zeros)."""
    operations, excluded = classify(deployments)
    return count_months(operations, excluded, period, arv_definition=arv_definition)


def count_months(
    operations: Iterable[Operation],
    excluded: Iterable[Exclusion],
    period: Period,
    *,
    arv_definition: ArvDefinition = ArvDefinition.involving,
) -> dict[str, OperationCounts]:
    """:func:`count_by_month` of what :func:`classify` already returned."""
    months: dict[str, list[Operation]] = {m: [] for m in period.months()}
    gone: dict[str, list[Exclusion]] = {m: [] for m in period.months()}
    for o in operations:
        if period.contains(o.authorised_at):
            months[f"{local_date(o.authorised_at):%Y-%m}"].append(o)
    for e in excluded:
        if e.at is not None and period.contains(e.at):
            gone[f"{local_date(e.at):%Y-%m}"].append(e)
    return {m: count_operations(months[m], gone[m], arv_definition=arv_definition) for m in months}


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in (0, 1]) of non-empty ``values``."""
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class ResponseSummary:
    """Response times (call or report in -> first armed unit on scene) for one group."""

    month: str
    grade: str
    operations: int
    median_minutes: float
    p90_minutes: float
    max_minutes: float


def response_times(operations: Iterable[Operation], period: Period) -> list[ResponseSummary]:
    """Per month (of the call, London) and grade: how many operations had an arrival, and
    the median, 90th percentile (nearest rank) and longest minutes from the call to the
    first armed unit on scene. Operations with no arrival or no call time are left out;
    a call task without a grade is grade ``call``."""
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    for o in operations:
        if o.opened_at is None or o.first_arrival is None or not period.contains(o.opened_at):
            continue
        minutes = (o.first_arrival - o.opened_at).total_seconds() / 60.0
        groups[(f"{local_date(o.opened_at):%Y-%m}", o.grade or "call")].append(max(0.0, minutes))
    return [
        ResponseSummary(
            month=month,
            grade=grade,
            operations=len(values),
            median_minutes=round(percentile(values, 0.5), 1),
            p90_minutes=round(percentile(values, 0.9), 1),
            max_minutes=round(max(values), 1),
        )
        for (month, grade), values in sorted(groups.items())
    ]


@dataclass(frozen=True, slots=True)
class PatrolSegment:
    """A planned protective patrol: ``team`` at ``venue`` from ``start`` to ``end``."""

    team: str
    venue: str
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True, slots=True)
class VenuePatrol:
    """Patrol hours planned and delivered at one venue (a separate measure from the Home
    Office count)."""

    venue: str
    planned_hours: float
    delivered_hours: float

    @property
    def delivered_share(self) -> float | None:
        """Delivered / planned (None when nothing was planned)."""
        return None if self.planned_hours <= 0 else self.delivered_hours / self.planned_hours


Interval = tuple[dt.datetime, dt.datetime]


def busy_intervals(
    deployments: Iterable[Deployment], *, now: dt.datetime
) -> dict[str, list[Interval]]:
    """When each unit was taken away by a deployment of any purpose other than a patrol:
    from its authorisation (or setting off) to its stand-down or end (``now`` while it is
    still out)."""
    busy: dict[str, list[Interval]] = defaultdict(list)
    for d in deployments:
        if d.purpose in (Purpose.protective_patrol, Purpose.routine_patrol):
            continue
        start = _first((d.authorised_at, d.deployed_at, d.arrived_at))
        if start is None:
            continue
        end = _first((d.stood_down_at, d.ended_at)) or now
        if end > start:
            busy[d.unit].append((start, end))
    return dict(busy)


def _overlap_minutes(segment: Interval, busy: Sequence[Interval]) -> float:
    """Minutes of ``segment`` covered by the union of ``busy``."""
    start, end = segment
    clipped = sorted((max(a, start), min(b, end)) for a, b in busy if a < end and b > start)
    total = 0.0
    cursor = start
    for a, b in clipped:
        a = max(a, cursor)
        if b > a:
            total += (b - a).total_seconds() / 60.0
            cursor = b
    return total


def patrol_delivery(
    segments: Iterable[PatrolSegment], busy: Mapping[str, Sequence[Interval]]
) -> list[VenuePatrol]:
    """Hours planned and delivered per venue (sorted by venue).

    A patrol is delivered except while its team was away on a deployment (``busy``, from
    :func:`busy_intervals`): a patrol that turns into an incident response loses the time
    the team spent on the incident, and the incident is counted as an operation, never the
    patrol.
    """
    planned: dict[str, float] = defaultdict(float)
    delivered: dict[str, float] = defaultdict(float)
    for s in segments:
        minutes = max(0.0, (s.end - s.start).total_seconds() / 60.0)
        lost = _overlap_minutes((s.start, s.end), busy.get(s.team, ()))
        planned[s.venue] += minutes
        delivered[s.venue] += minutes - lost
    return [
        VenuePatrol(v, round(planned[v] / 60.0, 2), round(delivered[v] / 60.0, 2))
        for v in sorted(planned)
    ]
