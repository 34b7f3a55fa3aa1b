"""Path parameters with bounds, shared by the routers (ids out of range are a 422)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

__all__ = ["IntId", "SlugId"]

IntId = Annotated[int, Path(ge=1, le=2**31 - 1, description="numeric id")]
SlugId = Annotated[
    str,
    Path(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", min_length=1, max_length=80, description="slug id"),
]
