"""Every Python block in the plan-review docs runs and its assertions hold."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = [DOCS / "theory" / "plan-review.md", DOCS / "howto" / "review-a-security-plan.md"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_python_blocks_run(page: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)
    assert blocks
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, str(page), "exec"), namespace)


def test_error_example_matches_the_real_message(tmp_path: Path) -> None:
    from crowdguard.errors import ReviewError
    from crowdguard.plans import EXAMPLE_PLAN, load_plan

    text = EXAMPLE_PLAN.read_text(encoding="utf-8").replace(
        '"V/7500[N3]/48/90:2.5/6.0"', '"7500[N3]/50/90:1.0"'
    )
    plan = tmp_path / "riverside.yaml"
    plan.write_text(text, encoding="utf-8")
    with pytest.raises(ReviewError) as info:
        load_plan(plan)
    page = (DOCS / "howto" / "review-a-security-plan.md").read_text(encoding="utf-8")
    shown = re.search(r"crowdguard: error: riverside\.yaml(:\d+: .+)", page)
    assert shown is not None
    assert str(info.value) == f"{plan}{shown.group(1)}"
