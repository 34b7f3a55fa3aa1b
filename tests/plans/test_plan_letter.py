"""The advice letter: golden Markdown, structure, confidentiality, HTML escaping, PDF."""

from __future__ import annotations

import datetime as dt
import os
import re
import zlib
from pathlib import Path

from plans_testdata import plan_from

from crowdguard.plans import DEMO_DIR, load_plan, review
from crowdguard.plans.letter import render_letter, render_pdf

GOLDEN = Path(__file__).parent / "golden" / "gunwharf-quays-letter.md"
GUNWHARF = DEMO_DIR / "gunwharf-quays-christmas-village.yaml"
DAY = dt.date(2026, 10, 1)


def gunwharf_letter() -> str:
    return render_letter(review(load_plan(GUNWHARF), on=DAY))


def test_golden_letter() -> None:
    """The Gunwharf Quays letter as read and approved by a person.

    Regenerate deliberately with ``CROWDGUARD_REGENERATE_GOLDEN=1`` after a wording change,
    and read the diff before committing it.
    """
    text = gunwharf_letter()
    if os.environ.get("CROWDGUARD_REGENERATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_letter_structure_follows_the_ctsa_register() -> None:
    text = gunwharf_letter()
    headings = re.findall(r"^## (.+)$", text, flags=re.M)
    assert headings == [
        "Which duties will apply",
        "What is good",
        "What we advise you to improve first",
        "What we recommend as good practice",
        "Next steps",
    ]
    assert text.startswith("Hampshire & Isle of Wight Constabulary")
    assert "Dear Gunwharf Quays Management," in text
    assert "Yours sincerely," in text
    assert "enhanced" in text.split("## Which duties will apply")[1].split("##")[0]
    # resubmission 14 days before opening on 11 November 2026
    assert "by 28 October 2026" in text


def _section(text: str, heading: str) -> str:
    return text.partition(f"## {heading}\n")[2].partition("\n## ")[0]


def test_letters_before_and_after_commencement_differ_as_the_issue_describes() -> None:
    """Issue 13 item 1: before commencement the duties "will apply once the Act's duties are
    commenced", the checklist is advice and the tier is what the event *will* be; after it,
    today's wording. Neither ever calls the plan unlawful."""
    plan = load_plan(DEMO_DIR / "portsmouth-guildhall-ice-rink.yaml")
    before = render_letter(review(plan, on=DAY))
    dated = render_letter(review(plan, on=DAY, commencement=dt.date(2027, 4, 1)))
    after = render_letter(review(plan, on=dt.date(2027, 4, 1), commencement=dt.date(2027, 4, 1)))

    for text in (before, dated):
        assert "the Act's duties are not yet in force" in text
        assert "only section 27 (statutory guidance) has been commenced" in text
        assert "This letter is therefore advice" in text
        assert "nothing in this letter is a legal requirement today" in text
        assert "## Which duties will apply" in text
        duties = _section(text, "Which duties will apply")
        assert "so it will be a qualifying event with enhanced duties" in duties
        assert "will therefore apply once commenced" in duties
        assert "## What must improve" not in text
        advise = _section(text, "What we advise you to improve first")
        assert "will be required by the Act at your tier (s.7) once commenced" in advise
        assert "required by the Act at your tier (s.7))" not in advise
        assert "Against the duties the Act will impose (advice until they are commenced)" in text
        assert "Legal checklist" not in text
    assert "once they are commenced, by regulations" in before
    assert "once they are commenced, on 1 April 2027" in dated

    assert "not yet in force" not in after
    assert "The Act's duties have been in force since 1 April 2027" in after
    duties = _section(after, "Which duties apply")
    assert "so it is a qualifying event with enhanced duties" in duties
    assert "therefore apply:" in duties and "will" not in duties.split(".")[1]
    must = _section(after, "What must improve")
    assert "required by the Act at your tier (s.7))" in must
    assert "once commenced" not in must
    assert "Legal checklist: **improvement required**" in after
    for text in (before, dated, after):
        assert not re.search(r"unlawful|illegal|breach|offence", text, flags=re.I)


def test_measures_are_a_duty_so_far_as_reasonably_practicable_with_guidance_named() -> None:
    """Issue 13 item 5: CCTV, a VDA, glazing and the 1.2 m gap are guidance; the letter never
    says the Act requires them."""
    plan = load_plan(DEMO_DIR / "portsmouth-guildhall-ice-rink.yaml")
    for result in (review(plan, on=DAY), review(plan, on=DAY, commencement=DAY)):
        text = render_letter(result)
        m3 = next(line for line in text.splitlines() if "(M3;" in line)
        assert "so far as reasonably practicable (s.6)" in m3
        assert "the measures named are guidance" in m3
        assert "required by the Act" not in m3
        source = text.split("(M3;")[1].split("Source:")[1].split("\n")[0]
        assert "guidance, not requirements of the Act" in source


def test_restriction_notices_are_mentioned_for_the_enhanced_tier_only() -> None:
    enhanced = render_letter(review(load_plan(GUNWHARF), on=DAY, commencement=DAY))
    standard = render_letter(
        review(load_plan(DEMO_DIR / "winchester-cathedral-market.yaml"), on=DAY)
    )
    assert "at the enhanced tier only, restriction notices" in enhanced
    assert "£18 million or 5% of worldwide revenue" in enhanced
    assert "up to £10,000 for standard duty premises" in standard
    assert "restriction notices apply only at the enhanced tier" in standard
    free_market = render_letter(
        review(load_plan(DEMO_DIR / "southampton-christmas-market.yaml"), on=DAY)
    )
    assert "penalt" not in free_market and "restriction notice" not in free_market


def test_demo_letters_list_their_fictional_details() -> None:
    """Issue 13 item 11: invented details attached to real organisations are marked fictional
    in the plan files and repeated at the top of every letter."""
    for path in sorted(DEMO_DIR.glob("*.yaml")):
        plan = load_plan(path)
        assert plan.fictional_details, path.name
        assert "# FICTIONAL" in path.read_text(encoding="utf-8"), path.name
        result = review(plan, on=DAY)
        text = render_letter(result)
        box = text.split("**Demonstration data.**")[1].split("\n\n")[0]
        for detail in plan.fictional_details:
            assert detail in box, (path.name, detail)
        html = render_letter(result, "html")
        assert 'class="fictional"' in html
    winchester = render_letter(
        review(load_plan(DEMO_DIR / "winchester-cathedral-market.yaml"), on=DAY)
    )
    assert "'by the CTSA, 2025' does not exist" in winchester
    assert "Demonstration data" not in render_letter(review(plan_from(), on=DAY))


def test_letter_never_reveals_police_deployments() -> None:
    for path in sorted(DEMO_DIR.glob("*.yaml")):
        text = render_letter(review(load_plan(path), on=DAY)).lower()
        for word in ("patrol", "armed", "arv", "roster", "staging", "deploy"):
            assert not re.search(rf"\b{word}", text), (path.name, word)


def test_no_findings_letter_says_no_changes_needed() -> None:
    text = render_letter(review(load_plan(DEMO_DIR.parent / "templates" / "example-plan.yaml"),
                                on=dt.date(2026, 11, 12)))  # fmt: skip
    assert "No changes are needed" in text
    assert "## What we advise you to improve first" not in text


def test_late_review_asks_for_resubmission_before_opening() -> None:
    result = review(load_plan(GUNWHARF), on=dt.date(2026, 11, 5))
    assert "as soon as possible, and in any case before the event opens" in render_letter(result)


def test_html_letter_is_laid_out_for_a_phone() -> None:
    """Issue 13 item 12: without a viewport a phone lays the letter out 980 px wide."""
    html = render_letter(review(load_plan(GUNWHARF), on=DAY), "html")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "@media screen and (max-width: 40em)" in html


def test_html_letter_escapes_organiser_text() -> None:
    plan = plan_from({"event": {"name": "<script>alert(1)</script> Fair"}})
    html = render_letter(review(plan, on=DAY), "html")
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html
    assert html.lstrip().startswith("<!DOCTYPE html>")


def _pdf_text(pdf: bytes) -> bytes:
    chunks = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, flags=re.S):
        try:
            chunks.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return pdf + b"".join(chunks)


