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


def _revisions() -> list[str]:
    from alembic.script import ScriptDirectory

    from crowdguard.store.db import _config

    script = ScriptDirectory.from_config(_config())
    return list(reversed([r.revision for r in script.walk_revisions()]))


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def _counts(engine: Engine, tables: set[str]) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one() for t in tables}


def test_every_migration_steps_down_and_up_again_with_data_in_the_store(
    bare_engine: Engine,
) -> None:
    """Downgrades are tested one revision at a time on a store holding data (rows linked by
    foreign keys across the migrations): each step leaves exactly the tables of its revision
    and the rows in them, and upgrading again restores the schema with the data intact."""
    from server_helpers import roster_contract, scenario

    from crowdguard.jobs import service as jobs
    from crowdguard.jobs.models import PlanCreate
    from crowdguard.plans import DEMO_DIR, load_plan
    from crowdguard.plans import service as security_plans
    from crowdguard.scenario.schema import Scenario
    from crowdguard.store.db import make_sessionmaker, session_scope
    from crowdguard.users.models import Role, UserCreate
    from crowdguard.users.service import create_user
    from crowdguard.venues.models import EventCreate

    revisions = _revisions()
    assert len(revisions) >= 3
    shape: dict[str, set[str]] = {}
    for revision in revisions:  # the tables each revision has, learnt on the way up
        upgrade(bare_engine, revision)
        shape[revision] = _tables(bare_engine)
    assert current_revision(bare_engine) == head_revision()

    with session_scope(make_sessionmaker(bare_engine)) as session:
        owner = create_user(
            session=session,
            data=UserCreate(username="orla", password="long enough pw", role=Role.organiser),
            actor="t",
            now=NOW,
        )
        venues.create_scenario(
            session=session, scenario=Scenario.model_validate(scenario()), actor="t", now=NOW
        )
        venues.create_venue(
            session=session, venue=Venue.model_validate(venue()), actor="t", now=NOW
        )
        plan = jobs.create_plan(
            session=session, data=PlanCreate(scenario_id="tiny", seed=1), actor="t", now=NOW
        )
        jobs.finish_plan(
            session=session,
            plan_id=plan.id,
            now=NOW,
            result={"solver": "fake", "coverage": []},
            rosters={"2026-12-05": roster_contract("2026-12-05", ["arv-1", "arv-2"])},
        )
        event = venues.create_event(
            session=session,
            data=EventCreate(
                name="Market",
                venue_id="winchester-market",
                starts_at=NOW + dt.timedelta(days=20),
                ends_at=NOW + dt.timedelta(days=20, hours=6),
                expected_attendance=2400,
            ),
            organiser_id=owner.id,
            actor="orla",
            now=NOW,
        )
        security_plans.submit_plan(
            session=session,
            event_id=event.id,
            plan=load_plan(DEMO_DIR / "portsmouth-guildhall-ice-rink.yaml"),
            organiser_id=owner.id,
            actor="orla",
            now=NOW,
        )
    filled = {t: n for t, n in _counts(bare_engine, shape[revisions[-1]]).items() if n}
    assert {"users", "plans", "rosters", "events", "security_plans", "audit_log"} <= set(filled)

    for below in reversed(revisions[:-1]):  # head-1 down to the first schema
        downgrade(bare_engine, below)
        assert current_revision(bare_engine) == below
        assert _tables(bare_engine) == shape[below], below
        kept = {t: n for t, n in filled.items() if t in shape[below]}
        assert _counts(bare_engine, set(kept)) == kept, below
    for revision in revisions[1:]:
        upgrade(bare_engine, revision)
        assert _tables(bare_engine) == shape[revision]
    with bare_engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    first_schema = {t: n for t, n in filled.items() if t in shape[revisions[0]]}
    assert _counts(bare_engine, set(first_schema)) == first_schema
    with session_scope(make_sessionmaker(bare_engine)) as session:
        assert verify_chain(session=session).intact
    downgrade(bare_engine, "base")
    assert _tables(bare_engine) == set()


def test_plan_options_survive_the_migration_path_and_older_plans_read_without_them(
    bare_engine: Engine,
) -> None:
    """0013 adds ``plans.options`` (the overrides and floors a plan job was asked for): a
    plan stored before it reads back with none, and one stored after keeps its pin."""
    from server_helpers import scenario

    from crowdguard.jobs import service as jobs
    from crowdguard.jobs.models import PlanCreate
    from crowdguard.scenario.schema import Scenario
    from crowdguard.store.db import make_sessionmaker, session_scope

    upgrade(bare_engine)
    sessions = make_sessionmaker(bare_engine)
    pin = {"action": "pin", "team": "arv-1", "place": "winchester-market", "at": "2026-12-05T14:00"}
    with session_scope(sessions) as session:
        venues.create_scenario(
            session=session, scenario=Scenario.model_validate(scenario()), actor="t", now=NOW
        )
        data = PlanCreate(scenario_id="tiny", overrides=[pin], response_floor=0.3)  # type: ignore[list-item]
        older = jobs.create_plan(session=session, data=data, actor="t", now=NOW).id
    downgrade(bare_engine, "0012")  # a store from before the column: its plans have no options
    upgrade(bare_engine)
    with session_scope(sessions) as session:
        before = jobs.full_view(jobs.get_plan(session=session, plan_id=older))
        assert (before.overrides, before.response_floor) == ([], None)
        newer = jobs.create_plan(session=session, data=data, actor="t", now=NOW).id
    with session_scope(sessions) as session:
        after = jobs.full_view(jobs.get_plan(session=session, plan_id=newer))
        assert [o.model_dump(mode="json") for o in after.overrides] == [
            {**pin, "at": "2026-12-05T14:00:00"}
        ]
        assert after.response_floor == 0.3
        assert jobs.day_options(jobs.get_plan(session=session, plan_id=newer).options).any()
