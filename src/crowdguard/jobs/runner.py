"""Run plan jobs in background threads.

The web request only queues the job (``POST /api/v1/plans`` answers 202 at once); a worker
thread runs the planner and records progress, following FastAPI's advice to move slow,
blocking work off the event loop (https://fastapi.tiangolo.com/async/).

Shutdown never waits for a solve (issue 12, item 12): the job threads are daemon threads
(a ``ThreadPoolExecutor``'s threads are joined at interpreter exit, so a 20-minute solve
would hold the server's exit for 20 minutes), and :meth:`PlanRunner.shutdown` stops the
solver's worker processes (:func:`crowdguard.workers.terminate_workers`). A job cut short
stays ``running`` in the store and is marked failed at the next start
(:func:`crowdguard.jobs.service.fail_interrupted`). The planner is the planning pipeline
(:func:`crowdguard.pipeline.make_plan`, the one ``crowdguard plan`` runs), imported lazily
so the server starts quickly; tests may inject another callable with the same signature.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from crowdguard.jobs import service
from crowdguard.report.output import PRIVATE_FOLDER, write_private
from crowdguard.risk.plan_gaps import LinkedPlan, submitted_plans
from crowdguard.scenario.schema import Scenario
from crowdguard.store.clock import Clock
from crowdguard.store.db import session_scope
from crowdguard.venues.service import require_shipped_plans

if TYPE_CHECKING:
    from crowdguard.patrols.season_routes import DayOptions
    from crowdguard.sweep.results import SweepRecord

__all__ = ["PlanRunner", "Planner", "default_planner", "report_path"]

log = logging.getLogger(__name__)


class Planner(Protocol):
    """``planner(scenario, *, seed=None, days=None, progress=None, submitted=None)``.

    ``submitted``: the security plans organisers submitted for the scenario's venues, per
    venue (:func:`crowdguard.risk.plan_gaps.submitted_plans`). ``sweep`` and ``routes`` (the
    job's overrides and floors) are passed only when the job has them.
    """

    def __call__(
        self,
        scenario: Scenario,
        *,
        seed: int | None = None,
        days: int | None = None,
        progress: Callable[..., None] | None = None,
        submitted: Mapping[str, LinkedPlan] | None = None,
        sweep: SweepRecord | None = None,
        routes: DayOptions | None = None,
    ) -> Any: ...


def _plan_with_pipeline(
    scenario: Scenario,
    *,
    seed: int | None = None,
    days: int | None = None,
    progress: Callable[..., None] | None = None,
    submitted: Mapping[str, LinkedPlan] | None = None,
    sweep: SweepRecord | None = None,
    routes: DayOptions | None = None,
) -> Any:
    """The planning pipeline (:func:`crowdguard.pipeline.make_plan`) with ``crowdguard
    plan``'s options: the same solve and the same what-ifs (the price of visibility, the
    security plans' counterfactuals), so a served ``plan.json`` is the CLI's. The linked
    plans of a snapshot are shipped with CrowdGuard (``demo:``; checked before the job
    runs), read here once. ``sweep``: a sweep of the scenario (the server's
    ``CROWDGUARD_SWEEPS`` folder) to place the deployment on. ``routes``: the job's
    overrides, variant cap and floors (``--pin``, ``--forbid``, ``--max-variants``,
    ``--response-floor``, ``--visibility-floor``), priced in the result as the CLI prices
    them."""
    from crowdguard.patrols.options import PlanOptions
    from crowdguard.patrols.season_routes import DayOptions
    from crowdguard.pipeline import PlanInputs, make_plan

    inputs = PlanInputs.read(scenario, submitted=dict(submitted or {}), sweep=sweep)
    options = PlanOptions(seed=seed, days=days, routes=routes or DayOptions())
    return make_plan(inputs, options, progress=progress)


def default_planner() -> Planner:
    """The planning pipeline with ``crowdguard plan``'s options, imported on first use."""
    planner: Planner = _plan_with_pipeline
    return planner


class PlanRunner:
    """A small executor for plan jobs (default one worker: solves are CPU-bound)."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        clock: Clock,
        planner: Callable[[], Planner] = default_planner,
        workers: int = 1,
        sweeps: Path | None = None,
        reports: Path | None = None,
    ) -> None:
        self._sessions = sessions
        self._sweeps = sweeps
        self._reports = reports
        self._clock = clock
        self._planner = planner
        self._queue: queue.SimpleQueue[tuple[Future[None], int] | None] = queue.SimpleQueue()
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, name=f"plan-job-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            future, plan_id = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                self.run(plan_id)
            except BaseException as exc:  # run() records failures itself; this is a bug
                future.set_exception(exc)
            else:
                future.set_result(None)

    def submit(self, plan_id: int) -> Future[None]:
        """Run the job in the background."""
        if self._closed:
            raise RuntimeError("the plan runner is shut down")
        future: Future[None] = Future()
        self._queue.put((future, plan_id))
        return future

    def submit_after_commit(self, session: Session, plan_id: int) -> None:
        """Run the job once ``session`` commits (so the job sees its row); never on rollback."""

        def start(_: Session) -> None:
            self.submit(plan_id)

        event.listen(session, "after_commit", start, once=True)

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop accepting jobs. ``wait``: finish the queued and running ones first;
        otherwise stop the running solve's worker processes and return at once (the job
        thread ends with the process; the job is marked failed at the next start)."""
        self._closed = True
        if wait:
            for _ in self._threads:
                self._queue.put(None)
            for thread in self._threads:
                thread.join()
            return
        while True:  # drop what never started
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                item[0].cancel()
        for _ in self._threads:
            self._queue.put(None)
        from crowdguard.workers import terminate_workers

        stopped = terminate_workers()
        if stopped:
            log.info("stopped %d solver worker process(es) of a running plan job", stopped)

    def _sweep_for(self, scenario: Scenario) -> SweepRecord | None:
        """A sweep of ``scenario`` among the server's sweeps that holds its deployment."""
        if self._sweeps is None:
            return None
        from crowdguard.sweep.results import find_sweep

        return find_sweep(
            self._sweeps,
            scenario=scenario.id,
            teams=len(scenario.teams),
            threat=scenario.threat_level.value,
        )

    def run(self, plan_id: int) -> None:
        """Run one job to completion, recording failure instead of raising."""
        with session_scope(self._sessions) as session:
            row = service.mark_running(session=session, plan_id=plan_id, now=self._clock.now())
            snapshot, seed, days = row.scenario_snapshot, row.seed, row.days
            security_plans = list(row.security_plans or [])
            chosen = row.options
        lock = threading.Lock()
        last = [0.0, -1.0]  # time of last write, value written

        def progress(fraction: float, *_: object, **__: object) -> None:
            now = time.monotonic()
            with lock:
                if now - last[0] < 0.5 and abs(fraction - last[1]) < 0.05:
                    return
                last[0], last[1] = now, fraction
            with session_scope(self._sessions) as s:
                service.set_progress(session=s, plan_id=plan_id, progress=fraction)

        try:
            scenario = Scenario.model_validate(snapshot)
            require_shipped_plans(scenario.venues)  # a snapshot never makes the server read a file
            submitted = submitted_plans(scenario, security_plans)
            sweep = self._sweep_for(scenario)
            extra: dict[str, Any] = {}
            if sweep is not None:
                extra["sweep"] = sweep
            if chosen:
                extra["routes"] = service.day_options(chosen)
            plan = self._planner()(
                scenario, seed=seed, days=days, progress=progress, submitted=submitted, **extra
            )
            result = plan.plan_json()
            rosters = {str(k): v for k, v in plan.rosters().items()}
        except Exception as exc:  # a failed solve is recorded on the job, not raised
            log.warning("plan %s failed: %s", plan_id, type(exc).__name__)
            with session_scope(self._sessions) as session:
                service.finish_plan(
                    session=session,
                    plan_id=plan_id,
                    now=self._clock.now(),
                    error=f"{type(exc).__name__}: {exc}",
                )
            return
        self._write_report(plan_id, plan)
        with session_scope(self._sessions) as session:
            service.finish_plan(
                session=session,
                plan_id=plan_id,
                now=self._clock.now(),
                result=_jsonable(result),
                rosters=rosters,
            )
        log.info("plan %s done", plan_id)

    def _write_report(self, plan_id: int, plan: Any) -> None:
        """The plan's self-contained ``report.html`` (as ``crowdguard plan`` writes it) to
        the reports folder, owner-only: it maps a day's routes. A report that cannot be
        drawn is logged, never a failed plan."""
        if self._reports is None:
            return
        try:
            from crowdguard.report.html import render_report  # Matplotlib is slow to import

            html = render_report(plan)
            self._reports.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
            write_private(report_path(self._reports, plan_id), html)
        except Exception as exc:  # the plan stands without its report
            log.warning("plan %s: no report (%s)", plan_id, type(exc).__name__)


def report_path(folder: Path, plan_id: int) -> Path:
    """Where plan ``plan_id``'s report is kept in the server's reports folder."""
    return folder / f"plan-{plan_id}.html"


def _jsonable(value: Any) -> Any:
    """Plain JSON types (dates and other objects become strings)."""
    return json.loads(json.dumps(value, default=str))
