"""The report intake writer (group commit) and the database gate it shares with requests,
on SQLite and PostgreSQL (``db_url``): every acknowledged report is stored with its audit
row, one bad report fails only itself, nothing is acknowledged before its commit."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
from fastapi import FastAPI
from server_helpers import TestClient, venue
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from crowdguard.api.app import create_app
from crowdguard.api.limits import DatabaseGate
from crowdguard.audit.service import verify_chain
from crowdguard.audit.tables import AuditRow
from crowdguard.reports import service
from crowdguard.reports.intake import IntakeWriter
from crowdguard.reports.models import ReportPublic, ReportSubmission
from crowdguard.reports.tables import ReportRow
from crowdguard.scenario.schema import Venue
from crowdguard.store.clock import FakeClock
from crowdguard.store.db import make_sessionmaker, session_scope
from crowdguard.store.settings import Settings
from crowdguard.venues import service as venues

NOON = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)


def report(i: int = 0, **changes: Any) -> ReportSubmission:
    """A valid report ``i`` metres north of the market, seen ``i`` seconds after 11:50."""
    body: dict[str, Any] = {
        "category": "unattended_item",
        "location": {"lat": 51.0606 + i / 111_195.0, "lon": -1.3131},
        "observed_at": (NOON - dt.timedelta(minutes=10, seconds=-i)).isoformat(),
        "description": f"Report {i}: a holdall left by the carousel.",
    }
    body.update(changes)
    return ReportSubmission.model_validate(body)


@pytest.fixture
def sessions(engine: Engine, clock: FakeClock) -> sessionmaker[Session]:
    """Sessions on the migrated store, with the Winchester market stored as a venue."""
    factory = make_sessionmaker(engine)
    with session_scope(factory) as session:
        venues.create_venue(
            session=session, venue=Venue.model_validate(venue()), actor="t", now=clock.now()
        )
    return factory


def _stored(sessions: sessionmaker[Session]) -> set[str]:
    with session_scope(sessions) as session:
        return set(session.scalars(select(ReportRow.reference)))


def _audited(sessions: sessionmaker[Session]) -> list[str]:
    with session_scope(sessions) as session:
        rows = session.scalars(
            select(AuditRow.entity_id)
            .where(AuditRow.action == "report.create")
            .order_by(AuditRow.id)
        )
        return list(rows)


def _chain_intact(sessions: sessionmaker[Session]) -> bool:
    with session_scope(sessions) as session:
        return verify_chain(session=session).intact


def test_many_concurrent_submissions_are_all_acknowledged_stored_and_audited(
    sessions: sessionmaker[Session],
) -> None:
    writer = IntakeWriter(sessions=sessions, gate=DatabaseGate(1))
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            futures = list(pool.map(lambda i: writer.enqueue(report(i), now=NOON), range(120)))
            receipts = [f.result(timeout=120) for f in futures]
    finally:
        writer.close()
    references = [r.reference for r in receipts]
    assert len(set(references)) == 120
    assert _stored(sessions) == set(references)
    audited = _audited(sessions)
    assert sorted(audited) == sorted(references)  # one report.create row each
    assert _chain_intact(sessions)
    assert writer.stats.stored == 120 and writer.stats.failed == 0
    assert writer.stats.batches <= 120  # (fewer when reports arrived during a commit)


def test_a_batch_is_one_transaction_in_arrival_order(sessions: sessionmaker[Session]) -> None:
    writer = IntakeWriter(sessions=sessions, autostart=False)
    commits: list[int] = []
    event.listen(sessions, "after_commit", lambda _s: commits.append(1))
    futures = [writer.enqueue(report(i), now=NOON) for i in range(40)]
    assert writer.waiting == 40
    assert writer.drain() == 40
    assert len(commits) == 1 and writer.stats.batches == 1
    assert writer.stats.largest_batch == 40
    references = [f.result(timeout=0).reference for f in futures]
    assert _audited(sessions) == references  # audit rows in arrival order
    assert _chain_intact(sessions)
    with session_scope(sessions) as session:  # each saw the ones before it as stored
        last = session.get(ReportRow, references[-1])
        assert last is not None
        assert len(last.duplicates) == service.DUPLICATE_SUGGESTIONS
        assert set(last.duplicates) == set(references[-11:-1])  # the 10 nearest in time


def test_one_report_that_cannot_be_stored_fails_alone(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_triage = service.triage

    def fragile(control: Any, **kwargs: Any) -> Any:
        if "poison" in control.description:
            raise RuntimeError("a bug this report triggers")
        return real_triage(control, **kwargs)

    monkeypatch.setattr(service, "triage", fragile)
    writer = IntakeWriter(sessions=sessions, autostart=False)
    good = [writer.enqueue(report(i), now=NOON) for i in range(3)]
    bad = writer.enqueue(report(3, description="poison"), now=NOON)
    unknown = writer.enqueue(report(4, location={"venue_id": "nowhere"}), now=NOON)
    more = [writer.enqueue(report(i), now=NOON) for i in range(5, 8)]
    writer.drain()
    with pytest.raises(RuntimeError, match="a bug"):
        bad.result(timeout=0)
    with pytest.raises(service.ReportFieldError, match="nowhere"):
        unknown.result(timeout=0)
    stored = [f.result(timeout=0).reference for f in [*good, *more]]
    assert _stored(sessions) == set(stored)
    assert sorted(_audited(sessions)) == sorted(stored)
    assert _chain_intact(sessions)
    assert writer.stats.fallbacks == 1  # the batch failed once, then each went alone
    assert (writer.stats.stored, writer.stats.failed) == (6, 1)


def test_an_unknown_venue_does_not_fail_the_batch(sessions: sessionmaker[Session]) -> None:
    writer = IntakeWriter(sessions=sessions, autostart=False)
    first = writer.enqueue(report(0), now=NOON)
    unknown = writer.enqueue(report(1, location={"venue_id": "nowhere"}), now=NOON)
    last = writer.enqueue(report(2, location={"venue_id": "winchester-market"}), now=NOON)
    writer.drain()
    assert isinstance(unknown.exception(timeout=0), service.ReportFieldError)
    assert first.result(timeout=0) and last.result(timeout=0)
    assert writer.stats.fallbacks == 0 and writer.stats.batches == 1


def test_nothing_is_acknowledged_before_the_commit(sessions: sessionmaker[Session]) -> None:
    writer = IntakeWriter(sessions=sessions, autostart=False)
    futures: list[Future[ReportPublic]] = []
    seen_at_commit: list[list[bool]] = []

    def before_commit(_: Session) -> None:
        seen_at_commit.append([f.done() for f in futures])

    event.listen(sessions, "before_commit", before_commit)
    futures.extend(writer.enqueue(report(i), now=NOON) for i in range(5))
    writer.drain()
    assert seen_at_commit == [[False] * 5]
    assert all(f.done() and f.exception() is None for f in futures)


def test_a_commit_that_fails_acknowledges_nothing_and_stores_nothing(
    sessions: sessionmaker[Session],
) -> None:
    writer = IntakeWriter(sessions=sessions, autostart=False)

    def disk_full(_: Session) -> None:
        raise OSError("disk full")

    event.listen(sessions, "before_commit", disk_full)
    futures = [writer.enqueue(report(i), now=NOON) for i in range(4)]
    writer.drain()
    event.remove(sessions, "before_commit", disk_full)
    for future in futures:
        with pytest.raises(OSError, match="disk full"):
            future.result(timeout=0)
    assert _stored(sessions) == set()
    assert _audited(sessions) == []
    assert writer.stats.stored == 0 and writer.stats.failed == 4


def test_the_writer_thread_starts_on_demand_and_stops_when_idle(
    sessions: sessionmaker[Session],
) -> None:
    writer = IntakeWriter(sessions=sessions, idle_seconds=0.05)
    assert writer.enqueue(report(0), now=NOON).result(timeout=60)
    deadline = threading.Event()
    for _ in range(200):
        if writer._thread is None:
            break
        deadline.wait(0.02)
    assert writer._thread is None  # idle: gone
    assert writer.enqueue(report(1), now=NOON).result(timeout=60)  # started again
    writer.close()
    with pytest.raises(RuntimeError, match="closed"):
        writer.enqueue(report(2), now=NOON)
    assert len(_stored(sessions)) == 2


def test_honeypot_and_bad_times_are_answered_without_queueing(
    sessions: sessionmaker[Session],
) -> None:
    writer = IntakeWriter(sessions=sessions, autostart=False)
    bot = writer.enqueue(report(0, website="http://spam.example"), now=NOON)
    assert bot.done() and bot.result().reference.startswith("CG-")
    with pytest.raises(service.ReportFieldError, match="observed_at"):
        writer.enqueue(report(0, observed_at="2026-12-06T12:00:00+00:00"), now=NOON)
    assert writer.waiting == 0 and writer.drain() == 0
    assert _stored(sessions) == set()


# --- through the API ---------------------------------------------------------------------


@pytest.fixture
def open_app(
    settings: Settings, engine: Engine, sessions: sessionmaker[Session], clock: FakeClock
) -> FastAPI:
    """The app with the market stored, at noon, with no per-address report limit."""
    clock.set(NOON)
    unlimited = Settings(
        database_url=settings.database_url, data_dir=settings.data_dir, report_rate_per_minute=0
    )
    return create_app(unlimited, clock=clock, engine=engine)


def _body(i: int) -> dict[str, Any]:
    return report(i).model_dump(mode="json", exclude={"website"})


def test_concurrent_posts_are_all_answered_after_being_stored(
    open_app: FastAPI, sessions: sessionmaker[Session]
) -> None:
    with TestClient(open_app) as client:

        def post(i: int) -> str:
            r = client.post("/api/v1/reports", json=_body(i))
            assert r.status_code == 201, r.text
            return str(r.json()["reference"])

        with ThreadPoolExecutor(max_workers=12) as pool:
            references = list(pool.map(post, range(60)))
    assert _stored(sessions) == set(references)
    assert sorted(_audited(sessions)) == sorted(references)
    assert _chain_intact(sessions)


def test_a_full_intake_queue_is_a_503_with_retry_after(
    open_app: FastAPI, sessions: sessionmaker[Session]
) -> None:
    open_app.state.report_intake = IntakeWriter(sessions=sessions, max_queued=0)
    with TestClient(open_app) as client:
        r = client.post("/api/v1/reports", json=_body(0))
    assert r.status_code == 503, r.text
    assert int(r.headers["Retry-After"]) >= 1
    assert "999" in r.json()["detail"]
    assert _stored(sessions) == set()


def test_the_board_hears_of_each_report_after_its_commit(
    open_app: FastAPI, sessions: sessionmaker[Session]
) -> None:
    heard: list[tuple[str, bool]] = []
    bus = open_app.state.board_bus

    def record(item: Any) -> None:
        stored = item.data.reference in _stored(sessions)
        heard.append((item.kind, stored))

    bus.publish = record  # type: ignore[method-assign]
    with TestClient(open_app) as client:
        assert client.post("/api/v1/reports", json=_body(0)).status_code == 201
    assert heard == [("report-created", True)]


# --- the database gate -------------------------------------------------------------------


def test_the_gate_serves_threads_and_event_loop_waiters_in_arrival_order() -> None:
    gate = DatabaseGate(1)
    order: list[str] = []

    async def scenario() -> None:
        await gate.acquire()  # held by the "request" on the loop
        thread_got = threading.Event()

        def writer() -> None:
            gate.acquire_blocking()
            order.append("writer")
            thread_got.set()
            gate.release()

        t = threading.Thread(target=writer)
        t.start()
        while not gate._waiters:  # the writer queued first
            await asyncio.sleep(0.001)
        second = asyncio.create_task(_take(gate, order, "request"))
        await asyncio.sleep(0.01)
        order.append("first request done")
        gate.release()
        await second
        t.join(5)

    asyncio.run(scenario())
    assert order == ["first request done", "writer", "request"]


async def _take(gate: DatabaseGate, order: list[str], name: str) -> None:
    async with gate.held():
        order.append(name)


def test_a_cancelled_waiter_gives_its_turn_to_the_next() -> None:
    gate = DatabaseGate(1)

    async def scenario() -> list[str]:
        order: list[str] = []
        await gate.acquire()
        gone = asyncio.create_task(_take(gate, order, "cancelled"))
        kept = asyncio.create_task(_take(gate, order, "kept"))
        await asyncio.sleep(0.01)
        gone.cancel()
        await asyncio.sleep(0.01)
        gate.release()
        await kept
        with pytest.raises(asyncio.CancelledError):
            await gone
        assert gate._free == 1  # every slot back
        return order

    assert asyncio.run(scenario()) == ["kept"]


def test_the_gate_never_admits_more_than_its_slots() -> None:
    gate = DatabaseGate(2)
    inside = 0
    most = 0
    lock = threading.Lock()

    def hold(_: int) -> None:
        nonlocal inside, most
        with gate.held_blocking():
            with lock:
                inside += 1
                most = max(most, inside)
            threading.Event().wait(0.002)
            with lock:
                inside -= 1

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(hold, range(64)))
    assert most == 2 and gate._free == 2
