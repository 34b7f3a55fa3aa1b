"""Request hygiene middleware: a body-size cap (413) and no NUL characters (400).

A pure ASGI middleware (https://www.starlette.io/middleware/#pure-asgi-middleware) so the
limit applies while the body streams in, whether or not ``Content-Length`` is sent.
NUL characters are refused because PostgreSQL text cannot hold them.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["RequestLimits"]


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
        if b"\x00" in data or b"\\u0000" in data or b"%00" in data:
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
