"""Engine, sessions and migrations for the store.

Two back ends, one schema: an embedded SQLite file (WAL journal, foreign keys on,
``BEGIN IMMEDIATE`` transactions so concurrent writers queue instead of failing; see
https://www.sqlite.org/wal.html and the SQLAlchemy pysqlite notes on serializable
isolation) and PostgreSQL through psycopg 3. The schema is only ever created by the Alembic
migrations shipped in :mod:`crowdguard.store.migrations`, run programmatically
(https://alembic.sqlalchemy.org/en/latest/api/commands.html).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import ResolutionError
from alembic.util import CommandError
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from crowdguard.errors import InputError
from crowdguard.safeinput import dotted, first_unsafe

__all__ = [
    "Base",
    "UTCDateTime",
    "current_revision",
    "downgrade",
    "head_revision",
    "make_engine",
    "make_sessionmaker",
    "session_scope",
    "upgrade",
]

_HERE = Path(__file__).parent

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table; constraint names are deterministic for migrations."""

    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on both back ends (SQLite keeps no offset)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


class _NoRowLogging(logging.Filter):
    """Drop SQLAlchemy's DEBUG records: at that level it logs result rows (roster data)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.INFO


_ENGINE_LOGGER = logging.getLogger("sqlalchemy.engine.Engine")
if not any(isinstance(f, _NoRowLogging) for f in _ENGINE_LOGGER.filters):
    _ENGINE_LOGGER.addFilter(_NoRowLogging())


_LARGEST_STORED_INT = 2**63 - 1
"""Largest integer a column holds on both back ends (SQLite INTEGER, PostgreSQL BIGINT)."""


def _non_finite_in(value: object) -> str | None:
    """Where in a column value a non-finite number sits (``""`` for the value itself), or
    None. JSON values are first checked by the C encoder; only a failure is walked."""
    if isinstance(value, float):
        return None if math.isfinite(value) else ""
    if isinstance(value, int) and not isinstance(value, bool):
        return None if abs(value) <= _LARGEST_STORED_INT else ""
    if isinstance(value, dict | list):
        try:
            json.dumps(value, allow_nan=False, default=str)
        except ValueError:
            problem = first_unsafe(value, max_depth=10_000)
            return dotted(problem.path) if problem is not None else ""
    return None


def _refuse_non_finite(session: Session, _context: Any, _instances: Any) -> None:
    """Never store ``NaN`` or an infinity (issue 12): SQLite keeps ``Infinity`` in a JSON
    column that the API then cannot encode, PostgreSQL refuses it with a ``DataError``.
    The API and the file loaders refuse them at the edge (:mod:`crowdguard.safeinput`);
    this is the backstop for any path that forgot, raised as bad input naming the column."""
    for obj in (*session.new, *session.dirty):
        state = inspect(obj)
        for attr in state.mapper.column_attrs:
            if state.key is not None and not state.attrs[attr.key].history.has_changes():
                continue
            where = _non_finite_in(state.attrs[attr.key].value)
            if where is not None:
                table = state.mapper.local_table.name
                suffix = f".{where}" if where and not where.startswith("[") else where
                raise InputError(
                    f"{table}.{attr.key}{suffix}: not a finite number in range; expected a "
                    "finite number (NaN, infinities and numbers past 64 bits are never stored)"
                )


event.listen(Session, "before_flush", _refuse_non_finite)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" hook issue BEGIN itself (pysqlite's implicit BEGIN is off).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _private_store_file(path: Path) -> None:
    """Create the SQLite store's folder (0700) and file (0600) owner-only, and tighten an
    existing store file (and its ``-wal``/``-shm``, which SQLite creates with the store's
    mode) that others could read: it holds rosters, seeds and reporters' contacts (issue 12,
    item 10). A folder the user chose and that exists already is left as it is."""
    folder = path.parent
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True)
        folder.chmod(0o700)  # mkdir's mode is masked by the umask
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists() and file.stat().st_mode & 0o077 and file.stat().st_uid == os.getuid():
            file.chmod(0o600)


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine for ``url``; for SQLite the parent folder is created and pragmas set.

    ``hide_parameters`` keeps bound values (roster segments, audit details) out of SQL
    logs and error messages even when SQL echo is switched on, and a filter on SQLAlchemy's
    engine logger drops its DEBUG records, which would print result rows.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            try:
                _private_store_file(Path(path))
            except OSError as exc:
                raise InputError(
                    f"--data-dir {Path(path).parent}: cannot create it ({exc.strerror})"
                ) from None
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.startswith("postgresql"):
        return create_engine(
            url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True, hide_parameters=True
        )
    raise InputError(f"database URL {url.split(':', 1)[0]}:...: unsupported back end")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded attributes after commit (responses are built afterwards)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any exception."""
    with factory() as session, session.begin():
        yield session


def _config(connection: Connection | None = None) -> Config:
    cfg = Config(str(_HERE / "alembic.ini"))
    cfg.set_main_option("script_location", str(_HERE / "migrations"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _known_revisions() -> list[str]:
    script = ScriptDirectory.from_config(_config())
    return ["base", *reversed([r.revision for r in script.walk_revisions()]), "head"]


@contextmanager
def _sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    """SQLite's own procedure for schema changes (https://www.sqlite.org/lang_altertable.html,
    "Making Other Kinds Of Table Schema Changes"): foreign keys off *outside* the transaction,
    then ``PRAGMA foreign_key_check`` before commit. Alembic's batch mode recreates a table
    to change a column (copy, drop, rename), and with foreign keys on, dropping ``plans``
    would cascade to every roster (found by the migration test, issue 12)."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.driver_connection
    assert raw is not None and not connection.in_transaction()
    raw.execute("PRAGMA foreign_keys=OFF")  # autocommit mode: takes effect (no-op in a BEGIN)
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _check_foreign_keys(connection: Connection) -> None:
    """Refuse (roll back) a migration that left a row pointing nowhere (SQLite only; on
    PostgreSQL the constraints are checked as the migration runs)."""
    if connection.dialect.name != "sqlite":
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, _, parent, _ = broken[0]
        raise RuntimeError(f"migration left {len(broken)} row(s) of {table} without their {parent}")


def _migrate(engine: Engine, step: str, revision: str) -> None:
    """Run an Alembic upgrade or downgrade; a revision it cannot use is bad input (exit 2)."""
    run = command.upgrade if step == "upgrade" else command.downgrade
    try:
        with (
            engine.connect() as connection,
            _sqlite_foreign_keys_off(connection),
            connection.begin(),
        ):
            run(_config(connection), revision)
            _check_foreign_keys(connection)
    except (CommandError, ResolutionError) as exc:
        known = ", ".join(_known_revisions())
        reason = str(exc).rstrip(".")
        raise InputError(f"REVISION {revision!r}: {reason}; expected one of {known}") from None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database up to ``revision`` (default: the newest)."""
    _migrate(engine, "upgrade", revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database down to ``revision`` (``base`` removes every table)."""
    _migrate(engine, "downgrade", revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest revision shipped with this version of CrowdGuard."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head
