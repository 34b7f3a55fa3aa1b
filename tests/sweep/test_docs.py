"""docs/howto/run-a-sweep.md: its Python runs, its links hold, its options are the command's."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_type_hints

from crowdguard.cli.sweep import sweep_command

DOC = Path(__file__).resolve().parents[2] / "docs" / "howto" / "run-a-sweep.md"


def test_the_worked_example_runs() -> None:
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks
    for code in blocks:
        exec(compile(code, str(DOC), "exec"), {})


def test_links_point_at_files() -> None:
    text = DOC.read_text(encoding="utf-8")
    links = re.findall(r"\]\(((?!https?:)[^)#]+)\)", text)
    assert links
    assert [link for link in links if not (DOC.parent / link).exists()] == []


def test_every_option_in_the_table_is_the_commands() -> None:
    table = DOC.read_text(encoding="utf-8").split("## Options", 1)[1]
    documented = set(re.findall(r"`(--[a-z-]+)", table))
    declared = {
        flag
        for hint in get_type_hints(sweep_command, include_extras=True).values()
        for metadata in getattr(hint, "__metadata__", ())
        for flag in (metadata.default, *(getattr(metadata, "param_decls", ()) or ()))
        if isinstance(flag, str) and flag.startswith("--")
    }
    assert documented == declared
