"""The worked example in docs/theory/risk.md is what the code computes.

The table's numbers were worked by hand from the formulas on that page; this test reads
the page's YAML block and table and checks ``build_targets`` against them.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from crowdguard.risk import build_targets, explain_target
from crowdguard.scenario import parse_scenario

DOC = Path(__file__).resolve().parents[2] / "docs" / "theory" / "risk.md"
SLOT = dt.datetime(2026, 12, 12, 16, tzinfo=ZoneInfo("Europe/London"))


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def table_rows(text: str) -> dict[str, list[float]]:
    rows: dict[str, list[float]] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 12 and re.fullmatch(r"[a-z][a-z-]*", cells[0]) and cells[0] != "venue":
            rows[cells[0]] = [float(c) for c in cells[1:]]
    return rows


def test_worked_example_matches_the_code() -> None:
    text = doc_text()
    block = re.search(r"```yaml\n(.*?)```", text, re.S)
    assert block is not None
    scenario = parse_scenario(block.group(1), source="risk.md")
    targets = build_targets(scenario)
    rows = table_rows(text)
    assert set(rows) == {"market", "centre", "island-street"}
    for venue, expected in rows.items():
        i = targets.ids.index(f"{venue}@{SLOT.isoformat()}")
        r = explain_target(scenario, venue, SLOT)
        crowd, density, vehicle, marauding, ied, harm, risk, dc, du, ac, au = expected
        assert targets.crowd[i] == pytest.approx(crowd, abs=0.5)
        assert r.density == pytest.approx(density, abs=0.005)
        mitigated = {a.kind: a.mitigated for a in r.attacks}
        assert mitigated["vehicle"] == pytest.approx(vehicle, abs=0.01)
        assert mitigated["marauding"] == pytest.approx(marauding, abs=0.01)
        assert mitigated["ied"] == pytest.approx(ied, abs=0.01)
        assert r.harm == pytest.approx(harm, abs=0.01)
        assert targets.risk[i] == pytest.approx(risk, abs=0.01)
        assert targets.defender_covered[i] == pytest.approx(dc, abs=0.01)
        assert targets.defender_uncovered[i] == pytest.approx(du, abs=0.01)
        assert targets.attacker_covered[i] == pytest.approx(ac, abs=0.01)
        assert targets.attacker_uncovered[i] == pytest.approx(au, abs=0.01)


@pytest.mark.parametrize(
    ("teams", "coverage"),
    [(1, {"market": 0.57, "island-street": 0.38, "centre": 0.05}),
     (2, {"market": 0.85, "island-street": 0.70, "centre": 0.46})],
)  # fmt: skip
def test_worked_example_coverage_claims(teams: int, coverage: dict[str, float]) -> None:
    """The page's equilibrium coverage (worked by hand, ORIGAMI's closed form) is the solver's."""
    games = pytest.importorskip("crowdguard.games")
    block = re.search(r"```yaml\n(.*?)```", doc_text(), re.S)
    assert block is not None
    targets = build_targets(parse_scenario(block.group(1), source="risk.md"))
    hour = [i for i, start in enumerate(targets.start) if start == SLOT]  # the 16:00 slot
    game = games.SecurityGame.from_arrays(
        defender_covered=targets.defender_covered[hour],
        defender_uncovered=targets.defender_uncovered[hour],
        attacker_covered=targets.attacker_covered[hour],
        attacker_uncovered=targets.attacker_uncovered[hour],
        resources=teams,
    )
    solution = games.solve(game)
    venues = [targets.venue[i] for i in hour]
    for venue, share in coverage.items():
        assert solution.coverage[venues.index(venue)] == pytest.approx(share, abs=0.01)
    percent = [f"{round(100 * share)}%" for share in coverage.values()]
    assert all(p in doc_text() for p in percent)
