"""``crowdguard audit``: check the tamper-evident audit trail.

Other modules add commands to :data:`audit_app` (``crowdguard.cli.patrol_audit`` adds
``audit rosters``); this module owns ``audit verify``, ``audit keygen`` and ``audit checkpoint``
(anchoring the chain outside the store: :mod:`crowdguard.audit.checkpoint`).
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


DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Data directory holding the embedded store (default: per-user data folder).",
    ),
]
KeyOption = typer.Option(
    "--key",
    envvar="CROWDGUARD_AUDIT_KEY",
    help="The audit key file (`crowdguard audit keygen`), kept outside the store's folder.",
)


@audit_app.command("verify")
def verify(
    data_dir: DataDir = None,
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint",
            help="A file of checkpoints (`audit checkpoint`, `serve --audit-checkpoint`): fail "
            "when the chain no longer extends each of them (newest rows dropped, or rows "
            "rewritten and the chain recomputed). Needs --key.",
        ),
    ] = None,
    key: Annotated[Path | None, KeyOption] = None,
) -> None:
    """Walk the hash-chained audit table; exit 0 when intact, 1 naming the first broken row
    or the checkpoint it no longer extends."""
    from crowdguard.audit.cli_support import verify_command

    raise typer.Exit(verify_command(data_dir=data_dir, checkpoint=checkpoint, key=key))


@audit_app.command("keygen")
def keygen(
    out: Annotated[Path, typer.Argument(help="Where to write the new key (never overwritten).")],
) -> None:
    """Create the key that signs audit checkpoints (owner-only file)."""
    from crowdguard.audit.cli_support import keygen_command

    keygen_command(out=out)


@audit_app.command("checkpoint")
def checkpoint(
    key: Annotated[Path, KeyOption],
    data_dir: DataDir = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Append the checkpoint to this file (default: print it); keep the file where "
            "the database's writers cannot rewrite it.",
        ),
    ] = None,
) -> None:
    """Sign the audit chain's head (row count and last hash) with the key."""
    from crowdguard.audit.cli_support import checkpoint_command

    checkpoint_command(data_dir=data_dir, key=key, out=out)


def register(app: typer.Typer) -> None:
    """Attach the ``audit`` sub-app to the root ``crowdguard`` app."""
    app.add_typer(audit_app, name="audit")
