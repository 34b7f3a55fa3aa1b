"""``crowdguard serve``, ``crowdguard db upgrade|downgrade|current`` and
``crowdguard user add|list|disable|enable|reset-password``.

Every command takes ``--data-dir DIR`` (default: the per-user data folder) or uses
``CROWDGUARD_DATABASE_URL`` for a served PostgreSQL database.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import errno
import logging
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError

from crowdguard.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from crowdguard.store.settings import Settings

__all__ = [
    "KEEP_ALIVE_SECONDS",
    "SHUTDOWN_SECONDS",
    "WithholdExceptionText",
    "log_config",
    "register",
]

DataDir = typer.Option(
    None,
    "--data-dir",
    help="Folder for the embedded SQLite store (default: per-user data folder; "
    "CROWDGUARD_DATABASE_URL selects PostgreSQL instead).",
)

db_app = typer.Typer(name="db", help="Create and migrate the store.", no_args_is_help=True)
user_app = typer.Typer(name="user", help="Manage accounts.", no_args_is_help=True)

KEEP_ALIVE_SECONDS = 75
"""How long ``serve`` keeps an idle HTTP/1.1 connection open for the client's next request.

uvicorn's default is 5 s, the same as httpx's idle expiry: the server then closes idle
connections just as clients reuse them, and the client sees a reset on a request the server
never read (``httpx.ReadError`` under load; a POST cannot safely be retried, RFC 9110
section 9.2.2). The side that closes an idle connection should be the client, so the server
waits longer than its clients: 75 s outlasts httpx (5 s), reverse proxies' upstream idle
timeouts (nginx ``keepalive_timeout`` 60 s, AWS ALB 60 s) and is nginx's own default for its
clients. An idle connection holds only a socket and its buffers until then."""


SHUTDOWN_SECONDS = 5
"""The longest ``serve`` waits, after SIGTERM or Ctrl-C, for requests still in flight before
it cancels them and stops (uvicorn's ``timeout_graceful_shutdown``; its default waits for
ever, so one open event stream kept a stopped server alive)."""


def _run_until_signalled(app: Any, *, sockets: list[Any], **options: Any) -> None:
    """uvicorn's server for ``app``; when it is told to stop it first ends every live event
    stream (:meth:`crowdguard.api.events.EventBus.close`), so open boards learn at once
    that this server is going and reconnect to the next one."""
    import asyncio

    import uvicorn

    class _Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            bus = getattr(app.state, "board_bus", None)
            if bus is not None:
                try:  # from the signal handler: hand the work to the event loop
                    asyncio.get_running_loop().call_soon_threadsafe(bus.close)
                except RuntimeError:
                    bus.close()
            super().handle_exit(sig, frame)

    config = uvicorn.Config(app, timeout_graceful_shutdown=SHUTDOWN_SECONDS, **options)
    _Server(config).run(sockets=sockets)


def _engine(data_dir: Path | None) -> tuple[Settings, Engine]:
    from crowdguard.store.db import make_engine
    from crowdguard.store.settings import resolve_settings

    settings = resolve_settings(data_dir)
    return settings, make_engine(settings.database_url)


@db_app.command("upgrade")
def db_upgrade(
    revision: str = typer.Argument("head", help="Target revision (default: newest)."),
    data_dir: Path | None = DataDir,
) -> None:
    """Migrate the store up to REVISION (creating it if needed)."""
    from crowdguard.store.db import current_revision, upgrade

    _, engine = _engine(data_dir)
    try:
        upgrade(engine, revision)
        typer.echo(f"store at revision {current_revision(engine)}")
    finally:
        engine.dispose()


def _missing_store(settings: Settings) -> bool:
    """True when the embedded store's file does not exist (nothing to read or move down)."""
    file = settings.sqlite_file
    return file is not None and not file.exists()


@db_app.command("downgrade")
def db_downgrade(
    revision: str = typer.Argument(..., help="Target revision ('base' removes every table)."),
    data_dir: Path | None = DataDir,
) -> None:
    """Migrate the store down to REVISION."""
    from crowdguard.store.db import current_revision, downgrade
    from crowdguard.store.settings import resolve_settings

    settings = resolve_settings(data_dir)
    if _missing_store(settings):
        raise InputError(f"--data-dir {settings.data_dir}: no CrowdGuard store there")
    _, engine = _engine(data_dir)
    try:
        downgrade(engine, revision)
        typer.echo(f"store at revision {current_revision(engine) or 'base (empty)'}")
    finally:
        engine.dispose()


