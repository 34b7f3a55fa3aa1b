"""The progress bar of long commands (``plan``, ``demo``, ``simulate``): what is being done,
how much is done, and the time left.

The core packages take a plain callback, ``progress(fraction, label)`` (fraction of the work
done in 0..1, and what is being done, e.g. the date being solved), and import no Rich: this
module turns those calls into a Rich progress bar on standard error, so standard output
stays clean for ``--quiet`` and pipes. The bar is transient: it disappears when the work is
done, and on Ctrl-C, which the CLI's entry point turns into "crowdguard: interrupted" and
exit status 130 (the commands write their outputs to a staging folder moved into place only
at the end, so an interrupted run leaves nothing behind).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

__all__ = ["Reporter", "long_run"]

#: ``report(fraction, label)``: the callback the core packages accept.
Reporter = Callable[[float, str], None]


class _Done(ProgressColumn):
    """``12/37 days`` when the work is counted in units, else the percentage."""

    def __init__(self, unit: str | None) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        if self.unit is None or task.total is None:
            return Text(f"{task.percentage:>3.0f}%")
        return Text(
            f"{int(task.completed):>{len(str(int(task.total)))}}/{int(task.total)} {self.unit}"
        )


@contextmanager
def long_run(
    description: str, *, total: int | None = None, unit: str | None = None, quiet: bool = False
) -> Iterator[tuple[Reporter, Callable[[str], None]]]:
    """A progress bar for ``total`` ``unit`` of work (e.g. 37 days), on standard error.

    Yields ``(report, say)``: ``report(fraction, label)`` is the core's callback (the bar
    shows ``round(fraction x total)`` units done, the label, the time spent and the time
    left); ``say(text)`` names a step that follows the counted work (writing the report).
    ``quiet`` shows nothing.
    """
    count = max(int(total or 0), 0)
    try:
        with _bar(description, count, unit, quiet) as bar:
            yield bar
    except KeyboardInterrupt:
        Console(stderr=True).print("crowdguard: interrupted; nothing was written")
        raise


@contextmanager
def _bar(
    description: str, count: int, unit: str | None, quiet: bool
) -> Iterator[tuple[Reporter, Callable[[str], None]]]:
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        _Done(unit if count else None),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=quiet,
    ) as progress:
        size = float(count) if count else 1.0
        task = progress.add_task(description, total=size)

        def report(fraction: float, label: str) -> None:
            done = min(max(fraction, 0.0), 1.0) * size
            if count:
                done = float(round(done))
            progress.update(task, completed=done, description=f"{description} {label}".strip())

        def say(text: str) -> None:
            progress.update(task, completed=size, description=text)

        yield report, say
