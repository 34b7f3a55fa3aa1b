"""Run a sweep's tasks on Dask (a local cluster or an existing one) or serially.

The task graph (Dask distributed; Rocklin, "Dask: parallel computation with blocked
algorithms and task scheduling", SciPy 2015):

1. The :class:`~crowdguard.sweep.task.SweepContext` (scenario, options, travel times, crowd)
   is scattered to every worker once (``Client.scatter(..., broadcast=True)``); tasks take
   its future, so it is never pickled per task.
2. One *solve* task per grid point (:func:`~crowdguard.sweep.task.solve_point`). When it
   finishes, one *seed* task per :data:`SEEDS_PER_TASK` seeds still missing
   (:func:`simulate_seeds` over :func:`~crowdguard.sweep.task.simulate_seed`) is submitted
   with the solve's future as
   an argument: the solved plan stays on the workers (moved to another worker at most once)
   and never travels through the client. Seed tasks have the higher priority, so a point's
   seeds run before more points are solved and its plan is released early.
3. Rows come back as tasks complete (``as_completed``) and go to ``on_row`` at once, which
   appends them to the sweep's journal: an interrupted sweep loses no finished row.

**Retries, never drops.** A failed task is resubmitted (a fresh key) up to ``retries``
times; every failed attempt is reported to ``on_event`` and kept in
:attr:`SweepRun.retried`. A task that fails every attempt is listed in
:attr:`SweepRun.failed` (a failed solve lists each of its seeds), the rest of the sweep
goes on, and the caller reports the failures; rerunning the sweep retries exactly those.

**Determinism.** Every result depends only on the context, the grid point and the seed,
never on which worker ran it or in which order, so a sweep on any number of workers gives
the same rows as :class:`SerialBackend` (the tests check it).

:class:`DaskBackend` starts a ``LocalCluster`` sized to the machine (one single-threaded
worker process per core) and stops it at the end, or connects to a running scheduler by
address and leaves that cluster running.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import os
import time
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol

from crowdguard import __version__
from crowdguard.errors import InputError
from crowdguard.sweep.grid import GridPoint
from crowdguard.sweep.task import PointPlan, SweepContext, simulate_seed, solve_point

__all__ = [
    "Backend",
    "DaskBackend",
    "SerialBackend",
    "SweepEvent",
    "SweepRun",
    "TaskFailure",
    "run_tasks",
]

DEFAULT_RETRIES = 2
SEEDS_PER_TASK = 8
"""Seeds simulated by one task. A seed of a free-placement week costs 10-20 ms, close to
what scheduling one task costs a worker on a busy box (2-10 ms, ``docs/benchmarks.md``), so
one task per seed spent much of the workers' time on scheduling; Dask's guidance is tasks
well above its ~1 ms overhead per task ("Best practices: avoid very large graphs", Dask
documentation). Eight seeds make a task of 0.1-0.2 s in free placement and a few seconds in
routes mode, still many tasks per worker; an interrupted task loses at most eight rows.
The last points' tasks hold fewer (:func:`_batch`), so that the workers finish together."""
SolveFunction = Callable[[SweepContext, GridPoint], PointPlan]
SeedFunction = Callable[[SweepContext, PointPlan, int], dict[str, Any]]


@dataclass(frozen=True)
class TaskFailure:
    """One failed attempt of a task (or its last, when it failed for good)."""

    task: str
    attempt: int
    error: str

    def to_json(self) -> dict[str, Any]:
        """A plain dict for ``sweep.json``."""
        return {"task": self.task, "attempt": self.attempt, "error": self.error}


@dataclass(frozen=True)
class SweepEvent:
    """Progress: ``done`` of ``total`` seed tasks finished (rows or failures).

    ``kind`` is ``row``, ``retry`` (a failed attempt resubmitted, ``failure`` says why) or
    ``failed`` (a task that failed every attempt).
    """

    kind: str
    done: int
    total: int
    task: str
    failure: TaskFailure | None = None


