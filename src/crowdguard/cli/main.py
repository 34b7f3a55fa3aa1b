"""The ``crowdguard`` command: one Typer app composed from one module per command group.

Each module in :data:`COMMAND_MODULES` exposes ``register(app: typer.Typer) -> None``.
Errors a user can cause (:class:`~crowdguard.errors.CrowdGuardError`) become one line on
stderr and exit status 2; anything else is a bug and exits 1.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

from crowdguard import __version__
from crowdguard.errors import CrowdGuardError

__all__ = ["COMMAND_MODULES", "app", "main"]

COMMAND_MODULES = (
    "crowdguard.cli.game",
    "crowdguard.cli.plan",
    "crowdguard.cli.explain",
    "crowdguard.cli.review",
    "crowdguard.cli.audit",
    "crowdguard.cli.patrol_audit",
    "crowdguard.cli.server",
    "crowdguard.cli.simulate",
    "crowdguard.cli.scenario",
    "crowdguard.cli.stats",
    "crowdguard.cli.sweep",
    "crowdguard.cli.generate",
)

app = typer.Typer(
    name="crowdguard",
    help="Randomised, proportionate armed patrols of crowded places.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"crowdguard {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """CrowdGuard: plan, review, respond, account."""


def _register_all() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a command group not built yet
            if exc.name == name:
                continue
            raise
        module.register(app)


_register_all()


def main() -> None:
    """Entry point: run the app, mapping CrowdGuard errors to one line and exit 2."""
    try:
        app()
    except CrowdGuardError as exc:
        typer.echo(f"crowdguard: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("crowdguard: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug: say so plainly, keep the traceback for debugging
        if os.environ.get("CROWDGUARD_DEBUG"):
            raise
        typer.echo(
            f"crowdguard: internal error ({type(exc).__name__}: {exc}); "
            "this is a bug, please report it (set CROWDGUARD_DEBUG=1 for the traceback)",
            err=True,
        )
        sys.exit(1)
