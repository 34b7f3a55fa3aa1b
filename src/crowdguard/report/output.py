"""Write a plan's output folder all at once: never a half-written directory.

Files go to a temporary sibling folder first; only when everything is written is it moved
into place. When venues link security plans, the advice letters of their reviews are written
too (``letters/<event-id>.md``, ``.html`` and ``.pdf``), inside the same staging folder. An
existing output folder is replaced only then (it is kept as ``DIR.previous`` until the swap
succeeds, so an interrupted run leaves the old output intact).

The folder holds the season's rosters, so it is owner-only: folders 0700, files 0600,
whatever the umask (issue 12, item 10; ``docs/howto/run-the-server.md``, "Files").
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crowdguard.errors import InputError
from crowdguard.patrols.planner import PatrolPlan
from crowdguard.report.render import Renderer

__all__ = [
    "PRIVATE_FILE",
    "PRIVATE_FOLDER",
    "write_json",
    "write_letters",
    "write_plan_outputs",
    "write_private",
]

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


def write_private(path: Path, data: str | bytes) -> None:
    """Write ``data`` to a new or existing file readable by its owner only (0600)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), PRIVATE_FILE)  # an existing file keeps no wider mode
        handle.write(raw)


def write_json(path: Path, data: Any) -> None:
    """Write JSON with a stable layout (sorted keys off: the contract's order is kept),
    owner-only (:func:`write_private`); ``NaN``/``Infinity`` are refused, never written."""
    write_private(path, json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def write_letters(
    plan: PatrolPlan,
    folder: Path,
    *,
    notes: list[str] | None = None,
    renderer: Renderer | None = None,
) -> int:
    """Write the advice letter of every linked plan's review into ``folder/letters/``.

    Markdown and HTML always; PDF through WeasyPrint (:func:`crowdguard.plans.render_pdf`)
    unless its system libraries (Pango, GObject) are missing, in which case the PDFs are
    skipped and a note saying so is appended to ``notes``. Returns the number of letters.
    ``renderer``: draws the PDFs (those it started while the plan solved are taken from
    it; :class:`~crowdguard.report.render.Renderer`); default: here.
    """
    if not plan.linked_plans:
        return 0
    from crowdguard.plans.letter import render_letter

    renderer = renderer or Renderer(0)

    letters = folder / "letters"
    letters.mkdir(mode=PRIVATE_FOLDER, exist_ok=True)
    pdf = True
    for link in plan.linked_plans.values():
        name = link.review.event
        write_private(letters / f"{name}.md", render_letter(link.review, "md"))
        write_private(letters / f"{name}.html", render_letter(link.review, "html"))
        if not pdf:
            continue
        try:
            write_private(letters / f"{name}.pdf", renderer.pdf(link.review))
        except OSError as exc:  # WeasyPrint cannot load libpango/libgobject
            pdf = False
            if notes is not None:
                notes.append(
                    "PDF letters skipped: WeasyPrint's system libraries are missing "
                    f"({' '.join(str(exc).split())[:120]}); the .md and .html letters are written"
                )
    return len(plan.linked_plans)


def write_plan_outputs(
    plan: PatrolPlan,
    out: Path,
    *,
    extra: Callable[[PatrolPlan, Path], None] | None = None,
    notes: list[str] | None = None,
    route_day: dt.date | None = None,
    renderer: Renderer | None = None,
) -> dict[str, Path]:
    """Write ``plan.json``, ``travel_times.json``, ``rosters/*.json`` and ``report.html``.

    Plus ``letters/`` when venues link security plans (:func:`write_letters`; messages such
    as a skipped PDF are appended to ``notes``). ``extra(plan, folder)`` may add more files
    before the folder is moved into place. Returns the final paths of the main files.
    ``renderer`` draws the report's figures and the letters' PDFs (in worker processes
    when it has some: :class:`~crowdguard.report.render.Renderer`); default: here.
    """
    from crowdguard.report.html import render_report  # Matplotlib is slow to import

    out = out.expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder")
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
        staging.chmod(PRIVATE_FOLDER)  # mkdtemp's own mode, said explicitly: rosters inside
    except OSError as exc:
        raise InputError(f"--out {out}: cannot create the folder ({exc.strerror})") from exc
    try:
        write_json(staging / "plan.json", plan.plan_json())
        travel = plan.travel_json()
        if travel is not None:
            write_json(staging / "travel_times.json", travel)
        rosters = staging / "rosters"
        rosters.mkdir(mode=PRIVATE_FOLDER)
        for day, roster in plan.rosters().items():
            write_json(rosters / f"{day}.json", roster.document())
        write_private(
            staging / "report.html", render_report(plan, route_day=route_day, renderer=renderer)
        )
        write_letters(plan, staging, notes=notes, renderer=renderer)
        if extra is not None:
            extra(plan, staging)
        previous = out.with_name(out.name + ".previous")
        if previous.exists():
            shutil.rmtree(previous)
        if out.exists():
            out.rename(previous)
        staging.rename(out)
        if previous.exists():
            shutil.rmtree(previous)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    paths = {
        "plan": out / "plan.json",
        "report": out / "report.html",
        "rosters": out / "rosters",
    }
    if (out / "letters").is_dir():
        paths["letters"] = out / "letters"
    return paths
