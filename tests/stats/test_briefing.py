"""Briefings: the commissioner's has everything and its marking; the public summary is
whitelisted sentences with rounded, suppressed counts and nothing from the rosters."""

from __future__ import annotations

import io
import re

import pytest
from briefing_data import PLANTED_HOURS, PLANTED_VENUE, sample
from pypdf import PdfReader

from crowdguard.errors import InputError
from crowdguard.stats.briefing import (
    COUNTY,
    MARKING,
    PUBLIC_STATEMENTS,
    Audience,
    public_count,
    public_statements,
    render_briefing,
)
from crowdguard.stats.years import parse_period


def pdf_text(pdf: bytes) -> str:
    """Every page's text and every metadata value (document info and XMP) of a PDF."""
    reader = PdfReader(io.BytesIO(pdf))
    parts = [page.extract_text() or "" for page in reader.pages]
    parts += [str(v) for v in (reader.metadata or {}).values()]
    xmp = reader.xmp_metadata
    if xmp is not None:
        parts.append(xmp.rdf_root.toxml())
    return "\n".join(parts)


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "fewer than 10"),
        (9, "fewer than 10"),
        (10, "about 10"),
        (14, "about 10"),
        (15, "about 20"),
        (23, "about 20"),
        (1234, "about 1,230"),
    ],
)
def test_public_counts_are_rounded_and_small_ones_suppressed(n: int, text: str) -> None:
    assert public_count(n) == text


def _template_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
    return re.compile(regex + r"\Z")


SAFE_VALUE = re.compile(
    r"\A(fewer than 10|about [\d,]+0|[\d,]+|\d{1,2} [A-Z][a-z]+ \d{4}"
    r"|year ending 31 March \d{4}|Home Office, Police use of firearms statistics[^\n]*)\Z"
)


def test_every_public_sentence_is_a_whitelisted_template_with_safe_values() -> None:
    statements = public_statements(sample())
    patterns = [_template_pattern(t) for _, t in PUBLIC_STATEMENTS]
    for sentence in statements:
        match = next((m for p in patterns if (m := p.match(sentence))), None)
        assert match is not None, f"not a whitelisted statement: {sentence!r}"
        for value in match.groupdict().values():
            assert value == COUNTY or SAFE_VALUE.match(value), (sentence, value)
    text = "\n".join(statements)
    assert "about 20 incidents" in text  # 23 operations, rounded
    assert "discharged at people in fewer than 10 incidents" in text  # 4, suppressed
    assert "about 60 reports" in text  # 57


@pytest.mark.parametrize("fmt", ["md", "html", "pdf"])
def test_the_public_summary_shows_no_venue_hours_or_exact_counts(fmt: str) -> None:
    data = sample()
    public = render_briefing(data, Audience.public, fmt)  # type: ignore[arg-type]
    text = pdf_text(public) if fmt == "pdf" else public.decode("utf-8")
    for planted in (PLANTED_VENUE, "quillmoor", f"{PLANTED_HOURS:g}", "173"):
        assert planted.lower() not in text.lower(), planted  # anywhere, markup included
    words = re.sub(r"<style>.*?</style>|<[^>]+>", " ", text, flags=re.S)  # what a reader sees
    assert "fewer than 10" in text and "Hampshire" in text  # it is the summary
    commissioner = render_briefing(data, Audience.commissioner, "md").decode("utf-8")
    for planted in (PLANTED_VENUE, "quillmoor", f"{PLANTED_HOURS:g}", "173"):
        assert planted in commissioner  # the plant reached the data
    for exact in ("23", "21", "57", "40", "4"):  # operations, ARV, reports, deployments
        assert not re.search(rf"(?<![\d,.]){exact}(?![\d,.])", words), exact


def test_a_public_summary_over_a_few_days_is_refused() -> None:
    data = sample(parse_period("2026-12-05:2026-12-07"))
    with pytest.raises(InputError, match=r"--period: .*3 day\(s\).*at least 28 days"):
        render_briefing(data, Audience.public, "md")
    render_briefing(data, Audience.commissioner, "md")  # the commissioner may look closely


def test_the_commissioner_briefing_is_marked_and_has_every_table() -> None:
    data = sample()
    md = render_briefing(data, Audience.commissioner, "md").decode("utf-8")
    assert md.startswith(f"**{MARKING}**") and md.rstrip().endswith(f"**{MARKING}**")
    assert "23 firearms operations (21 involving an ARV, 4 self-authorised) from 40" in md
    assert "Not counted: escort 2, stood down before deployment 3." in md
    for title in (
        "Firearms operations and ARV operations per year",
        "Firearms operations by month",
        "Response times",
        "Protective patrol hours",
        "Public reports of concern",
        "Event security-plan reviews",
    ):
        assert title in md
    assert "| 2017/18 | yes | 283 |" in md  # the published series beside ours
    assert "| 2026/27 | yes | – | – | – | – | 23 | 21 |" in md
    html = render_briefing(data, Audience.commissioner, "html").decode("utf-8")
    assert html.count(MARKING) >= 3 and html.count("data:image/svg+xml;base64,") == 5


@pytest.mark.slow
def test_the_commissioner_pdf_is_marked_on_every_page() -> None:
    pdf = render_briefing(sample(), Audience.commissioner, "pdf")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    for page in reader.pages:
        assert MARKING in (page.extract_text() or "")
    assert PLANTED_VENUE in pdf_text(pdf)
