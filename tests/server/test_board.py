"""The live board: server-sent events over a real uvicorn server (in a thread, on a loopback
port, with the test's app and fake clock), on SQLite and PostgreSQL (``db_url``).

Every read has a timeout, so a missing event fails the test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from served import free_port
from sqlalchemy import Engine, text
from test_dispatch_api import NOON, store_world

from crowdguard.api.events import QUEUE_LIMIT, BoardEvent, EventBus, publish_after_commit
from crowdguard.store.clock import FakeClock
from crowdguard.store.db import make_sessionmaker
from crowdguard.users.models import Role

Headers = dict[str, str]
READ_TIMEOUT = 10.0


@pytest.fixture
def world(engine: Engine, clock: FakeClock) -> None:
    store_world(engine, clock)


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """``app`` on a real uvicorn server in a thread; yields its base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=free_port(), log_level="warning", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


class Events:
    """Read ``text/event-stream`` messages (WHATWG HTML, server-sent events) from a response."""

    def __init__(self, response: httpx.Response) -> None:
        self._lines = response.iter_lines()

    def next(self) -> tuple[str, Any]:
        """The next message: ``(event, data)``, or ``(":", comment)`` for a comment line."""
        name, data = "message", []
        for line in self._lines:
            if line.startswith(":"):
                return ":", line[1:].strip()
            if line == "":
                if data:
                    return name, json.loads("\n".join(data))
                continue
            field, _, value = line.partition(":")
            if field == "event":
                name = value.strip()
            elif field == "data":
                data.append(value.strip())
        raise EOFError("the stream ended")

    def until(self, kind: str, match: Callable[[Any], bool] = lambda _: True) -> Any:
        """Skip messages until one of ``kind`` whose data matches; returns its data."""
        deadline = time.monotonic() + READ_TIMEOUT
        while time.monotonic() < deadline:
            name, data = self.next()
            if name == kind and match(data):
                return data
        raise AssertionError(f"no {kind} event within {READ_TIMEOUT} s")


def _stream(client: httpx.Client, headers: Headers) -> Any:
    return client.stream("GET", "/api/v1/board/stream", headers=headers)


