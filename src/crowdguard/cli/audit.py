"""``crowdguard audit``: check the tamper-evident audit trail.

Other modules add commands to :data:`audit_app` (``crowdguard.cli.patrol_audit`` adds
``audit rosters``); this module only owns ``audit verify``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["audit_app", "register"]

audit_app = typer.Typer(
    name="audit",
    help="Check the audit trail and account for deployments.",
    no_args_is_help=True,
)


@audit_app.command("verify")
def verify(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Data directory holding the embedded store (default: per-user data folder).",
        ),
    ] = None,
) -> None:
    """Walk the hash-chained audit table; exit 0 when intact, 1 naming the first broken row."""
    from crowdguard.audit.cli_support import verify_command

    raise typer.Exit(verify_command(data_dir=data_dir))


def register(app: typer.Typer) -> None:
    """Attach the ``audit`` sub-app to the root ``crowdguard`` app."""
    app.add_typer(audit_app, name="audit")
