"""The risk model: expected crowd x consequence x mitigation -> security-game payoffs.

See ``docs/theory/risk.md`` for the model, its assumptions and a worked example.
"""

from __future__ import annotations

from crowdguard.risk.explain import Explanation, explain_target
from crowdguard.risk.footprint import Footprint, footprint, footprint_warnings
from crowdguard.risk.payoffs import Targets, build_targets, day_factor, mitigation_factors
from crowdguard.risk.plan_gaps import LinkedPlan, linked_plans, plan_gaps_for

__all__ = [
    "Explanation",
    "Footprint",
    "LinkedPlan",
    "Targets",
    "build_targets",
    "day_factor",
    "explain_target",
    "footprint",
    "footprint_warnings",
    "linked_plans",
    "mitigation_factors",
    "plan_gaps_for",
]
