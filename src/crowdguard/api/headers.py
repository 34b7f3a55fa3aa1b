"""Response headers every answer carries, and honest ``Allow`` lists.

- ``X-Content-Type-Options: nosniff`` on every response (OWASP Secure Headers Project): a
  browser must not guess that a JSON answer quoting a reporter's text is HTML or script.
- ``Allow`` (RFC 9110 section 10.2.1) lists *every* method of the resource. Starlette
  answers a method it has no route for with 405 and the methods of the first route whose
  path matched, so ``/venues`` said ``GET`` although ``POST`` works too; this middleware
  rewrites the list from all routes of the path, and answers ``OPTIONS`` (RFC 9110 section
  9.3.7) with ``204`` and the same list instead of a 405.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ResponseHeaders", "methods_for"]

NOSNIFF = (b"x-content-type-options", b"nosniff")


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def methods_for(routes: Iterable[BaseRoute], scope: Scope) -> set[str]:
    """Every HTTP method some route serves at the scope's path (empty: no route has it),
    asking each route as the router would (``BaseRoute.matches``) with each method."""
    routes = list(routes)
    methods: set[str] = set()
    for method in _METHODS:
        probe = {**scope, "method": method}
        if any(route.matches(probe)[0] is Match.FULL for route in routes):
            methods.add(method)
    return methods


class ResponseHeaders:
    """Add ``nosniff`` to every response; answer ``OPTIONS`` and fix 405's ``Allow``.

    ``routes`` is called per use (the app's route list, read when needed).
    """

    def __init__(self, app: ASGIApp, *, routes: Callable[[], Iterable[BaseRoute]]) -> None:
        self.app = app
        self.routes = routes

    def _allow(self, scope: Scope) -> bytes:
        methods = methods_for(self.routes(), scope)
        return ", ".join(sorted(methods | {"OPTIONS"})).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("method") == "OPTIONS" and methods_for(self.routes(), scope):
            await send(
                {
                    "type": "http.response.start",
                    "status": 204,
                    "headers": [(b"allow", self._allow(scope)), NOSNIFF],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k != NOSNIFF[0]]
                headers.append(NOSNIFF)
                if message["status"] == 405:
                    headers = [(k, v) for k, v in headers if k.lower() != b"allow"]
                    headers.append((b"allow", self._allow(scope)))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