@db_app.command("current")
def db_current(data_dir: Path | None = DataDir) -> None:
    """Print the store's revision and the newest one shipped."""
    from crowdguard.store.db import current_revision, head_revision
    from crowdguard.store.settings import resolve_settings

    if _missing_store(resolve_settings(data_dir)):  # look, but create nothing
        typer.echo(f"current: none; head: {head_revision()}")
        return
    _, engine = _engine(data_dir)
    try:
        typer.echo(f"current: {current_revision(engine) or 'none'}; head: {head_revision()}")
    finally:
        engine.dispose()


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = typer.prompt("Password", hide_input=True)
    second = typer.prompt("Repeat password", hide_input=True)
    if first != second:
        raise InputError("password: the two entries differ")
    return str(first)


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="Username (lower case letters, digits, . _ -)."),
    role: str = typer.Option(
        ..., "--role", help="admin, planner, control, officer, organiser or analyst."
    ),
    team: str | None = typer.Option(None, "--team", help="Team callsign (required for officers)."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of stdin."
    ),
    data_dir: Path | None = DataDir,
) -> None:
    """Create an account (the store is migrated first)."""
    from crowdguard.store.db import make_sessionmaker, session_scope, upgrade
    from crowdguard.users.models import Role, UserCreate
    from crowdguard.users.service import create_user
    from crowdguard.venues.tables import TeamRow

    roles = [r.value for r in Role]
    if role not in roles:
        raise InputError(f"--role {role!r}: expected one of {', '.join(roles)}")
    password = _read_password(password_stdin)
    try:
        data = UserCreate(username=name, password=password, role=Role(role), team=team)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        if not field and ": " in message:  # a check across fields names its field first
            field, message = message.split(": ", 1)
        option = {"username": "NAME", "password": "password", "team": "--team"}.get(field, field)
        raise InputError(f"{option or 'user'}: {message}") from None
    settings, engine = _engine(data_dir)
    try:
        upgrade(engine)
        with session_scope(make_sessionmaker(engine)) as session:
            row = create_user(session=session, data=data, actor="cli", now=dt.datetime.now(dt.UTC))
            typer.echo(f"created {row.role} {row.username!r} (id {row.id}) in {_where(settings)}")
            if data.team is not None and session.get(TeamRow, data.team) is None:
                typer.echo(
                    f"warning: --team {data.team!r} is not a team in this store yet; "
                    "this account will see no roster until a plan rosters that team",
                    err=True,
                )
    finally:
        engine.dispose()


def _existing_store(data_dir: Path | None) -> tuple[Settings, Engine]:
    """The store's settings and engine, refusing (exit 2) a store that does not exist yet:
    listing or changing accounts must not create an empty one."""
    from crowdguard.store.db import current_revision, head_revision
    from crowdguard.store.settings import resolve_settings

    settings = resolve_settings(data_dir)
    if _missing_store(settings):
        raise InputError(f"--data-dir {settings.data_dir}: no CrowdGuard store there")
    settings, engine = _engine(data_dir)
    if current_revision(engine) != head_revision():
        engine.dispose()
        raise InputError(
            f"{_where(settings)}: the store is not at the newest revision; "
            "run `crowdguard db upgrade` first"
        )
    return settings, engine


@user_app.command("list")
def user_list(data_dir: Path | None = DataDir) -> None:
    """List accounts: id, username, role, team, whether active (never a password)."""
    from rich.console import Console
    from rich.table import Table
    from sqlalchemy import select

    from crowdguard.store.db import make_sessionmaker, session_scope
    from crowdguard.users.tables import UserRow

    _, engine = _existing_store(data_dir)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            rows = session.scalars(select(UserRow).order_by(UserRow.id)).all()
            table = Table("id", "username", "role", "team", "active")
            for row in rows:
                active = "yes" if row.active else "DISABLED"
                table.add_row(str(row.id), row.username, row.role, row.team or "", active)
    finally:
        engine.dispose()
    Console(width=100).print(table)


