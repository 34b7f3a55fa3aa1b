"""Storage: migrations up and down, pragmas, constraints and concurrent writers, on both DBs."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from server_helpers import venue
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crowdguard.audit.service import verify_chain
from crowdguard.scenario.schema import Venue
from crowdguard.store.db import current_revision, downgrade, head_revision, upgrade
from crowdguard.store.registry import metadata
from crowdguard.venues import service as venues
from crowdguard.venues.tables import EventRow, VenueRow

NOW = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)
TABLES = {
    "users",
    "tokens",
    "audit_log",
    "venues",
    "events",
    "scenarios",
    "teams",
    "plans",
    "rosters",
}


def test_upgrade_creates_every_table_and_matches_the_models(bare_engine: Engine) -> None:
    assert current_revision(bare_engine) is None
    upgrade(bare_engine)
    assert current_revision(bare_engine) == head_revision()
    assert set(inspect(bare_engine).get_table_names()) >= TABLES
    with bare_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_downgrade_to_base_removes_everything_and_upgrade_restores(bare_engine: Engine) -> None:
    upgrade(bare_engine)
    downgrade(bare_engine, "base")
    assert current_revision(bare_engine) is None
    assert not TABLES & set(inspect(bare_engine).get_table_names())
    upgrade(bare_engine)
    assert set(inspect(bare_engine).get_table_names()) >= TABLES


def test_sqlite_runs_wal_with_foreign_keys(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_foreign_keys_are_enforced(session_factory: Callable[[], Iterator[Session]]) -> None:
    with pytest.raises(IntegrityError), session_factory() as session:  # type: ignore[attr-defined]
        session.add(
            EventRow(
                name="orphan",
                venue_id="no-such-venue",
                starts_at=NOW,
                ends_at=NOW + dt.timedelta(hours=1),
                expected_attendance=10,
                created_at=NOW,
            )
        )
        session.flush()


def test_times_come_back_timezone_aware(session_factory: Callable[[], Iterator[Session]]) -> None:
    with session_factory() as session:  # type: ignore[attr-defined]
        venues.create_venue(
            session=session, venue=Venue.model_validate(venue()), actor="t", now=NOW
        )
    with session_factory() as session:  # type: ignore[attr-defined]
        row = session.scalar(select(VenueRow))
        assert row is not None
        assert row.created_at == NOW
        assert row.created_at.utcoffset() == dt.timedelta(0)


def test_concurrent_writers_all_land_and_the_audit_chain_holds(
    session_factory: Callable[[], Iterator[Session]],
) -> None:
    writers, each = 6, 8
    errors: list[BaseException] = []

    def write(w: int) -> None:
        try:
            for i in range(each):
                with session_factory() as session:  # type: ignore[attr-defined]
                    body = venue(f"venue-{w}-{i}")
                    venues.create_venue(
                        session=session, venue=Venue.model_validate(body), actor=f"w{w}", now=NOW
                    )
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with session_factory() as session:  # type: ignore[attr-defined]
        ids = set(session.scalars(select(VenueRow.id)).all())
        assert ids == {f"venue-{w}-{i}" for w in range(writers) for i in range(each)}
        report = verify_chain(session=session)
        assert report.intact, report.reason
        assert report.rows == writers * each
        count = session.execute(text("SELECT COUNT(*) FROM audit_log")).scalar()
        assert count == writers * each
