"""Append to and verify the hash-chained audit trail.

The chain follows the classic linked-timestamping construction (Haber & Stornetta, "How to
time-stamp a digital document", J. Cryptology 3(2), 1991) as used by RFC 6962's Merkle logs
in spirit: each row stores ``hash = SHA-256(prev_hash || canonical_json(content))`` where
``content`` is every other column including the row id. Editing, deleting or reordering a
row breaks the chain at that row; :func:`verify_chain` names the first broken one. (Dropping
the newest rows leaves a shorter valid chain; keep an external copy of the latest hash to
detect truncation.)

Appends are serialised so two writers never chain onto the same predecessor: PostgreSQL
takes a transaction-scoped advisory lock; SQLite runs every transaction ``BEGIN IMMEDIATE``.
The audit row is written in the same transaction as the change it records.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from crowdguard.audit.tables import AuditRow

__all__ = [
    "GENESIS",
    "ChainReport",
    "canonical",
    "list_entries",
    "record",
    "row_hash",
    "verify_chain",
]

GENESIS = "0" * 64
"""``prev_hash`` of the first row."""

_ADVISORY_KEY = 0x43475541  # "CGUA": CrowdGuard audit


def canonical(content: dict[str, Any]) -> bytes:
    """Canonical JSON (sorted keys, no spaces, UTF-8), after RFC 8785's intent."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def row_hash(prev_hash: str, content: dict[str, Any]) -> str:
    """SHA-256 hex of the previous hash followed by the canonical content."""
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(content)).hexdigest()


def _content(row: AuditRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": row.at,
        "actor": row.actor,
        "action": row.action,
        "entity": row.entity,
        "entity_id": row.entity_id,
        "detail": row.detail,
    }


def record(
    *,
    session: Session,
    at: dt.datetime,
    actor: str | None,
    action: str,
    entity: str,
    entity_id: str,
    detail: dict[str, Any] | None = None,
) -> AuditRow:
    """Append one chained row in the caller's transaction (and flush it)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_KEY})
    last = session.execute(
        select(AuditRow.id, AuditRow.hash).order_by(AuditRow.id.desc()).limit(1)
    ).first()
    prev_id, prev_hash = (last[0], last[1]) if last is not None else (0, GENESIS)
    row = AuditRow(
        id=prev_id + 1,
        at=at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        detail=json.loads(canonical(detail or {})),
        prev_hash=prev_hash,
    )
    row.hash = row_hash(prev_hash, _content(row))
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True, slots=True)
class ChainReport:
    """What :func:`verify_chain` found."""

    rows: int
    first_broken: int | None
    reason: str

    @property
    def intact(self) -> bool:
        """True when every row links to its predecessor and matches its content."""
        return self.first_broken is None


def verify_chain(*, session: Session, batch: int = 1000) -> ChainReport:
    """Walk the chain in id order; report the first row whose link or hash is wrong."""
    expected_prev = GENESIS
    expected_id = 1
    count = 0
    last_id = 0
    total = session.scalar(select(func.count()).select_from(AuditRow)) or 0
    while True:
        rows = session.scalars(
            select(AuditRow).where(AuditRow.id > last_id).order_by(AuditRow.id).limit(batch)
        ).all()
        if not rows:
            break
        for row in rows:
            if row.id != expected_id:
                return ChainReport(
                    count, row.id, f"row {row.id}: expected id {expected_id} (a row is missing)"
                )
            if row.prev_hash != expected_prev:
                return ChainReport(
                    count, row.id, f"row {row.id}: prev_hash does not match row {row.id - 1}"
                )
            if row_hash(row.prev_hash, _content(row)) != row.hash:
                return ChainReport(
                    count, row.id, f"row {row.id}: content does not match its hash (edited)"
                )
            expected_prev = row.hash
            expected_id += 1
            count += 1
            last_id = row.id
        session.expunge_all()
    return ChainReport(count, None, f"{total} rows intact")


def list_entries(*, session: Session, limit: int, offset: int) -> tuple[list[AuditRow], int]:
    """One page of audit rows, newest first, and the total."""
    total = session.scalar(select(func.count()).select_from(AuditRow)) or 0
    rows = session.scalars(
        select(AuditRow).order_by(AuditRow.id.desc()).limit(limit).offset(offset)
    ).all()
    return list(rows), total
