"""Which security plans moved the patrol coverage, and by how much.

A venue's linked security plan scales its consequence per attack mode
(:mod:`crowdguard.risk.plan_gaps`), so the Stackelberg optimum sends more patrols to venues
with weak plans. For each venue with a linked plan this module answers the counterfactual
"if this plan's open findings were all resolved" (its multipliers set to 1.0, every other
venue's kept): the season is solved again with that change and the venue's mean coverage and
patrol hours compared with the actual plan. One extra solve per linked plan whose multipliers
are not all 1 (a plan with none has, exactly, no effect).

The comparison is a one-at-a-time sensitivity analysis (Saltelli et al., *Global Sensitivity
Analysis: The Primer*, 2008, section 1.2.1) of the season game of
:mod:`crowdguard.patrols.planner` (Kiekintveld et al., AAMAS 2009; Conitzer & Sandholm,
EC 2006); the multipliers come from :mod:`crowdguard.plans.risk_feedback`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from crowdguard.patrols.season import season_coverage
from crowdguard.risk.payoffs import Targets
from crowdguard.risk.plan_gaps import LinkedPlan
from crowdguard.scenario.schema import Scenario

__all__ = ["Influence", "plan_influence"]


@dataclass(frozen=True)
class Influence:
    """One linked plan's effect on its venue's share of the patrols over the season."""

    venue: str
    venue_name: str
    event: str
    event_name: str
    tier: str
    verdict: str  # the review's legal verdict
    multipliers: dict[str, float]  # per attack mode, as used by the plan
    findings: tuple[tuple[str, str], ...]  # (rule id, title) of the findings moving risk
    mean_coverage: float  # actual, over the venue's open slots
    mean_coverage_if_resolved: float
    patrol_hours: float  # expected patrol hours at the venue over the horizon
    patrol_hours_if_resolved: float

    @property
    def findings_moving_risk(self) -> list[str]:
        """Rule ids of the open findings that raise the venue's multipliers."""
        return [rule for rule, _ in self.findings]

    @property
    def coverage_delta(self) -> float:
        """Mean coverage gained (positive) because of the plan's open findings."""
        return self.mean_coverage - self.mean_coverage_if_resolved

    @property
    def patrol_hours_delta(self) -> float:
        """Expected patrol hours gained (positive) because of the plan's open findings."""
        return self.patrol_hours - self.patrol_hours_if_resolved


def _venue_figures(
    venues: np.ndarray, coverage: np.ndarray, venue_id: str, slot_hours: float
) -> tuple[float, float]:
    index = np.flatnonzero(venues == venue_id)
    if index.size == 0:
        return 0.0, 0.0
    return float(coverage[index].mean()), float(coverage[index].sum() * slot_hours)


def plan_influence(
    scenario: Scenario,
    links: Mapping[str, LinkedPlan],
    *,
    days: int | Sequence[dt.date] | None = None,
    solved: tuple[Targets, np.ndarray] | None = None,
) -> list[Influence]:
    """Per venue with a reviewed security plan, coverage and patrol hours with and without
    its gaps.

    ``links``: the reviewed plans the actual case used (per venue; their multipliers are the
    actual case's ``plan_gaps``). ``solved``: the actual case's free-placement targets and
    coverage when already solved (a free-placement plan); otherwise it is solved here over
    ``days``. A plan on the patrol graph is compared under free placement (both cases),
    since re-solving a whole season of routes per linked plan would multiply the planning
    time. Sorted by patrol hours moved, largest first.
    """
    gaps = {v: dict(link.multipliers) for v, link in links.items()}
    if solved is None:
        targets, coverage = season_coverage(scenario, days=days, plan_gaps=gaps or None)
    else:
        targets, coverage = solved
    venues = np.array(targets.venue)
    slot_hours = scenario.slot_minutes / 60
    out = []
    for venue_id, link in links.items():
        mean, hours = _venue_figures(venues, coverage, venue_id, slot_hours)
        if all(value == 1.0 for value in gaps.get(venue_id, {}).values()):
            mean_if, hours_if = mean, hours  # nothing to resolve: exactly the same game
        else:
            resolved = {**gaps, venue_id: link.resolved}
            _, coverage_if = season_coverage(scenario, days=days, plan_gaps=resolved)
            mean_if, hours_if = _venue_figures(venues, coverage_if, venue_id, slot_hours)
        moving = set(link.findings_moving_risk)
        out.append(
            Influence(
                venue=venue_id,
                venue_name=scenario.venue(venue_id).name,
                event=link.review.event,
                event_name=link.review.event_name,
                tier=str(link.review.tier),
                verdict=link.review.legal_verdict,
                multipliers=dict(gaps.get(venue_id, link.multipliers)),
                findings=tuple((f.rule, f.title) for f in link.review.findings if f.rule in moving),
                mean_coverage=mean,
                mean_coverage_if_resolved=mean_if,
                patrol_hours=hours,
                patrol_hours_if_resolved=hours_if,
            )
        )
    out.sort(key=lambda i: abs(i.patrol_hours_delta), reverse=True)
    return out
