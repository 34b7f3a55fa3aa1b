"""Expected crowd x consequence x mitigation -> the four payoffs of each target.

A *target* is one venue in one time slot. For each target this module computes

1. the **expected crowd**: ``peak_occupancy x hourly profile x day factor x open share``,
   capped at the venue's capacity, and its **density** on the venue's footprint
   (:mod:`crowdguard.risk.footprint`: ``area_m2``, else from ``capacity``, else a default by
   kind), so that a larger crowd on the same ground is a denser one;
2. the **harm of an unopposed attack** for three credible attack types named by NaCTSO's
   *Crowded Places Guidance* (2017) and the threat lists of ``domain.md`` sections 3 to 5:
   vehicle as a weapon, marauding attack (blade or firearm) and IED/PBIED, each a function of
   crowd density and exposure, each reduced by the venue's mitigations (the measures of NPSA
   hostile-vehicle mitigation guidance and of Martyn's Law s.5 procedures and s.6 measures;
   the factors are our estimates, as NPSA publishes none);
3. the **risk**: the mix of the three harms by attack-type share, times the likelihood the
   national threat level expresses (JTAC levels, ``domain.md`` section 4);
4. the **payoffs** of a Stackelberg security game (Kiekintveld et al., "Computing optimal
   randomized resource allocations for massive security games", AAMAS 2009): with patrol
   effectiveness ``e``, ``defender_covered = -(1 - e) risk``, ``defender_uncovered = -risk``,
   ``attacker_uncovered = attractiveness x harm`` and ``attacker_covered = (1 - e)
   attractiveness x harm - penalty(threat level)``.

Every constant below is an **[ESTIMATE]** for the demo unless marked otherwise; the theory
page ``docs/theory/risk.md`` states each assumption and works a three-venue example by hand.
The solvers rely on ``defender_covered >= defender_uncovered`` and ``attacker_covered <
attacker_uncovered`` for every target, and on all payoffs being finite; both hold by
construction (``e > 0``, ``risk >= 0``, ``penalty > 0``).

Slots are ``slot_minutes`` long and half-open. They are laid from local midnight
(Europe/London, via :mod:`zoneinfo`) in steps of real elapsed time, so on the day the clocks
go forward there are 23 one-hour slots and on the day they go back 25, each exactly one hour
long; with slots that divide an hour the starts also fall on the local wall-clock grid.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from crowdguard.errors import InputError
from crowdguard.risk.footprint import Footprint, footprint
from crowdguard.scenario.schema import Scenario, ThreatLevel, Venue, VenueKind

__all__ = [
    "ATTACK_SHARES",
    "CAPTURE_PENALTY",
    "DEFAULT_PROFILES",
    "THREAT_LIKELIHOOD",
    "PlanGaps",
    "Targets",
    "build_targets",
    "day_factor",
    "mitigation_factors",
]

# --------------------------------------------------------------------------- assumptions
#: Default share of peak occupancy present, by venue kind and hour of day (0..23)
#: [ESTIMATE]. Shops and centres peak early afternoon; markets and rinks peak at dusk when
#: the lights are on; a venue's own ``hourly_profile`` overrides any hour it lists.
DEFAULT_PROFILES: dict[VenueKind, tuple[float, ...]] = {
    VenueKind.shopping_centre: (0.02, 0, 0, 0, 0, 0, 0, 0.05, 0.15, 0.3, 0.5, 0.7,
                                0.85, 0.95, 1.0, 1.0, 0.9, 0.75, 0.55, 0.4, 0.25, 0.1, 0.05, 0.02),
    VenueKind.shopping_street: (0.02, 0.01, 0, 0, 0, 0, 0, 0.05, 0.2, 0.35, 0.55, 0.75,
                                0.9, 1.0, 1.0, 0.95, 0.85, 0.65, 0.45, 0.3, 0.2, 0.1, 0.05, 0.03),
    VenueKind.town_centre: (0.02, 0.01, 0, 0, 0, 0, 0, 0.05, 0.2, 0.35, 0.55, 0.75,
                            0.9, 1.0, 1.0, 0.95, 0.85, 0.65, 0.45, 0.3, 0.2, 0.1, 0.05, 0.03),
    VenueKind.outlet_village: (0.02, 0, 0, 0, 0, 0, 0, 0.05, 0.15, 0.3, 0.5, 0.7,
                               0.85, 0.95, 1.0, 1.0, 0.95, 0.85, 0.7, 0.55, 0.35, 0.15, 0.05, 0.02),
    VenueKind.christmas_market: (0, 0, 0, 0, 0, 0, 0, 0, 0.1, 0.2, 0.35, 0.5,
                                 0.65, 0.75, 0.85, 0.95, 1.0, 1.0, 0.9, 0.75, 0.6, 0.4, 0.2, 0.05),
    VenueKind.ice_rink: (0, 0, 0, 0, 0, 0, 0, 0, 0.1, 0.2, 0.35, 0.5,
                         0.6, 0.7, 0.8, 0.9, 1.0, 1.0, 0.95, 0.85, 0.7, 0.5, 0.25, 0.05),
    VenueKind.covered_market: (0, 0, 0, 0, 0, 0, 0, 0, 0.1, 0.3, 0.55, 0.8,
                               0.95, 1.0, 1.0, 0.9, 0.75, 0.55, 0.35, 0.2, 0.1, 0.05, 0, 0),
}  # fmt: skip

#: Day factors [ESTIMATE]: the share of the season's busiest day seen on a given day.
WEEKDAY_FACTOR = (0.6, 0.6, 0.6, 0.65, 0.75, 0.9, 0.7)  # Mon..Sun
SUPER_SATURDAY_FACTOR = 1.0  # the last Saturday before Christmas
CHRISTMAS_EVE_FACTOR = 0.8
BOXING_DAY_FACTOR = 1.0  # the sales
BETWEEN_FESTIVALS_FACTOR = 0.75  # 27-30 December, sales continue
NEW_YEARS_EVE_FACTOR = 0.6
NEW_YEARS_DAY_FACTOR = 0.5

#: The ground a venue's crowd stands on, and so its density, comes from
#: :mod:`crowdguard.risk.footprint`: ``area_m2``, else ``capacity`` at 2 people/m^2, else a
#: documented default by kind (named in a warning wherever the risk is shown).

#: Vehicle as a weapon [ESTIMATE]: ground swept by a vehicle before it stops (a ~400 m run,
#: as at Magdeburg 2024 [FACT-2nd], 4 m wide) and the share of people in it who are harmed.
VEHICLE_SWEPT_AREA_M2 = 400.0 * 4.0
VEHICLE_HARM_SHARE = 0.15
#: How much of a venue a vehicle can reach, by kind [ESTIMATE]: indoor centres and covered
#: markets only at their entrances and frontages.
VEHICLE_ACCESS: dict[VenueKind, float] = {
    VenueKind.shopping_centre: 0.2,
    VenueKind.covered_market: 0.2,
    VenueKind.ice_rink: 0.6,
}

#: Marauding attack [ESTIMATE]: people harmed per minute at a density of 1 person/m^2 or more
#: (linear below), until armed officers confront the attacker (van Aken, Schlicher, Slikker
#: and van Houtum, Naval Research Logistics 2024: damage = response time x damage rate).
MARAUDING_RATE_PER_MIN = 5.0
MARAUDING_FULL_DENSITY = 1.0
MARAUDING_MAX_SHARE = 0.25  # never more than a quarter of the crowd
#: Time to armed confrontation without a patrol on scene, minutes ([ESTIMATE] from
#: ``domain.md`` section 6: urban ARV arrival 5-10 min, rural/Isle of Wight 20-40).
RESPONSE_MINUTES_MAINLAND = 8.0
RESPONSE_MINUTES_ISLAND = 30.0

#: IED / person-borne IED [ESTIMATE]: ground within a ~15 m harm radius and the share of
#: people in it who are harmed.
BLAST_AREA_M2 = float(np.pi * 15.0**2)
BLAST_HARM_SHARE = 0.25

#: Share of each attack type among credible attacks [ESTIMATE]: UK attacks since 2017 were
#: mostly bladed or vehicle attacks; IEDs are rarer but the most lethal.
ATTACK_SHARES: dict[str, float] = {"vehicle": 0.35, "marauding": 0.45, "ied": 0.20}

#: Mitigation factors on each attack type's harm [ESTIMATE].
HVM_FACTOR = {"none": 1.0, "unrated": 0.6, "rated": 0.1}  # unrated blocks get shoved aside
CCTV_FACTOR = {"vehicle": 1.0, "marauding": 0.95, "ied": 0.9}
ENTRY_SEARCH_FACTOR = {"vehicle": 1.0, "marauding": 0.8, "ied": 0.3}
LOCKDOWN_FACTOR = {"vehicle": 1.0, "marauding": 0.7, "ied": 1.0}
STEWARD_MAX_REDUCTION = {"vehicle": 0.0, "marauding": 0.2, "ied": 0.2}
STEWARDS_FOR_FULL_EFFECT = 20

#: Likelihood an attack is attempted, read from the JTAC level's wording on the UK
#: intelligence "probability yardstick" [ESTIMATE]: JTAC levels are not calibrated
#: probabilities. Scales the defender's payoffs (and the reported risk) only.
THREAT_LIKELIHOOD: dict[ThreatLevel, float] = {
    ThreatLevel.LOW: 0.15,  # "highly unlikely"
    ThreatLevel.MODERATE: 0.35,  # "possible, but not likely"
    ThreatLevel.SUBSTANTIAL: 0.65,  # "likely"
    ThreatLevel.SEVERE: 0.85,  # "highly likely"
    ThreatLevel.CRITICAL: 0.95,  # "highly likely in the near future"
}

#: The attacker's loss when a patrol is on scene (capture, death, failure), in units of
#: people harmed [ESTIMATE]. Lower at SEVERE and CRITICAL: the attackers then in prospect are
#: assumed more determined and less deterred. This is where the threat level changes the
#: equilibrium coverage (a uniform scale of payoffs does not).
CAPTURE_PENALTY: dict[ThreatLevel, float] = {
    ThreatLevel.LOW: 40.0,
    ThreatLevel.MODERATE: 40.0,
    ThreatLevel.SUBSTANTIAL: 30.0,
    ThreatLevel.SEVERE: 15.0,
    ThreatLevel.CRITICAL: 5.0,
}

ATTACK_TYPES = ("vehicle", "marauding", "ied")


# --------------------------------------------------------------------------- public types
@dataclass(frozen=True)
class Targets:
    """Every (venue, slot) in which the venue is open, with its crowd, risk and payoffs.

    Arrays are aligned: entry ``i`` of each describes target ``ids[i]``. Targets sharing a
    ``slot`` index compete for the teams on duty in that slot.
    """

    ids: tuple[str, ...]
    venue: tuple[str, ...]
    start: tuple[dt.datetime, ...]
    end: tuple[dt.datetime, ...]
    slot: np.ndarray
    slot_starts: tuple[dt.datetime, ...]
    crowd: np.ndarray
    risk: np.ndarray
    defender_covered: np.ndarray
    defender_uncovered: np.ndarray
    attacker_covered: np.ndarray
    attacker_uncovered: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


PlanGaps = Mapping[str, Mapping[str, float]]
"""``{venue_id: {attack_mode: multiplier}}``: security-plan vulnerability multipliers."""


def build_targets(
    scenario: Scenario,
    *,
    days: Sequence[dt.date] | None = None,
    plan_gaps: PlanGaps | None = None,
) -> Targets:
    """The targets of a scenario over ``days`` (default: every day of its period).

    A day's targets are the venue-slots of its plan
    (:meth:`~crowdguard.scenario.schema.Scenario.plan_window`): with overnight shifts, the
    early hours after midnight belong to the evening before.

    ``plan_gaps`` (see :func:`crowdguard.risk.plan_gaps.plan_gaps_for`) multiplies a venue's
    consequence of each attack mode (``vehicle``, ``marauding``, ``ied``) after its own
    mitigations: the review of its security plan is the evidence of how well those measures
    are prepared (``docs/theory/risk.md``, "Security plans feed the risk"). Modes or venues
    left out count as 1. Default ``None``: no plan effect (the caller decides whether linked
    plans apply; the planner does by default).
    """
    return _assess(scenario, days, plan_gaps).targets


def _plan_factors(scenario: Scenario, plan_gaps: PlanGaps | None) -> dict[str, np.ndarray]:
    """Per attack type, each venue's plan multiplier (1 without a plan); checks the input."""
    ids = [v.id for v in scenario.venues]
    out = {kind: np.ones(len(ids)) for kind in ATTACK_TYPES}
    for venue_id, modes in (plan_gaps or {}).items():
        if venue_id not in ids:
            raise InputError(f"plan_gaps: venue {venue_id!r} is not in scenario {scenario.id!r}")
        for mode, value in modes.items():
            if mode not in ATTACK_TYPES:
                raise InputError(
                    f"plan_gaps[{venue_id!r}]: attack mode {mode!r} is unknown; "
                    f"expected one of {', '.join(ATTACK_TYPES)}"
                )
            if not (math.isfinite(value) and value >= 1.0):
                raise InputError(
                    f"plan_gaps[{venue_id!r}][{mode!r}]: {value!r} is not a multiplier; "
                    "expected a finite number >= 1 (1 = no gap)"
                )
            out[mode][ids.index(venue_id)] = float(value)
    return out


