"""The advice letter to an event organiser: Markdown, HTML and PDF.

Written in the plain, courteous register of a police Counter Terrorism Security Adviser
(CTSA): police advise and the organiser keeps ownership of the risk (ProtectUK, Purple Guide
counter-terrorism chapter; ``domain.md`` section 1). The letter says what was reviewed, the
legal tier under the Terrorism (Protection of Premises) Act 2025 and why, what is good,
what must improve (critical items first, each with its clause), what we recommend as good
practice, and by when to resubmit. It never mentions police deployments or patrols: those
are operationally sensitive (ProtectUK tactic IB1: response measures are not published).

Templates live in ``plans/templates/`` (Jinja2); the PDF is WeasyPrint's rendering of the
HTML letter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from crowdguard.plans.review import Finding, LegalTier, Review, Severity
from crowdguard.plans.revisions import DEFAULT_DAYS_BEFORE, review_due_date
from crowdguard.templating import environment, long_date

__all__ = ["DEFAULT_ADVISER", "DEFAULT_FORCE", "letter_context", "render_letter", "render_pdf"]

TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_FORCE = "Hampshire & Isle of Wight Constabulary"
DEFAULT_ADVISER = "Counter Terrorism Security Adviser"

_LABELS = {
    Severity.critical: "critical",
    Severity.high: "important",
    Severity.medium: "needed",
    Severity.low: "recommended",
}


def _tier_paragraph(review: Review) -> str:
    reason = review.tier_reason[0].upper() + review.tier_reason[1:]
    if review.tier is LegalTier.enhanced:
        duty = (
            "The enhanced-tier duties therefore apply: the public-protection procedures of "
            "section 5, the protective measures of section 6 (monitoring, movement, physical "
            "security and security of information), a security document under section 7 and, "
            "for a body corporate, a Designated Senior Individual (section 10)."
        )
    elif review.tier is LegalTier.standard:
        duty = (
            "The standard-tier duties therefore apply: notifying the Security Industry "
            "Authority and having public-protection procedures for evacuation, invacuation, "
            "lockdown and communication (section 5). We have also reviewed, as good practice, "
            "what the enhanced tier adds: the protective measures of section 6, a security "
            "document under section 7 and, for a body corporate, a Designated Senior "
            "Individual (section 10)."
        )
    else:
        duty = (
            "On these figures the Act's duties do not appear to apply, but visitors still "
            "deserve the same protection, so we have reviewed your plan against the full "
            "checklist as good practice."
        )
    return f"{reason}. {duty}"


def _finding_view(finding: Finding) -> dict[str, str]:
    legal = "required by the Act at your tier" if finding.legal else "good practice"
    label = f"{_LABELS[finding.severity]}, {finding.status}, {legal}"
    return {
        "rule": finding.rule,
        "title": finding.title,
        "severity": finding.severity.value,
        "label": label,
        "advice": finding.advice,
        "source": finding.source.rstrip("."),
    }


def _must_improve(review: Review) -> list[Finding]:
    return [f for f in review.findings if f.legal or f.severity is Severity.critical]


def _next_steps(review: Review, days_before: int) -> str:
    if review.opens is None:
        return (
            "Please send us a revised plan, including the dates the event is open, as soon as "
            "possible so that we can review it before the public arrive."
        )
    due = review_due_date(review.opens, days_before)
    opens = long_date(review.opens)
    if not review.findings:
        return (
            "No changes are needed. Please send us any revision of the plan before the event "
            f"opens on {opens}, and keep your security document current."
        )
    if not _must_improve(review):
        when = f"by {long_date(due)}" if due > review.reviewed_on else "before the event opens"
        return (
            "There is nothing you must change. If you take up our recommendations, please "
            f"send us the revised plan {when} (the event opens on {opens}), and keep your "
            "security document current."
        )
    if due <= review.reviewed_on:
        return (
            "Please send us a revised plan addressing the points above as soon as possible, "
            f"and in any case before the event opens on {opens}."
        )
    return (
        f"Please send us a revised plan addressing the points above by {long_date(due)}, "
        f"{days_before} days before the event opens on {opens}, so that we can review it "
        "before the public arrive. We are happy to meet you on site to talk it through."
    )


def letter_context(
    review: Review,
    *,
    adviser: str = DEFAULT_ADVISER,
    force: str = DEFAULT_FORCE,
    days_before: int = DEFAULT_DAYS_BEFORE,
) -> dict[str, object]:
    """The values the letter templates use (one source for Markdown, HTML and PDF).

    "What must improve" holds the findings that fall short of the law at the plan's tier
    (``Finding.legal``) and every critical finding; "what we recommend" holds the remaining
    good-practice findings, such as a standard-tier company's missing Designated Senior
    Individual (required by TPPA s.10 only at the enhanced tier).
    """
    must = _must_improve(review)
    recommend = [f for f in review.findings if f not in must]
    return {
        "force": force,
        "adviser": adviser,
        "date": long_date(review.reviewed_on),
        "organiser": review.organiser,
        "event_name": review.event_name,
        "venue": review.venue,
        "opens": long_date(review.opens) if review.opens else "",
        "tier_paragraph": _tier_paragraph(review),
        "legal_verdict": review.legal_verdict,
        "legal_score": review.legal_score,
        "good_practice_verdict": review.good_practice_verdict,
        "score": review.score,
        "groups": [
            (
                {"S": "standard duties", "E": "enhanced duties", "BP": "good practice"}[k],
                v,
            )
            for k, v in review.group_scores.items()
        ],
        "item_count": len(review.items),
        "good": [i for i in review.items if i.score == 2],
        "must": [_finding_view(f) for f in must],
        "recommend": [_finding_view(f) for f in recommend],
        "next_steps": _next_steps(review, days_before),
    }


def render_letter(
    review: Review,
    fmt: Literal["md", "html"] = "md",
    *,
    adviser: str = DEFAULT_ADVISER,
    force: str = DEFAULT_FORCE,
    days_before: int = DEFAULT_DAYS_BEFORE,
) -> str:
    """The advice letter as Markdown (``"md"``) or a self-contained HTML page (``"html"``)."""
    context = letter_context(review, adviser=adviser, force=force, days_before=days_before)
    name = "letter.html.j2" if fmt == "html" else "letter.md.j2"
    return environment(TEMPLATES, html=fmt == "html").get_template(name).render(**context)


def render_pdf(
    review: Review,
    *,
    adviser: str = DEFAULT_ADVISER,
    force: str = DEFAULT_FORCE,
    days_before: int = DEFAULT_DAYS_BEFORE,
) -> bytes:
    """The advice letter as PDF bytes (WeasyPrint rendering of the HTML letter)."""
    import weasyprint  # heavy import, only when a PDF is asked for

    html = render_letter(review, "html", adviser=adviser, force=force, days_before=days_before)
    pdf = weasyprint.HTML(string=html).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf
