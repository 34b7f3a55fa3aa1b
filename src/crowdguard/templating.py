"""What the Jinja2-rendered documents share (advice letters, briefings).

Strict templates (a missing value is an error, never an empty gap in a letter), HTML
autoescaped, and dates written the British way ("3 February 2027").
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import jinja2

__all__ = ["environment", "long_date", "markdown_text"]


def markdown_text(value: object) -> object:
    """A value printed into a Markdown document, with ``<`` and ``>`` as entities: Markdown
    passes raw HTML through (CommonMark section 6.6), so an organiser's event name
    ``<img src=x onerror=...>`` would otherwise run in whatever renders the letter
    (issue 12). CommonMark shows the entities as the characters themselves; a lone ``&``
    (``Hampshire & Isle of Wight``) opens no tag and is left as written."""
    if isinstance(value, str):
        return value.replace("<", "&lt;").replace(">", "&gt;")
    return value


def environment(folder: Path, *, html: bool, markdown: bool = False) -> jinja2.Environment:
    """A Jinja2 environment over the templates in ``folder`` (autoescaped for HTML; with
    ``markdown``, every printed value passes through :func:`markdown_text`)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=html,
        finalize=markdown_text if markdown else None,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def long_date(day: dt.date) -> str:
    """``3 February 2027``."""
    return f"{day.day} {day:%B %Y}"