def day_factor(day: dt.date) -> tuple[float, str]:
    """The day factor for a date and the reason, e.g. ``(1.0, "Boxing Day (sales)")``."""
    if day.month == 12:
        if day.day == 24:
            return CHRISTMAS_EVE_FACTOR, "Christmas Eve"
        if day.day == 26:
            return BOXING_DAY_FACTOR, "Boxing Day (sales)"
        if 27 <= day.day <= 30:
            return BETWEEN_FESTIVALS_FACTOR, "between Christmas and New Year (sales)"
        if day.day == 31:
            return NEW_YEARS_EVE_FACTOR, "New Year's Eve"
        if 18 <= day.day <= 23 and day.weekday() == 5:
            return SUPER_SATURDAY_FACTOR, "last Saturday before Christmas"
    if day.month == 1 and day.day == 1:
        return NEW_YEARS_DAY_FACTOR, "New Year's Day"
    name = day.strftime("%A")
    return WEEKDAY_FACTOR[day.weekday()], f"an ordinary {name}"


# --------------------------------------------------------------------------- internals
@dataclass(frozen=True)
class _Assessment:
    """Targets plus the intermediate arrays :mod:`crowdguard.risk.explain` reports."""

    targets: Targets
    venue_index: np.ndarray
    profile_share: np.ndarray
    day_factor: np.ndarray
    open_share: np.ndarray
    density: np.ndarray
    raw_harm: dict[str, np.ndarray]  # unmitigated, per attack type
    factors: dict[str, np.ndarray]  # combined mitigation factor per attack type and venue
    plan_factors: dict[str, np.ndarray]  # security-plan multiplier per attack type and venue
    harm: np.ndarray  # mitigated, share-weighted (people harmed in an attack)
    likelihood: float
    penalty: float
    effectiveness: float
    response_minutes: np.ndarray  # per venue
    footprints: tuple[Footprint, ...]  # per venue: area, crowd cap and their sources


