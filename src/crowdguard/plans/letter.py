"""The advice letter to an event organiser: Markdown, HTML and PDF.

Written in the plain, courteous register of a police Counter Terrorism Security Adviser
(CTSA): police advise and the organiser keeps ownership of the risk (ProtectUK, Purple Guide
counter-terrorism chapter; ``domain.md`` section 1). The letter says what was reviewed, the
legal tier under the Terrorism (Protection of Premises) Act 2025 and why, what is good,
what must improve (critical items first, each with its clause), what we recommend as good
practice, and by when to resubmit.

The law as it stands (``domain.md`` section 2): until the Act's duties are commenced (only
s.27 is, as of the 2026 season) the letter says so, words every duty as what the Act *will*
require once commenced, and presents the checklist as advice; it never calls a plan
unlawful. A duty "so far as reasonably practicable" (ss.5-6) is labelled so, with the
specific measures named as guidance. Restriction notices are mentioned only for the
enhanced tier, where the Act allows them. Fictional details of a demonstration plan are
listed at the top of the letter. It never mentions police deployments or patrols: those
are operationally sensitive (ProtectUK tactic IB1: response measures are not published).

Templates live in ``plans/templates/`` (Jinja2); the PDF is WeasyPrint's rendering of the
HTML letter.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Literal

from crowdguard.plans.review import Finding, LegalTier, Review, Severity
from crowdguard.plans.revisions import DEFAULT_DAYS_BEFORE, review_due_date
from crowdguard.templating import environment, long_date

__all__ = [
    "DEFAULT_ADVISER",
    "DEFAULT_FORCE",
    "finding_basis",
    "letter_context",
    "render_letter",
    "render_pdf",
]

TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_FORCE = "Hampshire & Isle of Wight Constabulary"
DEFAULT_ADVISER = "Counter Terrorism Security Adviser"

_LABELS = {
    Severity.critical: "critical",
    Severity.high: "important",
    Severity.medium: "needed",
    Severity.low: "recommended",
}


def _status_paragraph(review: Review) -> str:
    """Whether the Act's duties are in force, and so whether this letter states law or advice
    (``domain.md`` section 2: as of the 2026 season only s.27 is commenced)."""
    if review.duties_in_force:
        assert review.commencement is not None
        return (
            "The Act's duties have been in force since "
            f"{long_date(review.commencement)}; this letter says what they require of you."
        )
    when = (
        f"on {long_date(review.commencement)}"
        if review.commencement is not None
        else (
            "by regulations (the Security Industry Authority, which will regulate them, "
            "plans to begin in spring 2027)"
        )
    )
    return (
        "As at the date of this letter the Act's duties are not yet in force: of the Act, "
        f"only section 27 (statutory guidance) has been commenced, and the duties will "
        f"apply once they are commenced, {when}. This letter is therefore advice. Where we "
        "say the Act will require something, we mean that it will once the duties are "
        "commenced; nothing in this letter is a legal requirement today."
    )


def _tier_paragraph(review: Review) -> str:
    reason = review.tier_reason[0].upper() + review.tier_reason[1:]
    now = review.duties_in_force
    apply = "therefore apply" if now else "will therefore apply once commenced"
    if review.tier is LegalTier.enhanced:
        duty = (
            f"The enhanced-tier duties {apply}: the public-protection procedures of "
            "section 5 and the protective measures of section 6 (monitoring, movement, "
            "physical security and security of information), each so far as reasonably "
            "practicable; a security document under section 7; co-ordination with any other "
            "responsible person (section 8); notifying the Security Industry Authority "
            "(section 9); and, where the responsible person is not an individual, a "
            "Designated Senior Individual (section 10)."
        )
    elif review.tier is LegalTier.standard:
        duty = (
            f"The standard-tier duties {apply}: notifying the Security Industry Authority "
            "(section 9), public-protection procedures for evacuation, invacuation, "
            "lockdown and communication, so far as reasonably practicable (section 5), and "
            "co-ordination with any other responsible person (section 8). We have also "
            "reviewed, as good practice, what the enhanced tier adds: the protective "
            "measures of section 6, a security document under section 7 and a Designated "
            "Senior Individual (section 10)."
        )
    else:
        duty = (
            "On these figures the Act's duties do not appear to apply, now or once they are "
            "commenced, but visitors still deserve the same protection, so we have reviewed "
            "your plan against the full checklist as good practice."
        )
    return f"{reason}. {duty}"


def _enforcement_paragraph(review: Review) -> str:
    """Penalties as the Act sets them (``domain.md`` section 2), restriction notices at the
    enhanced tier only; empty when the Act does not apply."""
    if review.tier is LegalTier.none:
        return ""
    lead = (
        "The Security Industry Authority enforces the duties"
        if review.duties_in_force
        else "Once the duties are in force, the Security Industry Authority will enforce them"
    )
    if review.tier is LegalTier.enhanced:
        return (
            f"{lead} with compliance notices and penalties (for enhanced duty premises and "
            "qualifying events up to £18 million or 5% of worldwide revenue, whichever is "
            "higher) and, at the enhanced tier only, restriction notices."
        )
    return (
        f"{lead} with compliance notices and penalties (up to £10,000 for standard duty "
        "premises); restriction notices apply only at the enhanced tier."
    )


def finding_basis(finding: Finding, *, in_force: bool) -> str:
    """How a finding stands in law, in the letter's words (never "unlawful"; "will" before
    commencement). A duty "so far as reasonably practicable" (ss.5-6) says that the
    measures named are guidance, not the Act's text."""
    if not finding.legal:
        return "good practice"
    section = f" ({finding.section})" if finding.section else ""
    if finding.practicable:
        if in_force:
            return (
                f"the Act requires this at your tier so far as reasonably practicable"
                f"{section}; the measures named are guidance"
            )
        return (
            f"the Act will require this at your tier so far as reasonably practicable"
            f"{section} once commenced; the measures named are guidance"
        )
    if in_force:
        return f"required by the Act at your tier{section}"
    return f"will be required by the Act at your tier{section} once commenced"


