"""``crowdguard audit verify``: walk the chain of the configured store."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from crowdguard.audit.service import verify_chain
from crowdguard.errors import InputError
from crowdguard.store.db import current_revision, make_engine, make_sessionmaker, session_scope
from crowdguard.store.settings import resolve_settings

__all__ = ["verify_command"]


def verify_command(*, data_dir: Path | None) -> int:
    """Print the verdict; return 0 when the chain is intact, 1 otherwise."""
    settings = resolve_settings(data_dir)
    file = settings.sqlite_file
    if file is not None and not file.exists():  # never create an empty store to verify
        raise InputError(
            f"--data-dir {settings.data_dir}: no CrowdGuard store there; "
            "run `crowdguard db upgrade` or `crowdguard serve` first"
        )
    engine = make_engine(settings.database_url)
    try:
        if current_revision(engine) is None:
            raise InputError(
                f"--data-dir {settings.data_dir}: no CrowdGuard store there; "
                "run `crowdguard db upgrade` or `crowdguard serve` first"
            )
        with session_scope(make_sessionmaker(engine)) as session:
            report = verify_chain(session=session)
    finally:
        engine.dispose()
    console = Console(stderr=False, highlight=False)
    if report.intact:
        console.print(f"audit trail intact: {report.reason}")
        return 0
    console.print(f"audit trail BROKEN at row {report.first_broken}: {report.reason}")
    return 1
