"""Test doubles for sweeps: a task that fails a set number of times, across processes.

Shipped with the package (HTTPX-style) so tests, the benchmarks and anyone checking a
cluster's retry path can use it: a Dask worker in another process imports it by name.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crowdguard.sweep.grid import GridPoint
from crowdguard.sweep.task import PointPlan

__all__ = ["FailOnce", "InjectedFailure", "task_label"]


class InjectedFailure(RuntimeError):
    """The error :class:`FailOnce` raises (never raised by real code)."""


def task_label(args: tuple[Any, ...]) -> str:
    """``SEVERE/4`` for a solve task's arguments, ``SEVERE/4/17`` for a seed task's."""
    if len(args) == 2 and isinstance(args[1], GridPoint):
        return args[1].label
    if len(args) == 3 and isinstance(args[1], PointPlan):
        return f"{args[1].point.label}/{args[2]}"
    return repr(args)


class FailOnce:
    """Wrap a sweep task so that its first ``failures`` calls, counted over every process, fail.

    The count lives in marker files ``<marker>.<i>`` created with ``O_EXCL``, so workers in
    different processes (or machines sharing the folder) agree on it. ``failures=1``: exactly
    one call fails once, whichever worker makes it. ``label`` (e.g. ``"SEVERE/4"``, see
    :func:`task_label`) limits the failures to that one task, so ``failures`` above the
    sweep's retries makes it fail for good.
    """

    def __init__(
        self,
        function: Callable[..., Any],
        marker: Path,
        failures: int = 1,
        label: str | None = None,
    ) -> None:
        self.function = function
        self.marker = Path(marker)
        self.failures = failures
        self.label = label

    def __call__(self, *args: Any) -> Any:
        if self.label is None or task_label(args) == self.label:
            for i in range(self.failures):
                try:
                    fd = os.open(f"{self.marker}.{i}", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                except FileExistsError:
                    continue
                os.close(fd)
                raise InjectedFailure(f"injected failure {i + 1} of {self.failures}")
        return self.function(*args)
