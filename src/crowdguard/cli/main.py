"""The ``crowdguard`` command: one Typer app composed from one module per command group.

Each module in :data:`COMMAND_MODULES` exposes ``register(app: typer.Typer) -> None``.
Errors a user can cause (:class:`~crowdguard.errors.CrowdGuardError`) become one line on
stderr and exit status 2; anything else is a bug and exits 1.

Only the modules of the command being run are imported (:data:`COMMANDS`): the server's
and the statistics' modules bring SQLAlchemy, Alembic and SciPy's optimisers, and importing
every group took 5.1-5.6 s before ``crowdguard demo`` could start on a busy 2-core box,
against 0.9 s for the planner's module alone (issue 10, section 4). ``--help`` and an
unknown command load them all; ``app`` (for tests and ``CliRunner``) is the whole app.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

from crowdguard import __version__
from crowdguard.errors import CrowdGuardError

__all__ = ["COMMANDS", "COMMAND_MODULES", "app", "main"]

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

COMMANDS: dict[str, tuple[str, ...]] = {
    "game": ("crowdguard.cli.game",),
    "plan": ("crowdguard.cli.plan",),
    "demo": ("crowdguard.cli.plan",),
    "explain": ("crowdguard.cli.explain",),
    "review": ("crowdguard.cli.review",),
    "audit": ("crowdguard.cli.audit", "crowdguard.cli.patrol_audit"),
    "serve": ("crowdguard.cli.server",),
    "db": ("crowdguard.cli.server",),
    "user": ("crowdguard.cli.server",),
    "simulate": ("crowdguard.cli.simulate",),
    "scenario": ("crowdguard.cli.scenario", "crowdguard.cli.generate"),
    "brief": ("crowdguard.cli.stats",),
    "stats": ("crowdguard.cli.stats",),
    "sweep": ("crowdguard.cli.sweep",),
}
"""Each top-level command and the modules that register it (in order: a group first, then
modules adding commands to it). A test checks it against what the modules register."""


def _new_app() -> typer.Typer:
    made = typer.Typer(
        name="crowdguard",
        help="Randomised, proportionate armed patrols of crowded places.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    made.callback()(_root)
    return made


def _version(value: bool) -> None:
    if value:
        typer.echo(f"crowdguard {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """CrowdGuard: plan, review, respond, account."""


def _build(modules: tuple[str, ...]) -> typer.Typer:
    made = _new_app()
    for name in modules:
        importlib.import_module(name).register(made)
    return made


_whole: typer.Typer | None = None
app: typer.Typer  # provided by the module's __getattr__


def __getattr__(name: str) -> typer.Typer:
    """``app``: the whole app, every command group registered (built on first use)."""
    global _whole
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if _whole is None:
        _whole = _build(COMMAND_MODULES)
    return _whole


def _for(argv: list[str]) -> typer.Typer:
    """The app for this command line: only its command's modules when it names one."""
    command = next((a for a in argv if not a.startswith("-")), None)
    if command is None and "--version" in argv:
        return _build(())
    if command in COMMANDS:
        return _build(COMMANDS[command])
    return __getattr__("app")


def main() -> None:
    """Entry point: run the app, mapping CrowdGuard errors to one line and exit 2."""
    try:
        _for(sys.argv[1:])()
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
