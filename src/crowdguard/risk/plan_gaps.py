"""Security plans feed the risk: each linked plan's review becomes per-attack multipliers.

A venue may link its event's security plan (``security_plan`` in the scenario). The plan is
reviewed against the checklist (:func:`crowdguard.plans.review`, ``domain.md`` section 3)
and its open findings become a *vulnerability multiplier* per attack mode
(:func:`crowdguard.plans.risk_feedback.mitigation_gaps`: no rated HVM (M3) x1.6, no lockdown
(P3) x1.35, ...; every factor a [DESIGN] estimate). :func:`~crowdguard.risk.payoffs.build_targets`
multiplies the venue's mitigated consequence of that mode by it, so the game shifts patrols
toward weak plans.

No double counting with the scenario's own ``mitigations``
---------------------------------------------------------
The scenario's mitigation fields say which measures are in place and carry their nominal
effect (rated HVM x0.1, lockdown x0.7 on marauding harm, ...: our estimates [ESTIMATE], not
published figures; NPSA describes the measures but publishes no such factors). The plan review
is the evidence of how well the organiser has prepared, so the scenario's fields must describe
what the plan shows (``hvm: rated`` only when the plan cites a rated certificate). Two items
speak of the same thing as a scenario field; when the scenario already records the measure as
missing, the missing factor is counted there and the plan's finding adds nothing more:

=========  =====  ===================================
mode       item   scenario field recording the gap
=========  =====  ===================================
vehicle    M3     ``hvm: none``
marauding  P3     ``lockdown_procedure: false``
ied        M2     ``entry_search: false``
ied        M1     ``cctv: false``
=========  =====  ===================================

Every other item (communication, triggers, training, liaison, evacuation, chalet searches)
has no scenario field, so it only ever enters through the plan.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crowdguard.plans.review import Review, review
from crowdguard.plans.risk_feedback import ATTACK_MODES, VULNERABILITY_FACTORS
from crowdguard.scenario.load import resolve_plan_ref, security_plan_documents
from crowdguard.scenario.schema import Mitigations, Scenario

if TYPE_CHECKING:
    from crowdguard.plans.schema import SecurityPlan

__all__ = [
    "SCENARIO_RECORDS",
    "LinkedPlan",
    "linked_plans",
    "plan_gaps_for",
    "plan_multipliers",
    "review_linked",
    "submitted_plans",
]

SCENARIO_RECORDS: dict[tuple[str, str], Callable[[Mitigations], bool]] = {
    ("vehicle", "M3"): lambda m: m.hvm == "none",
    ("marauding", "P3"): lambda m: not m.lockdown_procedure,
    ("ied", "M2"): lambda m: not m.entry_search,
    ("ied", "M1"): lambda m: not m.cctv,
}
"""(mode, checklist item) -> "the scenario already records this measure as missing"."""


@dataclass(frozen=True)
class LinkedPlan:
    """One venue's linked security plan, its review and its effect on the risk model."""

    venue: str
    path: Path
    review: Review
    multipliers: dict[str, float]  # per attack mode, >= 1
    reasons: dict[str, list[str]]  # per attack mode, the items behind it ("M3 absent")
    counted_by_scenario: list[str] = field(default_factory=list)  # items left to the scenario
    source: str = ""  # the scenario's link ("demo:...", a file) or "submitted security plan #3 v2"

    @property
    def findings_moving_risk(self) -> list[str]:
        """Rule ids of the open findings that raise a multiplier, in the review's order."""
        moving = {reason.split()[0] for reasons in self.reasons.values() for reason in reasons}
        return [f.rule for f in self.review.findings if f.rule in moving]

    @property
    def resolved(self) -> dict[str, float]:
        """The counterfactual multipliers if every open finding were resolved (all 1.0)."""
        return dict.fromkeys(ATTACK_MODES, 1.0)


