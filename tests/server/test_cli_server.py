"""``crowdguard db ...`` and ``crowdguard user add`` through ``python -m crowdguard``."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


def run(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "CROWDGUARD_DATABASE_URL"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "crowdguard", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        env=full_env,
    )


def test_db_upgrade_current_downgrade_round_trip(tmp_path: Path) -> None:
    data = str(tmp_path / "d")
    assert "current: none" in run("db", "current", "--data-dir", data).stdout
    up = run("db", "upgrade", "--data-dir", data)
    assert up.returncode == 0, up.stderr
    head = run("db", "current", "--data-dir", data).stdout
    current, shipped = (part.split(":")[1].strip() for part in head.strip().split(";"))
    assert current == shipped != "none"
    down = run("db", "downgrade", "base", "--data-dir", data)
    assert down.returncode == 0 and "base" in down.stdout
    with sqlite3.connect(Path(data) / "crowdguard.sqlite3") as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "users" not in tables and "audit_log" not in tables


def test_user_add_reads_the_password_from_stdin_and_it_works(tmp_path: Path) -> None:
    data = str(tmp_path / "d")
    made = run(
        "user",
        "add",
        "olly",
        "--role",
        "officer",
        "--team",
        "arv-1",
        "--password-stdin",
        "--data-dir",
        data,
        stdin="officer password\n",
    )
    assert made.returncode == 0, made.stderr
    assert "officer password" not in made.stdout + made.stderr
    with sqlite3.connect(Path(data) / "crowdguard.sqlite3") as conn:
        role, team, digest = conn.execute("SELECT role, team, password_hash FROM users").fetchone()
    assert (role, team) == ("officer", "arv-1")
    from argon2 import PasswordHasher

    assert PasswordHasher().verify(digest, "officer password")


@pytest.mark.parametrize(
    ("args", "stdin", "named"),
    [
        (["--role", "wizard"], "long enough pw\n", "--role"),
        (["--role", "officer"], "long enough pw\n", "--team: an officer account needs"),
        (["--role", "admin"], "short\n", "password"),
    ],
)
def test_user_add_bad_input_is_one_line_exit_2(
    tmp_path: Path, args: list[str], stdin: str, named: str
) -> None:
    result = run(
        "user",
        "add",
        "someone",
        *args,
        "--password-stdin",
        "--data-dir",
        str(tmp_path),
        stdin=stdin,
    )
    assert result.returncode == 2
    assert named in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_duplicate_username_is_exit_2(tmp_path: Path) -> None:
    for expected in (0, 2):
        result = run(
            "user",
            "add",
            "admin",
            "--role",
            "admin",
            "--password-stdin",
            "--data-dir",
            str(tmp_path),
            stdin="long enough pw\n",
        )
        assert result.returncode == expected
    assert "already taken" in result.stderr


def test_prompted_passwords_must_match(tmp_path: Path) -> None:
    result = run(
        "user",
        "add",
        "admin",
        "--role",
        "admin",
        "--data-dir",
        str(tmp_path),
        stdin="long enough pw\ndifferent pw\n",
    )
    assert result.returncode == 2
    assert "differ" in result.stderr


@pytest.mark.parametrize(
    ("command", "says"),
    [
        (["upgrade", "nonsense"], "Can't locate revision"),
        (["downgrade", "0009"], "Can't locate revision"),
        (["downgrade", "head"], "not a valid downgrade target"),  # store is at 0001
    ],
)
def test_unknown_or_wrong_way_revisions_are_exit_2(
    tmp_path: Path, command: list[str], says: str
) -> None:
    data = str(tmp_path / "d")
    assert run("db", "upgrade", "0001", "--data-dir", data).returncode == 0
    result = run("db", *command, "--data-dir", data)
    assert result.returncode == 2, result.stderr
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line
    assert says in line and "expected one of base, 0001," in line
    assert "current: 0001;" in run("db", "current", "--data-dir", data).stdout  # untouched


def test_looking_at_a_missing_store_creates_nothing(tmp_path: Path) -> None:
    data = tmp_path / "nowhere"
    assert "current: none;" in run("db", "current", "--data-dir", str(data)).stdout
    down = run("db", "downgrade", "base", "--data-dir", str(data))
    assert down.returncode == 2 and "no CrowdGuard store" in down.stderr
    assert not data.exists()


def test_an_officer_of_a_team_the_store_lacks_is_warned(tmp_path: Path) -> None:
    made = run(
        "user",
        "add",
        "olly",
        "--role",
        "officer",
        "--team",
        "zulu-9",
        "--password-stdin",
        "--data-dir",
        str(tmp_path),
        stdin="long enough pw\n",
    )
    assert made.returncode == 0
    assert "warning: --team 'zulu-9' is not a team in this store" in made.stderr


def test_data_dir_that_is_a_file_is_exit_2(tmp_path: Path) -> None:
    clash = tmp_path / "file"
    clash.write_text("not a folder")
    result = run("db", "upgrade", "--data-dir", str(clash))
    assert result.returncode == 2
    assert "--data-dir" in result.stderr


def test_database_url_selects_postgres(postgres_url: str, tmp_path: Path) -> None:
    from server_helpers import fresh_postgres

    for url in fresh_postgres(postgres_url):
        env = {"CROWDGUARD_DATABASE_URL": url}
        assert run("db", "upgrade", env=env).returncode == 0
        made = run(
            "user",
            "add",
            "admin",
            "--role",
            "admin",
            "--password-stdin",
            env=env,
            stdin="long enough pw\n",
        )
        assert made.returncode == 0, made.stderr
        assert run("audit", "verify", env=env).returncode == 0
        assert run("db", "downgrade", "base", env=env).returncode == 0


def test_an_unexpected_fault_logs_its_type_never_its_message(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """uvicorn logs an unhandled exception with its traceback (Starlette re-raises it after
    the 500); with ``crowdguard serve``'s logging the message and source lines stay out."""
    import socket
    import threading
    import time

    import httpx
    import uvicorn
    from fastapi import FastAPI

    from crowdguard.api.errors import install_error_handlers
    from crowdguard.cli.server import log_config

    app = FastAPI()

    @app.get("/boom")
    def boom() -> None:
        segment = "patrol winchester-market 10:20-12:00 arv-1"  # stands for roster data
        raise ValueError(f"cannot read segment {segment}")

    install_error_handlers(app)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, access_log=False, log_config=log_config()
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        response = httpx.get(f"http://127.0.0.1:{port}/boom", timeout=10)
    finally:
        server.should_exit = True
        thread.join(10)
    assert response.status_code == 500 and response.json() == {"detail": "internal error"}
    logged = "".join(capfd.readouterr())
    assert "Exception in ASGI application: ValueError (details withheld" in logged
    for secret in ("winchester-market", "10:20", "arv-1", "Traceback"):
        assert secret not in logged


