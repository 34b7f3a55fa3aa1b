"""The Python blocks of docs/theory/respond.md run, in order, and their checks hold."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "theory" / "respond.md"


def test_the_theory_page_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) >= 5
    module = types.ModuleType("respond_doc")  # dataclasses need a real module to live in
    monkeypatch.setitem(sys.modules, module.__name__, module)
    namespace = module.__dict__
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)
    # The prose quotes the season's figures: keep them true.
    season = namespace["season"]
    overall = season.overall
    assert (overall.incidents, overall.served, overall.unserved) == (21, 20, 1)
    assert overall.median_minutes == 18.0
    assert overall.share_within_target == pytest.approx(1 / 3)
    assert 1100 < overall.patrol_minutes_lost < 1200
    assert overall.patrol_minutes_rostered == 3120.0
