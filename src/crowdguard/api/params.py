"""Path parameters with bounds, shared by the routers (ids out of range are a 422)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from fastapi import Path
from pydantic import BeforeValidator

__all__ = ["IntId", "LocalDate", "SlugId"]

IntId = Annotated[int, Path(ge=1, le=2**31 - 1, description="numeric id")]
SlugId = Annotated[
    str,
    Path(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", min_length=1, max_length=80, description="slug id"),
]


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: object) -> object:
    """Only ``YYYY-MM-DD``: pydantic would read ``0`` as 1970-01-01 (a Unix time)."""
    if isinstance(value, str) and not _ISO_DATE.match(value):
        raise ValueError(f"{value[:40]!r} is not a date; expected YYYY-MM-DD")
    return value


LocalDate = Annotated[
    dt.date,
    BeforeValidator(_iso_date),
    Path(description="local (Europe/London) date, YYYY-MM-DD"),
]