def _change_user(data_dir: Path | None, name: str, **change: Any) -> str:
    """Apply a :class:`~crowdguard.users.models.UserUpdate` to account ``name`` through the
    same service the API uses (audited, every session ended where it says so)."""
    from sqlalchemy import select

    from crowdguard.store.db import make_sessionmaker, session_scope
    from crowdguard.users.models import UserUpdate
    from crowdguard.users.service import update_user
    from crowdguard.users.tables import UserRow

    try:
        data = UserUpdate(**change)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "user"
        raise InputError(f"{field}: {str(first['msg']).removeprefix('Value error, ')}") from None
    _, engine = _existing_store(data_dir)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            row = session.scalar(select(UserRow).where(UserRow.username == name))
            if row is None:
                raise InputError(f"NAME: no account {name!r} (see `crowdguard user list`)")
            row = update_user(
                session=session,
                user_id=row.id,
                data=data,
                actor="cli",
                now=dt.datetime.now(dt.UTC),
            )
            return f"{row.role} {row.username!r} (id {row.id})"
    finally:
        engine.dispose()


@user_app.command("disable")
def user_disable(
    name: str = typer.Argument(..., help="Username."), data_dir: Path | None = DataDir
) -> None:
    """Disable an account and end all its sessions (audited)."""
    typer.echo(f"disabled {_change_user(data_dir, name, active=False)}; its sessions are ended")


@user_app.command("enable")
def user_enable(
    name: str = typer.Argument(..., help="Username."), data_dir: Path | None = DataDir
) -> None:
    """Enable a disabled account (audited); its old sessions stay ended."""
    typer.echo(f"enabled {_change_user(data_dir, name, active=True)}")


@user_app.command("reset-password")
def user_reset_password(
    name: str = typer.Argument(..., help="Username."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the new password from the first line of stdin."
    ),
    data_dir: Path | None = DataDir,
) -> None:
    """Set a new password and end all the account's sessions (audited, never the password)."""
    password = _read_password(password_stdin)
    who = _change_user(data_dir, name, password=password)
    typer.echo(f"new password set for {who}; its sessions are ended")


def _where(settings: Settings) -> str:
    return (
        str(settings.data_dir) if settings.is_sqlite else "the database at CROWDGUARD_DATABASE_URL"
    )


