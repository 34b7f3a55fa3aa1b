"""What the Jinja2-rendered documents share (advice letters, briefings).

Strict templates (a missing value is an error, never an empty gap in a letter), HTML
autoescaped, and dates written the British way ("3 February 2027").
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import jinja2

__all__ = ["environment", "long_date"]


def environment(folder: Path, *, html: bool) -> jinja2.Environment:
    """A Jinja2 environment over the templates in ``folder`` (autoescaped for HTML)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def long_date(day: dt.date) -> str:
    """``3 February 2027``."""
    return f"{day.day} {day:%B %Y}"
