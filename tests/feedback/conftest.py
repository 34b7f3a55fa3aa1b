"""Fixtures for "plans feed risk": the demo season with an edited copy of a demo plan.

``edited_demo(edit)`` copies the Winchester Cathedral market's demo plan into a temporary
folder, applies ``edit`` to its YAML data, writes the embedded demo scenario beside it with
the market's ``security_plan`` pointing at the copy (a path relative to the scenario file)
and loads that scenario through the ordinary loader.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from crowdguard.plans import DEMO_DIR
from crowdguard.scenario.load import demo_path, load_scenario
from crowdguard.scenario.schema import Scenario

WINCHESTER = "winchester-cathedral-market"
WINCHESTER_REF = "security_plan: demo:winchester-cathedral-market"

Edit = Callable[[dict[str, Any]], None]


def write_demo_with_plan(folder: Path, plan: dict[str, Any], name: str = "plan.yaml") -> Path:
    """Write ``plan`` and a copy of the demo scenario that links it to the Winchester market."""
    (folder / name).write_text(yaml.safe_dump(plan, sort_keys=False), encoding="utf-8")
    text = demo_path().read_text(encoding="utf-8")
    assert text.count(WINCHESTER_REF) == 1
    scenario = folder / "scenario.yaml"
    scenario.write_text(text.replace(WINCHESTER_REF, f"security_plan: {name}"), encoding="utf-8")
    return scenario


def winchester_plan() -> dict[str, Any]:
    """The Winchester demo plan as YAML data (near-exemplary: every multiplier is 1)."""
    data = yaml.safe_load((DEMO_DIR / f"{WINCHESTER}.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture
def edited_demo(tmp_path: Path) -> Callable[[Edit], Scenario]:
    """The demo scenario whose Winchester market links an edited copy of its plan."""

    def make(edit: Edit) -> Scenario:
        folder = tmp_path / f"edit{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        plan = winchester_plan()
        edit(plan)
        return load_scenario(write_demo_with_plan(folder, plan))

    return make
