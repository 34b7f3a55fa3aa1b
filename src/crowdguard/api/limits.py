"""Request hygiene middleware: a body-size cap (413), no NUL characters (400), a gate.

A pure ASGI middleware (https://www.starlette.io/middleware/#pure-asgi-middleware) so the
limit applies while the body streams in, whether or not ``Content-Length`` is sent.
NUL characters are refused because PostgreSQL text cannot hold them.
"""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ConcurrencyGate", "RequestLimits"]


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
        form = any(
            name == b"content-type" and value.startswith(b"application/x-www-form-urlencoded")
            for name, value in scope.get("headers", [])
        )
        if b"\x00" in data or b"\\u0000" in data or (form and b"%00" in data):
            await _reply(send, 400, "body: NUL characters are not allowed")
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


async def _reply(send: Send, status: int, detail: str) -> None:
    payload = json.dumps({"detail": detail}).encode()
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


class ConcurrencyGate:
    """Admit at most ``max_in_flight`` database-touching requests at once; queue the rest.

    Sync routes and dependencies run in AnyIO's worker-thread pool (40 threads), one hop
    per dependency. If every worker blocks on a database lock (SQLite's single writer,
    the audit chain's advisory lock) or on a pooled connection while the request holding
    that lock waits for a free worker to run its next hop, nothing moves until a timeout.
    Waiting here, on the event loop, holds no worker and no connection, so that cannot
    happen: keep ``max_in_flight`` below both the worker count and the connection pool.
    SQLite gets 1 (it has one writer anyway and every authenticated request writes).
    """

    def __init__(self, app: ASGIApp, *, max_in_flight: int, exempt: tuple[str, ...] = ()) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.exempt = exempt
        self._gate: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "").endswith(self.exempt):
            await self.app(scope, receive, send)
            return
        if self._gate is None:
            self._gate = asyncio.Semaphore(self.max_in_flight)
        async with self._gate:
            await self.app(scope, receive, send)
