"""Fixtures for the web pages: an app on a fresh SQLite store seeded with the embedded
Hampshire demo (venues, bases, teams), a fake clock, and accounts by role."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from crowdguard.api.app import create_app
from crowdguard.store.clock import FakeClock
from crowdguard.store.db import make_engine, make_sessionmaker, session_scope, upgrade
from crowdguard.store.demo import seed_demo
from crowdguard.store.settings import Settings
from crowdguard.users.models import Role, UserCreate
from crowdguard.users.service import create_user
from crowdguard.web.common import HOME

# Let the test modules import their helpers (pytest imports tests with importlib).
sys.path.insert(0, str(Path(__file__).parent))

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 for its TestClient; httpx is what this project ships.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

START = dt.datetime(2026, 12, 5, 14, 0, tzinfo=dt.UTC)
"""A Saturday afternoon in the demo season (markets open)."""
PASSWORD = "correct horse battery"


@pytest.fixture
def report_rate() -> int:
    """Reports per minute per address (the production default)."""
    return 10


@pytest.fixture(scope="session")
def seeded_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite store holding the demo scenario, venues and teams (made once)."""
    folder = tmp_path_factory.mktemp("seeded")
    engine = make_engine(f"sqlite:///{folder / 'crowdguard.sqlite3'}")
    upgrade(engine)
    with session_scope(make_sessionmaker(engine)) as session:
        seed_demo(session=session, now=START - dt.timedelta(days=1))
    engine.dispose()
    return folder


@pytest.fixture
def engine(tmp_path: Path, seeded_store: Path) -> Iterator[Engine]:
    """A private copy of the seeded store."""
    store = tmp_path / "store"
    shutil.copytree(seeded_store, store)
    engine = make_engine(f"sqlite:///{store / 'crowdguard.sqlite3'}")
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    """The app's clock: 14:00 UTC on Saturday 5 December 2026."""
    return FakeClock(START)


@pytest.fixture
def app(engine: Engine, clock: FakeClock, tmp_path: Path, report_rate: int) -> FastAPI:
    """The served app on the seeded store."""
    settings = Settings(
        database_url=str(engine.url), data_dir=tmp_path, report_rate_per_minute=report_rate
    )
    return create_app(settings, clock=clock, engine=engine)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An HTTP client for the app (no network)."""
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def reader(seeded_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One client per module on a private copy of the seeded store, for tests that only
    read pages (cheaper than an app per test)."""
    store = tmp_path_factory.mktemp("reader") / "store"
    shutil.copytree(seeded_store, store)
    engine = make_engine(f"sqlite:///{store / 'crowdguard.sqlite3'}")
    settings = Settings(database_url=str(engine.url), data_dir=store.parent)
    app = create_app(settings, clock=FakeClock(START), engine=engine)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
    engine.dispose()


@pytest.fixture
def as_role(
    engine: Engine, clock: FakeClock, client: TestClient
) -> Callable[[Role], dict[str, str]]:
    """Create an account with a role (officers in team alpha-1); its Authorization header."""
    sessions = make_sessionmaker(engine)

    def make(role: Role) -> dict[str, str]:
        name = f"{role.value}-user"
        with session_scope(sessions) as session:
            create_user(
                session=session,
                data=UserCreate(
                    username=name,
                    password=PASSWORD,
                    role=role,
                    team="alpha-1" if role is Role.officer else None,
                ),
                actor="test",
                now=clock.now(),
            )
        response = client.post("/api/v1/auth/token", data={"username": name, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return make


@pytest.fixture
def signed_in(
    client: TestClient, as_role: Callable[[Role], dict[str, str]]
) -> Callable[[Role], str]:
    """Log ``client`` in through the pages' form (the session cookie) as a new account with
    the role; returns the username."""

    def sign(role: Role) -> str:
        as_role(role)
        name = f"{role.value}-user"
        response = client.post(
            "/login", data={"username": name, "password": PASSWORD}, follow_redirects=False
        )
        assert response.status_code == 303, response.text
        assert response.headers["location"] == HOME[role]  # each role lands on its own page
        return name

    return sign


@pytest.fixture
def control(as_role: Callable[[Role], dict[str, str]]) -> dict[str, str]:
    """A control-room account's Authorization header."""
    return as_role(Role.control)


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with the cheapest parameters in-process (production keeps RFC 9106's)."""
    import argon2
    from argon2.profiles import CHEAPEST

    from crowdguard.users import service

    cheap = argon2.PasswordHasher.from_parameters(CHEAPEST)
    monkeypatch.setattr(service, "_hasher", cheap)
    monkeypatch.setattr(service, "_DUMMY_HASH", cheap.hash("dummy"))
