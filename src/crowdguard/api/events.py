"""Live events for the control room: one typed event model, one bus, one stream.

Every change the board shows (a report stored, graded or updated, a unit's or a task's
state) is a :class:`BoardEvent`: a ``kind`` and a typed payload (the report's
:class:`~crowdguard.reports.models.ReportBoardSummary`, the dispatch domain's
:class:`~crowdguard.dispatch.models.UnitPublic` or
:class:`~crowdguard.dispatch.models.TaskPublic`, or a :class:`StreamNote` of the stream's
own). Domain routers build events and hand them to :func:`publish_after_commit`; nothing
outside this module knows how they travel.

The stream is the WHATWG HTML Standard's server-sent events
(https://html.spec.whatwg.org/multipage/server-sent-events.html): ``event: KIND`` and
``data: JSON`` lines ended by a blank line, read by the browser's ``EventSource`` (the page's
session cookie authenticates it; a bearer token works too for other clients).

* A ``hello`` opens every stream, saying the heartbeat interval; a ``heartbeat`` follows
  every ``heartbeat_seconds`` (default 15 s) once the caller's token has been checked again
  (OWASP Session Management Cheat Sheet: revocation must reach open sessions). A page that
  hears nothing for a few intervals knows the server is gone, says so, and reconnects; on
  reconnecting it reloads its lists, since events are not replayed (no ``id:`` field).
* ``end``: the token was revoked or expired, or the account disabled or moved to a role
  that may not watch the board: log in again.
* ``closing``: the server is stopping (``crowdguard serve`` got SIGTERM). Every stream ends
  at once, so a graceful shutdown does not wait for open boards, and the pages reconnect to
  the next server and reload (issue 12, item 13: a restarted server's reports used to be
  missed by a board that still said "Live").

Events are published only **after** the transaction that caused them commits (a SQLAlchemy
``after_commit`` session event), so the board never shows a change that was rolled back.
The bus is per server process and in memory. Each subscriber has a bounded queue; one that
falls :data:`QUEUE_LIMIT` events behind is dropped (its stream ends and the page
reconnects), so a stalled client never holds memory.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Annotated, Literal, get_args

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, model_validator
from sqlalchemy import event
from sqlalchemy.orm import Session

from crowdguard.api.auth import Principal, require
from crowdguard.api.deps import ContextDep
from crowdguard.dispatch.models import TaskPublic, UnitPublic
from crowdguard.reports.models import ReportBoardSummary
from crowdguard.store.db import session_scope
from crowdguard.store.errors import UnauthenticatedError
from crowdguard.users import service as users
from crowdguard.users.models import Role

__all__ = [
    "BOARD_ROLES",
    "QUEUE_LIMIT",
    "BoardEvent",
    "BusDep",
    "EventBus",
    "EventKind",
    "StreamNote",
    "get_bus",
    "publish_after_commit",
    "router",
]

QUEUE_LIMIT = 1000
RETRY_MS = 2000
"""``retry:`` sent to ``EventSource``: wait this long before reconnecting."""

EventKind = Literal[
    "report-created",
    "report-graded",
    "report-updated",
    "unit-state",
    "task-state",
    "hello",
    "heartbeat",
    "end",
    "closing",
]
"""Every kind of message on the board's stream."""


class StreamNote(BaseModel):
    """The stream's own messages: ``hello`` (with ``heartbeat_seconds``), ``heartbeat``,
    ``end`` and ``closing`` (with a ``reason`` in words)."""

    model_config = ConfigDict(frozen=True)

    at: dt.datetime
    reason: str | None = None
    heartbeat_seconds: float | None = None


Payload = ReportBoardSummary | UnitPublic | TaskPublic | StreamNote
_PAYLOADS: dict[str, type[BaseModel]] = {
    "report-created": ReportBoardSummary,
    "report-graded": ReportBoardSummary,
    "report-updated": ReportBoardSummary,
    "unit-state": UnitPublic,
    "task-state": TaskPublic,
    "hello": StreamNote,
    "heartbeat": StreamNote,
    "end": StreamNote,
    "closing": StreamNote,
}
assert set(_PAYLOADS) == set(get_args(EventKind))


class BoardEvent(BaseModel):
    """One message for the board: its ``kind`` and the payload that kind carries."""

    model_config = ConfigDict(frozen=True)

    kind: EventKind
    data: Payload

    @model_validator(mode="after")
    def _payload_fits_kind(self) -> BoardEvent:
        expected = _PAYLOADS[self.kind]
        if not isinstance(self.data, expected):
            raise ValueError(
                f"data: a {self.kind!r} event carries a {expected.__name__}, "
                f"not a {type(self.data).__name__}"
            )
        return self

    @classmethod
    def note(
        cls,
        kind: EventKind,
        *,
        reason: str | None = None,
        heartbeat_seconds: float | None = None,
    ) -> BoardEvent:
        """A stream message of the stream's own (``hello``, ``heartbeat``, ``end``,
        ``closing``), stamped now."""
        note = StreamNote(
            at=dt.datetime.now(dt.UTC), reason=reason, heartbeat_seconds=heartbeat_seconds
        )
        return cls(kind=kind, data=note)

    def encode(self) -> str:
        """The ``text/event-stream`` form of this event."""
        return f"event: {self.kind}\ndata: {self.data.model_dump_json()}\n\n"


@dataclass
class _Subscriber:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[BoardEvent | None]
    dropped: bool = False


@dataclass
class EventBus:
    """Fan-out of board events to every connected stream (thread-safe publish).

    :meth:`close` ends every stream with a ``closing`` event and refuses new ones: the
    server calls it when it starts to stop.
    """

    heartbeat_seconds: float = 15.0
    _subscribers: list[_Subscriber] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _closing: str | None = None

    def subscribe(self) -> _Subscriber:
        """Register a stream running on the current event loop (already ended when the
        bus is closing)."""
        sub = _Subscriber(asyncio.get_running_loop(), asyncio.Queue(maxsize=QUEUE_LIMIT))
        with self._lock:
            closing = self._closing
            if closing is None:
                self._subscribers.append(sub)
        if closing is not None:
            sub.queue.put_nowait(BoardEvent.note("closing", reason=closing))
            sub.queue.put_nowait(None)
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

    @property
    def closing(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._closing is not None

    def publish(self, item: BoardEvent) -> None:
        """Send ``item`` to every stream (callable from any thread)."""
        with self._lock:
            subs = list(self._subscribers)
        for sub in subs:
            sub.loop.call_soon_threadsafe(self._offer, sub, item)

    def close(self, reason: str = "the server is stopping") -> None:
        """End every stream (a ``closing`` event, then the end) and refuse new ones.
        Callable from any thread; idempotent."""
        with self._lock:
            if self._closing is not None:
                return
            self._closing = reason
            subs = list(self._subscribers)
            self._subscribers.clear()
        goodbye = BoardEvent.note("closing", reason=reason)
        for sub in subs:
            sub.loop.call_soon_threadsafe(self._finish, sub, goodbye)

    @staticmethod
    def _finish(sub: _Subscriber, goodbye: BoardEvent) -> None:
        while not sub.queue.empty():
            sub.queue.get_nowait()
        sub.queue.put_nowait(goodbye)
        sub.queue.put_nowait(None)

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


def get_bus(request: Request) -> EventBus:
    """The app's event bus (made by :func:`crowdguard.api.app.create_app`)."""
    bus: EventBus = request.app.state.board_bus
    return bus


BusDep = Annotated[EventBus, Depends(get_bus)]


def publish_after_commit(session: Session, bus: EventBus, *items: BoardEvent) -> None:
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
    request: Request, bus: EventBus, still_allowed: Callable[[], bool]
) -> AsyncIterator[str]:
    sub = bus.subscribe()
    try:
        yield f"retry: {RETRY_MS}\n\n"
        yield BoardEvent.note("hello", heartbeat_seconds=bus.heartbeat_seconds).encode()
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
                        yield BoardEvent.note("end", reason="log in again").encode()
                        return
                    last = time.monotonic()
                    yield BoardEvent.note("heartbeat").encode()
                continue
            if item is None:  # dropped for falling behind, or the server is stopping
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
    """Server-sent events (control room and admins only): ``report-created``,
    ``report-graded``, ``report-updated`` (a report summary), ``unit-state`` (a unit),
    ``task-state`` (a task); and the stream's own ``hello``, ``heartbeat`` (every 15 s,
    after the token is checked again), ``end`` (the token is no longer valid) and
    ``closing`` (the server is stopping: reconnect and reload)."""

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
