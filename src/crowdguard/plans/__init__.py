"""Event security-plan review: the checklist, Martyn's Law tiers, advice letters.

A pure core (``domain.md`` sections 2, 3 and 5): load an organiser's plan
(:func:`load_plan`), review it against the rule catalogue in ``plans/rules/*.yaml``
(:func:`review`), write the advice letter (:func:`render_letter`), compare revisions
(:func:`diff_reviews`), and turn open findings into vulnerability multipliers for the risk
model (:func:`mitigation_gaps`). No web framework, database or CLI is imported here.
"""

from __future__ import annotations

from pathlib import Path

from crowdguard.plans.hvm import HvmRating, parse_rating
from crowdguard.plans.letter import render_letter, render_pdf
from crowdguard.plans.review import (
    Finding,
    ItemScore,
    LegalTier,
    Review,
    Rule,
    default_rules,
    legal_tier,
    load_plan,
    load_rules,
    parse_plan,
    review,
)
from crowdguard.plans.revisions import FindingsDiff, PlanStatus, diff_reviews, transition
from crowdguard.plans.risk_feedback import mitigation_gaps
from crowdguard.plans.schema import SecurityPlan

__all__ = [
    "DEMO_DIR",
    "EXAMPLE_PLAN",
    "Finding",
    "FindingsDiff",
    "HvmRating",
    "ItemScore",
    "LegalTier",
    "PlanStatus",
    "Review",
    "Rule",
    "SecurityPlan",
    "default_rules",
    "demo_plans",
    "diff_reviews",
    "legal_tier",
    "load_plan",
    "load_rules",
    "mitigation_gaps",
    "parse_plan",
    "parse_rating",
    "render_letter",
    "render_pdf",
    "review",
    "transition",
]

DEMO_DIR = Path(__file__).parent / "demo"
EXAMPLE_PLAN = Path(__file__).parent / "templates" / "example-plan.yaml"
"""A complete, commented plan to start from (``crowdguard review --example``)."""


def demo_plans() -> list[Path]:
    """The demo plans of the embedded Hampshire events, sorted by file name.

    Winchester Cathedral market is near-exemplary, Southampton decent, Gunwharf Quays
    partial and the Guildhall Square ice rink poor (all [ESTIMATE] demo data).
    """
    return sorted(DEMO_DIR.glob("*.yaml"))
