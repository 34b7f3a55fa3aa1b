"""Write a plan's output folder all at once: never a half-written directory.

Files go to a temporary sibling folder first; only when everything is written is it moved
into place. An existing output folder is replaced only then (it is kept as ``DIR.previous``
until the swap succeeds, so an interrupted run leaves the old output intact).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crowdguard.errors import InputError
from crowdguard.patrols.planner import PatrolPlan

__all__ = ["write_json", "write_plan_outputs"]


def write_json(path: Path, data: Any) -> None:
    """Write JSON with a stable layout (sorted keys off: the contract's order is kept)."""
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_plan_outputs(
    plan: PatrolPlan,
    out: Path,
    *,
    extra: Callable[[PatrolPlan, Path], None] | None = None,
) -> dict[str, Path]:
    """Write ``plan.json``, ``travel_times.json``, ``rosters/*.json`` and ``report.html``.

    ``extra(plan, folder)`` may add more files before the folder is moved into place.
    Returns the final paths of the main files.
    """
    from crowdguard.report.html import render_report  # Matplotlib is slow to import

    out = out.expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder")
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
        staging.chmod(0o755)
    except OSError as exc:
        raise InputError(f"--out {out}: cannot create the folder ({exc.strerror})") from exc
    try:
        write_json(staging / "plan.json", plan.plan_json())
        travel = plan.travel_json()
        if travel is not None:
            write_json(staging / "travel_times.json", travel)
        rosters = staging / "rosters"
        rosters.mkdir()
        for day, roster in plan.rosters().items():
            write_json(rosters / f"{day}.json", roster)
        (staging / "report.html").write_text(render_report(plan), encoding="utf-8")
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
    return {
        "plan": out / "plan.json",
        "report": out / "report.html",
        "rosters": out / "rosters",
    }