def test_pdf_letter_is_a_pdf_titled_with_the_event() -> None:
    pdf = render_pdf(review(load_plan(GUNWHARF), on=DAY))
    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 5_000
    assert b"Security plan review: Gunwharf Quays Christmas Village" in _pdf_text(pdf)


def test_pdf_letter_really_renders_every_part_of_the_letter() -> None:
    """Not just a PDF header and a title in the metadata: pages with embedded fonts and
    drawn text, and the laid-out pages carry the whole letter (WeasyPrint's own layout of
    the same HTML, which is what ``write_pdf`` paints)."""
    import weasyprint
    from weasyprint.formatting_structure import boxes

    result = review(load_plan(GUNWHARF), on=DAY)
    content = _pdf_text(render_pdf(result))
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", content))
    assert pages >= 2  # 18 findings do not fit on one A4 page
    assert b"/FontFile" in content  # fonts embedded: it prints the same anywhere
    assert content.count(b" Tj") + content.count(b"TJ") > 100  # text is drawn

    def texts(box: object) -> list[str]:
        found = [box.text] if isinstance(box, boxes.TextBox) else []
        for child in getattr(box, "children", None) or []:
            found.extend(texts(child))
        return found

    layout = weasyprint.HTML(string=render_letter(result, "html")).render()
    assert len(layout.pages) == pages
    laid_out = " ".join(" ".join(texts(page._page_box)) for page in layout.pages)
    words = " ".join(laid_out.split())
    for part in (
        "Dear Gunwharf Quays Management",
        "Security plan review: Gunwharf Quays Christmas Village",
        "Yours sincerely",
        *(finding.title for finding in result.findings),
    ):
        assert part in words, part


