"""Fixtures for the served system: a fresh database per test on SQLite and PostgreSQL.

``db_url`` is parametrised over both back ends; the PostgreSQL case creates (and drops) a
new database in the private cluster started by ``scripts/test`` and is skipped without it.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from crowdguard.api.app import create_app
from crowdguard.jobs.runner import Planner, default_planner
from crowdguard.store.clock import FakeClock
from crowdguard.store.db import make_engine, make_sessionmaker, session_scope, upgrade
from crowdguard.store.settings import Settings
from crowdguard.users.models import Role, UserCreate
from crowdguard.users.service import create_user

# Let the test modules import their builders (pytest 9 imports tests with importlib).
sys.path.insert(0, str(Path(__file__).parent))

from server_helpers import PASSWORD, TestClient
from server_helpers import fresh_postgres as _fresh_postgres

START = dt.datetime(2026, 12, 5, 6, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database: SQLite file or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store' / 'crowdguard.sqlite3'}"
        return
    base = request.getfixturevalue("postgres_url")
    yield from _fresh_postgres(base)


@pytest.fixture
def bare_engine(db_url: str) -> Iterator[Engine]:
    """An engine on the empty database (not migrated)."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(bare_engine: Engine) -> Engine:
    """An engine on a database migrated to head."""
    upgrade(bare_engine)
    return bare_engine


@pytest.fixture
def session_factory(engine: Engine) -> Callable[[], Iterator[Session]]:
    """``with session_factory() as s:`` gives one committed transaction."""
    sessions = make_sessionmaker(engine)
    return lambda: session_scope(sessions)  # type: ignore[return-value]


@pytest.fixture
def clock() -> FakeClock:
    """A clock tests can move; starts at 06:00 UTC on 5 December 2026."""
    return FakeClock(START)


@pytest.fixture
def make_planner() -> Callable[[], Planner]:
    """The planner the app runs (the real one by default; tests may override)."""
    return default_planner


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """Settings for the test app."""
    return Settings(database_url=db_url, data_dir=tmp_path)


@pytest.fixture
def app(
    settings: Settings, engine: Engine, clock: FakeClock, make_planner: Callable[[], Planner]
) -> FastAPI:
    """The API on the fresh, migrated database with the fake clock."""
    return create_app(settings, clock=clock, engine=engine, planner=make_planner)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An HTTP client for the app (no network)."""
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def add_user(engine: Engine, clock: FakeClock) -> Callable[..., int]:
    """Create an account directly in the store; returns its id."""
    sessions = make_sessionmaker(engine)

    def add(username: str, role: Role, team: str | None = None) -> int:
        with session_scope(sessions) as session:
            row = create_user(
                session=session,
                data=UserCreate(username=username, password=PASSWORD, role=role, team=team),
                actor="test",
                now=clock.now(),
            )
            return row.id

    return add


@pytest.fixture
def login(client: TestClient) -> Callable[[str], dict[str, str]]:
    """Log in through the API; returns the Authorization header."""

    def do(username: str, password: str = PASSWORD) -> dict[str, str]:
        response = client.post(
            "/api/v1/auth/token", data={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return do


@pytest.fixture
def as_role(
    add_user: Callable[..., int], login: Callable[[str], dict[str, str]]
) -> Callable[..., dict[str, str]]:
    """Create a user with a role (officers in team ``arv-1``) and return its auth header."""

    def make(role: Role, team: str | None = None, username: str | None = None) -> dict[str, str]:
        name = username or f"{role.value}-user"
        if role is Role.officer and team is None:
            team = "arv-1"
        add_user(name, role, team)
        return login(name)

    return make


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with the cheapest parameters in-process (production keeps RFC 9106's).

    Subprocess tests (CLI, real server) still use the production parameters.
    """
    import argon2
    from argon2.profiles import CHEAPEST

    from crowdguard.users import service

    cheap = argon2.PasswordHasher.from_parameters(CHEAPEST)
    monkeypatch.setattr(service, "_hasher", cheap)
    monkeypatch.setattr(service, "_DUMMY_HASH", cheap.hash("dummy"))
