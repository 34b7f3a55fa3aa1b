"""Clocks: the real one and a fake one tests (and the simulator) can move.

Shipping the test double with the package follows HTTPX's ``MockTransport`` idea: tests use
the same seam as production (see ``docs/style`` lesson 9).
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Protocol

__all__ = ["Clock", "FakeClock", "SystemClock"]


class Clock(Protocol):
    """Anything that tells the time as a timezone-aware UTC datetime."""

    def now(self) -> dt.datetime:
        """The current instant (timezone-aware)."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> dt.datetime:
        """The current instant in UTC."""
        return dt.datetime.now(dt.UTC)


class FakeClock:
    """A clock that only moves when told to (thread-safe)."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        """The fake current instant."""
        with self._lock:
            return self._now

    def set(self, instant: dt.datetime) -> None:
        """Jump to ``instant`` (timezone-aware)."""
        if instant.tzinfo is None:
            raise ValueError("FakeClock.set needs a timezone-aware instant")
        with self._lock:
            self._now = instant

    def advance(self, delta: dt.timedelta) -> None:
        """Move forward by ``delta``."""
        with self._lock:
            self._now += delta
