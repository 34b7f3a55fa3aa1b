"""Audit schemas (read-only: audit rows are never created or changed through the API)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

__all__ = ["AuditEntryPublic", "ChainStatus"]


class AuditEntryPublic(BaseModel):
    """One audit row."""

    id: int
    at: str
    actor: str | None
    action: str
    entity: str
    entity_id: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str


class ChainStatus(BaseModel):
    """Result of walking the chain."""

    intact: bool
    rows: int
    first_broken: int | None
    reason: str
