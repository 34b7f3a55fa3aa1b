"""Overrides: a supervisor pins a team to a place at a time, or forbids it.

Overrides are the "add/suppress" control users of ARMOR asked for (Pita et al., AAMAS
2008; ``domain.md`` section 9, item 4), warned when they weaken randomisation. A pin fixes
the flow of the team through node ``(place, slot)`` to 1; a forbid fixes it to 0. Both are
linear rows on the flow polytope, so the game is simply re-solved. The cost is reported in
two currencies: defender utility, and predictability: the Shannon entropy of the team's
route lottery before and after (bits; 0 = fully predictable), and the pinned venue-slot's
probability of that team being there (1 after a pin: an observer who knows the pin knows
where the team is). What an override costs is measured by
:func:`crowdguard.patrols.whatifs.override_cost`, which solves the day with and without it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp

from crowdguard.errors import PlanError
from crowdguard.patrols.graph import PatrolGraph

__all__ = ["Override", "override_rows"]


@dataclass(frozen=True)
class Override:
    """Pin (``action="pin"``) or forbid team ``team`` at ``place`` in the slot holding ``at``."""

    team: str
    place: str
    at: dt.time
    action: Literal["pin", "forbid"] = "pin"

    def describe(self) -> str:
        """``pin arv-1 at winchester-market 14:00``."""
        return f"{self.action} {self.team} at {self.place} {self.at.strftime('%H:%M')}"


def override_rows(
    graph: PatrolGraph, overrides: Sequence[Override]
) -> tuple[sp.csr_matrix, np.ndarray]:
    """``a_ub z <= b_ub`` rows enforcing the overrides; :class:`PlanError` if one cannot hold.

    Teams named in overrides must have been built as separate commodities
    (``build_graph(separate=...)``).
    """
    rows: list[np.ndarray] = []
    rhs: list[float] = []
    known_teams = {t for c in graph.commodities for t in c.teams}
    for o in overrides:
        if o.team not in known_teams:
            raise PlanError(
                f"override '{o.describe()}': team {o.team!r} is not on duty on "
                f"{graph.day.isoformat()}; pick a team with a shift that day"
            )
        if o.place not in graph.places:
            raise PlanError(f"override '{o.describe()}': no venue or base {o.place!r}")
        slot = (o.at.hour * 60 + o.at.minute) // graph.slot_minutes
        place = graph.places.index(o.place)
        comms = [k for k, c in enumerate(graph.commodities) if o.team in c.teams]
        nodes = [
            v
            for v in range(graph.n_nodes)
            if graph.node_commodity[v] in comms
            and graph.node_place[v] == place
            and graph.node_slot[v] == slot
        ]
        if not nodes:
            if o.action == "forbid":
                continue
            raise PlanError(f"override '{o.describe()}': {_why_not(graph, o, comms, slot)}")
        row = np.zeros(graph.n_arcs)
        for v in nodes:
            row[graph.arc_head == v] = 1.0
        if o.action == "pin":
            rows.extend([row, -row])
            rhs.extend([1.0, -1.0])
        else:
            rows.append(row)
            rhs.append(0.0)
    if not rows:
        return sp.csr_matrix((0, graph.n_arcs)), np.zeros(0)
    return sp.csr_matrix(np.vstack(rows)), np.array(rhs)


def _why_not(graph: PatrolGraph, o: Override, comms: Sequence[int], slot: int) -> str:
    """Why no node holds the pinned team at the place in that slot, and what to do."""
    shifts = [graph.commodities[k] for k in comms]
    when = f"{slot * graph.slot_minutes // 60:02d}:{slot * graph.slot_minutes % 60:02d}"
    if not any(c.first_slot <= slot <= c.last_slot for c in shifts):
        hours = ", ".join(f"{c.shift_start:%H:%M}-{c.shift_end:%H:%M}" for c in shifts)
        return (
            f"{o.team} is not on shift for the whole {when} slot (its shift: {hours}); pin "
            "a time within its shift or another team"
        )
    if o.place in graph.venues and not any(
        v == o.place and s == slot
        for v, s in zip(graph.target_venue, graph.target_slot.tolist(), strict=True)
    ):
        return (
            f"{o.place} is closed in the {when} slot on {graph.day.isoformat()}; pin a time "
            "when it is open"
        )
    return (
        f"{o.team} cannot get to {o.place}, patrol for the minimum dwell in the {when} slot "
        "and be back at base by the end of its shift; pin an earlier time, a nearer place or "
        "another team"
    )