def test_resubmission_window_is_configurable() -> None:
    result = review(load_plan(GUNWHARF), on=DAY)
    text = render_letter(result, days_before=30)
    # opens 11 November 2026; 30 days before is 12 October 2026
    assert "by 12 October 2026, 30 days before the event opens on 11 November 2026" in text


def test_plan_without_dates_asks_for_them() -> None:
    text = render_letter(review(plan_from(), on=DAY))
    assert "including the dates the event is open" in text
    assert "cannot be determined" in text  # no occupancy: tier undetermined, said plainly


def test_only_recommendations_means_nothing_must_change() -> None:
    result = review(load_plan(DEMO_DIR / "winchester-cathedral-market.yaml"), on=DAY)
    assert result.findings and all(not f.legal and f.severity != "critical"
                                   for f in result.findings)  # fmt: skip
    text = render_letter(result)
    assert "There is nothing you must change." in text
    assert "## What we advise you to improve first" not in text
    assert "by 6 November 2026" in text  # 14 days before 20 November 2026


def test_the_markdown_letter_carries_no_raw_html_from_the_organiser() -> None:
    """Markdown passes raw HTML through to whatever renders it (issue 12): the organiser's
    own words arrive as text, ``<`` and ``>`` as entities."""
    hostile = '<img src=x onerror="alert(1)">'
    plan = load_plan(GUNWHARF)
    organiser = plan.model_copy(update={"event": plan.event.model_copy(update={"name": hostile})})
    text = render_letter(review(organiser, on=DAY))
    assert "<img" not in text and "&lt;img src=x" in text
    assert "Hampshire & Isle of Wight" in text  # a lone & is not escaped
