"""The sweep's figures: harm, response and patrol lost against team-hours, per threat level.

Each curve is the mean over seeds at each team count with its 95% Student-t band
(:func:`crowdguard.sweep.proportion.curve`); the harm figure also draws the exact stated and
worst-tie harms (no band: they do not depend on the seed) and marks each threat level's
proportionality point with its interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from crowdguard.sweep.proportion import Proportionality, TodayOnCurve, curve

__all__ = ["FIGURES", "NAMES", "draw", "plot_all"]

#: File name -> (column, y label) of the banded figures besides harm.
FIGURES = {
    "response.png": ("share_within_target", "share of incidents reached within the target"),
    "patrol_lost.png": ("share_patrol_lost", "share of rostered patrol time lost to incidents"),
}
COLOURS = {"LOW": "#4c72b0", "MODERATE": "#55a868", "SUBSTANTIAL": "#c9a227",
           "SEVERE": "#dd8452", "CRITICAL": "#c44e52"}  # fmt: skip


NAMES = ("harm", "response", "patrol_lost")
"""The figures, by the stem of their file name."""


def _png(figure: Any) -> bytes:
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    finally:
        plt.close(figure)
    return buffer.getvalue()


def _threats(rows: Sequence[dict[str, Any]]) -> list[str]:
    from crowdguard.scenario.schema import ThreatLevel

    order = [level.value for level in ThreatLevel]
    return sorted({str(r["threat"]) for r in rows}, key=order.index)


def _band(axes: Any, rows: Sequence[dict[str, Any]], threat: str, column: str, label: str) -> None:
    points = [p for p in curve(rows, threat, column) if not math.isnan(p.mean)]
    if not points:
        return
    x = [p.team_hours for p in points]
    colour = COLOURS.get(threat, "black")
    axes.plot(x, [p.mean for p in points], color=colour, lw=1.6, label=label)
    axes.fill_between(x, [p.low for p in points], [p.high for p in points], color=colour,
                      alpha=0.2, lw=0)  # fmt: skip


def _harm_figure(
    rows: Sequence[dict[str, Any]],
    points: Sequence[Proportionality],
    today: TodayOnCurve | None,
) -> Any:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8.5, 5))
    for threat in _threats(rows):
        colour = COLOURS.get(threat, "black")
        stated = curve(rows, threat, "harm_stated")
        axes.plot([p.team_hours for p in stated], [p.mean for p in stated], color=colour,
                  lw=1.2, ls="--", label=f"{threat}: stated (exact)")  # fmt: skip
        worst = [p for p in curve(rows, threat, "harm_worst_tie") if not math.isnan(p.mean)]
        if worst:
            axes.plot([p.team_hours for p in worst], [p.mean for p in worst], color=colour,
                      lw=1.2, ls=":", label=f"{threat}: worst tie (exact)")  # fmt: skip
        _band(axes, rows, threat, "harm_realised", f"{threat}: realised, daily attacker, 95% band")
    for point in points:
        if point.teams is None or point.team_hours is None:
            continue
        colour = COLOURS.get(point.threat, "black")
        hours = {c.teams: c.team_hours for c in point.curve}
        y = {c.teams: c.mean for c in point.curve}[point.teams]
        low = hours.get(point.low, point.team_hours) if point.low is not None else None
        high = hours.get(point.high, max(hours.values())) if point.high is not None else None
        axes.plot([point.team_hours], [y], marker="o", ms=8, mfc="white", mec=colour, mew=2)
        if low is not None:
            right = high if high is not None else max(hours.values())
            axes.plot([low, right], [y, y], color=colour, lw=3, alpha=0.6, solid_capstyle="butt")
    if today is not None:
        axes.axvline(today.team_hours, color="0.35", lw=1, ls="-.",
                     label=f"today: {today.teams} teams at {today.threat}")  # fmt: skip
    axes.set_xlabel("team-hours over the planned days")
    axes.set_ylabel("expected harm (people harmed x threat likelihood)")
    axes.set_title("Expected harm against deployment; circles: proportionality points")
    # below the axes: the curves fill the plot area
    axes.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.13))
    return figure


def _banded_figure(rows: Sequence[dict[str, Any]], column: str, label: str) -> Any:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8.5, 4.5))
    for threat in _threats(rows):
        _band(axes, rows, threat, column, f"{threat} (95% band over seeds)")
    axes.set_xlabel("team-hours over the planned days")
    axes.set_ylabel(label)
    axes.set_ylim(0, 1)
    axes.legend(fontsize=8)
    return figure


def draw(
    name: str,
    rows: Sequence[dict[str, Any]],
    points: Sequence[Proportionality] = (),
    today: TodayOnCurve | None = None,
) -> bytes:
    """The figure ``name`` (one of :data:`NAMES`) as PNG bytes. A pure function of the rows
    (and, for ``harm``, the proportionality points and today's deployment): the sweep runs
    it as a task on its workers, the figures side by side."""
    import matplotlib

    matplotlib.use("Agg")
    if name == "harm":
        return _png(_harm_figure(rows, points, today))
    column, label = FIGURES[f"{name}.png"]
    return _png(_banded_figure(rows, column, label))


def plot_all(
    rows: Sequence[dict[str, Any]],
    points: Sequence[Proportionality],
    folder: Path,
    *,
    today: TodayOnCurve | None = None,
) -> dict[str, Path]:
    """Write ``harm.png``, ``response.png`` and ``patrol_lost.png`` into ``folder``.

    ``today``: the scenario's own deployment, drawn as a vertical line on the harm figure.
    """
    from crowdguard.sweep.results import write_atomic

    paths = {}
    for name in NAMES:
        png = draw(name, rows, points, today)
        paths[name] = folder / f"{name}.png"
        write_atomic(paths[name], lambda h, png=png: h.write(png), binary=True)
    return paths
