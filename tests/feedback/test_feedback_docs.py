"""The "Security plans feed the risk" section of docs/theory/risk.md is what the code does.

Its numbers were worked by hand (harm, risk, the one-team indifference level k and the
coverages); this test runs the page's Python block and checks the code against the text.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from crowdguard.games import SecurityGame, solve
from crowdguard.risk import build_targets
from crowdguard.scenario import parse_scenario

DOC = Path(__file__).resolve().parents[2] / "docs" / "theory" / "risk.md"
SECTION = "## Security plans feed the risk"


def section() -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.index("\n## ", start + len(SECTION))
    return text[start:end]


def example_yaml() -> str:
    block = re.search(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert block is not None
    return block.group(1)


def bold_numbers(text: str) -> list[float]:
    return [float(n) for n in re.findall(r"\*\*(-?[\d.]+)%?\*\*", text)]


def test_the_python_block_runs() -> None:
    block = re.search(r"```python\n(.*?)```", section(), re.S)
    assert block is not None
    exec(compile(block.group(1), str(DOC), "exec"), {"EXAMPLE_YAML": example_yaml()})


def one_team_coverage(gaps: dict[str, dict[str, float]] | None) -> tuple[dict[str, float], float]:
    scenario = parse_scenario(example_yaml())
    targets = build_targets(scenario, plan_gaps=gaps)
    index = [i for i, t in enumerate(targets.start) if t.hour == 16]
    game = SecurityGame.from_arrays(
        defender_covered=targets.defender_covered[index],
        defender_uncovered=targets.defender_uncovered[index],
        attacker_covered=targets.attacker_covered[index],
        attacker_uncovered=targets.attacker_uncovered[index],
        resources=1,
    )
    solution = solve(game)
    coverage = {targets.venue[i]: float(c) for i, c in zip(index, solution.coverage, strict=True)}
    return coverage, solution.attacker_utility


def test_hand_worked_numbers_match_the_code() -> None:
    text = section()
    numbers = bold_numbers(text)
    # vehicle, marauding, IED, harm, risk, attacker uncovered, attacker covered, k, then
    # the three coverages in percent, in the order the text gives them.
    vehicle, marauding, ied, harm, risk, unc, cov, k, market, street, centre = numbers[:11]
    scenario = parse_scenario(example_yaml())
    gaps = {"market": {"vehicle": 1.25, "marauding": 1.05}}
    targets = build_targets(scenario, plan_gaps=gaps)
    i = next(
        j for j, t in enumerate(targets.start) if t.hour == 16 and targets.venue[j] == "market"
    )
    assert float(targets.risk[i]) == pytest.approx(risk, abs=0.01)
    assert float(targets.attacker_uncovered[i]) == pytest.approx(unc, abs=0.01)
    assert float(targets.attacker_covered[i]) == pytest.approx(cov, abs=0.01)
    assert 0.35 * vehicle + 0.45 * marauding + 0.2 * ied == pytest.approx(harm, abs=0.01)
    coverage, level = one_team_coverage(gaps)
    assert level == pytest.approx(k, abs=0.01)
    assert 100 * coverage["market"] == pytest.approx(market, abs=0.5)
    assert 100 * coverage["island-street"] == pytest.approx(street, abs=0.5)
    assert 100 * coverage["centre"] == pytest.approx(centre, abs=0.5)
    before, _ = one_team_coverage(None)
    assert coverage["market"] > before["market"]
    assert np.isclose(sum(coverage.values()), 1.0)
