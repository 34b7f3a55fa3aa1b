"""The embedded Hampshire & Isle of Wight demo is complete, honest about its estimates and
never presents a staging point as a real armed-unit base (domain.md section 7)."""

from __future__ import annotations

import datetime as dt
import re

import crowdguard.scenario as scenario_pkg
from crowdguard.scenario import ThreatLevel, demo_path, demo_scenario, load_scenario

DEMO = demo_scenario()


def test_demo_file_loads_through_both_entry_points() -> None:
    assert demo_path().is_file()
    assert load_scenario(demo_path()) == DEMO


def test_period_threat_and_slots() -> None:
    assert DEMO.start == dt.date(2026, 11, 27)
    assert DEMO.end == dt.date(2027, 1, 2)
    assert DEMO.slot_minutes == 60
    assert DEMO.threat_level is ThreatLevel.SUBSTANTIAL
    # The level is a dated, sourced input to check on the day, never a constant.
    assert re.search(r"\b20\d\d\b", DEMO.threat_source)
    assert "confirm" in DEMO.threat_source.lower()


def test_sizes() -> None:
    assert len(DEMO.venues) >= 15
    assert len(DEMO.bases) >= 6
    assert len(DEMO.teams) == 8
    assert {t.kind for t in DEMO.teams} == {"foot", "arv"}
    assert len({tuple(s.hours for s in t.shifts) for t in DEMO.teams}) == 2  # two shifts


def test_every_venue_labels_its_figures() -> None:
    for venue in DEMO.venues:
        assert "[ESTIMATE]" in venue.source, venue.id
        facts = re.findall(r"\[FACT(?:-2nd)?\] ([^.;]+)", venue.source)
        assert all(len(f.strip()) > 5 for f in facts), f"{venue.id}: a fact without a source"


def test_no_base_is_claimed_to_be_an_armed_base() -> None:
    for base in DEMO.bases:
        text = f"{base.name} {base.note}".lower()
        assert "not a real armed-unit base" in text, base.id
        assert "fictional" in text, base.id
        claims = re.findall(r"(?<!not a real )armed[- ](?:unit|response)[- ]base", text)
        assert not claims, base.id


def test_isle_of_wight_is_covered() -> None:
    island_venues = {v.id for v in DEMO.venues if v.island}
    island_bases = {b.id for b in DEMO.bases if b.island}
    assert {"ryde-union-street", "newport-st-james-square"} <= island_venues
    assert any(t.base in island_bases for t in DEMO.teams)
    for venue in DEMO.venues:
        assert venue.island == (venue.lat < 50.77 and venue.lon < -1.12), venue.id


def test_christmas_day_closed_and_eves_close_early() -> None:
    for venue in DEMO.venues:
        assert venue.open_ranges(dt.date(2026, 12, 25)) == [], venue.id
        normal = venue.open_ranges(dt.date(2026, 12, 17))  # a Thursday, like 24 and 31 Dec
        for eve in (dt.date(2026, 12, 24), dt.date(2026, 12, 31)):
            ranges = venue.open_ranges(eve)
            if ranges and normal:
                assert max(r.end for r in ranges) <= max(r.end for r in normal), venue.id


def test_boxing_day_sales_open() -> None:
    open_on_boxing_day = [v.id for v in DEMO.venues if v.open_ranges(dt.date(2026, 12, 26))]
    assert "southampton-westquay" in open_on_boxing_day
    assert len(open_on_boxing_day) >= 12


def test_cathedral_market_and_westquay_are_the_most_attractive() -> None:
    ranked = sorted(DEMO.venues, key=lambda v: v.attractiveness, reverse=True)
    assert {v.id for v in ranked[:2]} == {"winchester-cathedral-market", "southampton-westquay"}


def test_winchester_high_street_has_rated_hvm() -> None:
    assert DEMO.venue("winchester-high-street").mitigations.hvm == "rated"


def test_patrol_policy() -> None:
    assert DEMO.patrol.effectiveness == 0.6
    assert DEMO.patrol.response_target_minutes == 10
    assert DEMO.patrol.min_dwell_minutes == 30


def test_public_surface_is_stable() -> None:
    assert set(scenario_pkg.__all__) == {
        "Base", "Mitigations", "OpeningHours", "PatrolPolicy", "Scenario", "Shift", "Team",
        "TeamKind", "ThreatLevel", "TimeRange", "Venue", "VenueKind", "Weekday",
        "demo_path", "demo_scenario", "load_scenario", "parse_scenario",
    }  # fmt: skip
