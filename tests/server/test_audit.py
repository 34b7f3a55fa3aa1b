"""The audit trail is hash-chained: verification passes untouched and names an edited row."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from crowdguard.audit.service import GENESIS, record, verify_chain
from crowdguard.audit.tables import AuditRow

NOW = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)


def _fill(session_factory: Callable[[], Iterator[Session]], n: int) -> None:
    for i in range(n):
        with session_factory() as session:  # type: ignore[attr-defined]
            record(
                session=session,
                at=NOW + dt.timedelta(seconds=i),
                actor="alice",
                action="venue.update",
                entity="venue",
                entity_id=f"v{i}",
                detail={"fields": ["name"], "i": i},
            )


def test_first_row_hash_is_sha256_of_genesis_and_canonical_content(
    session_factory: Callable[[], Iterator[Session]],
) -> None:
    _fill(session_factory, 1)
    with session_factory() as session:  # type: ignore[attr-defined]
        row = session.scalars(select(AuditRow)).one()
        # Recomputed here by hand, independently of crowdguard.audit.service.
        content = {
            "id": 1,
            "at": "2026-12-05T12:00:00.000000+00:00",
            "actor": "alice",
            "action": "venue.update",
            "entity": "venue",
            "entity_id": "v0",
            "detail": {"fields": ["name"], "i": 0},
        }
        blob = json.dumps(content, sort_keys=True, separators=(",", ":")).encode()
        assert row.prev_hash == "0" * 64 == GENESIS
        assert row.hash == hashlib.sha256(GENESIS.encode() + blob).hexdigest()


def test_untouched_chain_verifies(session_factory: Callable[[], Iterator[Session]]) -> None:
    _fill(session_factory, 12)
    with session_factory() as session:  # type: ignore[attr-defined]
        report = verify_chain(session=session, batch=5)
    assert report.intact
    assert report.rows == 12


def test_an_edited_row_is_named(session_factory: Callable[[], Iterator[Session]]) -> None:
    _fill(session_factory, 10)
    with session_factory() as session:  # type: ignore[attr-defined]
        session.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE id = 7"))
    with session_factory() as session:  # type: ignore[attr-defined]
        report = verify_chain(session=session)
    assert not report.intact
    assert report.first_broken == 7
    assert "row 7" in report.reason


def test_an_edited_row_with_recomputed_hash_breaks_the_next_link(
    session_factory: Callable[[], Iterator[Session]],
) -> None:
    _fill(session_factory, 6)
    with session_factory() as session:  # type: ignore[attr-defined]
        session.execute(text("UPDATE audit_log SET hash = :h WHERE id = 3"), {"h": "f" * 64})
    with session_factory() as session:  # type: ignore[attr-defined]
        report = verify_chain(session=session)
    # Row 3's hash no longer matches its content, so row 3 is named first.
    assert report.first_broken == 3


def test_a_deleted_row_is_detected(session_factory: Callable[[], Iterator[Session]]) -> None:
    _fill(session_factory, 6)
    with session_factory() as session:  # type: ignore[attr-defined]
        session.execute(text("DELETE FROM audit_log WHERE id = 4"))
    with session_factory() as session:  # type: ignore[attr-defined]
        report = verify_chain(session=session)
    assert report.first_broken == 5


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crowdguard", *args], capture_output=True, text=True, check=False
    )


def test_cli_verify_exits_0_then_1_naming_the_row(tmp_path: Path) -> None:
    data = tmp_path / "data"
    added = subprocess.run(
        [
            sys.executable,
            "-m",
            "crowdguard",
            "user",
            "add",
            "admin",
            "--role",
            "admin",
            "--password-stdin",
            "--data-dir",
            str(data),
        ],
        input="a long enough password\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    for name in ("planner-a", "planner-b"):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "crowdguard",
                "user",
                "add",
                name,
                "--role",
                "planner",
                "--password-stdin",
                "--data-dir",
                str(data),
            ],
            input="a long enough password\n",
            capture_output=True,
            text=True,
            check=True,
        )
    ok = _cli("audit", "verify", "--data-dir", str(data))
    assert ok.returncode == 0, ok.stderr
    assert "intact" in ok.stdout

    import sqlite3

    with sqlite3.connect(data / "crowdguard.sqlite3") as conn:
        conn.execute('UPDATE audit_log SET detail = \'{"role":"admin"}\' WHERE id = 2')
    broken = _cli("audit", "verify", "--data-dir", str(data))
    assert broken.returncode == 1
    assert "row 2" in broken.stdout
    assert "Traceback" not in broken.stderr


def test_cli_verify_without_a_store_is_a_usage_error(tmp_path: Path) -> None:
    result = _cli("audit", "verify", "--data-dir", str(tmp_path / "empty"))
    assert result.returncode == 2
    assert "--data-dir" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "empty").exists()  # verifying creates no empty store


# -- Checkpoints: truncation and a recomputed chain are caught (issue 12, item 14) ---------


def _recompute_from(session: Session, first: int) -> None:
    """What an attacker with write access does after editing row ``first``: recompute every
    hash from there so the chain verifies again."""
    from crowdguard.audit.service import _content, row_hash

    rows = session.scalars(select(AuditRow).where(AuditRow.id >= first).order_by(AuditRow.id))
    previous = session.scalar(select(AuditRow.hash).where(AuditRow.id == first - 1)) or GENESIS
    for row in rows:
        row.prev_hash = previous
        row.hash = row_hash(previous, _content(row))
        previous = row.hash
        session.flush()


def test_a_checkpoint_catches_truncation_and_a_recomputed_chain(
    session_factory: Callable[[], Iterator[Session]],
) -> None:
    from crowdguard.audit.checkpoint import check_checkpoint, make_checkpoint

    key, other_key = b"k" * 32, b"o" * 32
    _fill(session_factory, 6)
    with session_factory() as session:  # type: ignore[attr-defined]
        mark = make_checkpoint(session, key, NOW)
        assert mark.rows == 6 and check_checkpoint(session, mark, key) is None
        assert "does not verify" in str(check_checkpoint(session, mark, other_key))
        forged = type(mark)(mark.rows - 2, mark.head, mark.at, mark.key_id, mark.mac)
        assert "does not verify" in str(check_checkpoint(session, forged, key))
    _fill(session_factory, 2)  # the chain grows past the checkpoint: still extends it
    with session_factory() as session:  # type: ignore[attr-defined]
        assert check_checkpoint(session, mark, key) is None

    with session_factory() as session:  # type: ignore[attr-defined]
        session.execute(text("DELETE FROM audit_log WHERE id > 5"))  # the newest three
    with session_factory() as session:  # type: ignore[attr-defined]
        assert verify_chain(session=session).intact  # the chain alone cannot tell
        assert "newest 1 row(s) were removed" in str(check_checkpoint(session, mark, key))

    _fill(session_factory, 1)  # back to 6 rows, then rewrite row 3 and recompute
    with session_factory() as session:  # type: ignore[attr-defined]
        row = session.get(AuditRow, 3)
        assert row is not None
        row.detail = {"fields": ["name"], "i": 99}
        _recompute_from(session, 3)
    with session_factory() as session:  # type: ignore[attr-defined]
        assert verify_chain(session=session).intact
        assert "rewritten and the chain recomputed" in str(check_checkpoint(session, mark, key))


def test_cli_checkpoint_then_verify_fails_once_rows_are_dropped(tmp_path: Path) -> None:
    data, outside = tmp_path / "data", tmp_path / "vault"
    outside.mkdir()
    key, marks = outside / "audit.key", outside / "checkpoints.jsonl"
    for name in ("admin", "planner-a"):
        subprocess.run(
            [sys.executable, "-m", "crowdguard", "user", "add", name, "--role", "admin",
             "--password-stdin", "--data-dir", str(data)],
            input="a long enough password\n", capture_output=True, text=True, check=True,
        )  # fmt: skip
    made = _cli("audit", "keygen", str(key))
    assert made.returncode == 0 and oct(key.stat().st_mode & 0o777) == "0o600", made.stderr
    assert _cli("audit", "keygen", str(key)).returncode == 2  # never overwritten
    wrote = _cli(
        "audit", "checkpoint", "--key", str(key), "--out", str(marks), "--data-dir", str(data)
    )
    assert wrote.returncode == 0, wrote.stderr
    assert json.loads(marks.read_text())["rows"] == 2
    ok = _cli(
        "audit", "verify", "--checkpoint", str(marks), "--key", str(key), "--data-dir", str(data)
    )
    assert ok.returncode == 0 and "extends 1 checkpoint" in ok.stdout, ok.stdout + ok.stderr

    import sqlite3

    with sqlite3.connect(data / "crowdguard.sqlite3") as conn:
        conn.execute("DELETE FROM audit_log WHERE id = 2")
    plain = _cli("audit", "verify", "--data-dir", str(data))
    assert plain.returncode == 0  # without the anchor, a cut tail looks intact
    cut = _cli(
        "audit", "verify", "--checkpoint", str(marks), "--key", str(key), "--data-dir", str(data)
    )
    assert cut.returncode == 1 and "removed" in cut.stdout, cut.stdout

    beside = data / "audit.key"  # a key in the store's own folder protects nothing
    beside.write_text(key.read_text())
    beside.chmod(0o600)
    refused = _cli("audit", "checkpoint", "--key", str(beside), "--data-dir", str(data))
    assert refused.returncode == 2 and "inside the store's folder" in refused.stderr


def test_the_server_writes_a_checkpoint_at_start_and_at_stop(
    settings: Any, engine: Any, clock: Any, tmp_path_factory: Any
) -> None:
    """``serve --audit-checkpoint FILE --audit-key KEY``: one line when the server starts,
    one more at stop if the chain grew, each verifying against the store."""
    import dataclasses

    from fastapi.testclient import TestClient

    from crowdguard.api.app import create_app
    from crowdguard.audit.checkpoint import check_checkpoint, create_key, load_key, read_checkpoints
    from crowdguard.store.db import make_sessionmaker, session_scope

    vault = tmp_path_factory.mktemp("vault")  # outside the store's folder
    key, marks = vault / "audit.key", vault / "checkpoints.jsonl"
    create_key(key)
    configured = dataclasses.replace(settings, audit_checkpoint_file=marks, audit_key_file=key)
    app = create_app(configured, clock=clock, engine=engine)
    with TestClient(app) as client:
        assert len(read_checkpoints(marks)) == 1  # written at start
        client.post("/api/v1/auth/token", data={"username": "nobody", "password": "x" * 12})
    written = read_checkpoints(marks)
    assert len(written) == 2 and written[1].rows > written[0].rows  # the failed login's row
    with session_scope(make_sessionmaker(engine)) as session:
        assert all(check_checkpoint(session, m, load_key(key)) is None for m in written)