def test_control_sees_report_and_unit_changes_live_and_only_once_committed(
    app: FastAPI, client: TestClient, world: None, as_role: Callable[..., Headers]
) -> None:
    control = as_role(Role.control)
    admin = as_role(Role.admin, username="boss")
    with (
        serving(app) as url,
        httpx.Client(base_url=url, timeout=READ_TIMEOUT) as http,
        _stream(http, control) as response,
        _stream(http, admin) as admin_response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events, admin_events = Events(response), Events(admin_response)
        assert events.next()[0] == "hello"
        assert admin_events.next()[0] == "hello"

        # The public reports a concern (no token) while the board is open.
        report = {
            "category": "attack_in_progress",
            "location": {"venue_id": "ryde-market"},
            "observed_at": (NOON - dt.timedelta(minutes=1)).isoformat(),
            "description": "Man with a knife chasing people now",
            "contact": {"phone": "+44 7700 900456"},
        }
        created = httpx.post(f"{url}/api/v1/reports", json=report, timeout=READ_TIMEOUT)
        assert created.status_code == 201, created.text
        reference = created.json()["reference"]
        seen = events.until("report-created", lambda d: d["reference"] == reference)
        # Published after the commit: another connection can already read the report.
        assert http.get(f"/api/v1/reports/{reference}", headers=control).status_code == 200
        assert (seen["grade"], seen["code"], seen["venue_id"]) == (
            "immediate",
            "P1",
            "ryde-market",
        )
        assert "+44 7700 900456" not in json.dumps(seen)  # the board never shows contact
        assert admin_events.until("report-created")["reference"] == reference
        regraded = http.post(
            f"/api/v1/reports/{reference}/grade",
            json={"grade": "priority", "reason": "Caller rang back: it was a toy"},
            headers=control,
        )
        assert regraded.status_code == 200, regraded.text
        graded = events.until("report-graded", lambda d: d["reference"] == reference)
        assert (graded["grade"], graded["code"]) == ("priority", "P2")

        sent = http.post(
            "/api/v1/dispatch/assign",
            json={"unit": "arv-2", "report": reference},
            headers=control,
        )
        assert sent.status_code == 200, sent.text
        unit = events.until("unit-state", lambda d: d["callsign"] == "arv-2")
        assert unit["state"] == "en_route"
        task = events.until("task-state")
        assert (task["report_ref"], task["state"]) == (reference, "en_route")
        updated = events.until("report-updated", lambda d: d["reference"] == reference)
        assert updated["status"] == "assigned"

        # A refused change publishes nothing: the next event is the later valid one.
        refused = http.post(
            "/api/v1/dispatch/units/arv-2/state", json={"state": "off_duty"}, headers=control
        )
        assert refused.status_code == 409
        arrived = http.post(
            "/api/v1/dispatch/units/arv-2/state", json={"state": "on_scene"}, headers=control
        )
        assert arrived.status_code == 200
        name, data = events.next()
        assert (name, data["callsign"], data["state"]) == ("unit-state", "arv-2", "on_scene")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("role", [Role.planner, Role.officer, Role.organiser, Role.analyst])
def test_the_stream_refuses_every_other_role_and_the_public(
    client: TestClient, world: None, as_role: Callable[..., Headers], role: Role
) -> None:
    # Refusals answer at once (no stream is opened), so the in-process client suffices.
    refused = client.get("/api/v1/board/stream", headers=as_role(role))
    assert refused.status_code == 403 and "control" in refused.json()["detail"]
    anonymous = client.get("/api/v1/board/stream")
    assert anonymous.status_code == 401
    bogus = client.get("/api/v1/board/stream", headers={"Authorization": "Bearer nope"})
    assert bogus.status_code == 401


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_heartbeats_flow_and_the_stream_ends_once_the_token_is_revoked(
    app: FastAPI, world: None, as_role: Callable[..., Headers]
) -> None:
    app.state.board_bus = EventBus(heartbeat_seconds=0.3)
    control = as_role(Role.control)
    with (
        serving(app) as url,
        httpx.Client(base_url=url, timeout=READ_TIMEOUT) as http,
        _stream(http, control) as response,
    ):
        events = Events(response)
        hello = events.next()
        assert hello[0] == "hello" and hello[1]["heartbeat_seconds"] == 0.3
        assert events.next()[0] == "heartbeat"
        assert http.post("/api/v1/auth/logout", headers=control).status_code == 204
        assert events.until("end")["reason"] == "log in again"
        with pytest.raises(EOFError):
            events.next()
    assert app.state.board_bus.subscribers == 0


def test_a_rolled_back_change_is_never_published(engine: Engine) -> None:
    sessions = make_sessionmaker(engine)

    async def run() -> list[str]:
        bus = EventBus()
        sub = bus.subscribe()
        with sessions() as session:
            session.execute(text("SELECT 1"))
            publish_after_commit(session, bus, BoardEvent.note("end", reason="rolled back"))
            session.rollback()
            session.execute(text("SELECT 1"))
            publish_after_commit(session, bus, BoardEvent.note("heartbeat", reason="committed"))
            session.commit()
            session.execute(text("SELECT 1"))
            session.commit()  # a later commit does not resend anything
        await asyncio.sleep(0.05)
        kinds = []
        while not sub.queue.empty():
            item = sub.queue.get_nowait()
            assert item is not None
            kinds.append(str(item.data.reason))  # type: ignore[union-attr]
        return kinds

    assert asyncio.run(run()) == ["committed"]


def test_a_subscriber_that_falls_behind_is_dropped_not_buffered_without_bound() -> None:
    async def run() -> tuple[int, int, bool]:
        bus = EventBus()
        slow, quick = bus.subscribe(), bus.subscribe()
        for i in range(QUEUE_LIMIT + 5):
            bus.publish(BoardEvent.note("heartbeat", reason=str(i)))
            if not quick.queue.empty():
                quick.queue.get_nowait()
            await asyncio.sleep(0)
        await asyncio.sleep(0.05)
        return slow.queue.qsize(), bus.subscribers, slow.dropped

    size, subscribers, dropped = asyncio.run(run())
    assert dropped and size == 1  # only the end-of-stream marker is left
    assert subscribers == 1  # the quick one stays


def test_closing_the_bus_ends_every_stream_and_refuses_new_ones() -> None:
    async def run() -> tuple[list[str], list[str], int]:
        bus = EventBus()
        open_stream = bus.subscribe()
        bus.publish(BoardEvent.note("heartbeat"))
        await asyncio.sleep(0.01)
        bus.close()
        bus.close()  # idempotent
        await asyncio.sleep(0.01)

        def drain(sub: Any) -> list[str]:
            seen = []
            while not sub.queue.empty():
                item = sub.queue.get_nowait()
                seen.append("<end>" if item is None else item.kind)
            return seen

        return drain(open_stream), drain(bus.subscribe()), bus.subscribers

    before, after, subscribers = asyncio.run(run())
    assert before == ["closing", "<end>"]  # what was queued is dropped: the page reloads
    assert after == ["closing", "<end>"]
    assert subscribers == 0


def test_an_event_carries_the_payload_its_kind_names() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="carries a ReportBoardSummary"):
        BoardEvent(kind="report-created", data=BoardEvent.note("hello").data)
