"""Assemble docs/benchmarks.md from the per-area result files in docs/benchmarks/.

Each bench script writes its rows to ``docs/benchmarks/<area>.md``; this script puts the
summary of every figure an issue names on top and the areas' full tables below, so the one
page stays current. Run it after any bench script: ``python bench/assemble_docs.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARTS = ROOT / "docs" / "benchmarks"
ORDER = [
    "games",
    "demo",
    "plan-speed",
    "scenario-risk",
    "patrols",
    "joint-rosters",
    "season",
    "plan-feedback",
    "plans",
    "server",
    "reports",
    "respond",
    "simulate",
    "sweep",
    "sweep-costs",
]
SUMMARY = ROOT / "docs" / "benchmarks" / "summary.md.in"


def main() -> None:
    parts = sorted(
        PARTS.glob("*.md"), key=lambda p: (ORDER.index(p.stem) if p.stem in ORDER else 99, p.stem)
    )
    text = [SUMMARY.read_text(encoding="utf-8").rstrip(), ""]
    for part in parts:
        body = part.read_text(encoding="utf-8").strip()
        if not body.startswith("#"):
            body = f"# {part.stem}\n\n{body}"
        # demote the part's headings by one level under this page's title
        lines = ["#" + line if line.startswith("#") else line for line in body.splitlines()]
        # images next to the part are one folder down from this page
        lines = [
            re.sub(r"\]\((?!https?:|/|benchmarks/)([^)]+\.png)\)", r"](benchmarks/\1)", line)
            for line in lines
        ]
        text += ["", *lines, ""]
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(text).rstrip() + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
