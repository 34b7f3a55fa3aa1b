"""Whatever an organiser sends, the answer is a review or one clear line: never a crash."""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plans_testdata import merge

from crowdguard.errors import ReviewError
from crowdguard.plans import EXAMPLE_PLAN, parse_plan, review

EXAMPLE: dict[str, Any] = yaml.safe_load(EXAMPLE_PLAN.read_text(encoding="utf-8"))


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += paths(value, (*prefix, i))
    return found


PATHS = paths(EXAMPLE)
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=6), st.integers(), max_size=2),
    st.dates(),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(PATHS), JUNK), min_size=1, max_size=3))
def test_mutated_plans_review_or_fail_cleanly(changes: list[tuple[tuple[Any, ...], Any]]) -> None:
    plan_data: dict[str, Any] = merge(EXAMPLE, {})
    for path, value in changes:
        try:
            node: Any = plan_data
            for part in path[:-1]:
                node = node[part]
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed this path
    text = yaml.safe_dump(plan_data, sort_keys=False)
    try:
        plan = parse_plan(yaml.safe_load(text), source="fuzz.yaml", text=text)
    except ReviewError as exc:
        message = str(exc)
        assert message.startswith("fuzz.yaml")
        assert "\n" not in message
        return
    result = review(plan, on=dt.date(2026, 11, 12))
    assert 0.0 <= result.score <= 100.0
