"""The worked example of docs/theory/patrols.md: the page's numbers are what the code gives."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from crowdguard.patrols.dayplan import plan_day
from crowdguard.patrols.travel import places_of, straight_line_travel
from crowdguard.scenario.schema import Scenario

DOC = Path(__file__).resolve().parents[2] / "docs" / "theory" / "patrols.md"
HOURS = "10:00-13:00"
DAY = dt.date(2026, 12, 5)
HARM = {"winchester-market": 9.0, "winchester-high-street": 5.0, "southampton-westquay": 8.0}


@dataclass(frozen=True)
class Targets:
    ids: tuple[str, ...]
    venue: tuple[str, ...]
    start: tuple[dt.datetime, ...]
    crowd: np.ndarray
    defender_covered: np.ndarray
    defender_uncovered: np.ndarray
    attacker_covered: np.ndarray
    attacker_uncovered: np.ndarray


def _example() -> tuple[Scenario, Targets]:
    week = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), HOURS)
    coords = {
        "winchester-market": (51.0606, -1.3131),
        "winchester-high-street": (51.0619, -1.3140),
        "southampton-westquay": (50.9035, -1.4060),
    }
    scenario = Scenario.model_validate(
        {
            "id": "worked-example",
            "name": "Three venues, two teams",
            "start": DAY,
            "end": DAY,
            "threat_level": "SUBSTANTIAL",
            "venues": [
                {"id": v, "name": v, "kind": "christmas_market", "lat": la, "lon": lo,
                 "opening_hours": {"weekly": week}, "peak_occupancy": 2000}
                for v, (la, lo) in coords.items()
            ],
            "bases": [
                {"id": "ops-winchester", "name": "W", "lat": 51.0640, "lon": -1.3150},
                {"id": "pic-southampton", "name": "S", "lat": 50.9075, "lon": -1.4160},
            ],
            "teams": [
                {"callsign": "foot-1", "base": "ops-winchester", "kind": "foot", "shifts": [HOURS]},
                {"callsign": "arv-1", "base": "pic-southampton", "kind": "arv", "shifts": [HOURS]},
            ],
        }
    )  # fmt: skip
    london = ZoneInfo("Europe/London")
    venue, start, harm = [], [], []
    for v, h in HARM.items():
        for hour in (10, 11, 12):
            venue.append(v)
            start.append(dt.datetime.combine(DAY, dt.time(hour), tzinfo=london))
            harm.append(h + (hour == 12))
    harms = np.array(harm)
    targets = Targets(
        ids=tuple(f"{v}@{s.isoformat()}" for v, s in zip(venue, start, strict=True)),
        venue=tuple(venue),
        start=tuple(start),
        crowd=harms * 200,
        defender_covered=np.zeros(9),
        defender_uncovered=-harms,
        attacker_covered=-np.ones(9),
        attacker_uncovered=harms,
    )
    return scenario, targets


def test_worked_example_matches_the_page() -> None:
    scenario, targets = _example()
    travel = straight_line_travel(places_of(scenario))
    plan = plan_day(scenario, DAY, targets, travel, tie="strong")
    baseline = plan_day(scenario, DAY, targets, travel, method="multiple-lps", tie="strong")
    assert plan.defender_utility == pytest.approx(baseline.defender_utility, abs=1e-6)
    text = DOC.read_text()
    hs10 = targets.ids.index("winchester-high-street@2026-12-05T10:00:00+00:00")
    c = float(plan.coverage[hs10])
    # Hand-checkable: the attacked high street at 10:00 loses 5 (1 - c); attacker gets 5(1-c) - c.
    assert plan.attacked_target == targets.ids[hs10]
    assert plan.defender_utility == pytest.approx(-5 * (1 - c), abs=1e-6)
    assert plan.attacker_utility == pytest.approx(5 * (1 - c) - c, abs=1e-6)
    # The page quotes these figures.
    assert f"5 x (1 - {c:.3f}) = {-plan.defender_utility:.2f}" in text
    assert f"best payoff is {plan.attacker_utility:.2f}" in text
    assert round(travel.between("ops-winchester", "southampton-westquay")) == 33
    assert "is 33 minutes" in text
    assert f"{len(plan.certificate['attack_set'])} of the nine" in text.replace("Eight", "8")


def test_coverage_table_on_the_page_is_current() -> None:
    """If a solver change picks another (equally good) plan, the page must be refreshed."""
    scenario, targets = _example()
    plan = plan_day(scenario, DAY, targets, straight_line_travel(places_of(scenario)), tie="strong")
    text = DOC.read_text()
    short = {"winchester-market": "market", "winchester-high-street": "high street",
             "southampton-westquay": "WestQuay"}  # fmt: skip
    for target_id, venue, start, c in zip(
        targets.ids, targets.venue, targets.start, plan.coverage, strict=True
    ):
        assert f"| {short[venue]} {start:%H:%M} | {c:.3f} |" in text, target_id


def test_the_run_block_runs_and_the_lottery_table_is_current() -> None:
    scenario, targets = _example()
    text = DOC.read_text()
    (block,) = re.findall(r"```python\n(.*?)```", text, re.S)
    namespace: dict[str, object] = {"scenario": scenario, "day": DAY, "targets": targets}
    exec(compile(block, str(DOC), "exec"), namespace)
    plan: Any = namespace["plan"]
    assert f"# {-plan.defender_utility:.2f} {plan.attacked_target.split('@')[0]}@" in block
    flat = " ".join(text.split())
    assert f"there are {plan.graph.n_nodes} nodes and {plan.graph.n_arcs} arcs" in flat
    for weight, segments in plan.routes["arv-1"]:
        patrols = [s for s in segments if s.kind == "patrol"]
        first = patrols[0].start.isoformat()[11:16]
        assert f"| {weight:.3f} |" in text and first in text


def test_the_ties_and_joint_rosters_figures_on_the_page_are_current() -> None:
    from .test_joint import _exact_protection, _independent_protection

    scenario, targets = _example()
    travel = straight_line_travel(places_of(scenario))
    strong = plan_day(scenario, DAY, targets, travel, tie="strong")
    plan = plan_day(scenario, DAY, targets, travel)
    text = " ".join(DOC.read_text().split())
    worst = -strong.worst_tie_defender_utility
    assert f"causes `10 x (1 - {strong.coverage[2]:.3f}) = {worst:.2f}`" in text
    assert f"{100 * (worst / -strong.defender_utility - 1):.0f}% more" in text
    assert f"states {-plan.defender_utility:.2f} and its worst tie is" in text
    assert f"{plan.certificate['price_of_robustness']:.4f}" in text
    dwell = scenario.patrol.min_dwell_minutes
    market11 = targets.ids.index("winchester-market@2026-12-05T11:00:00+00:00")
    old = _independent_protection(plan, targets, dwell)[market11]
    new = _exact_protection(plan, targets, dwell)[market11]
    assert f"planned **{plan.coverage[market11]:.3f}**" in text
    assert f"probability **{old:.3f}**" in text
    assert abs(new - plan.coverage[market11]) <= 1e-6
    used = len(plan.joint)
    assert f"found {plan.certificate['joint_columns']} schedules and used {used}" in text
    weights = sorted((o.weight for o in plan.joint), reverse=True)
    assert f"probability {weights[0]:.3f}" in text and f"with {weights[2]:.3f}" in text
