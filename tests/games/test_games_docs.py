"""The theory page's code runs: docs/theory/games.md is executed block by block."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "theory" / "games.md"


def test_theory_page_examples_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 2
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)


def test_package_docstring_example_runs() -> None:
    import doctest

    import crowdguard.games

    result = doctest.testmod(crowdguard.games)
    assert result.attempted >= 3 and result.failed == 0