def test_serve_keeps_idle_connections_open_longer_than_clients_and_proxies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uvicorn's 5 s default closes idle connections just as clients (httpx: 5 s) reuse
    them; ``serve`` waits longer than its clients and reverse proxies (60 s) instead."""
    import socket

    import uvicorn

    from crowdguard.cli.server import KEEP_ALIVE_SECONDS, SHUTDOWN_SECONDS, serve

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started: list[tuple[Any, Any]] = []

    def run(server: Any, sockets: Any = None) -> None:
        started.append((server.config, sockets))

    monkeypatch.setattr(uvicorn.Server, "run", run)
    serve(host="127.0.0.1", port=port, data_dir=tmp_path)
    [(config, sockets)] = started
    config.app.state.context.engine.dispose()  # the app serve built
    try:
        assert config.timeout_keep_alive == KEEP_ALIVE_SECONDS > 60
        # bound before the URLs were printed, and X-Forwarded-For believed from nobody
        assert sockets[0].getsockname() == ("127.0.0.1", port)
        assert config.proxy_headers is False
        assert config.timeout_graceful_shutdown == SHUTDOWN_SECONDS <= 10  # a stop is bounded
    finally:
        sockets[0].close()


@pytest.mark.slow
def test_user_list_disable_enable_and_reset_password_end_sessions(tmp_path: Path) -> None:
    """The admin's account chores without a server (issue 11): each change is audited, and
    a reset password or a disabled account ends every session issued before (issue 12:
    re-enabling must not revive an old token)."""
    import datetime as dt

    from crowdguard.store.db import make_engine, make_sessionmaker, session_scope
    from crowdguard.store.errors import UnauthenticatedError
    from crowdguard.users.service import issue_token, user_for_token
    from crowdguard.users.tables import UserRow

    data = str(tmp_path / "d")
    for name, role in (("alice", "admin"), ("bob", "planner")):
        added = run(
            "user",
            "add",
            name,
            "--role",
            role,
            "--password-stdin",
            "--data-dir",
            data,
            stdin="correct horse battery\n",
        )
        assert added.returncode == 0, added.stderr
    engine = make_engine(f"sqlite:///{Path(data) / 'crowdguard.sqlite3'}")
    sessions = make_sessionmaker(engine)
    now = dt.datetime.now(dt.UTC)

    def token_for(name: str) -> str:
        with session_scope(sessions) as session:
            row = session.query(UserRow).filter_by(username=name).one()
            return issue_token(session=session, user=row, now=now, ttl=dt.timedelta(hours=1))[0]

    def works(token: str) -> bool:
        with session_scope(sessions) as session:
            try:
                user_for_token(session=session, token=token, now=now)
            except UnauthenticatedError:
                return False
            return True

    listed = run("user", "list", "--data-dir", data)
    assert listed.returncode == 0, listed.stderr
    assert (
        "alice" in listed.stdout and "planner" in listed.stdout and "DISABLED" not in listed.stdout
    )
    assert "horse" not in listed.stdout and "argon2" not in listed.stdout

    before_reset = token_for("bob")
    reset = run(
        "user",
        "reset-password",
        "bob",
        "--password-stdin",
        "--data-dir",
        data,
        stdin="a new long passphrase\n",
    )
    assert reset.returncode == 0, reset.stderr
    assert not works(before_reset)

    before_disable = token_for("bob")
    assert run("user", "disable", "bob", "--data-dir", data).returncode == 0
    assert "DISABLED" in run("user", "list", "--data-dir", data).stdout
    assert run("user", "enable", "bob", "--data-dir", data).returncode == 0
    assert not works(before_disable)  # re-enabled, but the old session stays ended
    assert works(token_for("bob"))
    with session_scope(sessions) as session:
        from crowdguard.audit.tables import AuditRow

        actions = [r.detail for r in session.query(AuditRow).filter_by(action="user.update")]
    assert len(actions) == 3 and all("horse" not in str(a) for a in actions)
    engine.dispose()

    for args, fragment in (
        (("user", "disable", "nobody", "--data-dir", data), "no account 'nobody'"),
        (("user", "list", "--data-dir", str(tmp_path / "none")), "no CrowdGuard store there"),
    ):
        result = run(*args)
        assert result.returncode == 2 and fragment in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "none").exists()
