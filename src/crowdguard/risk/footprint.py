"""A venue's footprint: the ground its crowd stands on, so that density follows the crowd.

Every harm term of the risk model (:mod:`crowdguard.risk.payoffs`) counts the people within
an attack's reach: a vehicle's path, a blast radius, the ground a marauding attacker covers
before armed officers arrive. That number is the crowd's **density** times the reach, and
density is the crowd divided by the ground it stands on (Fruin, *Pedestrian Planning and
Design*, 1971: level of service as people per square metre). The ground is a property of
the place: a shopping centre's malls do not widen when more people come. So with the
footprint fixed, a larger expected crowd is a denser crowd and more people in reach of any
attack: risk rises with the crowd (``docs/theory/risk.md``, "The footprint").

The footprint comes, in order, from

1. ``area_m2``, the venue's public ground as the scenario gives it (best: measured from a
   site plan or OpenStreetMap);
2. ``capacity``, at :data:`DENSITY_AT_CAPACITY` people per square metre (a venue's stated
   capacity is the crowd its ground holds comfortably);
3. a **default by kind** (:data:`DEFAULT_AREA_M2`, each an **[ESTIMATE]** with its
   dimensions below). A venue on a default footprint is named in a warning wherever its
   risk is shown (:func:`defaulted_footprints`, :func:`footprint_warnings`), because two
   venues of one kind then differ only by their crowds.

The crowd is capped at the venue's ``capacity`` when one is given, and otherwise at what
its footprint holds at :data:`MAX_DENSITY` (4.7 people/m^2, the Green Guide's standing
allowance; :data:`crowdguard.scenario.schema.MAX_DENSITY`), so density never exceeds what people can stand
at. Earlier versions derived a missing capacity from the crowd itself (1.5 x peak), which
made density, and every harm term, the same whatever the crowd: a centre of 8,000 people
and one of 80,000 scored alike (issue 11).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from crowdguard.scenario.schema import MAX_DENSITY, Scenario, Venue, VenueKind

__all__ = [
    "DEFAULT_AREA_M2",
    "DENSITY_AT_CAPACITY",
    "MAX_DENSITY",
    "Footprint",
    "defaulted_footprints",
    "footprint",
    "footprint_warnings",
]

#: Density at capacity, people per square metre [ESTIMATE]: a stated capacity is taken to
#: fill the public ground at 2 people/m^2 (a busy but freely moving crowd).
DENSITY_AT_CAPACITY = 2.0

#: Default public ground by kind of venue, square metres [ESTIMATE]: used only when a
#: venue gives neither ``area_m2`` nor ``capacity``. Shops' own floor space is not counted:
#: the crowd an attacker can reach stands in the streets, malls and aisles.
DEFAULT_AREA_M2: dict[VenueKind, float] = {
    # ~100 chalets facing ~300 m of aisles 10 m wide
    VenueKind.christmas_market: 3_000.0,
    # ~500 m of pedestrianised street, 12 m wide
    VenueKind.shopping_street: 6_000.0,
    # a square of ~2,500 m^2 and ~600 m of streets 12 m wide
    VenueKind.town_centre: 10_000.0,
    # ~1 km of public malls 10 m wide in a regional centre
    VenueKind.shopping_centre: 10_000.0,
    # a seasonal rink of ~600 m^2 with its surrounds and spectators
    VenueKind.ice_rink: 1_200.0,
    # a market hall of ~60 m x 50 m
    VenueKind.covered_market: 3_000.0,
    # ~800 m of open-air streets 12 m wide
    VenueKind.outlet_village: 10_000.0,
}

FootprintSource = Literal["area_m2", "capacity", "default"]


@dataclass(frozen=True)
class Footprint:
    """Where a venue's crowd stands: its area, the crowd cap, and where each comes from."""

    venue_id: str
    kind: VenueKind
    area_m2: float
    source: FootprintSource
    cap: float  # the most people the model puts there at once
    cap_given: bool  # True: the scenario's capacity; False: area x MAX_DENSITY
    peak_density: float  # peak_occupancy / area_m2, people per m^2

    @property
    def why(self) -> str:
        """Where the area comes from, in words."""
        if self.source == "area_m2":
            return "area_m2 from the scenario"
        if self.source == "capacity":
            return f"capacity at {DENSITY_AT_CAPACITY:g} people/m^2"
        kind = self.kind.value.replace("_", " ")
        return f"DEFAULT for a {kind} (no area_m2 or capacity given)"


def footprint(venue: Venue) -> Footprint:
    """The footprint of one venue (module docstring for the order of sources)."""
    if venue.area_m2 is not None:
        area, source = float(venue.area_m2), "area_m2"
    elif venue.capacity is not None:
        area, source = venue.capacity / DENSITY_AT_CAPACITY, "capacity"
    else:
        area, source = DEFAULT_AREA_M2[venue.kind], "default"
    given = venue.capacity is not None
    cap = float(venue.capacity) if venue.capacity is not None else area * MAX_DENSITY
    return Footprint(
        venue_id=venue.id,
        kind=venue.kind,
        area_m2=area,
        source=source,  # type: ignore[arg-type]
        cap=cap,
        cap_given=given,
        peak_density=venue.peak_occupancy / area,
    )


def defaulted_footprints(venues: Scenario | Sequence[Venue]) -> list[Footprint]:
    """The footprints of the venues whose risk rests on a default by kind, in scenario order."""
    items = venues.venues if isinstance(venues, Scenario) else venues
    return [f for f in (footprint(v) for v in items) if f.source == "default"]


def footprint_warnings(venues: Scenario | Sequence[Venue]) -> list[str]:
    """One line per venue whose risk rests on a default footprint, naming the fix.

    Shown by ``crowdguard plan``, ``crowdguard explain``, ``crowdguard scenario check`` and
    the report. A default footprint that cannot hold the venue's peak crowd even at
    :data:`MAX_DENSITY` says so: its crowd, and so its risk, is capped there.
    """
    lines = []
    for f in defaulted_footprints(venues):
        kind = f.kind.value.replace("_", " ")
        article = "an" if kind[0] in "aeiou" else "a"
        line = (
            f"{f.venue_id}: risk rests on the default footprint of {article} {kind} "
            f"({f.area_m2:,.0f} m^2, {f.peak_density:.2f} people/m^2 at peak); "
            "give its area_m2 (or capacity) in the scenario"
        )
        if f.peak_density > MAX_DENSITY:
            line += (
                f"; its peak crowd does not fit that footprint, so the crowd is capped at "
                f"{f.cap:,.0f} ({MAX_DENSITY:g} people/m^2)"
            )
        lines.append(line)
    return lines
