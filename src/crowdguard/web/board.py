"""The control-room live board: an in-process event bus and its server-sent events stream.

Server-sent events are the WHATWG HTML Standard's ``text/event-stream`` format
(https://html.spec.whatwg.org/multipage/server-sent-events.html): each message is
``event: NAME`` and ``data: JSON`` lines ended by a blank line; a line starting with ``:``
is a comment, sent every 15 s as a heartbeat so proxies keep the connection open and the
client notices a dead server.

Events are published only **after** the transaction that caused them commits (a
SQLAlchemy ``after_commit`` session event), so the board never shows a report that was
rolled back. The bus is per server process and in memory: a client that connects late
reads the current state from the REST endpoints, then follows the stream. Each subscriber
has a bounded queue; one that falls 1,000 events behind is dropped (its stream ends and
the page reconnects), so a stalled client never holds memory.

A stream outlives the request that authorised it, so at every heartbeat the bearer token is
checked again (OWASP Session Management Cheat Sheet: revocation must take effect on open
sessions): once it is revoked or expired, or the account disabled or moved to a role that
may not watch the board, the stream sends ``event: end`` and closes. Events are not
replayed (no ``id:`` field): a client that reconnects reloads the REST state.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy import event
from sqlalchemy.orm import Session

from crowdguard.api.auth import Principal, require
from crowdguard.api.deps import ContextDep
from crowdguard.store.db import session_scope
from crowdguard.store.errors import UnauthenticatedError
from crowdguard.users import service as users
from crowdguard.users.models import Role

__all__ = [
    "BOARD_ROLES",
    "BoardBus",
    "BoardEvent",
    "BusDep",
    "get_bus",
    "publish_after_commit",
    "router",
]

HEARTBEAT_SECONDS = 15.0
QUEUE_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class BoardEvent:
    """One message for the board: ``kind`` (report-created, report-graded, unit-state...)."""

    kind: str
    data: dict[str, Any]

    def encode(self) -> str:
        """The ``text/event-stream`` form of this event."""
        return f"event: {self.kind}\ndata: {json.dumps(self.data, separators=(',', ':'))}\n\n"


@dataclass
class _Subscriber:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[BoardEvent | None]
    dropped: bool = False


@dataclass
class BoardBus:
    """Fan-out of board events to every connected stream (thread-safe publish)."""

    heartbeat_seconds: float = HEARTBEAT_SECONDS
    _subscribers: list[_Subscriber] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def subscribe(self) -> _Subscriber:
        """Register a stream running on the current event loop."""
        sub = _Subscriber(asyncio.get_running_loop(), asyncio.Queue(maxsize=QUEUE_LIMIT))
        with self._lock:
            self._subscribers.append(sub)
        return sub

    def unsubscribe(self, sub: _Subscriber) -> None:
        """Forget a stream."""
        with self._lock:
            if sub in self._subscribers:
                self._subscribers.remove(sub)

    @property
    def subscribers(self) -> int:
        """How many streams are connected."""
        with self._lock:
            return len(self._subscribers)

    def publish(self, item: BoardEvent) -> None:
        """Send ``item`` to every stream (callable from any thread)."""
        with self._lock:
            subs = list(self._subscribers)
        for sub in subs:
            sub.loop.call_soon_threadsafe(self._offer, sub, item)

    def _offer(self, sub: _Subscriber, item: BoardEvent) -> None:
        if sub.dropped:
            return
        try:
            sub.queue.put_nowait(item)
        except asyncio.QueueFull:
            sub.dropped = True
            self.unsubscribe(sub)
            while not sub.queue.empty():
                sub.queue.get_nowait()
            sub.queue.put_nowait(None)


_BUS_LOCK = threading.Lock()


def get_bus(request: Request) -> BoardBus:
    """The app's board bus (created on first use)."""
    state = request.app.state
    with _BUS_LOCK:
        bus: BoardBus | None = getattr(state, "board_bus", None)
        if bus is None:
            bus = BoardBus()
            state.board_bus = bus
    return bus


BusDep = Annotated[BoardBus, Depends(get_bus)]


def publish_after_commit(session: Session, bus: BoardBus, *items: BoardEvent) -> None:
    """Publish ``items`` once ``session`` commits; never if it rolls back first (the
    listener is then removed, so a later commit of the same session cannot send them)."""
    if not items:
        return

    def send(_: Session) -> None:
        if event.contains(session, "after_rollback", drop):
            event.remove(session, "after_rollback", drop)
        for item in items:
            bus.publish(item)

    def drop(_: Session) -> None:
        if event.contains(session, "after_commit", send):
            event.remove(session, "after_commit", send)

    event.listen(session, "after_commit", send, once=True)
    event.listen(session, "after_rollback", drop, once=True)


BOARD_ROLES = frozenset({Role.admin, Role.control})
"""Who may watch the board."""


async def _stream(
    request: Request, bus: BoardBus, still_allowed: Callable[[], bool]
) -> AsyncIterator[str]:
    sub = bus.subscribe()
    try:
        yield ": connected\n\n"
        last = time.monotonic()
        poll = min(1.0, bus.heartbeat_seconds)
        while True:
            try:
                item = await asyncio.wait_for(sub.queue.get(), timeout=poll)
            except TimeoutError:
                if await request.is_disconnected():
                    return
                if time.monotonic() - last >= bus.heartbeat_seconds:
                    if not await run_in_threadpool(still_allowed):
                        yield BoardEvent("end", {"reason": "token no longer valid"}).encode()
                        return
                    last = time.monotonic()
                    yield ": heartbeat\n\n"
                continue
            if item is None:  # dropped for falling behind
                return
            last = time.monotonic()
            yield item.encode()
    finally:
        bus.unsubscribe(sub)


router = APIRouter(prefix="/board", tags=["board"])
Control = Annotated[Principal, Depends(require(*BOARD_ROLES))]


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "event stream"}},
)
async def stream(
    user: Control, request: Request, bus: BusDep, context: ContextDep
) -> StreamingResponse:
    """Server-sent events: ``report-created``, ``report-graded``, ``report-updated``,
    ``unit-state``, ``task-state`` (control room and admins only).

    A ``: heartbeat`` comment is sent every 15 s, after the bearer token is checked again;
    ``event: end`` closes the stream once the token is revoked or expired.
    """

    def still_allowed() -> bool:
        with session_scope(context.sessions) as session:
            try:
                row = users.user_for_token(
                    session=session, token=user.token, now=context.clock.now()
                )
            except UnauthenticatedError:
                return False
            return Role(row.role) in BOARD_ROLES

    return StreamingResponse(
        _stream(request, bus, still_allowed),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
