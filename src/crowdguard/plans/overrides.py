"""An adviser's overrides of checklist items, applied to a review (pure).

The checklist scores (``domain.md`` section 3) are evidence-based predicates over what the
organiser wrote; an adviser who has seen more (a site visit, a document sent separately)
may set an item's status by hand, with a reason. The effective review is the engine's
review with those statuses substituted and everything derived from them (findings and
their severity order, critical failures, scores, verdicts) recomputed by the same rules
as :func:`crowdguard.plans.review.review`; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from crowdguard.errors import ReviewError
from crowdguard.plans.review import (
    GROUP,
    SEVERITY_ORDER,
    Finding,
    ItemScore,
    Review,
    Rule,
    _percent,
    _severity,
    _verdict,
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
        items.append(item.model_copy(update={"score": score, "status": status}))
    findings: list[Finding] = []
    order = {item.rule: i for i, item in enumerate(items)}
    for item in items:
        if item.score == 2:
            continue
        previous = old_advice.get(item.rule)
        if previous is not None and previous[0] == item.status:
            advice = previous[1]
        elif item.rule in catalogue:
            rule_advice = catalogue[item.rule].advice
            advice = rule_advice.partial if item.score == 1 else rule_advice.absent
        else:
            advice = item.checks
        findings.append(
            Finding(
                rule=item.rule,
                title=item.title,
                tier=item.tier,
                critical=item.critical,
                legal=item.legal,
                severity=_severity(item),
                status="partial" if item.score == 1 else "absent",
                source=item.source,
                advice=advice,
            )
        )
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], order[f.rule]))
    legal_items = [i for i in items if i.legal]
    groups: dict[str, float] = {}
    for tier_of_rule, label in GROUP.items():
        members = [i for i in items if i.tier is tier_of_rule]
        if members:
            groups[label] = _percent(members)
    return review.model_copy(
        update={
            "items": items,
            "findings": findings,
            "critical_failures": [i.rule for i in items if i.critical and i.score == 0],
            "legal_critical_failures": [i.rule for i in legal_items if i.critical and i.score == 0],
            "score": _percent(items),
            "legal_score": _percent(legal_items) if legal_items else None,
            "group_scores": groups,
            "legal_verdict": _verdict(legal_items),
            "good_practice_verdict": _verdict(items),
        }
    )
