"""Why a target carries the risk it does: the risk model's arithmetic for one venue and time.

:func:`explain_target` runs the same vectorised code as
:func:`~crowdguard.risk.payoffs.build_targets` for one day and picks out one target, so the
explanation can never drift from the numbers the planner uses. The model and every
assumption are documented in ``docs/theory/risk.md`` (crowd from NaCTSO *Crowded Places
Guidance* sectors and local footfall estimates; attack types and mitigating measures from NPSA
guidance and the Terrorism (Protection of Premises) Act 2025 ss.5-6, with mitigation factors
that are our estimates; payoffs after
Kiekintveld et al., AAMAS 2009).
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from crowdguard.errors import InputError
from crowdguard.risk import payoffs
from crowdguard.risk.footprint import footprint_warnings
from crowdguard.scenario.schema import Scenario, ThreatLevel

__all__ = ["AttackBreakdown", "Explanation", "PlanEffect", "explain_target"]

_HOW = {
    "vehicle": "people in a ~400 m x 4 m vehicle path, 15% harmed; reach by venue kind",
    "marauding": "5 harmed a minute at >= 1 person/m^2 until armed officers arrive",
    "ied": "people within ~15 m of a device, 25% harmed",
}
_NAMES = {
    "vehicle": "Vehicle as a weapon",
    "marauding": "Marauding (blade/firearm)",
    "ied": "IED / PBIED",
}


@dataclass(frozen=True)
class AttackBreakdown:
    """One attack type's consequence at this target."""

    kind: str
    name: str
    share: float  # weight of this type among credible attacks
    how: str  # how the unmitigated harm is derived
    unmitigated: float  # people harmed with no mitigation
    mitigations: tuple[tuple[str, float], ...]  # (measure, factor on harm)
    mitigated: float  # people harmed after mitigations


@dataclass(frozen=True)
class PlanEffect:
    """How the venue's linked security plan changes its consequence (rule ids, multipliers)."""

    plan: str  # the scenario's security_plan reference
    event: str
    verdict: str  # the review's legal verdict
    multipliers: dict[str, float]  # per attack mode, >= 1
    reasons: dict[str, list[str]]  # per attack mode, e.g. ["M3 absent", "M2 partial"]
    findings_moving_risk: tuple[str, ...]  # rule ids
    counted_by_scenario: tuple[str, ...]  # gaps the scenario's mitigations already record


@dataclass(frozen=True)
class Explanation:
    """The risk model's breakdown for one venue in one slot."""

    venue_id: str
    venue_name: str
    kind: str
    start: dt.datetime
    end: dt.datetime
    hours_that_day: tuple[str, ...]
    peak_occupancy: int
    profile_share: float
    profile_source: str
    day_factor: float
    day_reason: str
    open_share: float
    capacity: float  # the crowd cap: the scenario's capacity, else area x MAX_DENSITY
    capacity_assumed: bool  # True when the cap is not the scenario's capacity
    area_m2: float  # the ground the crowd stands on
    area_source: str  # where area_m2 comes from, in words
    footprint_warning: str | None  # set when the area is a default by kind
    crowd: float
    density: float  # people per square metre
    response_minutes: float  # time to armed confrontation without a patrol on scene
    attacks: tuple[AttackBreakdown, ...]
    harm: float  # share-weighted mitigated harm of an attack (people)
    threat_level: ThreatLevel
    threat_source: str
    likelihood: float
    risk: float
    effectiveness: float
    attractiveness: float
    penalty: float
    defender_covered: float
    defender_uncovered: float
    attacker_covered: float
    attacker_uncovered: float
    security_plan: PlanEffect | None = None


