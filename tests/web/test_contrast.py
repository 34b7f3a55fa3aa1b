"""Text colours in the pages' stylesheet meet WCAG 2.1 AA contrast (4.5:1 for body text).

The contrast ratio and relative luminance are WCAG 2.1's definitions (success criterion
1.4.3 and its "relative luminance" glossary entry).
"""

from __future__ import annotations

import re
from importlib import resources

import pytest

CSS = (resources.files("crowdguard.web") / "static" / "style.css").read_text()
VARIABLES = dict(re.findall(r"--([a-z_]+):\s*(#[0-9a-fA-F]{3,6})", CSS))


def _rule(selector: str) -> str:
    match = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", CSS)
    assert match, selector
    return match.group(1)


def _colour(value: str) -> str:
    value = value.strip()
    if value.startswith("var(--"):
        return VARIABLES[value[6:-1]]
    return value


def _declared(selector: str, prop: str) -> str:
    match = re.search(rf"(?<![-\w]){prop}:\s*([^;]+);", _rule(selector))
    assert match, (selector, prop)
    return _colour(match.group(1))


def luminance(colour: str) -> float:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_contrast_formula_matches_wcag_reference_values() -> None:
    assert contrast("#000", "#fff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


# (what, text colour, background colour)
PAIRS = [
    ("body text", VARIABLES["ink"], VARIABLES["paper"]),
    ("hints", VARIABLES["muted"], "#fff"),
    ("links", VARIABLES["link"], "#fff"),
    ("field errors", VARIABLES["red"], "#fff"),
    ("the 999 banner", _declared(".banner", "color"), _declared(".banner", "background")),
    ("buttons", _declared("button", "color"), _declared("button", "background")),
    ("primary button", "#fff", _declared("button.primary", "background")),
    ("received panel", _declared(".panel", "color"), _declared(".panel", "background")),
    ("status line", VARIABLES["ink"], _declared(".status", "background")),
    ("override note", VARIABLES["ink"], _declared(".override-note", "background")),
    *[
        (f"{grade} chip", _declared(".chip", "color"), VARIABLES[grade])
        for grade in ("immediate", "priority", "scheduled", "refer", "no_deployment")
    ],
    ("available chip", "#fff", _declared(".state-available", "background")),
]


@pytest.mark.parametrize(("what", "text", "background"), PAIRS, ids=[p[0] for p in PAIRS])
def test_text_colours_meet_wcag_aa(what: str, text: str, background: str) -> None:
    assert contrast(text, background) >= 4.5, f"{what}: {text} on {background}"
