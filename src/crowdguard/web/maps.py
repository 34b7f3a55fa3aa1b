"""The offline base map for the pages' Leaflet maps: Natural Earth land as GeoJSON.

``GET /map/land.geojson?bbox=SOUTH,WEST,NORTH,EAST`` gives the 1:10m land inside the box
(at most :data:`crowdguard.basemap.MAX_SPAN_DEGREES` on a side); ``?detail=110m`` the whole
world at 1:110m. Public (coastlines are no secret), cached by the browser for a day and by
the server for the last boxes asked for; it reads nothing from the store.

:func:`route_drawer` gives the pages' routes their shape: along the plan's travel model, as
the plan's report draws them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ValidationError

from crowdguard.basemap import land_geojson, world_bounds
from crowdguard.errors import InputError
from crowdguard.geometry import Bounds
from crowdguard.patrols.travel import drawn_route, scenario_travel
from crowdguard.scenario.schema import Scenario

__all__ = ["route_drawer", "router"]

RouteDrawer = Callable[[str, list[dict[str, Any]]], list[list[float]]]

router = APIRouter(include_in_schema=False)


def _box(text: str) -> Bounds:
    parts = text.split(",")
    message = (
        f"bbox: {text[:80]!r} is not SOUTH,WEST,NORTH,EAST in degrees "
        "(latitudes -90..90, longitudes -180..180, south below north, west left of east)"
    )
    if len(parts) != 4:
        raise InputError(message)
    try:
        south, west, north, east = (float(p) for p in parts)
    except ValueError:
        raise InputError(message) from None
    values = (south, west, north, east)
    if not all(math.isfinite(v) for v in values):
        raise InputError(message)
    if not (-90 <= south < north <= 90 and -180 <= west < east <= 180):
        raise InputError(message)
    return Bounds(south, west, north, east)


@router.get("/map/land.geojson")
async def land(
    bbox: Annotated[str, Query(max_length=100)] = "",
    detail: Annotated[str, Query(pattern="^(10m|110m)$")] = "10m",
) -> Response:
    """Natural Earth land in a box (or the world at 1:110m)."""
    if detail == "110m":
        box = world_bounds()
        text = await run_in_threadpool(land_geojson, box, "110m")
    else:
        box = _box(bbox)
        try:
            text = await run_in_threadpool(land_geojson, box, "10m")
        except ValueError as exc:
            raise InputError(str(exc)) from None
    return Response(
        text,
        media_type="application/geo+json",
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


def route_drawer(snapshot: dict[str, Any] | None) -> RouteDrawer:
    """``draw(team, stops)``: the map points of a team's route through ``stops`` (dicts with
    ``id``, ``lat``, ``lon``: base, venues, base), leg by leg along the plan's travel model
    (the straight-line model over the plan's scenario snapshot, a leg between the island
    and the mainland through the terminals of the ferry it takes:
    :func:`crowdguard.patrols.travel.drawn_route`, as the plan's report draws them). Straight
    legs when there is no snapshot or it no longer validates (a plan of an older version)."""
    try:
        scenario = Scenario.model_validate(snapshot)
        travel = scenario_travel(scenario)
    except (ValidationError, InputError):
        return lambda _team, stops: [[s["lat"], s["lon"]] for s in stops]
    known = set(travel.ids)

    def draw(team: str, stops: list[dict[str, Any]]) -> list[list[float]]:
        if not all(s["id"] in known for s in stops):
            return [[s["lat"], s["lon"]] for s in stops]
        return [list(p) for p in drawn_route(scenario, travel, team, [s["id"] for s in stops])]

    return draw
