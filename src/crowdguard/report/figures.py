"""Figures for the plan report, drawn with Matplotlib and embedded in the HTML.

Heatmaps are PNG (many cells), the map is inline SVG (crisp at any zoom). Nothing here
touches the network: the report opens offline.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

__all__ = ["heatmap_png", "tradeoff_png", "venue_map_svg"]


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def heatmap_png(
    matrix: np.ndarray,
    rows: Sequence[str],
    hours: Sequence[int],
    *,
    title: str,
    colorbar: str,
    cmap: str = "viridis",
    vmax: float | None = None,
) -> str:
    """A venue x hour heatmap as base64 PNG; NaN cells (closed) are left blank."""
    height = 0.32 * len(rows) + 1.6
    figure, axes = plt.subplots(figsize=(0.42 * len(hours) + 3.5, height))
    masked = np.ma.masked_invalid(matrix)
    image = axes.imshow(masked, aspect="auto", cmap=cmap, vmin=0, vmax=vmax)
    axes.set_xticks(range(len(hours)), [f"{h:02d}" for h in hours])
    axes.set_yticks(range(len(rows)), list(rows))
    axes.set_xlabel("hour of day (local time)")
    axes.set_title(title)
    figure.colorbar(image, ax=axes, label=colorbar, fraction=0.04)
    return _png(figure)


def tradeoff_png(curve: Sequence[dict[str, float]], *, title: str) -> str:
    """The price of being seen: expected harm against the visibility floor, as base64 PNG.

    ``curve`` is :func:`crowdguard.patrols.visibility.visibility_tradeoff`'s output; harm is
    the negated defender utility (expected people harmed by a best-informed attacker).
    """
    floors = [p["visibility_floor"] for p in curve]
    harm = [-p["defender_utility"] for p in curve]
    figure, axes = plt.subplots(figsize=(6.0, 3.2))
    axes.plot(floors, harm, marker="o", color="#2b6cb0")
    axes.set_xlabel("visibility floor (expected shoppers passing a patrol that day)")
    axes.set_ylabel("expected harm (people)")
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.set_title(title)
    return _png(figure)


def venue_map_svg(
    venues: Sequence[tuple[str, float, float, float, float]],
    bases: Sequence[tuple[str, float, float]],
    *,
    routes: Sequence[tuple[str, Sequence[tuple[float, float]]]] = (),
    title: str = "Venues: colour = coverage, size = risk",
) -> str:
    """Venues on a lat/lon plot (equal-distance aspect), coloured by coverage, sized by risk.

    ``venues`` holds (label, lat, lon, mean coverage, mean risk); ``bases`` (label, lat, lon);
    ``routes`` optional (team, [(lat, lon), ...]) polylines for a planner's day view.
    """
    figure, axes = plt.subplots(figsize=(8.5, 7))
    lats = np.array([v[1] for v in venues] + [b[1] for b in bases])
    axes.set_aspect(1 / np.cos(np.radians(float(lats.mean()))))
    risks = np.array([v[4] for v in venues], dtype=float)
    sizes = 60 + 540 * (risks / risks.max() if risks.size and risks.max() > 0 else risks)
    for team, points in routes:
        axes.plot(
            [p[1] for p in points],
            [p[0] for p in points],
            lw=1.6,
            alpha=0.8,
            marker="o",
            markersize=3,
            label=team,
            zorder=4,
        )
    scatter = axes.scatter(
        [v[2] for v in venues],
        [v[1] for v in venues],
        c=[v[3] for v in venues],
        s=sizes,
        cmap="plasma",
        vmin=0,
        edgecolors="black",
        linewidths=0.6,
        zorder=3,
    )
    for label, lat, lon, *_ in venues:
        axes.annotate(label, (lon, lat), xytext=(5, 4), textcoords="offset points", fontsize=7)
    if bases:
        axes.scatter(
            [b[2] for b in bases],
            [b[1] for b in bases],
            marker="^",
            c="#2b6cb0",
            s=50,
            zorder=2,
            label="staging point (stand-in)",
        )
    axes.set_xlabel("longitude")
    axes.set_ylabel("latitude")
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right", fontsize=7)
    figure.colorbar(scatter, ax=axes, label="mean patrol coverage", fraction=0.04)
    axes.set_title(title)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]
