"""An adviser's overrides of checklist items, applied to a review (pure).

The checklist scores (``domain.md`` section 3) are evidence-based predicates over what the
organiser wrote; an adviser who has seen more (a site visit, a document sent separately)
may set an item's status by hand, with a reason. The effective review is the engine's
review with those statuses substituted and everything derived from them (findings and
their severity order, critical failures, scores, verdicts) recomputed by the same rules
as :func:`crowdguard.plans.review.review`; nothing else changes.

An override sets the item's status against the full checklist. Its status against the law
at the plan's tier (which differs only for a rule whose evidence uses ``at_tier``, such as
G2) moves the same way: an override that raises or confirms the checklist status never
lowers the legal one, and one that lowers it never raises the legal one. So confirming a
standard-tier company's partial G2 (no Designated Senior Individual) keeps it a
good-practice finding, and marking G2 absent (no responsible person either) makes it legal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from crowdguard.errors import ReviewError
from crowdguard.plans.review import (
    ItemScore,
    Review,
    Rule,
    _findings,
    _totals,
    default_rules,
)

__all__ = ["ItemStatus", "apply_overrides"]

ItemStatus = Literal["absent", "partial", "adequate"]
_SCORE: dict[str, Literal[0, 1, 2]] = {"absent": 0, "partial": 1, "adequate": 2}


def apply_overrides(
    review: Review,
    overrides: Mapping[str, ItemStatus],
    *,
    rules: Sequence[Rule] | None = None,
) -> Review:
    """The review with each overridden item (rule id -> status) set, and all totals redone.

    ``rules`` supplies the advice text for an item that becomes a finding (default: the
    shipped catalogue). An override naming a rule the review did not assess is a
    :class:`~crowdguard.errors.ReviewError`.
    """
    if not overrides:
        return review
    known = {item.rule for item in review.items}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ReviewError(
            f"rule: {unknown[0]!r} is not an item of this review; expected one of "
            + ", ".join(item.rule for item in review.items)
        )
    catalogue = {rule.id: rule for rule in (default_rules() if rules is None else rules)}
    old_advice = {finding.rule: (finding.status, finding.advice) for finding in review.findings}
    items: list[ItemScore] = []
    for item in review.items:
        status = overrides.get(item.rule, item.status)
        score = _SCORE[status]
        legal_score = (
            max(item.legal_score, score) if score >= item.score else min(item.legal_score, score)
        )
        items.append(
            item.model_copy(update={"score": score, "status": status, "legal_score": legal_score})
        )

    def advice(item: ItemScore) -> str:
        status = "partial" if item.finding_score == 1 else "absent"
        previous = old_advice.get(item.rule)
        if previous is not None and previous[0] == status:
            return previous[1]
        if item.rule in catalogue:
            rule_advice = catalogue[item.rule].advice
            return rule_advice.partial if status == "partial" else rule_advice.absent
        return item.checks

    return review.model_copy(
        update={"items": items, "findings": _findings(items, advice), **_totals(items)}
    )