def _venue_profile(venue: Venue) -> np.ndarray:
    profile = np.array(DEFAULT_PROFILES[venue.kind], dtype=float)
    for hour, share in (venue.hourly_profile or {}).items():
        profile[hour] = share
    return profile


def mitigation_factors(venue: Venue) -> dict[str, list[tuple[str, float]]]:
    """Each mitigation's multiplicative factor on each attack type's harm, by name."""
    m = venue.mitigations
    steward_cover = min(1.0, m.stewards / STEWARDS_FOR_FULL_EFFECT)
    out: dict[str, list[tuple[str, float]]] = {kind: [] for kind in ATTACK_TYPES}
    if m.hvm != "none":
        out["vehicle"].append((f"HVM ({m.hvm})", HVM_FACTOR[m.hvm]))
    for kind in ATTACK_TYPES:
        if m.cctv and CCTV_FACTOR[kind] != 1.0:
            out[kind].append(("CCTV", CCTV_FACTOR[kind]))
        if m.entry_search and ENTRY_SEARCH_FACTOR[kind] != 1.0:
            out[kind].append(("entry search", ENTRY_SEARCH_FACTOR[kind]))
        if m.lockdown_procedure and LOCKDOWN_FACTOR[kind] != 1.0:
            out[kind].append(("lockdown procedure", LOCKDOWN_FACTOR[kind]))
        if m.stewards and STEWARD_MAX_REDUCTION[kind]:
            factor = 1.0 - STEWARD_MAX_REDUCTION[kind] * steward_cover
            out[kind].append((f"{m.stewards} stewards", factor))
    return out