@dataclass
class SweepRun:
    """What a run did: rows computed, attempts retried, tasks failed for good, time taken."""

    computed: int = 0
    solved: int = 0
    retried: list[TaskFailure] = field(default_factory=list)
    failed: list[TaskFailure] = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 1
    backend: str = "serial"


class Backend(Protocol):
    """Where tasks run: :class:`SerialBackend` or :class:`DaskBackend`."""

    name: str
    workers: int

    def share(self, value: Any) -> Any:
        """Ship ``value`` to every worker once; returns what tasks take in its place."""

    def submit(
        self,
        function: Callable[..., Any],
        *args: Any,
        key: str,
        priority: int,
        fetch: bool = True,
    ) -> Any:
        """Queue ``function(*args)``; args may be shared values or other handles.

        ``fetch=False``: the result is only an input of other tasks, the caller reads its
        error, never its value (a backend may then leave it where it was computed).
        """

    def completed(self) -> Iterator[Any]:
        """Yield handles as their tasks finish (including ones submitted meanwhile)."""

    def outcome(self, handle: Any) -> tuple[Any, BaseException | None]:
        """``(result, None)`` or ``(None, error)`` of a finished handle."""

    def release(self, handle: Any) -> None:
        """Let the workers forget a result nobody needs any more."""


@dataclass(eq=False)
class _SerialHandle:
    function: Callable[..., Any]
    args: tuple[Any, ...]
    key: str
    value: Any = None
    error: BaseException | None = None


class SerialBackend:
    """Runs every task in this process, one after the other (the reference for tests)."""

    name = "serial"
    workers = 1

    def __init__(self) -> None:
        self._queue: list[tuple[int, int, _SerialHandle]] = []
        self._order = itertools.count()

    def __enter__(self) -> SerialBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self._queue.clear()

    def share(self, value: Any) -> Any:
        """Nothing to ship: the value itself."""
        return value

    def submit(
        self,
        function: Callable[..., Any],
        *args: Any,
        key: str,
        priority: int,
        fetch: bool = True,
    ) -> _SerialHandle:
        """Queue the call; higher ``priority`` runs first, then first come first served."""
        handle = _SerialHandle(function, args, key)
        heapq.heappush(self._queue, (-priority, next(self._order), handle))
        return handle

    def completed(self) -> Iterator[_SerialHandle]:
        """Run queued calls in priority order, yielding each when done."""
        while self._queue:
            _, _, handle = heapq.heappop(self._queue)
            args = [a.value if isinstance(a, _SerialHandle) else a for a in handle.args]
            try:
                handle.value = handle.function(*args)
            except Exception as exc:  # reported by the runner like a worker's failure
                handle.error = exc
            yield handle

    def outcome(self, handle: _SerialHandle) -> tuple[Any, BaseException | None]:
        """The stored result or error."""
        return handle.value, handle.error

    def release(self, handle: _SerialHandle) -> None:
        """Drop the stored result."""
        handle.value = None