class WithholdExceptionText(logging.Filter):
    """Log an exception's type, never its message or traceback (they may hold roster data).

    Starlette re-raises an unhandled exception after the app's handler has answered 500
    so that the server can log it, and uvicorn logs it with its traceback: the message and
    the source lines of any frame, e.g. a validation error quoting a roster segment. The
    API's own handler already logs only the type (:mod:`crowdguard.api.errors`).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is not None:
            kind = record.exc_info[0].__name__
            record.msg = f"{record.getMessage().rstrip()}: {kind} (details withheld from the log)"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration, with :class:`WithholdExceptionText` on every handler
    and CrowdGuard's own loggers (plan jobs, API faults) sent to the same stream."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"withhold": {"()": f"{__name__}.WithholdExceptionText"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["withhold"]
    config["loggers"]["crowdguard"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything says the server is up (a port clash
    used to print the URLs first, so it looked like a start). Exit 2 naming the option."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        why = "already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        raise InputError(
            f"--host {host} --port {port}: cannot listen there ({why}); "
            "stop the other server or choose another --port"
        ) from None
    return sock


def _proxy_options(trusted: tuple[str, ...]) -> dict[str, Any]:
    """uvicorn's proxy-header settings. uvicorn believes ``X-Forwarded-For`` from loopback by
    default, so anyone on the machine (or a proxy that passes the header through) could
    claim any address and rotate it past the report rate limit and the login throttle
    (issue 12, item 11). CrowdGuard believes it only from the proxies the operator names."""
    if not trusted:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": list(trusted)}


TrustedProxy = typer.Option(
    "--trusted-proxy",
    help="Address or network (CIDR) of a reverse proxy whose X-Forwarded-For and "
    "X-Forwarded-Proto to believe; repeat for several (also CROWDGUARD_TRUSTED_PROXIES, "
    "comma-separated). Default: none, the peer address is the client.",
)
AuditCheckpoint = typer.Option(
    "--audit-checkpoint",
    envvar="CROWDGUARD_AUDIT_CHECKPOINT",
    help="Append a signed checkpoint of the audit chain's head to this file at start, "
    "every CROWDGUARD_AUDIT_CHECKPOINT_MINUTES (15) while it grows, and at stop; keep it "
    "where the database's writers cannot rewrite it (`audit verify --checkpoint`).",
)
AuditKey = typer.Option(
    "--audit-key",
    envvar="CROWDGUARD_AUDIT_KEY",
    help="The key that signs the checkpoints (`crowdguard audit keygen`).",
)


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
    trusted_proxy: Annotated[list[str] | None, TrustedProxy] = None,
    audit_checkpoint: Annotated[Path | None, AuditCheckpoint] = None,
    audit_key: Annotated[Path | None, AuditKey] = None,
    data_dir: Path | None = DataDir,
) -> None:
    """Run the API server (migrating the store and loading the demo data on first start)."""
    from sqlalchemy import select

    from crowdguard.api.app import API_PREFIX, create_app
    from crowdguard.jobs.service import fail_interrupted
    from crowdguard.store.db import make_sessionmaker, session_scope, upgrade
    from crowdguard.store.demo import seed_demo
    from crowdguard.store.settings import parse_trusted_proxies
    from crowdguard.users.tables import UserRow

    settings, engine = _engine(data_dir)
    trusted = settings.trusted_proxies + parse_trusted_proxies(
        trusted_proxy or [], "--trusted-proxy"
    )
    settings = dataclasses.replace(
        settings,
        trusted_proxies=trusted,
        audit_checkpoint_file=audit_checkpoint or settings.audit_checkpoint_file,
        audit_key_file=audit_key or settings.audit_key_file,
    )
    sock = _bind(host, port)
    upgrade(engine)
    with session_scope(make_sessionmaker(engine)) as session:
        typer.echo(seed_demo(session=session, now=dt.datetime.now(dt.UTC)))
        interrupted = fail_interrupted(session=session, now=dt.datetime.now(dt.UTC))
        if interrupted:
            typer.echo(f"{interrupted} plan job(s) interrupted by the last stop marked failed")
        has_admin = (
            session.scalar(select(UserRow.id).where(UserRow.role == "admin").limit(1)) is not None
        )
    try:
        app = create_app(settings, engine=engine)  # a bad audit key is exit 2 here
    except InputError:
        sock.close()
        raise
    typer.echo(f"store: {_where(settings)}")
    typer.echo(f"log in: POST http://{host}:{port}{API_PREFIX}/auth/token")
    typer.echo(f"API docs: http://{host}:{port}{API_PREFIX}/docs")
    typer.echo(f"report a concern (public form): http://{host}:{port}/report")
    typer.echo(f"control-room board (control, admin): http://{host}:{port}/board")
    typer.echo(f"every role's page (log in): http://{host}:{port}/login")
    typer.echo(
        f"trusting X-Forwarded-For from: {', '.join(trusted)}"
        if trusted
        else "X-Forwarded-For ignored (no --trusted-proxy): the peer address is the client"
    )
    if settings.audit_checkpoint_file is not None:
        typer.echo(f"audit checkpoints: appended to {settings.audit_checkpoint_file}")
    if not has_admin:
        dd = f" --data-dir {settings.data_dir}" if data_dir is not None else ""
        typer.echo(f"no admin yet: create one with `crowdguard user add admin --role admin{dd}`")
    _run_until_signalled(
        app,
        log_level="info",
        access_log=False,
        log_config=log_config(),
        timeout_keep_alive=KEEP_ALIVE_SECONDS,  # not uvicorn's 5 s: see KEEP_ALIVE_SECONDS
        sockets=[sock],
        **_proxy_options(trusted),
    )


def register(app: typer.Typer) -> None:
    """Add ``serve``, ``db`` and ``user`` to the root app."""
    app.command("serve")(serve)
    app.add_typer(db_app, name="db")
    app.add_typer(user_app, name="user")