def _day_slots(scenario: Scenario, day: dt.date, tz: ZoneInfo) -> np.ndarray:
    """Epoch seconds of the slot starts of a day's plan (real-time steps from midnight),
    within :meth:`~crowdguard.scenario.schema.Scenario.plan_window`: the local day, less the
    early hours an overnight shift of the evening before holds, plus the early hours of the
    next day its own overnight shifts hold."""
    first = dt.datetime.combine(day, dt.time(0), tzinfo=tz).timestamp()
    opens, closes = scenario.plan_window(day)
    slots = np.arange(first, closes.timestamp(), scenario.slot_minutes * 60.0)
    return slots[slots >= opens.timestamp()]


def _epoch(day: dt.date, clock: dt.time, tz: ZoneInfo) -> float:
    if clock == dt.time.max:  # "24:00"
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz).timestamp()
    return dt.datetime.combine(day, clock, tzinfo=tz).timestamp()


def _assess(
    scenario: Scenario, days: Sequence[dt.date] | None, plan_gaps: PlanGaps | None = None
) -> _Assessment:
    tz = ZoneInfo(scenario.timezone)
    length = scenario.slot_minutes * 60.0
    chosen = sorted(set(scenario.days if days is None else days))
    venues = scenario.venues

    # 1. Which venue is open in which slot, and for what share of it.
    slot_epochs: list[float] = []
    t_venue: list[np.ndarray] = []
    t_slot: list[np.ndarray] = []
    t_share: list[np.ndarray] = []
    t_day: list[np.ndarray] = []
    calendar = sorted({d + dt.timedelta(days=k) for d in chosen for k in (0, 1)})
    for day in chosen:
        starts = _day_slots(scenario, day, tz)
        ends = starts + length
        open_share = np.zeros((len(venues), len(starts)))
        for v, venue in enumerate(venues):
            for date in (day, day + dt.timedelta(days=1)):  # a night runs on past midnight
                for rng in venue.open_ranges(date):
                    lo, hi = _epoch(date, rng.start, tz), _epoch(date, rng.end, tz)
                    overlap = np.minimum(ends, hi) - np.maximum(starts, lo)
                    open_share[v] += np.clip(overlap, 0.0, None) / length
        np.clip(open_share, 0.0, 1.0, out=open_share)
        used = np.flatnonzero(open_share.max(axis=0) > 0)
        if used.size == 0:
            continue
        offset = len(slot_epochs)
        slot_epochs.extend(starts[used].tolist())
        sub = open_share[:, used]
        v_idx, s_idx = np.nonzero(sub > 0)
        order = np.lexsort((v_idx, s_idx))  # by slot, then venue order
        t_venue.append(v_idx[order])
        t_slot.append(s_idx[order] + offset)
        t_share.append(sub[v_idx[order], s_idx[order]])
        # each slot's own calendar date (its day-of-week crowd), not the plan's date
        slot_dates = [
            dt.datetime.fromtimestamp(e, tz=dt.UTC).astimezone(tz).date() for e in starts[used]
        ]
        t_day.append(np.array([calendar.index(slot_dates[i]) for i in s_idx[order]]))

    def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

    venue_index = cat(t_venue, np.int64)
    slot = cat(t_slot, np.int64)
    open_share_t = cat(t_share, float)
    day_index = cat(t_day, np.int64)

    slot_starts = tuple(dt.datetime.fromtimestamp(e, tz=dt.UTC).astimezone(tz) for e in slot_epochs)
    # Ends from real elapsed time: aware datetime + timedelta is wall-clock arithmetic,
    # which would be wrong across a DST change.
    slot_ends = tuple(
        dt.datetime.fromtimestamp(e + length, tz=dt.UTC).astimezone(tz) for e in slot_epochs
    )

    # 2. Expected crowd.
    profiles = np.stack([_venue_profile(v) for v in venues])  # (V, 24)
    hours_per_slot = max(1, scenario.slot_minutes // 60)
    slot_hour = np.array([s.hour for s in slot_starts], dtype=np.int64)
    hour_grid = (slot_hour[:, None] + np.arange(hours_per_slot)[None, :]) % 24  # (S, h)
    profile_share = profiles[venue_index[:, None], hour_grid[slot]].mean(axis=1)
    day_factors = np.array([day_factor(d)[0] for d in calendar])
    day_f = day_factors[day_index] if len(calendar) else np.zeros(0)
    peak = np.array([v.peak_occupancy for v in venues], dtype=float)
    grounds = [footprint(v) for v in venues]
    cap = np.array([g.cap for g in grounds])
    crowd = np.minimum(peak[venue_index] * profile_share * day_f * open_share_t,
                       cap[venue_index])  # fmt: skip

    # 3. Harm of each attack type, unmitigated then mitigated. Density is the crowd on the
    # venue's own ground, so with the ground fixed more people means more within reach.
    area = np.array([g.area_m2 for g in grounds])
    density = crowd / area[venue_index]
    access = np.array([VEHICLE_ACCESS.get(v.kind, 1.0) for v in venues])
    response = np.array(
        [RESPONSE_MINUTES_ISLAND if v.island else RESPONSE_MINUTES_MAINLAND for v in venues]
    )
    raw = {
        "vehicle": VEHICLE_HARM_SHARE
        * access[venue_index]
        * np.minimum(crowd, density * VEHICLE_SWEPT_AREA_M2),
        "marauding": np.minimum(
            MARAUDING_MAX_SHARE * crowd,
            MARAUDING_RATE_PER_MIN
            * np.minimum(1.0, density / MARAUDING_FULL_DENSITY)
            * response[venue_index],
        ),
        "ied": BLAST_HARM_SHARE * np.minimum(crowd, density * BLAST_AREA_M2),
    }
    per_venue = [mitigation_factors(v) for v in venues]
    plan_factors = _plan_factors(scenario, plan_gaps)
    factors = {
        kind: np.array([float(np.prod([f for _, f in pv[kind]])) for pv in per_venue])
        * plan_factors[kind]
        for kind in ATTACK_TYPES
    }
    harm = sum(
        (ATTACK_SHARES[k] * raw[k] * factors[k][venue_index] for k in ATTACK_TYPES),
        start=np.zeros(len(venue_index)),
    )

    # 4. Threat level and payoffs.
    likelihood = THREAT_LIKELIHOOD[scenario.threat_level]
    penalty = CAPTURE_PENALTY[scenario.threat_level]
    e = scenario.patrol.effectiveness
    risk = likelihood * harm
    attractiveness = np.array([v.attractiveness for v in venues])[venue_index]
    reward = attractiveness * harm

    ids = tuple(
        f"{venues[v].id}@{slot_starts[s].isoformat()}"
        for v, s in zip(venue_index.tolist(), slot.tolist(), strict=True)
    )
    targets = Targets(
        ids=ids,
        venue=tuple(venues[v].id for v in venue_index.tolist()),
        start=tuple(slot_starts[s] for s in slot.tolist()),
        end=tuple(slot_ends[s] for s in slot.tolist()),
        slot=slot,
        slot_starts=slot_starts,
        crowd=crowd,
        risk=risk,
        defender_covered=-(1.0 - e) * risk,
        defender_uncovered=-risk,
        attacker_covered=(1.0 - e) * reward - penalty,
        attacker_uncovered=reward,
    )
    return _Assessment(
        targets=targets,
        venue_index=venue_index,
        profile_share=profile_share,
        day_factor=day_f,
        open_share=open_share_t,
        density=density,
        raw_harm=raw,
        factors=factors,
        plan_factors=plan_factors,
        harm=harm,
        likelihood=likelihood,
        penalty=penalty,
        effectiveness=e,
        response_minutes=response,
        footprints=tuple(grounds),
    )
