"""Shared helpers for the plan-review tests (conftest.py puts this folder on sys.path)."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from crowdguard.plans import SecurityPlan, parse_plan

HERE = Path(__file__).parent
REVIEW_DAY = dt.date(2026, 11, 1)

# domain.md section 3, read off the table by hand: id -> (tier, critical).
CHECKLIST: dict[str, tuple[str, bool]] = {
    "G1": ("standard", True),
    "G2": ("standard", True),
    "G3": ("standard", False),
    "G4A": ("standard", False),
    "G4B": ("best_practice", False),
    "P1": ("standard", True),
    "P2": ("standard", True),
    "P3": ("standard", True),
    "P4": ("standard", True),
    "P5": ("best_practice", False),
    "P6": ("best_practice", False),
    "P7": ("best_practice", False),
    "M1": ("enhanced", True),
    "M2": ("enhanced", True),
    "M3": ("enhanced", True),
    "M4": ("enhanced", False),
    "D1": ("enhanced", True),
    "D2": ("best_practice", False),
    "D3": ("best_practice", False),
    "X1": ("best_practice", False),
    "X2": ("best_practice", False),
    "X3": ("best_practice", False),
}

MINIMAL: dict[str, Any] = {
    "event": {"id": "test-event", "name": "Test Event", "organiser": "Test Organiser"}
}


def merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``patch`` into a copy of ``base`` (mappings merge, other values replace)."""
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def plan_from(
    patch: dict[str, Any] | None = None, base: dict[str, Any] | None = None
) -> SecurityPlan:
    """A validated plan: ``base`` (default the minimal plan) with ``patch`` merged in."""
    return parse_plan(merge(base or MINIMAL, patch or {}))


def rule_cases() -> dict[str, dict[str, dict[str, Any]]]:
    """The hand-written adequate/partial patches per checklist item."""
    data = yaml.safe_load((HERE / "rule_cases.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data
