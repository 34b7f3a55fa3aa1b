"""The bad-input corpus for the file loaders (issue 12): scenario, game and security plan.

Every hostile file below (deep nesting, a YAML alias bomb, non-finite and overflowing
numbers, impossible dates, wrong shapes) must be refused by every loader with a
:class:`~crowdguard.errors.CrowdGuardError` of exit status 2 naming the file, within 5 s:
0 internal errors, 0 hangs. A Hypothesis fuzz then throws generated documents (with those
ingredients mixed in) and arbitrary text at the same loaders. The CLI end of the same
promise (exit 2, one line) is checked for the commands issue 12 listed.
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crowdguard.errors import CrowdGuardError
from crowdguard.games import SecurityGame
from crowdguard.plans.review import load_plan
from crowdguard.safeinput import MAX_DEPTH
from crowdguard.scenario.load import demo_path, load_scenario

LIMIT_SECONDS = 5.0


def _alias_bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    lines.append(f"notes: *a{levels - 1}")
    return "\n".join(lines) + "\n"


def _deep_block(depth: int) -> str:
    return "".join(f"{'  ' * i}k:\n" for i in range(depth)) + f"{'  ' * depth}k: 1\n"


DEMO = demo_path().read_text(encoding="utf-8")
CORPUS: dict[str, str] = {
    "deep-flow-5000": "[" * 5000 + "]" * 5000,
    "deep-json-objects-5000": '{"a": ' * 5000 + "1" + "}" * 5000,
    "deep-json-objects-900": '{"a": ' * 900 + "1" + "}" * 900,
    "deep-block-200": _deep_block(200),
    "just-past-the-depth-limit": "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
    "alias-bomb": _alias_bomb(),
    "json-nan": '{"resources": NaN, "targets": []}',
    "json-infinity": '{"resources": 1, "x": [-Infinity]}',
    "json-1e999": '{"resources": 1e999}',
    "json-huge-int": '{"resources": 1' + "0" * 400 + "}",
    "json-5000-digit-int": '{"resources": ' + "9" * 5000 + "}",
    "yaml-inf": "resources: .inf\n",
    "yaml-nan": "resources: .nan\n",
    "yaml-huge-float": "resources: 1.0e+999\n",
    "impossible-date": "start: 2026-02-30\nend: 2026-03-01\n",
    "empty": "",
    "scalar": "42\n",
    "list": "[1, 2, 3]\n",
    "not-yaml": "{: [\n",
    "demo-scenario-response-target-inf": DEMO.replace(
        "response_target_minutes: 10", "response_target_minutes: .inf"
    ),
    "demo-scenario-lat-nan": DEMO.replace("lat: ", "lat: .nan #", 1),
}
LOADERS: dict[str, Callable[[Path], Any]] = {
    "scenario": load_scenario,
    "game": SecurityGame.from_json,
    "plan": load_plan,
}


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail (not hang) when the block runs past ``seconds``."""

    def expire(*_: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def refused(loader: Callable[[Path], Any], path: Path) -> CrowdGuardError | None:
    """Load ``path``: the CrowdGuardError it raised (None if it loaded), within the limit;
    anything else propagates and fails the test as an internal error."""
    began = time.perf_counter()
    with deadline(LIMIT_SECONDS):
        try:
            loader(path)
        except CrowdGuardError as exc:
            error: CrowdGuardError | None = exc
        else:
            error = None
    assert time.perf_counter() - began < LIMIT_SECONDS
    return error


@pytest.mark.parametrize("loader", LOADERS, ids=str)
@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_every_hostile_file_is_refused_by_every_loader(
    tmp_path: Path, loader: str, suffix: str
) -> None:
    internal: list[str] = []
    for name, text in CORPUS.items():
        path = tmp_path / f"{name}{suffix}"
        path.write_text(text, encoding="utf-8")
        try:
            error = refused(LOADERS[loader], path)
        except Exception as exc:  # an internal error or a hang: collect them all
            internal.append(f"{name}: {type(exc).__name__}: {str(exc)[:200]}")
            continue
        if error is None:
            internal.append(f"{name}: loaded without complaint")
            continue
        message = str(error)
        assert error.exit_code == 2, (name, message)
        assert str(path) in message, (name, message)
        assert "\n" not in message, (name, message)
    assert internal == []


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("deep-flow-5000", "nested too deeply (more than 64 levels)"),
        ("alias-bomb", "aliases expand to more than"),
        (
            "demo-scenario-response-target-inf",
            "patrol.response_target_minutes: inf is not a finite",
        ),
    ],
)
def test_the_scenario_loader_names_the_reason_and_the_line(
    tmp_path: Path, name: str, fragment: str
) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(CORPUS[name], encoding="utf-8")
    error = refused(load_scenario, path)
    assert error is not None and fragment in str(error), error
    assert str(error).startswith(f"{path}:"), error