class DaskBackend:
    """Tasks on Dask: a ``LocalCluster`` started here, or a running scheduler by address.

    ``workers``: worker processes of the local cluster (default: one per core); ignored
    with ``scheduler``. ``scheduler``: e.g. ``tcp://10.0.0.5:8786``; the cluster is left
    running. ``worker_timeout``: seconds to wait for at least one worker to join.
    """

    name = "dask"

    def __init__(
        self,
        *,
        workers: int | None = None,
        scheduler: str | None = None,
        worker_timeout: float = 60.0,
    ) -> None:
        if workers is not None and workers < 1:
            raise InputError(f"--workers {workers}: expected at least 1")
        if workers is not None and scheduler is not None:
            raise InputError(
                "--workers and --scheduler: give one (an existing cluster has its own)"
            )
        self._want = workers
        self._scheduler = scheduler
        self._timeout = worker_timeout
        self._cluster: Any = None
        self._client: Any = None
        self._completed: Any = None
        self._fetch: set[str] = set()
        self._results: dict[str, Any] = {}
        self.workers = 0
        self.address = ""

    def __enter__(self) -> DaskBackend:
        from distributed import Client, LocalCluster, as_completed

        try:
            if self._scheduler is None:
                n = self._want or os.cpu_count() or 1
                self._cluster = LocalCluster(  # type: ignore[no-untyped-call]
                    n_workers=n,
                    threads_per_worker=1,
                    processes=True,
                    # a free port, never the default 8787: another cluster may hold it,
                    # and the scheduler's HTTP server then warns and leaks a socket
                    dashboard_address=":0",
                    silence_logs=logging.ERROR,
                )
                self._client = Client(self._cluster)  # type: ignore[no-untyped-call]
            else:
                self._client = self._connect(self._scheduler)
            self._client.wait_for_workers(1, timeout=self._timeout)
        except BaseException as exc:
            self.__exit__(None, None, None)
            if isinstance(exc, InputError | KeyboardInterrupt):
                raise
            where = self._scheduler or "the local cluster"
            if isinstance(exc, TimeoutError | OSError):
                hint = (
                    f"start one with `dask worker {self._scheduler}`"
                    if self._scheduler
                    else "check the machine's memory and open files"
                )
                raise InputError(
                    f"--scheduler {where}: no worker joined within {self._timeout:g} s; {hint}"
                    if self._scheduler
                    else f"{where}: could not start ({exc}); {hint}"
                ) from None
            raise
        self.address = self._client.scheduler.address
        self._check_versions()
        self.workers = len(self._client.scheduler_info()["workers"])
        self._completed = as_completed()  # type: ignore[no-untyped-call]
        return self

    def _connect(self, address: str) -> Any:
        from distributed import Client

        if "://" not in address:
            raise InputError(
                f"--scheduler {address!r}: expected an address such as tcp://127.0.0.1:8786"
            )
        try:
            return Client(address, timeout="10s")  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError) as exc:
            raise InputError(
                f"--scheduler {address}: cannot connect ({exc}); is `dask scheduler` running "
                "there and reachable?"
            ) from None

    def _check_versions(self) -> None:
        """Every worker must run this crowdguard: rows must not mix code versions."""
        found = self._client.run(_crowdguard_version)
        other = {w: v for w, v in found.items() if v != __version__}
        if other:
            worker, version = next(iter(other.items()))
            raise InputError(
                f"--scheduler {self.address}: worker {worker} runs crowdguard {version}, this "
                f"client {__version__}; install the same version on every worker"
            )

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        # Closing a busy cluster makes the scheduler log the results it drops (lost data,
        # closed comms) at ERROR: expected at shutdown, nothing the user must act on.
        quiet = logging.getLogger("distributed")
        level = quiet.level
        quiet.setLevel(logging.CRITICAL + 1)
        try:
            if self._client is not None:
                self._client.close()
                self._client = None
            if self._cluster is not None:
                self._cluster.close()
                self._cluster = None
        finally:
            quiet.setLevel(level)

    def share(self, value: Any) -> Any:
        """Scatter ``value`` to every worker now (workers joining later fetch it from peers)."""
        return self._client.scatter(value, broadcast=True, hash=False)

    def submit(
        self,
        function: Callable[..., Any],
        *args: Any,
        key: str,
        priority: int,
        fetch: bool = True,
    ) -> Any:
        """``Client.submit`` with our key (unique per attempt) and priority."""
        future = self._client.submit(function, *args, key=key, priority=priority, pure=False)
        if fetch:
            self._fetch.add(future.key)
        self._completed.add(future)
        return future

    def completed(self) -> Iterator[Any]:
        """Futures as they finish (``distributed.as_completed``), fetched in batches.

        The results of the finished futures that are wanted here (``fetch``) come back in
        one ``Client.gather`` per batch of completions rather than one round trip each:
        with short tasks that round trip, not the task, would set the pace.
        """
        for batch in self._completed.batches():
            wanted = [f for f in batch if f.key in self._fetch and f.status == "finished"]
            if wanted:
                try:
                    values = self._client.gather(wanted)
                except Exception:  # a worker lost meanwhile: read them one by one
                    values = None
                if values is not None:
                    self._results.update(zip((f.key for f in wanted), values, strict=True))
            yield from batch

    def outcome(self, handle: Any) -> tuple[Any, BaseException | None]:
        """The future's result, or its exception."""
        self._fetch.discard(handle.key)
        if handle.key in self._results:
            return self._results.pop(handle.key), None
        if handle.status == "error":
            return None, handle.exception()
        if handle.status == "cancelled":
            return None, RuntimeError("cancelled (a worker or the scheduler went away)")
        return handle.result(), None

    def release(self, handle: Any) -> None:
        """Release the future so the cluster frees its result."""
        handle.release()