def _finding_view(finding: Finding, in_force: bool) -> dict[str, str]:
    label = f"{_LABELS[finding.severity]}, {finding.status}, {finding_basis(finding, in_force=in_force)}"
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
    now = review.duties_in_force
    return {
        "force": force,
        "adviser": adviser,
        "date": long_date(review.reviewed_on),
        "organiser": review.organiser,
        "event_name": review.event_name,
        "venue": review.venue,
        "opens": long_date(review.opens) if review.opens else "",
        "in_force": now,
        "against": (
            'the duties of the Terrorism (Protection of Premises) Act 2025 ("Martyn\'s Law")'
            if now
            else 'the duties the Terrorism (Protection of Premises) Act 2025 ("Martyn\'s Law") '
            "will impose once they are commenced"
        ),
        "status_paragraph": _status_paragraph(review),
        "duties_heading": "Which duties apply" if now else "Which duties will apply",
        "tier_paragraph": _tier_paragraph(review),
        "enforcement_paragraph": _enforcement_paragraph(review),
        "legal_label": (
            "Legal checklist"
            if now
            else "Against the duties the Act will impose (advice until they are commenced)"
        ),
        "must_heading": "What must improve" if now else "What we advise you to improve first",
        "fictional": list(review.fictional_details),
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
        "must": [_finding_view(f, now) for f in must],
        "recommend": [_finding_view(f, now) for f in recommend],
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
    env = environment(TEMPLATES, html=fmt == "html", markdown=fmt == "md")
    return env.get_template(name).render(**context)


def render_pdf(
    review: Review,
    *,
    adviser: str = DEFAULT_ADVISER,
    force: str = DEFAULT_FORCE,
    days_before: int = DEFAULT_DAYS_BEFORE,
) -> bytes:
    """The advice letter as PDF bytes (WeasyPrint rendering of the HTML letter)."""
    with warnings.catch_warnings():
        # WeasyPrint warns at import when the system lacks HarfBuzz-Subset (fonts are then
        # embedded whole): a bigger PDF, not a wrong one, and not ours to fix.
        warnings.filterwarnings(
            "ignore", message=".*HarfBuzz-Subset.*", category=DeprecationWarning
        )
        import weasyprint  # heavy import, only when a PDF is asked for

    html = render_letter(review, "html", adviser=adviser, force=force, days_before=days_before)
    pdf = weasyprint.HTML(string=html).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf
