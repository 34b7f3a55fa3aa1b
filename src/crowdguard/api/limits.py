"""Request hygiene middleware: a body-size cap (413), no NUL characters (400), no
non-finite numbers or deep nesting in JSON (422 naming the field), a gate.

A pure ASGI middleware (https://www.starlette.io/middleware/#pure-asgi-middleware) so the
limit applies while the body streams in, whether or not ``Content-Length`` is sent.
NUL characters are refused because PostgreSQL text cannot hold them; ``NaN``, ``Infinity``
and ``1e999`` because JSON has no such numbers (RFC 8259 section 6), nothing CrowdGuard
stores is infinite, and Python's parser would otherwise accept them
(:mod:`crowdguard.safeinput`).
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections import deque
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future
from contextlib import asynccontextmanager, contextmanager

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crowdguard.safeinput import MAX_DEPTH, UnsafeInput, load_json

__all__ = ["GATE_SLOT", "ConcurrencyGate", "DatabaseGate", "GateSlot", "RequestLimits"]

GATE_SLOT = "crowdguard.gate_slot"
"""Key of the request's :class:`GateSlot` in the ASGI scope's ``state``."""


class RequestLimits:
    """Refuse bodies over ``max_body_bytes`` with 413 and NUL bytes with 400."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if b"%00" in scope.get("query_string", b"") or "\x00" in scope.get("path", ""):
            await _reply(send, 400, "NUL characters are not allowed in the URL")
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _reply(send, 400, "Content-Length: not an integer")
                    return
                if declared > self.max_body_bytes:
                    await _reply(send, 413, self._too_large())
                    return
        # Read the whole (bounded) body first, so a refusal never follows a partial read.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_body_bytes:
                await _reply(send, 413, self._too_large())
                return
            chunks.append(body)
            more = message.get("more_body", False)
        data = b"".join(chunks)
        media = _media_type(scope)
        form = media == b"application/x-www-form-urlencoded"
        if b"\x00" in data or b"\\u0000" in data or (form and b"%00" in data):
            await _reply(send, 400, "body: NUL characters are not allowed")
            return
        if data and (media == b"application/json" or media.endswith(b"+json")):
            problem = _json_problem(data)
            if problem is not None:
                await _reply_invalid(send, problem)
                return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": data, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _too_large(self) -> str:
        return f"body: larger than the {self.max_body_bytes} byte limit"


def _media_type(scope: Scope) -> bytes:
    """The request's media type, lower case, without parameters (RFC 9110 section 8.3.1:
    type and subtype are case-insensitive, so ``Application/JSON`` is JSON)."""
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return bytes(value.split(b";", 1)[0].strip().lower())
    return b""


_MAYBE_NON_FINITE = re.compile(rb"NaN|Infinity|\d[eE]|\d{300}")


def _json_problem(data: bytes) -> UnsafeInput | None:
    """A non-finite number (``NaN``, ``Infinity``, ``1e999``) or nesting past
    :data:`~crowdguard.safeinput.MAX_DEPTH` in a JSON body, with its path; None otherwise
    (malformed JSON is left to FastAPI's own 422). Cheap tests first: a body with neither a
    candidate spelling nor enough brackets to nest that deep is not parsed here at all."""
    deep = data.count(b"[") + data.count(b"{") > MAX_DEPTH
    if not deep and _MAYBE_NON_FINITE.search(data) is None:
        return None
    try:
        load_json(data)
    except UnsafeInput as problem:
        return problem
    except ValueError:  # malformed (or not UTF-8): FastAPI answers it as it always has
        return None
    return None


async def _reply_invalid(send: Send, problem: UnsafeInput) -> None:
    """422 in FastAPI's validation shape, naming the field (``loc`` from ``body``)."""
    kind = "json_too_deep" if "nested" in problem.reason else "finite_number"
    error = {"loc": ["body", *problem.path], "msg": problem.reason, "type": kind}
    await _send_json(send, 422, {"detail": [error]})


async def _reply(send: Send, status: int, detail: str) -> None:
    await _send_json(send, status, {"detail": detail})


async def _send_json(send: Send, status: int, body: object) -> None:
    payload = json.dumps(body, allow_nan=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class DatabaseGate:
    """At most ``slots`` holders at once, served first come first served, whether they wait
    on an event loop (requests, through :class:`ConcurrencyGate`) or in a thread of their own
    (the report intake writer, :class:`crowdguard.reports.intake.IntakeWriter`).

    One gate shared by both means the writer's batches and the control room's requests take
    turns on SQLite's single writer lock in arrival order, instead of meeting at SQLite's
    busy handler, which polls with sleeps of up to 100 ms and would let back-to-back
    batches starve a waiting request during a surge. Waiters are ``concurrent.futures``
    futures, so an event-loop waiter holds no thread and the gate works across loops.
    """

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError(f"slots must be at least 1, got {slots}")
        self.slots = slots
        self._free = slots
        self._waiters: deque[Future[None]] = deque()
        self._lock = threading.Lock()

    def _enqueue(self) -> Future[None] | None:
        """Take a slot now (None), or join the queue (a future set when a slot is handed over)."""
        with self._lock:
            if self._free > 0 and not self._waiters:
                self._free -= 1
                return None
            waiter: Future[None] = Future()
            self._waiters.append(waiter)
            return waiter

    async def acquire(self) -> None:
        """Wait on the event loop for a slot (cancellable: a cancelled waiter frees its turn)."""
        waiter = self._enqueue()
        if waiter is None:
            return
        try:
            await asyncio.wrap_future(waiter)
        except asyncio.CancelledError:
            if not waiter.cancel():  # the slot was handed over as we were cancelled
                self.release()
            raise

    def acquire_blocking(self) -> None:
        """Wait in the calling thread for a slot (never call this on an event loop)."""
        waiter = self._enqueue()
        if waiter is not None:
            waiter.result()

    def release(self) -> None:
        """Hand the slot to the longest waiter still waiting, else free it."""
        with self._lock:
            while self._waiters:
                waiter = self._waiters.popleft()
                if waiter.set_running_or_notify_cancel():
                    waiter.set_result(None)
                    return
            self._free += 1

    @asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """``async with gate.held():`` one slot for the block."""
        await self.acquire()
        try:
            yield
        finally:
            self.release()

    @contextmanager
    def held_blocking(self) -> Iterator[None]:
        """``with gate.held_blocking():`` one slot for the block, from a thread."""
        self.acquire_blocking()
        try:
            yield
        finally:
            self.release()


class GateSlot:
    """The gate slot one request holds, which the request may give back early (once).

    A request that has committed everything it writes and then computes for a while (the
    control room's re-plan solves a MILP for seconds) calls :meth:`release` so others can
    use the database meanwhile; the middleware's own release at the end is then a no-op.
    Thread-safe: sync routes run in worker threads.
    """

    def __init__(self, gate: DatabaseGate) -> None:
        self._gate = gate
        self._held = True
        self._lock = threading.Lock()

    def release(self) -> None:
        """Give the slot back (idempotent)."""
        with self._lock:
            if not self._held:
                return
            self._held = False
        self._gate.release()


class ConcurrencyGate:
    """Admit at most ``max_in_flight`` database-touching requests at once; queue the rest.

    Sync routes and dependencies run in AnyIO's worker-thread pool (40 threads), one hop
    per dependency. If every worker blocks on a database lock (SQLite's single writer,
    the audit chain's advisory lock) or on a pooled connection while the request holding
    that lock waits for a free worker to run its next hop, nothing moves until a timeout.
    Waiting here, on the event loop, holds no worker and no connection, so that cannot
    happen: keep ``max_in_flight`` below both the worker count and the connection pool.
    SQLite gets 1 (it has one writer anyway and every authenticated request writes).

    ``gate`` shares the slots with other holders (the report intake writer takes one per
    batch); without it the middleware makes its own :class:`DatabaseGate`. Paths ending in
    one of ``exempt``, starting with one of ``exempt_prefixes`` (static files, the base map)
    and the exact ``(method, path)`` pairs of ``exempt_requests`` pass without a slot: they must not touch the database from a worker thread (the public
    report intake awaits the writer on the event loop instead). The slot is in the scope's
    ``state`` under :data:`GATE_SLOT`, for a request that gives it back early.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_in_flight: int | None = None,
        gate: DatabaseGate | None = None,
        exempt: tuple[str, ...] = (),
        exempt_requests: tuple[tuple[str, str], ...] = (),
        exempt_prefixes: tuple[str, ...] = (),
    ) -> None:
        if gate is None:
            if max_in_flight is None:
                raise ValueError("ConcurrencyGate needs max_in_flight or a gate")
            gate = DatabaseGate(max_in_flight)
        self.app = app
        self.gate = gate
        self.max_in_flight = gate.slots
        self.exempt = exempt
        self.exempt_requests = frozenset(exempt_requests)
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._exempt(scope):
            await self.app(scope, receive, send)
            return
        await self.gate.acquire()
        slot = GateSlot(self.gate)
        scope.setdefault("state", {})[GATE_SLOT] = slot
        try:
            await self.app(scope, receive, send)
        finally:
            slot.release()

    def _exempt(self, scope: Scope) -> bool:
        path: str = scope.get("path", "")
        return (
            path.endswith(self.exempt)
            or (scope.get("method"), path) in self.exempt_requests
            or path.startswith(self.exempt_prefixes)
        )