def _crowdguard_version() -> str:
    from crowdguard import __version__ as version

    return version


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


def simulate_seeds(
    simulate: SeedFunction, context: SweepContext, plan: PointPlan, seeds: Sequence[int]
) -> list[dict[str, Any]]:
    """One task's rows: ``simulate`` for each of ``seeds`` in turn (each seed's row depends
    only on the context, the plan and the seed, so batching changes no row)."""
    return [simulate(context, plan, seed) for seed in seeds]


def _batch(unsubmitted: int, workers: int, most: int) -> int:
    """Seeds in the next task: guided self-scheduling (Polychronopoulos and Kuck, "Guided
    self-scheduling: a practical scheduling scheme for parallel supercomputers", IEEE
    Transactions on Computers C-36, 1987): a share of the work not yet handed out,
    ``ceil(unsubmitted / (2 x workers))``, at most ``most`` (:data:`SEEDS_PER_TASK`) and at
    least 1. Early tasks hold ``most`` seeds; the last point's are cut finer and finer
    (20 seeds on 2 workers: 5, 4, 3, 2, 2, 1, 1, 1, 1), so the workers finish together
    instead of one waiting while the other runs a whole last batch (issue 16: the 200-task
    sweep's 2-worker speed-up). One worker has nothing to balance: ``most`` throughout.
    Rows do not depend on how seeds are batched."""
    if workers <= 1:
        return most
    return max(1, min(most, math.ceil(unsubmitted / (2 * workers))))


