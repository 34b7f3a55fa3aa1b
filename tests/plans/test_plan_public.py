"""The public surface of crowdguard.plans changes only on purpose."""

from __future__ import annotations

import crowdguard.plans as plans


def test_public_names() -> None:
    assert sorted(plans.__all__) == [
        "DEMO_DIR", "EXAMPLE_PLAN", "Finding", "FindingsDiff", "HvmRating", "ItemScore",
        "LegalTier", "PlanStatus", "Review", "Rule", "SecurityPlan", "default_rules",
        "demo_plans", "diff_reviews", "legal_tier", "load_plan", "load_rules",
        "mitigation_gaps", "parse_plan", "parse_rating", "render_letter", "render_pdf",
        "review", "transition",
    ]  # fmt: skip
    for name in plans.__all__:
        assert hasattr(plans, name), name
