"""Anchors for the audit chain: signed checkpoints of its head, kept outside the store.

The hash chain (:mod:`crowdguard.audit.service`) shows an edited or deleted *middle* row,
but someone who can write to the database can also drop the newest rows, or edit a row and
recompute every hash after it: what is left is a valid, shorter or different chain. The
classic answer is to publish the head somewhere the attacker cannot reach (Haber &
Stornetta 1991, "widely witnessed" hashes; RFC 6962 section 3.5, signed tree heads;
Schneier & Kelsey, "Secure audit logs to support computer forensics", ACM TISSEC 2(2),
1999). A checkpoint is ``{rows, head, at}`` - the chain's row count and last hash - with an
HMAC-SHA-256 (RFC 2104) under a key kept outside the store, one JSON line each, appended to
a file or stream that the database's writers cannot rewrite. ``audit verify --checkpoint``
then fails when the chain no longer extends every checkpoint: fewer rows than recorded
(truncation) or a different hash at the recorded row (a rewrite). The threat model is
``docs/decisions/0008-audit-checkpoints.md``.

HMAC, not a public-key signature: the standard library has it, and whoever verifies is
the force's own auditor holding the key; the key file must not sit beside the store.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crowdguard.audit.service import GENESIS
from crowdguard.audit.tables import AuditRow
from crowdguard.errors import InputError

__all__ = [
    "Checkpoint",
    "CheckpointWriter",
    "append_checkpoint",
    "chain_head",
    "check_checkpoint",
    "create_key",
    "load_key",
    "make_checkpoint",
    "read_checkpoints",
]

_KEY_BYTES = 32
_log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, slots=True)
class Checkpoint:
    """The chain's head at one moment: ``rows`` rows, the last one's ``head`` hash."""

    rows: int
    head: str
    at: str
    key_id: str
    mac: str

    def signed_part(self) -> bytes:
        """What the MAC covers (canonical JSON of rows, head, at and key id)."""
        body = {"at": self.at, "head": self.head, "key_id": self.key_id, "rows": self.rows}
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    def line(self) -> str:
        """One JSON line."""
        body = {
            "rows": self.rows,
            "head": self.head,
            "at": self.at,
            "key_id": self.key_id,
            "mac": self.mac,
        }
        return json.dumps(body, separators=(",", ":")) + "\n"


def _key_id(key: bytes) -> str:
    return hashlib.sha256(b"crowdguard-audit-key" + key).hexdigest()[:16]


def _mac(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def create_key(path: Path) -> str:
    """Write a new random key (owner-only, 0600) to ``path``; never overwrite one. Returns
    its id (shown in every checkpoint it signs)."""
    key = secrets.token_bytes(_KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InputError(f"{path}: a key is already there; it is never overwritten") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot create the key file ({exc.strerror})") from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex() + "\n")
    return _key_id(key)


def load_key(path: Path, *, store_dir: Path | None = None) -> bytes:
    """The key in ``path``. Refused when it is missing or malformed, readable by others, or
    inside the store's folder (a key beside the database protects nothing from whoever can
    write the database)."""
    if store_dir is not None:
        try:
            inside = path.resolve().is_relative_to(store_dir.resolve())
        except OSError:
            inside = False
        if inside:
            raise InputError(
                f"--key {path}: inside the store's folder {store_dir}; keep the audit key "
                "where the database's writers cannot reach it"
            )
    try:
        if path.stat().st_mode & 0o077:
            raise InputError(f"--key {path}: readable by others; chmod 600 it")
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except FileNotFoundError:
        raise InputError(
            f"--key {path}: no such file; create one with `crowdguard audit keygen`"
        ) from None
    except IsADirectoryError:
        raise InputError(f"--key {path}: is a folder; expected a key file") from None
    except (OSError, UnicodeDecodeError, ValueError):
        raise InputError(f"--key {path}: not a CrowdGuard audit key (64 hex digits)") from None
    if len(key) != _KEY_BYTES:
        raise InputError(f"--key {path}: not a CrowdGuard audit key (64 hex digits)")
    return key


def chain_head(session: Session) -> tuple[int, str]:
    """``(row count, hash of the last row)``; ``(0, GENESIS)`` for an empty trail."""
    count = session.scalar(select(func.count()).select_from(AuditRow)) or 0
    last = session.scalar(select(AuditRow.hash).order_by(AuditRow.id.desc()).limit(1))
    return count, last or GENESIS


def make_checkpoint(session: Session, key: bytes, now: dt.datetime) -> Checkpoint:
    """A signed checkpoint of the chain's head now."""
    rows, head = chain_head(session)
    unsigned = Checkpoint(
        rows=rows,
        head=head,
        at=now.astimezone(dt.UTC).isoformat(timespec="seconds"),
        key_id=_key_id(key),
        mac="",
    )
    return dataclasses.replace(unsigned, mac=_mac(key, unsigned.signed_part()))