def run_tasks(
    context: SweepContext,
    points: Sequence[GridPoint],
    seeds: Sequence[int],
    *,
    backend: Backend,
    done: Collection[tuple[str, int, int]] = (),
    on_row: Callable[[dict[str, Any]], None],
    on_event: Callable[[SweepEvent], None] | None = None,
    retries: int = DEFAULT_RETRIES,
    solve: SolveFunction = solve_point,
    simulate: SeedFunction = simulate_seed,
    seeds_per_task: int = SEEDS_PER_TASK,
) -> SweepRun:
    """Run every (point, seed) not in ``done`` (keys ``(threat, teams, seed)``) on ``backend``.

    A point's seeds run ``seeds_per_task`` at a time in one task (:data:`SEEDS_PER_TASK`);
    a failed task is retried whole, and when it fails for good each of its seeds is reported.

    ``on_row`` receives each row as it arrives (in completion order: the caller sorts);
    ``on_event`` follows progress. ``solve`` and ``simulate`` default to the real tasks
    (tests wrap them, e.g. :class:`crowdguard.sweep.testing.FailOnce`). A ``KeyboardInterrupt``
    propagates after the rows already received were handed to ``on_row``.
    """
    if retries < 0:
        raise InputError(f"--retries {retries}: expected 0 or more")
    if seeds_per_task < 1:
        raise InputError(f"seeds_per_task {seeds_per_task}: expected 1 or more")
    began = time.perf_counter()
    token = uuid.uuid4().hex[:8]
    finished = set(done)
    missing = {
        p: [s for s in seeds if (p.threat.value, p.teams, s) not in finished] for p in points
    }
    missing = {p: s for p, s in missing.items() if s}
    total = sum(len(s) for s in missing.values())
    run = SweepRun(backend=backend.name, workers=backend.workers)
    if total == 0:
        return run
    shared = backend.share(context)
    # handle -> ("solve", point, attempt) or ("seed", point, seed, attempt)
    pending: dict[Any, tuple[Any, ...]] = {}
    plans: dict[GridPoint, Any] = {}
    left: dict[GridPoint, int] = {}
    count = 0

    def emit(kind: str, task: str, failure: TaskFailure | None = None) -> None:
        if on_event is not None:
            on_event(SweepEvent(kind, count, total, task, failure))

    def submit_solve(point: GridPoint, attempt: int) -> None:
        key = f"crowdguard-sweep-{token}-solve-{point.threat.value}-{point.teams}-{attempt}"
        handle = backend.submit(solve, shared, point, key=key, priority=0, fetch=False)
        pending[handle] = ("solve", point, attempt)

    def submit_seeds(point: GridPoint, batch: tuple[int, ...], attempt: int) -> None:
        key = (
            f"crowdguard-sweep-{token}-seed-{point.threat.value}-{point.teams}-{batch[0]}"
            f"-{len(batch)}-{attempt}"
        )
        handle = backend.submit(
            simulate_seeds, simulate, shared, plans[point], batch, key=key, priority=1
        )
        pending[handle] = ("seed", point, batch, attempt)

    # seeds of points whose seed tasks are not submitted yet (the tail's batches shrink)
    unsubmitted = total
    for point in missing:
        submit_solve(point, 1)
    for handle in backend.completed():
        job = pending.pop(handle, None)
        if job is None:
            continue
        value, error = backend.outcome(handle)
        if job[0] == "solve":
            _, point, attempt = job
            label = f"solve {point.label}"
            if error is None:
                run.solved += 1
                plans[point] = handle
                left[point] = len(missing[point])
                todo = missing[point]
                start = 0
                while start < len(todo):
                    size = min(_batch(unsubmitted, backend.workers, seeds_per_task),
                               len(todo) - start)  # fmt: skip
                    submit_seeds(point, tuple(todo[start : start + size]), 1)
                    start += size
                    unsubmitted -= size
                continue
            failure = TaskFailure(label, attempt, _describe(error))
            if attempt <= retries:
                run.retried.append(failure)
                emit("retry", label, failure)
                backend.release(handle)
                submit_solve(point, attempt + 1)
                continue
            backend.release(handle)
            unsubmitted -= len(missing[point])
            for seed in missing[point]:
                count += 1
                lost = TaskFailure(f"seed {point.label}/{seed}", attempt, f"not run: {label} "
                                   f"failed {attempt} times ({failure.error})")  # fmt: skip
                run.failed.append(lost)
                emit("failed", lost.task, lost)
            continue
        _, point, batch, attempt = job
        label = f"seed {point.label}/{batch[0]}" + (
            f"..{batch[-1]} ({len(batch)} seeds)" if len(batch) > 1 else ""
        )
        backend.release(handle)
        if error is not None:
            failure = TaskFailure(label, attempt, _describe(error))
            if attempt <= retries:
                run.retried.append(failure)
                emit("retry", label, failure)
                submit_seeds(point, batch, attempt + 1)
                continue
            for seed in batch:  # every seed of a task that failed for good is reported
                count += 1
                lost = TaskFailure(f"seed {point.label}/{seed}", attempt, failure.error)
                run.failed.append(lost)
                emit("failed", lost.task, lost)
        else:
            for seed, row in zip(batch, value, strict=True):
                on_row(row)
                run.computed += 1
                count += 1
                emit("row", f"seed {point.label}/{seed}")
        left[point] -= len(batch)
        if left[point] == 0:
            backend.release(plans.pop(point))
    run.seconds = time.perf_counter() - began
    return run
