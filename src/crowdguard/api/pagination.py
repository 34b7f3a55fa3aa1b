"""Limit/offset pagination with bounds, and the page envelope every list returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

__all__ = ["MAX_LIMIT", "Page", "PageDep", "PageParams"]

MAX_LIMIT = 200


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: ``items``, the ``total`` across all pages, and the window."""

    items: list[T]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class PageParams:
    """The requested window."""

    limit: int
    offset: int


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000, description="items to skip")] = 0,
) -> PageParams:
    """Bounded ``limit`` (1..200, default 50) and ``offset`` (0..10^9) query parameters."""
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(page_params)]
