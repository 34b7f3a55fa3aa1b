"""Drawing the report's figures and the advice letters' PDFs in worker processes.

Of a one-day demo plan's 9-12 s end to end, the report's Matplotlib figures took about 1.8 s
and the letters' PDFs (WeasyPrint) about 1.0-1.3 s, one after the other, after the solve,
in the planner's process (issue 10, section 4, measured by ``bench/plan_phases.py``). Both
are pure functions of small inputs, so a :class:`Renderer` hands them to worker processes:

* the letters as soon as the security plans are reviewed
  (:func:`crowdguard.pipeline.make_plan`'s ``reviewed``), so their PDFs are drawn while the
  season solves;
* the figures as soon as the plan is made, side by side on the workers while this process
  fills in the report's tables.

The output is what drawing them here gives: the same functions
(:mod:`crowdguard.report.figures`, :func:`crowdguard.plans.letter.render_pdf`) on the same
inputs. The workers are :func:`crowdguard.workers.worker_pool`'s (they die with this
process), forked when the renderer is entered, which must be before this process solves
anything and while it runs no other thread (``fork_now``): they start at once with what the
planner has imported, where starting them from the forkserver kept the planner waiting
1-2.5 s while the forkserver imported the solver. ``Renderer(0)``, and any job whose worker
is lost, draws here instead.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from concurrent.futures import BrokenExecutor, Future
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from crowdguard.plans.review import Review
    from crowdguard.risk.plan_gaps import LinkedPlan

__all__ = ["Job", "Renderer"]


def _draw(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """Run :mod:`crowdguard.report.figures`' ``name`` (in a worker, or here)."""
    from crowdguard.report import figures

    function: Callable[..., str] = getattr(figures, name)
    return function(*args, **kwargs)


def _pdf(review: Review) -> bytes:
    """The review's advice letter as PDF (in a worker, or here)."""
    from crowdguard.plans.letter import render_pdf

    return render_pdf(review)


def _pdfs(reviews: list[Review]) -> dict[str, bytes]:
    """Every review's advice letter as PDF, by event (one worker: WeasyPrint's import and
    font set-up, most of the first letter's second, are paid once)."""
    return {review.event: _pdf(review) for review in reviews}


def _warm() -> None:
    """Import Matplotlib and the figures in a worker before they are needed."""
    from crowdguard.report import figures  # noqa: F401


class Job:
    """A figure or PDF being drawn: :meth:`result` waits for it (or draws it here when its
    worker was lost, so a broken pool costs time, never output)."""

    def __init__(self, future: Future[Any] | None, function: Callable[..., Any], *args: Any):
        self._future = future
        self._function = function
        self._args = args
        self._done = False
        self._value: Any = None

    def result(self) -> Any:
        """The drawn figure (str) or PDF (bytes); a drawing error is raised here."""
        if not self._done:
            value: Any = None
            if self._future is not None:
                with contextlib.suppress(BrokenExecutor):
                    value = self._future.result()
                    self._done = True
            if not self._done:
                value = self._function(*self._args)
                self._done = True
            self._value = value
        return self._value


class Renderer:
    """Draws figures and letters in ``workers`` processes (0: in this process, on demand).

    Use as a context manager around the plan and its outputs; leaving it stops the workers.
    """

    def __init__(self, workers: int = 2) -> None:
        self.workers = workers
        self._pool: Executor | None = None
        self._stack = contextlib.ExitStack()
        self._letters: Job | None = None

    def __enter__(self) -> Renderer:
        if self.workers > 0:
            from crowdguard.workers import worker_pool

            self._pool = self._stack.enter_context(worker_pool(self.workers, fork_now=True))
            self._submit(_warm)
        return self

    @property
    def executor(self) -> Executor | None:
        """The worker processes, for other work beside the solve (``None``: none)."""
        return self._pool

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if error is not None and self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None
        self._stack.close()

    def _submit(self, function: Callable[..., Any], *args: Any) -> Job:
        future = None
        if self._pool is not None:
            with contextlib.suppress(BrokenExecutor, RuntimeError):  # RuntimeError: shut down
                future = self._pool.submit(function, *args)
        return Job(future, function, *args)

    def figure(self, name: str, *args: Any, **kwargs: Any) -> Job:
        """Start drawing :mod:`crowdguard.report.figures`' ``name`` with these arguments."""
        return self._submit(_draw, name, args, kwargs)

    def letters(self, links: Mapping[str, LinkedPlan]) -> None:
        """Start drawing the PDF advice letter of every linked plan's review (in one
        worker, one after the other)."""
        if self._pool is not None:
            self._letters = self._submit(_pdfs, [link.review for link in links.values()])

    def pdf(self, review: Review) -> bytes:
        """The review's PDF letter: the one started by :meth:`letters`, else drawn now
        (WeasyPrint's ``OSError`` when its system libraries are missing is raised here)."""
        drawn = self._letters.result() if self._letters is not None else {}
        pdf = drawn.get(review.event)
        if pdf is None:
            pdf = _pdf(review)
        assert isinstance(pdf, bytes)
        return pdf
