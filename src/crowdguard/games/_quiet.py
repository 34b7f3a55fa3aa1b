"""Keep HiGHS's stray console prints off standard output.

HiGHS (1.x, through SciPy) prints a developer message
(``HighsMipSolverData::transformNewIntegerFeasibleSolution tmpSolver.run();``) straight to the
C-level standard output on some MILPs, even with logging off. ``crowdguard game solve --json``
promises exactly one JSON object on stdout, so solver calls run inside :func:`quiet_stdout`,
which points file descriptor 1 at the null device for their duration. A lock serialises the
redirection so concurrent solves in threads cannot interleave ``dup2`` calls.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["quiet_stdout"]

_LOCK = threading.Lock()


@contextmanager
def quiet_stdout() -> Iterator[None]:
    """Discard anything written to file descriptor 1 while the block runs."""
    with _LOCK:
        sys.stdout.flush()
        try:
            saved = os.dup(1)
        except OSError:  # no standard output at all: nothing to protect
            yield
            return
        try:
            with open(os.devnull, "wb") as devnull:
                os.dup2(devnull.fileno(), 1)
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)
