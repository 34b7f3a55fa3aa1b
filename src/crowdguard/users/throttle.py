"""Login throttling: too many failures per username or per client address -> wait.

Follows OWASP's Authentication Cheat Sheet ("Protect against automated attacks": account
and source throttling with a lockout window) and NIST SP 800-63B section 5.2.2 (rate
limiting). State is per server process, in memory: a restart clears it.
"""

from __future__ import annotations

import math
import threading
from collections import deque

from crowdguard.store.clock import Clock

__all__ = ["LoginThrottle"]


class LoginThrottle:
    """Sliding-window failure counter keyed by ``user:NAME`` and ``addr:IP``."""

    def __init__(self, *, clock: Clock, max_failures: int = 5, window_seconds: int = 900) -> None:
        self._clock = clock
        self._max = max_failures
        self._window = window_seconds
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self._window:
            times.popleft()
        return times

    def retry_after(self, *keys: str) -> int:
        """Seconds to wait before another attempt (0: go ahead)."""
        now = self._clock.now().timestamp()
        wait = 0.0
        with self._lock:
            for key in keys:
                times = self._prune(key, now)
                if len(times) >= self._max:
                    wait = max(wait, times[-self._max] + self._window - now)
        return math.ceil(wait) if wait > 0 else 0

    def fail(self, *keys: str) -> None:
        """Count one failed attempt against every key."""
        now = self._clock.now().timestamp()
        with self._lock:
            for key in keys:
                self._prune(key, now).append(now)

    def succeed(self, username_key: str) -> None:
        """Forget failures for the user after a successful login (not for the address)."""
        with self._lock:
            self._failures.pop(username_key, None)
