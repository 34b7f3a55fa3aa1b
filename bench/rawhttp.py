"""A minimal keep-alive HTTP/1.1 client for load generators on the same 2 cores as the server.

``httpx.AsyncClient`` spends 3-5 ms of CPU a request, which on a 2-core box caps any server
near 200 requests/s and makes a benchmark measure its own client; this one writes
pre-encoded requests for one method and path on reused asyncio connections (about 0.5 ms a
request). It understands exactly what ``crowdguard serve`` answers: a status line, headers
and a ``Content-Length`` body. Not for anything but ``bench/``.
"""

from __future__ import annotations

import asyncio
import time

__all__ = ["KeepAliveClient"]


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer, self.idle_since = reader, writer, time.monotonic()

    def close(self) -> None:
        self.writer.close()


class KeepAliveClient:
    """``await request(body)``: one ``method path`` request on a pooled connection."""

    def __init__(
        self,
        port: int,
        max_connections: int,
        *,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        idle_expiry: float = 2.0,
    ) -> None:
        self.port = port
        self.slots = asyncio.Semaphore(max_connections)
        self.idle: list[_Connection] = []
        self.idle_expiry = idle_expiry
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self.head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}Content-Length: "
        ).encode()

    async def request(self, body: bytes = b"") -> tuple[int, bytes]:
        """Send the request with ``body``; (status, response body)."""
        async with self.slots:
            conn = None
            while self.idle:
                candidate = self.idle.pop()
                if time.monotonic() - candidate.idle_since < self.idle_expiry:
                    conn = candidate
                    break
                candidate.close()
            if conn is None:
                conn = _Connection(*await asyncio.open_connection("127.0.0.1", self.port))
            try:
                conn.writer.write(self.head + str(len(body)).encode() + b"\r\n\r\n" + body)
                head = await conn.reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                status = int(lines[0].split(" ", 2)[1])
                headers = dict(
                    (k.strip().lower(), v.strip())
                    for k, _, v in (x.partition(":") for x in lines[1:])
                )
                payload = await conn.reader.readexactly(int(headers.get("content-length", "0")))
            except BaseException:
                conn.close()
                raise
            if headers.get("connection", "").lower() == "close":
                conn.close()
            else:
                conn.idle_since = time.monotonic()
                self.idle.append(conn)
            return status, payload

    def close(self) -> None:
        """Close every idle connection."""
        for conn in self.idle:
            conn.close()
        self.idle.clear()
