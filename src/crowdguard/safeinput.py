"""Untrusted text to plain data, safely: bounded nesting, bounded YAML aliases, finite numbers.

Every loader of a user's file (scenario, game, security plan) and the API's request bodies
go through here, so one hostile input class is refused in one place:

- **Deep nesting** (``[[[[...]]]]`` 5,000 deep) makes recursive parsers and validators raise
  ``RecursionError``. Nesting is capped at :data:`MAX_DEPTH` levels, checked without
  recursion: YAML on PyYAML's event stream (an iterative state machine), JSON after
  CPython's parser (whose own recursion guard is turned into the same error).
- **YAML alias bombs** ("billion laughs", a 700-byte file whose ninth alias level stands for
  9^9 values) are cheap to parse but explode anything that walks them as a tree. The event
  scan counts every value at its expanded size and refuses a document past
  :data:`MAX_YAML_VALUES` (OWASP's "XML/YAML entity expansion" advice: bound the expansion,
  not the file size).
- **Non-finite numbers**: ``NaN``, ``Infinity``, ``1e999`` in JSON; ``.inf``/``.nan`` in
  YAML; integers too large for a float. Nothing CrowdGuard models is infinite, JSON cannot
  represent them (RFC 8259 section 6) and PostgreSQL refuses them in ``numeric``; they are
  refused at the edge with the path of the first one, e.g. ``venues[2].lat``.

Errors are :class:`UnsafeInput` (a ``ValueError``) carrying the dotted path and, for YAML,
the line; each loader turns them into its own one-line error (``source:line: path: why``).
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import yaml

__all__ = [
    "MAX_DEPTH",
    "MAX_YAML_VALUES",
    "UnsafeInput",
    "check_data",
    "check_yaml",
    "dotted",
    "first_unsafe",
    "load_json",
    "load_yaml",
]

MAX_DEPTH = 64
"""Deepest nesting of lists and mappings accepted (CrowdGuard's own formats need under 10)."""

MAX_YAML_VALUES = 100_000
"""Values a YAML document may stand for once its aliases are expanded (the Hampshire demo
scenario has about 2,000)."""

_FLOAT_MAX = sys.float_info.max
_TOO_LARGE = "the number is too large; expected a finite number below 1.8e308"
_LONG_DIGITS = re.compile(r"^[-+]?[0-9_]{309,}$")
_EVENTS_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class UnsafeInput(ValueError):
    """Input refused before it reaches a parser's or validator's weak spot.

    ``path`` is the location in the data (``("venues", 2, "lat")``), ``line`` the 1-based
    line in the text when known, ``reason`` what is wrong and what is expected.
    """

    def __init__(
        self, reason: str, *, path: Sequence[int | str] = (), line: int | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = tuple(path)
        self.line = line

    def describe(self, source: str) -> str:
        """One line: ``source:line: path: reason`` (parts that are unknown left out)."""
        where = f"{source}:{self.line}" if self.line is not None else source
        field = dotted(self.path)
        return f"{where}: {field + ': ' if field else ''}{self.reason}"


def dotted(path: Sequence[int | str]) -> str:
    """``("venues", 3, "lat")`` -> ``venues[3].lat``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class _NonFinite:
    """What the strict JSON parse puts where a non-finite number was written."""

    __slots__ = ("reason",)

    def __init__(self, text: str) -> None:
        self.reason = f"{text} is not a finite number; expected a finite number"


def _json_float(text: str) -> float | _NonFinite:
    value = float(text)
    return value if math.isfinite(value) else _NonFinite(text)


def _json_int(text: str) -> int | _NonFinite:
    if len(text.lstrip("-")) > 308:  # beyond any float (and CPython's 4300-digit int limit)
        too_big = _NonFinite("")
        too_big.reason = _TOO_LARGE
        return too_big
    return int(text)


def _non_finite_reason(value: object) -> str | None:
    """Why ``value`` is not a finite number, or None when it is fine."""
    if isinstance(value, _NonFinite):
        return value.reason
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value!r} is not a finite number; expected a finite number"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _FLOAT_MAX:
        return _TOO_LARGE
    return None


def _children(value: object) -> Iterator[tuple[int | str, object]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield (key if isinstance(key, int | str) else str(key)), item
    elif isinstance(value, list | tuple):
        yield from enumerate(value)


def first_unsafe(data: object, *, max_depth: int = MAX_DEPTH) -> UnsafeInput | None:
    """The first problem in parsed data, walked without recursion and each object once:
    nesting past ``max_depth``, or a non-finite (or float-overflowing) number."""
    stack: list[tuple[object, tuple[int | str, ...]]] = [(data, ())]
    seen: set[int] = set()
    while stack:
        value, path = stack.pop()
        reason = _non_finite_reason(value)
        if reason is not None:
            return UnsafeInput(reason, path=path)
        if not isinstance(value, dict | list | tuple) or id(value) in seen:
            continue
        seen.add(id(value))
        if len(path) >= max_depth:
            return UnsafeInput(
                f"nested too deeply (more than {max_depth} levels); expected a shallower document",
                path=path[:8],
            )
        children = list(_children(value))
        stack.extend((item, (*path, key)) for key, item in reversed(children))
    return None


def check_data(data: object, *, max_depth: int = MAX_DEPTH) -> None:
    """Raise :class:`UnsafeInput` for the first problem :func:`first_unsafe` finds."""
    problem = first_unsafe(data, max_depth=max_depth)
    if problem is not None:
        raise problem


def load_json(
    text: str | bytes,
    *,
    max_depth: int = MAX_DEPTH,
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None,
) -> Any:
    """Parse JSON strictly: ``NaN``/``Infinity``/overflowing numbers and deep nesting are
    :class:`UnsafeInput` naming the path; malformed JSON is ``json.JSONDecodeError`` as usual.
    ``object_pairs_hook`` is :func:`json.loads`' (e.g. to refuse duplicate keys)."""
    try:
        data = json.loads(
            text,
            parse_constant=_NonFinite,
            parse_float=_json_float,
            parse_int=_json_int,
            object_pairs_hook=object_pairs_hook,
        )
    except RecursionError:
        raise UnsafeInput(
            f"nested too deeply (more than {max_depth} levels); expected a shallower document"
        ) from None
    check_data(data, max_depth=max_depth)
    return data


def check_yaml(text: str, *, max_depth: int = MAX_DEPTH, max_values: int = MAX_YAML_VALUES) -> None:
    """Refuse a YAML (or JSON) text nested past ``max_depth`` or whose aliases expand past
    ``max_values`` values, by one pass over PyYAML's event stream (no tree is built).

    Syntax errors are left for the loader to report (``yaml.YAMLError`` propagates).
    """
    # Per open collection: [values inside so far, deepest level inside, anchor].
    frames: list[list[Any]] = [[0, 0, None]]
    sizes: dict[str, tuple[int, int]] = {}  # anchor -> (values, depth)
    total = 0

    def add(values: int, depth: int, line: int) -> None:
        nonlocal total
        total += values
        frames[-1][0] += values
        level = len(frames) - 1 + depth
        frames[-1][1] = max(frames[-1][1], depth)
        if level > max_depth:
            raise UnsafeInput(
                f"nested too deeply (more than {max_depth} levels); expected a shallower document",
                line=line,
            )
        if total > max_values:
            raise UnsafeInput(
                f"its aliases expand to more than {max_values} values (a YAML alias bomb?); "
                "expected a document without alias chains",
                line=line,
            )

    try:
        _scan(text, add, frames, sizes)
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" not in str(exc.problem):  # libyaml's own limit (1000 levels)
            raise
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
        raise UnsafeInput(
            f"nested too deeply (more than {max_depth} levels); expected a shallower document",
            line=line,
        ) from None


def _scan(
    text: str,
    add: Callable[[int, int, int], None],
    frames: list[list[Any]],
    sizes: dict[str, tuple[int, int]],
) -> None:
    """Feed PyYAML's events for ``text`` to :func:`check_yaml`'s counters."""
    for event in yaml.parse(text, Loader=_EVENTS_LOADER):
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        if isinstance(event, yaml.CollectionStartEvent):
            add(1, 1, line or 0)
            frames.append([0, 0, event.anchor])
        elif isinstance(event, yaml.CollectionEndEvent):
            values, depth, anchor = frames.pop()
            frames[-1][0] += values
            frames[-1][1] = max(frames[-1][1], depth + 1)
            if anchor is not None:
                sizes[anchor] = (values + 1, depth + 1)
        elif isinstance(event, yaml.ScalarEvent):
            add(1, 0, line or 0)
            if not event.style and _LONG_DIGITS.match(event.value):  # plain: None or ""
                # PyYAML would build the int (or fail past CPython's 4300 digits).
                raise UnsafeInput(_TOO_LARGE, line=line)
            if event.anchor is not None:
                sizes[event.anchor] = (1, 0)
        elif isinstance(event, yaml.AliasEvent):
            values, depth = sizes.get(str(event.anchor), (1, 0))  # unknown: the loader says so
            add(values, depth, line or 0)


def load_yaml(text: str, *, max_depth: int = MAX_DEPTH) -> Any:
    """``yaml.safe_load`` after :func:`check_yaml`, then :func:`check_data` on the result
    (``.inf``, ``.nan`` and overflowing integers refused). A scalar PyYAML cannot build
    (``2026-02-30``) is :class:`UnsafeInput` too; ``yaml.YAMLError`` propagates."""
    check_yaml(text, max_depth=max_depth)
    try:
        data = yaml.safe_load(text)
    except (ValueError, TypeError, OverflowError) as exc:  # a scalar PyYAML cannot build
        raise UnsafeInput(
            f"a value cannot be read ({exc}); dates are YYYY-MM-DD, numbers finite"
        ) from None
    check_data(data, max_depth=max_depth)
    return data
