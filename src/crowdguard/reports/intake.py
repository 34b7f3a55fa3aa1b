"""Group commit for public report intake: one writer, one transaction (one fsync) per batch.

Group commit (DeWitt et al., "Implementation techniques for main memory database
systems", SIGMOD 1984, section 4: many transactions share one log write) lets a store whose
every commit waits for the disk accept many reports a second while still answering each one
only after it is durable. Steps:

1. :meth:`IntakeWriter.enqueue` screens a submission without the store (honeypot, time
   range: :func:`~crowdguard.reports.service.screen_report`), then queues it and returns a
   future. Beyond :data:`MAX_QUEUED` waiting reports it refuses with :class:`IntakeBusy`
   (HTTP 503 with ``Retry-After``) rather than letting every answer wait longer.
2. One writer thread takes everything queued, at most :data:`MAX_BATCH`, in arrival order,
   waits for a slot of the database gate (:class:`~crowdguard.api.limits.DatabaseGate`, so
   on SQLite it takes turns with the control room's requests), and stores the batch in one
   transaction with :func:`~crowdguard.reports.service.store_reports` (venue checks,
   triage, duplicate links, rows, audit rows; each report sees those before it).
3. It commits once, then resolves each future: a reference is never returned before its
   report is on disk, so SIGKILL at any moment loses only reports not yet acknowledged.
   The stored reports are then handed to ``publish`` (the live board), after the commit.
4. If the batch fails, nothing of it was stored (the transaction rolled back); each report
   is then stored alone in its own transaction, so one report that cannot be stored fails
   only itself.

No batch window is waited for: a batch is whatever arrived while the last one was being
written, so a lone report is written at once and a surge forms larger batches by itself.
The thread starts with the first report and stops after :data:`IDLE_SECONDS` without one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Literal, Protocol

from sqlalchemy.orm import Session, sessionmaker

from crowdguard.reports import service
from crowdguard.reports.models import ReportBoardSummary, ReportPublic, ReportSubmission
from crowdguard.reports.tables import ReportRow
from crowdguard.store.db import session_scope

__all__ = [
    "IDLE_SECONDS",
    "MAX_BATCH",
    "MAX_QUEUED",
    "Gate",
    "IntakeBusy",
    "IntakeStats",
    "IntakeWriter",
]

MAX_BATCH = 64
"""Most reports in one transaction. At about 1 ms of work each, a full batch holds the
database for well under 0.1 s, so the control room's requests still get their turn."""
MAX_QUEUED = 2000
"""Most reports waiting to be written; more are refused with 503 (10 s of a 200/s surge)."""
IDLE_SECONDS = 30.0
"""The writer thread stops after this long without a report (and starts again on one)."""

Publish = Callable[[list[ReportBoardSummary]], None]


class Gate(Protocol):
    """A gate to the database taken from a thread (:class:`crowdguard.api.limits.DatabaseGate`)."""

    def acquire_blocking(self) -> None:
        """Wait for a slot."""

    def release(self) -> None:
        """Give the slot back."""


log = logging.getLogger("crowdguard.reports.intake")


class IntakeBusy(Exception):
    """Too many reports are waiting to be written; try again in ``retry_after`` seconds."""

    def __init__(self, waiting: int, retry_after: int) -> None:
        super().__init__(
            f"reports: {waiting} reports are waiting to be stored; try again in "
            f"{retry_after} s (in an emergency call 999)"
        )
        self.retry_after = retry_after


@dataclass(slots=True)
class IntakeStats:
    """What the writer has done: reports stored and refused, batches, commits, fallbacks."""

    stored: int = 0
    refused: int = 0
    failed: int = 0
    batches: int = 0
    largest_batch: int = 0
    fallbacks: int = 0


@dataclass(slots=True)
class _Waiting:
    item: service.IntakeItem
    future: Future[ReportPublic] = field(default_factory=Future)