def append_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Append one line to ``path`` (created 0600) and flush it to disk."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    except IsADirectoryError:
        raise InputError(f"--out {path}: is a folder; expected a file") from None
    except OSError as exc:
        raise InputError(f"--out {path}: cannot write ({exc.strerror})") from None
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(checkpoint.line())
        handle.flush()
        os.fsync(handle.fileno())


def read_checkpoints(path: Path) -> list[Checkpoint]:
    """Every checkpoint in a file of JSON lines; :class:`InputError` naming the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"--checkpoint {path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"--checkpoint {path}: is a folder; expected a file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--checkpoint {path}: cannot read it ({exc})") from None
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            checkpoint = Checkpoint(
                rows=int(data["rows"]),
                head=str(data["head"]),
                at=str(data["at"]),
                key_id=str(data["key_id"]),
                mac=str(data["mac"]),
            )
        except (ValueError, KeyError, TypeError):
            raise InputError(
                f"--checkpoint {path}:{number}: not a checkpoint line; expected JSON with "
                "rows, head, at, key_id and mac"
            ) from None
        if checkpoint.rows < 0:
            raise InputError(f"--checkpoint {path}:{number}: rows is negative")
        found.append(checkpoint)
    if not found:
        raise InputError(f"--checkpoint {path}: holds no checkpoint")
    return found


def check_checkpoint(session: Session, checkpoint: Checkpoint, key: bytes) -> str | None:
    """Why the chain in the store does not extend ``checkpoint`` (None when it does)."""
    expected = _mac(key, checkpoint.signed_part())
    if checkpoint.key_id != _key_id(key) or not hmac.compare_digest(expected, checkpoint.mac):
        return (
            f"the checkpoint of {checkpoint.at} does not verify under this key "
            "(a different key, or the checkpoint was edited)"
        )
    rows, _ = chain_head(session)
    if rows < checkpoint.rows:
        return (
            f"the trail has {rows} rows but the checkpoint of {checkpoint.at} recorded "
            f"{checkpoint.rows}: the newest {checkpoint.rows - rows} row(s) were removed"
        )
    if checkpoint.rows == 0:
        return None
    at_row = session.scalar(select(AuditRow.hash).where(AuditRow.id == checkpoint.rows))
    if at_row != checkpoint.head:
        return (
            f"row {checkpoint.rows} no longer has the hash the checkpoint of {checkpoint.at} "
            "recorded: rows up to it were rewritten and the chain recomputed"
        )
    return None


class CheckpointWriter:
    """Append a checkpoint every ``every`` seconds while the head moves, and one on stop
    (``crowdguard serve --audit-checkpoint FILE --audit-key KEY``)."""

    def __init__(
        self,
        *,
        path: Path,
        head: Callable[[dt.datetime], Checkpoint],
        now: Callable[[], dt.datetime],
        every: float,
    ) -> None:
        self._path = path
        self._head = head
        self._now = now
        self._every = every
        self._stop = threading.Event()
        self._last: tuple[int, str] | None = None
        self._thread = threading.Thread(target=self._loop, name="audit-checkpoint", daemon=True)

    def start(self) -> None:
        """Write the first checkpoint now, then one per interval in the background."""
        self.write()
        self._thread.start()

    def write(self) -> Checkpoint | None:
        """Append a checkpoint unless the head is where the last one left it."""
        checkpoint = self._head(self._now())
        if self._last == (checkpoint.rows, checkpoint.head):
            return None
        append_checkpoint(self._path, checkpoint)
        self._last = (checkpoint.rows, checkpoint.head)
        return checkpoint

    def _loop(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self.write()
            except Exception as exc:  # a full disk must not stop the server; it says so
                _log.error("audit checkpoint not written: %s", type(exc).__name__)

    def stop(self) -> None:
        """Stop the timer and write a last checkpoint."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self.write()
