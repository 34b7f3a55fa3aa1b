"""The report's venue map: numbered venues whose labels do not print over one another."""

from __future__ import annotations

import itertools
import re
from typing import Any

import numpy as np
import pytest

from crowdguard.report.figures import label_offsets, venue_map_svg
from crowdguard.scenario.load import demo_scenario


def test_a_venue_alone_keeps_the_usual_offset_and_a_town_centre_is_spread_round() -> None:
    # Four venues within 1 km (a town centre) and one 30 km away.
    points = [
        (50.795, -1.105),
        (50.797, -1.100),
        (50.793, -1.098),
        (50.796, -1.109),
        (51.06, -1.31),
    ]
    offsets = label_offsets(points)
    assert offsets[4] == (6.0, 5.0)
    ring = offsets[:4]
    assert all(abs(np.hypot(dx, dy) - 18.0) < 1e-9 for dx, dy in ring)
    # Each pair of labels in the cluster is at least a chord of the ring apart (90 degrees).
    for (ax, ay), (bx, by) in itertools.combinations(ring, 2):
        assert np.hypot(ax - bx, ay - by) >= 2 * 18.0 * np.sin(np.radians(45)) - 1e-9
    # Each label is on its own venue's side of the centre: the most easterly venue's label
    # points east of the cluster's (the one pointing furthest east among the four).
    east = max(range(4), key=lambda i: points[i][1])
    assert ring[east][0] == pytest.approx(max(dx for dx, _ in ring))


def test_labels_of_venues_at_one_spot_differ() -> None:
    offsets = label_offsets([(51.0, -1.0)] * 3)
    assert len(set(offsets)) == 3


def test_the_demo_map_numbers_every_venue_in_order_as_text() -> None:
    scenario = demo_scenario()
    venues = [
        (v.name, v.lat, v.lon, 0.1 * (i % 5), 10.0 + i) for i, v in enumerate(scenario.venues)
    ]
    svg = venue_map_svg(venues, [(b.name, b.lat, b.lon) for b in scenario.bases])
    assert svg.startswith("<svg")
    for number, (_name, *_rest) in enumerate(venues, start=1):
        group = re.search(rf'<g id="venue-{number}-([^"]*)"', svg)
        assert group is not None, number
        assert re.search(rf">\s*{number}\s*</text>", svg[group.start() :]), number
    # Names are in the table, not printed on the map (they overlapped in town centres).
    assert "Gunwharf Quays" not in re.sub(r'id="[^"]*"', "", svg)


def test_a_route_across_the_solent_goes_by_ferry_on_the_report_s_maps(make_scenario: Any) -> None:
    """Issue 11: a team based on the island reached the mainland "in a straight line across
    the Solent". Its drawn route now runs through the terminals of the ferry it takes, and
    both maps draw the crossings."""
    from crowdguard.pipeline import PlanInputs, PlanOptions, make_plan
    from crowdguard.report.html import _route_lines, render_report

    scenario = make_scenario(
        bases=[
            {"id": "pic-sou", "name": "Southampton stand-in", "lat": 50.9075, "lon": -1.416},
            {"id": "ryde", "name": "Ryde stand-in", "lat": 50.729, "lon": -1.162, "island": True},
        ],
        teams=[{"callsign": "ferry-1", "base": "ryde", "kind": "arv", "shifts": ["09:00-18:00"]}],
    )
    plan = make_plan(
        PlanInputs.read(scenario), PlanOptions(seed=5, days=1, workers=1, what_ifs=False)
    )
    day = plan.days[0]
    (team, points), *_ = _route_lines(plan, day)
    assert team == "ferry-1" and len(points) > 2  # it patrols the mainland
    terminals = {
        (round(p.lat, 4), round(p.lon, 4))
        for c in plan.travel_times().crossings
        if c.vehicles
        for p in (c.mainland, c.island)
    }
    on_island = {(50.729, -1.162)}
    for a, b in itertools.pairwise(points):
        a, b = (round(a[0], 4), round(a[1], 4)), (round(b[0], 4), round(b[1], 4))
        crosses = (a in on_island) != (b in on_island)
        if crosses:  # only from the base to its island terminal, never over the water
            assert a in terminals or b in terminals, (a, b)
    used = [p for p in points if (round(p[0], 4), round(p[1], 4)) in terminals]
    assert len(used) == 4  # out and back: two terminals each way
    html = render_report(plan, route_day=day)
    assert html.count('id="crossing-portsmouth-fishbourne"') == 2  # venue map and route map
    assert "Dashed lines are the ferry crossings" in html
    assert "A leg across the water goes through the terminals" in html
    # A force's own scenario is not "the demo" (issue 11).
    text = re.sub(r"data:image/png;base64,[^\"]*", "", html)
    assert not re.search(r"\bdemo\b", text, re.IGNORECASE)
