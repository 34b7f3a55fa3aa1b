"""Errors raised by the service layer; the API maps each to one HTTP status.

They extend :mod:`crowdguard.errors` so the CLI still exits 2 with a one-line message.
"""

from __future__ import annotations

from crowdguard.errors import AuthError, InputError

__all__ = [
    "ConflictError",
    "ForbiddenError",
    "NotFoundError",
    "TooManyAttemptsError",
    "UnauthenticatedError",
]


class NotFoundError(InputError):
    """The record named does not exist (or the caller may not know it exists). HTTP 404."""


class ConflictError(InputError):
    """The record clashes with an existing one (duplicate id, name in use). HTTP 409."""


class UnauthenticatedError(AuthError):
    """No valid credentials: missing, expired, revoked or tampered token. HTTP 401."""


class ForbiddenError(AuthError):
    """Authenticated but not allowed to do this. HTTP 403."""


class TooManyAttemptsError(AuthError):
    """Login throttled after repeated failures. HTTP 429 with ``Retry-After``."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
