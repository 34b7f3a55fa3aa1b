"""Test doubles for sweeps: a task that fails a set number of times, across processes.

Shipped with the package (HTTPX-style) so tests, the benchmarks and anyone checking a
cluster's retry path can use it: a Dask worker in another process imports it by name.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["FailOnce", "InjectedFailure"]


class InjectedFailure(RuntimeError):
    """The error :class:`FailOnce` raises (never raised by real code)."""


class FailOnce:
    """Wrap a task so that its first ``failures`` calls, counted over every process, fail.

    The count lives in marker files ``<marker>.<i>`` created with ``O_EXCL``, so workers in
    different processes (or machines sharing the folder) agree on it. ``failures=1``: exactly
    one call fails once, whichever worker makes it.
    """

    def __init__(self, function: Callable[..., Any], marker: Path, failures: int = 1) -> None:
        self.function = function
        self.marker = Path(marker)
        self.failures = failures

    def __call__(self, *args: Any) -> Any:
        for i in range(self.failures):
            try:
                fd = os.open(f"{self.marker}.{i}", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                continue
            os.close(fd)
            raise InjectedFailure(f"injected failure {i + 1} of {self.failures}")
        return self.function(*args)