class IntakeWriter:
    """The single writer of public reports (see the module docstring).

    ``sessions`` opens transactions, ``gate`` is the database gate shared with the request
    middleware (None: no gate, e.g. in tests), ``publish`` receives the board summaries of
    each committed batch. With ``autostart=False`` no thread is started: reports wait until
    :meth:`drain` is called (tests use this to form a batch deterministically).
    """

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        gate: Gate | None = None,
        publish: Publish | None = None,
        max_batch: int = MAX_BATCH,
        max_queued: int = MAX_QUEUED,
        idle_seconds: float = IDLE_SECONDS,
        autostart: bool = True,
    ) -> None:
        self.sessions = sessions
        self.gate = gate
        self.publish = publish
        self.max_batch = max_batch
        self.max_queued = max_queued
        self.idle_seconds = idle_seconds
        self.autostart = autostart
        self.stats = IntakeStats()
        self._queue: deque[_Waiting] = deque()
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._venues: service.VenueCache = {}  # used by the one thread that writes

    def enqueue(
        self,
        report: ReportSubmission,
        *,
        now: dt.datetime,
        channel: Literal["web", "phone", "api", "patrol"] = "web",
    ) -> Future[ReportPublic]:
        """Screen ``report`` and queue it; the future gives the receipt once it is committed.

        Raises :class:`~crowdguard.reports.service.ReportFieldError` at once for a time out of
        range, and :class:`IntakeBusy` when the queue is full. A honeypot submission gets a
        receipt at once and is never queued. The future fails with ``ReportFieldError`` for an
        unknown venue, or with the error that stopped the report being stored.
        """
        honeypot = service.screen_report(report=report, now=now)
        if honeypot is not None:
            done: Future[ReportPublic] = Future()
            done.set_result(honeypot)
            return done
        waiting = _Waiting(service.IntakeItem(report, now, channel))
        with self._ready:
            if self._closed:
                raise RuntimeError("the report intake writer is closed")
            if len(self._queue) >= self.max_queued:
                self.stats.refused += 1
                raise IntakeBusy(len(self._queue), retry_after=max(1, self.max_queued // 200))
            self._queue.append(waiting)
            if self.autostart and self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="crowdguard-report-intake", daemon=True
                )
                self._thread.start()
            self._ready.notify()
        return waiting.future

    async def submit(
        self,
        report: ReportSubmission,
        *,
        now: dt.datetime,
        channel: Literal["web", "phone", "api", "patrol"] = "web",
    ) -> ReportPublic:
        """:meth:`enqueue`, then wait on the event loop (holding no thread) for the commit."""
        return await asyncio.wrap_future(self.enqueue(report, now=now, channel=channel))

    @property
    def waiting(self) -> int:
        """Reports queued and not yet taken by the writer."""
        with self._ready:
            return len(self._queue)

    def drain(self) -> int:
        """Write everything queued now, in this thread, in batches; returns how many."""
        count = 0
        while batch := self._take(wait=False):
            self._write(batch)
            count += len(batch)
        return count

    def close(self, timeout: float | None = 30.0) -> None:
        """Refuse new reports, let the writer finish the queued ones, and stop it."""
        with self._ready:
            self._closed = True
            thread = self._thread
            self._ready.notify_all()
        if thread is not None:
            thread.join(timeout)
        else:
            self.drain()

    def _run(self) -> None:
        while batch := self._take(wait=True):
            self._write(batch)

    def _take(self, *, wait: bool) -> list[_Waiting]:
        """Up to ``max_batch`` queued reports; [] when there are none (after ``idle_seconds``
        or on close when waiting, at once otherwise), and then the thread is forgotten."""
        with self._ready:
            if wait:
                while not self._queue and not self._closed:
                    if not self._ready.wait(self.idle_seconds) and not self._queue:
                        break
            if not self._queue:
                if wait:
                    self._thread = None
                return []
            count = min(self.max_batch, len(self._queue))
            return [self._queue.popleft() for _ in range(count)]

    def _write(self, batch: list[_Waiting]) -> None:
        live = [w for w in batch if w.future.set_running_or_notify_cancel()]
        if not live:
            return
        try:
            self._store(live)
        except BaseException as exc:  # a fault in the writer itself: no request may hang
            for waiting in live:
                if not waiting.future.done():
                    self._fail(waiting, exc)
            if not isinstance(exc, Exception):
                raise

    def _store(self, live: list[_Waiting]) -> None:
        try:
            outcomes = self._commit(live)
        except Exception as exc:
            if len(live) == 1:
                self._fail(live[0], exc)
                return
            # Nothing of the batch was stored; store each alone so one bad report fails
            # only itself. (Logged by type only: report content stays out of logs.)
            log.warning("report intake: a batch of %d failed (%s)", len(live), type(exc).__name__)
            self.stats.fallbacks += 1
            for waiting in live:
                try:
                    [outcome] = self._commit([waiting])
                except Exception as alone:
                    self._fail(waiting, alone)
                else:
                    self._resolve(waiting, outcome)
            return
        for waiting, outcome in zip(live, outcomes, strict=True):
            self._resolve(waiting, outcome)

    def _commit(self, batch: Sequence[_Waiting]) -> list[ReportPublic | service.ReportFieldError]:
        """Store ``batch`` in one transaction and commit it; publish what was stored."""
        if self.gate is not None:
            self.gate.acquire_blocking()
        try:
            with session_scope(self.sessions) as session:
                stored = service.store_reports(
                    session=session, items=[w.item for w in batch], venue_cache=self._venues
                )
                rows = [s for s in stored if isinstance(s, ReportRow)]
                summaries = [service.board_summary(row) for row in rows]
            # Committed: from here on every row of the batch is durable.
        finally:
            if self.gate is not None:
                self.gate.release()
        self.stats.batches += 1
        self.stats.largest_batch = max(self.stats.largest_batch, len(batch))
        if self.publish is not None and summaries:
            try:
                self.publish(summaries)
            except Exception as exc:  # the board is a view: never fail a stored report
                log.error("report intake: board publish failed (%s)", type(exc).__name__)
        return [
            s
            if isinstance(s, service.ReportFieldError)
            else ReportPublic(reference=s.reference, received_at=s.received_at)
            for s in stored
        ]

    def _resolve(self, waiting: _Waiting, outcome: ReportPublic | service.ReportFieldError) -> None:
        if isinstance(outcome, service.ReportFieldError):
            waiting.future.set_exception(outcome)
        else:
            self.stats.stored += 1
            waiting.future.set_result(outcome)

    def _fail(self, waiting: _Waiting, exc: BaseException) -> None:
        self.stats.failed += 1
        log.error("report intake: a report could not be stored (%s)", type(exc).__name__)
        waiting.future.set_exception(exc)