def plan_multipliers(
    plan_review: Review, mitigations: Mitigations
) -> tuple[dict[str, float], dict[str, list[str]], list[str]]:
    """Multipliers per mode, the items behind each, and the items the scenario already counts.

    Equal to :func:`~crowdguard.plans.risk_feedback.mitigation_gaps` when the scenario records
    none of the plan's gaps itself (see the module docstring for the double-counting rule).
    """
    status = {item.rule: item.status for item in plan_review.items}
    multipliers: dict[str, float] = {}
    reasons: dict[str, list[str]] = {}
    skipped: list[str] = []
    for mode in ATTACK_MODES:
        multiplier = 1.0
        reasons[mode] = []
        for rule, (absent, partial) in VULNERABILITY_FACTORS[mode].items():
            state = status.get(rule, "adequate")
            if state == "adequate":
                continue
            recorded = SCENARIO_RECORDS.get((mode, rule))
            if recorded is not None and recorded(mitigations):
                skipped.append(f"{rule} ({mode})")
                continue
            multiplier *= absent if state == "absent" else partial
            reasons[mode].append(f"{rule} {state}")
        multipliers[mode] = round(multiplier, 4)
    return multipliers, reasons, skipped


def review_linked(
    scenario: Scenario,
    documents: Mapping[str, SecurityPlan],
    *,
    on: dt.date | None = None,
) -> dict[str, LinkedPlan]:
    """Review each venue's linked plan, given as data (``documents``: per venue id, as
    :func:`crowdguard.scenario.load.load_scenario_and_plans` read them); ``on``: the review
    date (default today). Venues without a document are left out; a document for a venue
    the scenario does not link is ignored. Pure: reads no file.
    """
    out: dict[str, LinkedPlan] = {}
    for venue in scenario.venues:
        plan = documents.get(venue.id)
        if venue.security_plan is None or plan is None:
            continue
        result = review(plan, on=on, commencement=scenario.martyns_law_commencement)
        multipliers, reasons, skipped = plan_multipliers(result, venue.mitigations)
        out[venue.id] = LinkedPlan(
            venue.id,
            resolve_plan_ref(venue.security_plan),
            result,
            multipliers,
            reasons,
            skipped,
            venue.security_plan,
        )
    return out


def linked_plans(scenario: Scenario, *, on: dt.date | None = None) -> dict[str, LinkedPlan]:
    """Read and review every venue's linked plan (``on``: the review date, default today).

    The reading is :func:`crowdguard.scenario.load.security_plan_documents` (which raises
    :class:`~crowdguard.errors.ScenarioError` naming the venue and the path when a plan is
    missing, unreadable or written for another venue), the review :func:`review_linked`.
    """
    return review_linked(scenario, security_plan_documents(scenario), on=on)


def plan_gaps_for(scenario: Scenario, *, on: dt.date | None = None) -> dict[str, dict[str, float]]:
    """``{venue_id: {"vehicle", "marauding", "ied": multiplier}}`` for the linked plans.

    The argument :func:`~crowdguard.risk.payoffs.build_targets` takes as ``plan_gaps``;
    use :func:`linked_plans` for the reviews and the findings behind each multiplier.
    """
    return {venue: dict(link.multipliers) for venue, link in linked_plans(scenario, on=on).items()}


def submitted_plans(
    scenario: Scenario, entries: Sequence[Mapping[str, Any]]
) -> dict[str, LinkedPlan]:
    """Security plans submitted through the service, as :class:`LinkedPlan` per venue.

    ``entries`` are what a plan job stored with its scenario snapshot
    (:func:`crowdguard.plans.service.reviews_for_plan_job`): venue, event, security plan
    id, version, status and the effective review (overrides applied). Each review becomes
    multipliers exactly as a linked plan's does (:func:`plan_multipliers`). Entries for
    venues outside the scenario are ignored. When several events at one venue run in the
    period, the weakest plan counts (the largest product of multipliers): the attacker
    chooses the venue-hour, so the venue is as exposed as its least prepared event.
    """
    out: dict[str, LinkedPlan] = {}
    known = {venue.id: venue for venue in scenario.venues}
    for entry in entries:
        venue = known.get(str(entry["venue"]))
        if venue is None:
            continue
        result = Review.model_validate(entry["review"])
        multipliers, reasons, skipped = plan_multipliers(result, venue.mitigations)
        source = (
            f"submitted security plan #{entry['security_plan_id']} v{entry['version']} "
            f"({entry['status']})"
        )
        link = LinkedPlan(
            venue.id,
            Path(f"security-plans/{entry['security_plan_id']}/versions/{entry['version']}"),
            result,
            multipliers,
            reasons,
            skipped,
            source,
        )
        held = out.get(venue.id)
        if held is None or math.prod(link.multipliers.values()) > math.prod(
            held.multipliers.values()
        ):
            out[venue.id] = link
    return out