def test_legitimate_aliases_still_load(tmp_path: Path) -> None:
    """Anchors for shared shifts are ordinary YAML: only an expansion past the budget is not."""
    text = DEMO.replace(
        'alpha-1, base: southampton-central-pic, kind: arv, shifts: ["10:00-16:00"]',
        'alpha-1, base: southampton-central-pic, kind: arv, shifts: &day ["10:00-16:00"]',
    ).replace(
        'alpha-2, base: portsmouth-eastern-pic, kind: foot, shifts: ["10:00-16:00"]',
        "alpha-2, base: portsmouth-eastern-pic, kind: foot, shifts: *day",
    )
    assert "*day" in text
    path = tmp_path / "aliases.yaml"
    path.write_text(text, encoding="utf-8")
    assert refused(load_scenario, path) is None


# -- Hypothesis: generated documents with hostile ingredients, and arbitrary text ----------

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["2026-02-30", "2026-12-05", "10:00-25:00", "demo:nowhere", "-1"]),
)
_KEYS = st.one_of(
    st.sampled_from(
        ["resources", "targets", "id", "venues", "teams", "start", "end", "event", "occupancy"]
    ),
    st.text(max_size=8),
)
_DOCS = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=4)),
    max_leaves=25,
)


def _render(doc: Any, style: str, nest: int) -> str:
    """The document as text, wrapped ``nest`` levels deep by text (dumpers recurse too)."""
    if style == "json":
        text = json.dumps(doc)  # NaN and Infinity written as Python does
        return "[" * nest + text + "]" * nest
    if style == "flow" or nest == 0:
        text = yaml.safe_dump(doc, default_flow_style=style == "flow", width=10**6)
        text = text.removesuffix("\n...\n").rstrip("\n")
        return "[" * nest + text + "]" * nest + "\n"
    inner = yaml.safe_dump(doc, default_flow_style=True, width=10**6).removesuffix("\n...\n")
    keys = "".join(f"{'  ' * i}k:\n" for i in range(nest))
    return keys + f"{'  ' * nest}k: {inner.strip()}\n"


FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(
    doc=_DOCS,
    style=st.sampled_from(["json", "block", "flow"]),
    nest=st.sampled_from([0, 1, 70, 1200]),
    loader=st.sampled_from(sorted(LOADERS)),
)
def test_fuzzed_documents_never_crash_a_loader(
    tmp_path: Path, doc: Any, style: str, nest: int, loader: str
) -> None:
    path = tmp_path / ("fuzz.json" if style == "json" else "fuzz.yaml")
    path.write_text(_render(doc, style, nest), encoding="utf-8")
    refused(LOADERS[loader], path)  # a CrowdGuardError or a load: anything else fails


@FUZZ
@given(text=st.text(max_size=300), loader=st.sampled_from(sorted(LOADERS)))
def test_arbitrary_text_never_crashes_a_loader(tmp_path: Path, text: str, loader: str) -> None:
    path = tmp_path / "text.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    refused(LOADERS[loader], path)


# -- The CLI end: exit 2 and one line for the commands issue 12 listed -------------------


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crowdguard", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("game", "solve", "{deep}"), "nested too deeply"),
        (("game", "solve", "{huge}"), "resources is about 10^40"),
        (("game", "solve", "{overflow}"), "too large"),
        (
            ("game", "generate", "--targets", "1000000000000", "--resources", "1", "--seed", "1"),
            "--targets",
        ),
        (("plan", "{deep}", "--out", "{out}"), "nested too deeply"),
        (("plan", "{bomb}", "--out", "{out}"), "aliases expand"),
    ],
    ids=[
        "solve-deep",
        "solve-resources-1e40",
        "solve-resources-1e400",
        "generate-1e12",
        "plan-deep",
        "plan-alias-bomb",
    ],
)
def test_the_cli_exits_2_with_one_line(
    tmp_path: Path, args: tuple[str, ...], fragment: str
) -> None:
    files = {
        "deep": ("deep.json", CORPUS["deep-flow-5000"]),
        "bomb": ("bomb.yaml", CORPUS["alias-bomb"]),
        "huge": ("huge.json", json.dumps({"resources": 10**40, "targets": [_TARGET]})),
        "overflow": ("overflow.json", json.dumps({"resources": 10**400, "targets": [_TARGET]})),
    }
    values = {"out": str(tmp_path / "out")}
    for key, (name, text) in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        values[key] = str(tmp_path / name)
    began = time.perf_counter()
    result = _cli(*(a.format(**values) for a in args))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert time.perf_counter() - began < 30  # interpreter start included; no minutes-long walk
    assert not (tmp_path / "out").exists()


_TARGET = {
    "defender_covered": 0.0,
    "defender_uncovered": -1.0,
    "attacker_covered": -1.0,
    "attacker_uncovered": 1.0,
}
