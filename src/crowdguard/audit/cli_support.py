"""``crowdguard audit verify|keygen|checkpoint``: walk and anchor the configured store's chain."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from crowdguard.audit.checkpoint import (
    append_checkpoint,
    check_checkpoint,
    create_key,
    load_key,
    make_checkpoint,
    read_checkpoints,
)
from crowdguard.audit.service import verify_chain
from crowdguard.errors import InputError
from crowdguard.store.db import current_revision, make_engine, make_sessionmaker, session_scope
from crowdguard.store.settings import Settings, resolve_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["checkpoint_command", "keygen_command", "verify_command"]


def _open_store(data_dir: Path | None) -> tuple[Settings, Engine]:
    """The existing store (never create an empty one to verify or checkpoint)."""
    settings = resolve_settings(data_dir)
    file = settings.sqlite_file
    if file is not None and not file.exists():  # never create an empty store to verify
        raise InputError(
            f"--data-dir {settings.data_dir}: no CrowdGuard store there; "
            "run `crowdguard db upgrade` or `crowdguard serve` first"
        )
    engine = make_engine(settings.database_url)
    if current_revision(engine) is None:
        engine.dispose()
        raise InputError(
            f"--data-dir {settings.data_dir}: no CrowdGuard store there; "
            "run `crowdguard db upgrade` or `crowdguard serve` first"
        )
    return settings, engine


def _store_dir(settings: Settings) -> Path | None:
    return settings.data_dir if settings.is_sqlite else None


def verify_command(
    *, data_dir: Path | None, checkpoint: Path | None = None, key: Path | None = None
) -> int:
    """Print the verdict; return 0 when the chain is intact (and extends every checkpoint
    in ``checkpoint``), 1 otherwise."""
    if (checkpoint is None) != (key is None):
        raise InputError("--checkpoint and --key: give both (the key checks the checkpoints)")
    marks = read_checkpoints(checkpoint) if checkpoint is not None else []
    settings, engine = _open_store(data_dir)
    problems: list[str] = []
    try:
        secret = load_key(key, store_dir=_store_dir(settings)) if key is not None else b""
        with session_scope(make_sessionmaker(engine)) as session:
            report = verify_chain(session=session)
            for mark in marks:
                problem = check_checkpoint(session, mark, secret)
                if problem is not None:
                    problems.append(problem)
    finally:
        engine.dispose()
    console = Console(stderr=False, highlight=False)
    if not report.intact:
        console.print(f"audit trail BROKEN at row {report.first_broken}: {report.reason}")
        return 1
    if problems:
        console.print(f"audit trail CUT: {problems[-1]}")
        return 1
    anchored = (
        f"; extends {len(marks)} checkpoint(s), the newest of {marks[-1].at}" if marks else ""
    )
    console.print(f"audit trail intact: {report.reason}{anchored}")
    return 0


def keygen_command(*, out: Path) -> None:
    """Create a new audit key file (0600) and say where to keep it."""
    key_id = create_key(out)
    Console(highlight=False).print(
        f"audit key {key_id} written to {out} (owner-only). Keep it away from the store's "
        "folder and its backups: whoever holds it can sign checkpoints."
    )


def checkpoint_command(*, data_dir: Path | None, key: Path, out: Path | None) -> None:
    """Append (or print, without ``out``) a signed checkpoint of the chain's head."""
    settings, engine = _open_store(data_dir)
    try:
        secret = load_key(key, store_dir=_store_dir(settings))
        with session_scope(make_sessionmaker(engine)) as session:
            mark = make_checkpoint(session, secret, dt.datetime.now(dt.UTC))
    finally:
        engine.dispose()
    if out is None:
        print(mark.line(), end="")
        return
    append_checkpoint(out, mark)
    Console(stderr=True, highlight=False).print(
        f"checkpoint: {mark.rows} rows, head {mark.head[:16]}..., appended to {out}"
    )
