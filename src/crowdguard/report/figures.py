"""Figures for the plan report, drawn with Matplotlib and embedded in the HTML.

Heatmaps are PNG (many cells), the map is inline SVG (crisp at any zoom). Nothing here
touches the network: the report opens offline.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from crowdguard.geometry import LocalProjection

__all__ = ["heatmap_png", "label_offsets", "tradeoff_png", "venue_map_svg"]


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

    ``curve`` is :func:`crowdguard.patrols.whatifs.visibility_tradeoff`'s output; harm is
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


def sweep_position_png(placed: dict[str, Any]) -> str:
    """Where today's deployment sits on a sweep's curve, as base64 PNG.

    ``placed`` is ``plan.json``'s ``proportionality``
    (:meth:`crowdguard.sweep.proportion.TodayOnCurve.to_json`): the metric's mean per team
    count with its 95% interval as a band, the proportionality point's interval shaded, and
    today's deployment marked.
    """
    point = placed["point"]
    rows = [c for c in point["curve"] if c["mean"] is not None]
    teams = [c["teams"] for c in rows]
    figure, axes = plt.subplots(figsize=(6.0, 3.2))
    axes.plot(teams, [c["mean"] for c in rows], marker="o", color="#2b6cb0", label="mean")
    banded = [c for c in rows if c["low"] is not None and c["high"] is not None]
    if banded:
        axes.fill_between(
            [c["teams"] for c in banded],
            [c["low"] for c in banded],
            [c["high"] for c in banded],
            color="#2b6cb0",
            alpha=0.18,
            label="95% interval",
        )
    interval = point["interval"]
    if point["teams"] is not None and interval["low"] is not None:
        high = interval["high"] if interval["high"] is not None else max(teams)
        axes.axvspan(interval["low"] - 0.5, high + 0.5, color="#38a169", alpha=0.12,
                     label="proportionate range")  # fmt: skip
        axes.axvline(point["teams"], color="#38a169", linestyle="--", linewidth=1)
    if placed["harm"] is not None:
        axes.plot([placed["teams"]], [placed["harm"]], marker="*", markersize=14,
                  color="#c53030", linestyle="none", label="today")  # fmt: skip
    axes.set_xlabel(f"armed teams on shift (at {placed['threat']})")
    axes.set_ylabel(placed["metric"].replace("_", " "))
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.legend(loc="upper right", fontsize=8)
    return _png(figure)


def label_offsets(
    points: Sequence[tuple[float, float]], *, near_km: float = 2.5, ring: float = 18.0
) -> list[tuple[float, float]]:
    """Where to put each point's label, in typographic points from the point, so that
    labels of places close together do not overlap.

    ``points`` are (lat, lon). Places within ``near_km`` of one another (single linkage, on
    the equirectangular projection) form a cluster; the labels of a cluster of ``k`` sit on
    a ring of radius ``ring`` points, ``360/k`` degrees apart, in the same rotational order as
    the places round the cluster's centre and turned to be as near their bearings as it can,
    so each label is on its own place's side. A place alone gets the usual north-east offset. Returns one (dx, dy) per
    point, measured from the point itself.
    """
    if not points:
        return []
    projection = LocalProjection.about([p[0] for p in points])
    lat = np.array([p[0] for p in points], dtype=float)
    lon = np.array([p[1] for p in points], dtype=float)
    xy = projection.xy_array(lat, lon) / 1000.0  # kilometres
    n = len(points)
    cluster = list(range(n))

    def root(i: int) -> int:
        while cluster[i] != i:
            cluster[i] = cluster[cluster[i]]
            i = cluster[i]
        return i

    for i in range(n):
        for j in range(i + 1, n):
            if np.hypot(*(xy[i] - xy[j])) <= near_km:
                cluster[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(root(i), []).append(i)
    offsets = [(6.0, 5.0)] * n
    for members in groups.values():
        if len(members) == 1:
            continue
        centre = xy[members].mean(axis=0)
        bearing = {
            i: float(np.arctan2(xy[i][1] - centre[1], xy[i][0] - centre[0])) for i in members
        }
        order = sorted(members, key=lambda i: (bearing[i], i))
        step = 2 * np.pi / len(order)
        # Turn the ring so its slots, taken in the same rotational order as the venues round
        # the centre, are as close as they can be to the venues' own bearings (circular mean).
        shift = [bearing[i] - k * step for k, i in enumerate(order)]
        base = float(np.arctan2(np.mean(np.sin(shift)), np.mean(np.cos(shift))))
        for k, i in enumerate(order):
            angle = base + k * step
            offsets[i] = (float(ring * np.cos(angle)), float(ring * np.sin(angle)))
    return offsets


def venue_map_svg(
    venues: Sequence[tuple[str, float, float, float, float]],
    bases: Sequence[tuple[str, float, float]],
    *,
    routes: Sequence[tuple[str, Sequence[tuple[float, float]]]] = (),
    crossings: Sequence[tuple[str, tuple[float, float], tuple[float, float]]] = (),
    title: str = "Venues: colour = coverage, size = risk",
) -> str:
    """Venues on a lat/lon plot (equal-distance aspect), coloured by coverage, sized by risk.

    ``venues`` holds (label, lat, lon, mean coverage, mean risk); ``bases`` (label, lat, lon);
    ``routes`` optional (team, [(lat, lon), ...]) polylines for a planner's day view. Each
    venue is marked with its number (1-based, in the order given: the report's Venues table
    numbers its rows the same way) rather than its name, with the labels of neighbouring
    venues spread round them (:func:`label_offsets`): the names of the four venues of one
    town centre used to print over one another. Text stays text in the SVG (searchable, and
    read by screen readers); each number's group carries the venue's name in its id.
    ``crossings`` (name, (lat, lon) of one terminal, (lat, lon) of the other) are the ferry
    routes teams take across water, drawn dashed between their terminals: a route that
    crosses water follows one of them, never a straight line.
    """
    with plt.rc_context({"svg.fonttype": "none"}):
        return _venue_map_svg(venues, bases, routes=routes, crossings=crossings, title=title)


def _venue_map_svg(
    venues: Sequence[tuple[str, float, float, float, float]],
    bases: Sequence[tuple[str, float, float]],
    *,
    routes: Sequence[tuple[str, Sequence[tuple[float, float]]]],
    crossings: Sequence[tuple[str, tuple[float, float], tuple[float, float]]],
    title: str,
) -> str:
    figure, axes = plt.subplots(figsize=(8, 8))
    lats = np.array([v[1] for v in venues] + [b[1] for b in bases])
    for k, (name, a, b) in enumerate(crossings):
        (line,) = axes.plot(
            [a[1], b[1]],
            [a[0], b[0]],
            ls=(0, (4, 3)),
            lw=1.2,
            color="#1a365d",
            marker="s",
            markersize=3,
            label="ferry crossing" if k == 0 else None,
            zorder=1,
        )
        line.set_gid(f"crossing-{name}")
    axes.set_aspect(LocalProjection.about(lats).aspect)
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
    offsets = label_offsets([(v[1], v[2]) for v in venues])
    for number, ((label, lat, lon, *_), (dx, dy)) in enumerate(
        zip(venues, offsets, strict=True), start=1
    ):
        spread = abs(dx) > 8 or abs(dy) > 8
        text = axes.annotate(
            str(number),
            (lon, lat),
            xytext=(dx, dy),
            textcoords="offset points",
            fontsize=8,
            fontweight="bold",
            ha="center" if spread else "left",
            va="center" if spread else "bottom",
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "0.6", "lw": 0.5},
            arrowprops={"arrowstyle": "-", "lw": 0.5, "color": "0.4"} if spread else None,
            zorder=5,
        )
        text.set_gid(f"venue-{number}-{label}")
    if bases:
        axes.scatter(
            [b[2] for b in bases],
            [b[1] for b in bases],
            marker="^",
            c="#2b6cb0",
            s=50,
            zorder=2,
            label="staging point",
        )
    axes.set_xlabel("longitude")
    axes.set_ylabel("latitude")
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right", fontsize=7)
    figure.colorbar(scatter, ax=axes, label="mean patrol coverage", fraction=0.04, shrink=0.75)
    axes.set_title(title)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]
