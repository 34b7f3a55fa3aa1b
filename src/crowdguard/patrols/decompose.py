"""Path decomposition: a team's flow becomes a lottery over concrete routes.

Flow decomposition (Ford and Fulkerson, *Flows in Networks*, 1962; Ahuja, Magnanti and Orlin,
*Network Flows*, 1993, section 3.5) writes any source-to-sink flow on a DAG as a sum of at
most ``#arcs`` weighted paths. TRUSTS (Yin et al., IAAI 2012, section 5) and CASS (Fang,
Jiang and Tambe, AAMAS 2013) sample executable patrols this way. We peel off the path of
largest bottleneck first (a dynamic programme over the slots, which are a topological
order), which tends to give few, heavy routes.

A route of a commodity of ``n`` teams with bottleneck ``b`` has probability ``b / n`` for
each of its teams; every team draws independently, so the expected number of teams of the
commodity at a node equals the flow through it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from crowdguard.patrols.graph import SINK_SLOT, PatrolGraph
from crowdguard.patrols.roster import Segment

__all__ = ["Route", "decompose", "route_entropy", "route_segments"]


@dataclass(frozen=True)
class Route:
    """One concrete route of a commodity: its arcs in time order and its probability."""

    commodity: int
    probability: float
    arcs: tuple[int, ...]

    def nodes(self, graph: PatrolGraph) -> tuple[int, ...]:
        """Nodes visited after the source, in order."""
        return tuple(int(graph.arc_head[a]) for a in self.arcs)


def decompose(
    graph: PatrolGraph, z: np.ndarray, *, tol: float = 1e-9, min_probability: float = 1e-6
) -> list[list[Route]]:
    """Routes per commodity (probabilities sum to 1 for each), largest bottleneck first.

    Routes below ``min_probability`` (solver round-off) are dropped and the rest rescaled.
    """
    routes: list[list[Route]] = []
    residual = np.where(z > tol, z, 0.0)
    topo = np.where(graph.node_slot == SINK_SLOT, np.iinfo(np.int64).max, graph.node_slot)
    order = np.argsort(topo, kind="stable")
    for k, comm in enumerate(graph.commodities):
        arcs_k = np.flatnonzero(graph.node_commodity[graph.arc_tail] == k)
        nodes_k = [int(v) for v in order if graph.node_commodity[v] == k]
        incoming: dict[int, list[int]] = {v: [] for v in nodes_k}
        for arc in arcs_k.tolist():
            incoming[int(graph.arc_head[arc])].append(arc)
        source, sink = int(graph.source[k]), int(graph.sink[k])
        found: list[tuple[float, tuple[int, ...]]] = []
        remaining = float(comm.size)
        for _ in range(len(arcs_k) + 1):
            if remaining <= 1e-7 * comm.size:
                break
            best = {v: 0.0 for v in nodes_k}
            via: dict[int, int] = {}
            best[source] = np.inf
            for v in nodes_k:
                for a in incoming[v]:
                    value = min(best[int(graph.arc_tail[a])], residual[a])
                    if value > best[v]:
                        best[v], via[v] = value, a
            bottleneck = best[sink]
            if not np.isfinite(bottleneck) or bottleneck <= tol:
                break
            path: list[int] = []
            v = sink
            while v != source:
                a = via[v]
                path.append(a)
                v = int(graph.arc_tail[a])
            path.reverse()
            residual[path] -= bottleneck
            remaining -= bottleneck
            found.append((bottleneck, tuple(path)))
        found = [(w, arcs) for w, arcs in found if w >= min_probability * comm.size]
        total = sum(w for w, _ in found)
        if total <= 0:
            raise ValueError(f"commodity {comm.name}: no flow to decompose")
        routes.append([Route(k, w / total, arcs) for w, arcs in found])
    return routes


def route_entropy(routes: list[Route]) -> float:
    """Shannon entropy (bits) of a team's route lottery: 0 means fully predictable."""
    p = np.array([r.probability for r in routes if r.probability > 0])
    return float(-(p * np.log2(p)).sum()) if len(p) else 0.0


def route_segments(graph: PatrolGraph, route: Route) -> tuple[Segment, ...]:
    """The roster segments of a route: base, transit and patrol intervals, merged.

    A team leaves a node at the end of its slot (the source at the shift start); a move
    is ``transit`` for the travel time, then ``patrol`` (venue) or ``base`` until the end of
    the arrival slot. From the last slot the team drives back to reach base at the shift
    end (its last patrol ends early enough).
    """
    comm = graph.commodities[route.commodity]
    raw: list[list[Any]] = []  # [kind, place, start, end]

    def add(kind: str, place: str | None, start: dt.datetime, end: dt.datetime) -> None:
        if end <= start:
            return
        if raw and raw[-1][0] == kind and raw[-1][1] == place and raw[-1][3] >= start:
            raw[-1][3] = max(raw[-1][3], end)
        else:
            raw.append([kind, place, start, end])

    for a in route.arcs:
        tail, head = int(graph.arc_tail[a]), int(graph.arc_head[a])
        minutes = dt.timedelta(minutes=float(graph.arc_minutes[a]))
        if graph.node_slot[head] == SINK_SLOT:  # drive back to base by the shift end
            if graph.node_place[tail] != graph.node_place[head] and raw:
                leave = comm.shift_end - minutes
                raw[-1][3] = leave
                add("transit", None, leave, comm.shift_end)
            elif raw:
                raw[-1][3] = max(raw[-1][3], comm.shift_end)
            continue
        depart = graph.departure(tail)
        place = graph.places[int(graph.node_place[head])]
        kind = "patrol" if place in graph.venues else "base"
        arrive = depart
        if graph.node_place[tail] != graph.node_place[head]:
            arrive = depart + minutes
            add("transit", None, depart, arrive)
        add(
            kind,
            place if kind == "patrol" else None,
            arrive,
            graph.slot_start(int(graph.node_slot[head]) + 1),
        )
    return tuple(
        Segment(kind=kind, venue=place if kind == "patrol" else None, start=start, end=end)
        for kind, place, start, end in raw
    )