def explain_target(
    scenario: Scenario, venue_id: str, when: dt.datetime, *, on: dt.date | None = None
) -> Explanation:
    """Explain the target of ``venue_id`` in the slot containing ``when``.

    When venues link security plans, they are reviewed (``on``: review date, default today)
    and their multipliers applied exactly as the planner applies them; the venue's own plan
    appears among its mitigations ("security plan (M3, M2)" x1.68) and in
    ``security_plan``.

    ``when`` may be naive (read as local time in the scenario's time zone) or aware.
    Raises :class:`~crowdguard.errors.InputError` (one line) for an unknown venue, naming the
    closest ids, or for a time at which the venue is closed, giving its hours that day.
    """
    ids = [v.id for v in scenario.venues]
    if venue_id not in ids:
        close = difflib.get_close_matches(venue_id, ids, n=3, cutoff=0.4)
        hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(ids)}"
        raise InputError(f"venue {venue_id!r} is not in scenario {scenario.id!r}; {hint}")
    venue = scenario.venue(venue_id)
    tz = ZoneInfo(scenario.timezone)
    local = when.replace(tzinfo=tz) if when.tzinfo is None else when.astimezone(tz)
    day = local.date()
    if not scenario.start <= day <= scenario.end:
        raise InputError(
            f"TIME: {local:%Y-%m-%d %H:%M} is outside scenario {scenario.id!r}, which runs "
            f"{scenario.start}..{scenario.end}"
        )
    ranges = venue.open_ranges(day)
    hours = tuple(str(r) for r in ranges)

    from crowdguard.risk.plan_gaps import linked_plans  # plans are optional input

    links = linked_plans(scenario, on=on)
    gaps = {v: link.multipliers for v, link in links.items()}
    # the plan holding the slot: the day before, in the early hours of an overnight shift
    assessment = payoffs._assess(scenario, [scenario.plan_day_of(local)], gaps or None)
    targets = assessment.targets
    index = next(
        (
            i
            for i in range(len(targets))
            if targets.venue[i] == venue_id and targets.start[i] <= local < targets.end[i]
        ),
        None,
    )
    if index is None:
        when_text = f"{local:%a %Y-%m-%d %H:%M}"
        if not ranges:
            season = ""
            if (venue.opens and day < venue.opens) or (venue.closes and day > venue.closes):
                season = f" (its season is {venue.opens or 'start'}..{venue.closes or 'end'})"
            reason = f"it is closed all day{season}"
        else:
            reason = f"its hours that day are {', '.join(hours)}"
        raise InputError(f"{venue_id} is closed at {when_text}: {reason}")

    v = int(assessment.venue_index[index])
    factors = payoffs.mitigation_factors(venue)
    link = links.get(venue_id)
    effect = None
    if link is not None:
        for kind in payoffs.ATTACK_TYPES:
            if link.multipliers[kind] != 1.0:
                rules = ", ".join(reason.split()[0] for reason in link.reasons[kind])
                factors[kind].append((f"security plan ({rules})", link.multipliers[kind]))
        effect = PlanEffect(
            plan=venue.security_plan or "",
            event=link.review.event,
            verdict=link.review.legal_verdict,
            multipliers=dict(link.multipliers),
            reasons={k: list(v) for k, v in link.reasons.items()},
            findings_moving_risk=tuple(link.findings_moving_risk),
            counted_by_scenario=tuple(link.counted_by_scenario),
        )
    attacks = tuple(
        AttackBreakdown(
            kind=kind,
            name=_NAMES[kind],
            share=payoffs.ATTACK_SHARES[kind],
            how=_HOW[kind],
            unmitigated=float(assessment.raw_harm[kind][index]),
            mitigations=tuple(factors[kind]),
            mitigated=float(assessment.raw_harm[kind][index] * assessment.factors[kind][v]),
        )
        for kind in payoffs.ATTACK_TYPES
    )
    ground = assessment.footprints[v]
    hour = targets.start[index].hour
    own = venue.hourly_profile is not None and hour in venue.hourly_profile
    _, day_reason = payoffs.day_factor(day)
    return Explanation(
        venue_id=venue.id,
        venue_name=venue.name,
        kind=venue.kind.value,
        start=targets.start[index],
        end=targets.end[index],
        hours_that_day=hours,
        peak_occupancy=venue.peak_occupancy,
        profile_share=float(assessment.profile_share[index]),
        profile_source="the venue's hourly_profile"
        if own
        else f"the default profile for {venue.kind.value}",
        day_factor=float(assessment.day_factor[index]),
        day_reason=day_reason,
        open_share=float(assessment.open_share[index]),
        capacity=ground.cap,
        capacity_assumed=not ground.cap_given,
        area_m2=ground.area_m2,
        area_source=ground.why,
        footprint_warning=next(iter(footprint_warnings([venue])), None),
        crowd=float(targets.crowd[index]),
        density=float(assessment.density[index]),
        response_minutes=float(assessment.response_minutes[v]),
        attacks=attacks,
        harm=float(assessment.harm[index]),
        threat_level=scenario.threat_level,
        threat_source=scenario.threat_source,
        likelihood=assessment.likelihood,
        risk=float(targets.risk[index]),
        effectiveness=assessment.effectiveness,
        attractiveness=venue.attractiveness,
        penalty=assessment.penalty,
        defender_covered=float(targets.defender_covered[index]),
        defender_uncovered=float(targets.defender_uncovered[index]),
        attacker_covered=float(targets.attacker_covered[index]),
        attacker_uncovered=float(targets.attacker_uncovered[index]),
        security_plan=effect,
    )
