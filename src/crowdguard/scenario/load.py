"""Load scenario files (YAML or JSON) with errors that name the file, the line and the field.

A scenario file is parsed twice by PyYAML: once into plain Python data (``yaml.safe_load``)
that pydantic validates against :class:`~crowdguard.scenario.schema.Scenario`, and once into
the composed node tree (``yaml.compose``), whose nodes carry ``start_mark.line``. When
validation fails, the error's location (``('venues', 3, 'opening_hours', 'weekly', 'fri')``)
is walked down that node tree to the line it came from, and the first error becomes one
:class:`~crowdguard.errors.ScenarioError` line such as::

    winter.yaml:41: venues[3].opening_hours.weekly.fri: 'Fri 10:00-25:00' is not a time range;
    expected H:MM-H:MM or HH:MM-HH:MM within one day, e.g. 9:00-17:30

(one line in practice). JSON is a subset of the YAML that PyYAML reads, so the same code
serves both. Before either parse, :func:`crowdguard.safeinput.check_yaml` bounds the nesting
and the alias expansion (a 700-byte alias bomb would otherwise be walked for minutes), and
non-finite numbers (``.inf``, ``.nan``) are refused with their line. The embedded demo
(:func:`demo_path`) is read through ``importlib.resources`` so it works from an installed wheel as well as from a source tree.

References: PyYAML documentation, "Loading YAML" and the ``compose`` / ``Mark`` API;
pydantic 2 documentation, "Validation errors" (``ValidationError.errors()`` fields
``type``, ``loc``, ``msg``, ``input``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
import types
import typing
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from pydantic import BaseModel, ValidationError

from crowdguard.errors import ScenarioError, did_you_mean
from crowdguard.safeinput import UnsafeInput, check_data, check_yaml
from crowdguard.scenario.schema import SLUG, Scenario

if TYPE_CHECKING:
    from crowdguard.plans.schema import SecurityPlan

__all__ = [
    "DEMO_PLAN_PREFIX",
    "demo_path",
    "demo_scenario",
    "demo_scenario_and_plans",
    "is_demo",
    "load_scenario",
    "load_scenario_and_plans",
    "parse_scenario",
    "parse_scenario_and_plans",
    "resolve_plan_ref",
    "security_plan_documents",
]

_DEMO_FILE = "hampshire.yaml"

DEMO_PLAN_PREFIX = "demo:"
"""``security_plan: demo:<name>`` names a plan shipped in ``crowdguard/plans/demo/<name>.yaml``."""

Loc = tuple[int | str, ...]

# Messages of the scenario-level checks start with the item they are about, e.g.
# "venues[3]: duplicate id 'x'" or "teams[2].base: team ...": locate those too.
_PREFIX = re.compile(r"^(?P<field>[a-z_]+)\[(?P<index>\d+)\](?:\.(?P<sub>[a-z_]+))?: ")


def demo_path() -> Path:
    """Path of the embedded Hampshire & Isle of Wight demo scenario file."""
    ref = resources.files("crowdguard.scenario.demo").joinpath(_DEMO_FILE)
    # The package is installed as files (setuptools package-data), never zipped.
    return Path(str(ref))


def demo_scenario() -> Scenario:
    """The embedded Hampshire & Isle of Wight demo scenario (2026/27 Christmas season)."""
    return demo_scenario_and_plans()[0]


def demo_scenario_and_plans() -> tuple[Scenario, dict[str, SecurityPlan]]:
    """:func:`demo_scenario` with the security plans its venues link, per venue id."""
    ref = resources.files("crowdguard.scenario.demo").joinpath(_DEMO_FILE)
    return parse_scenario_and_plans(ref.read_text(encoding="utf-8"), source=_DEMO_FILE)


@functools.cache
def _demo_id() -> str:
    return demo_scenario().id


def is_demo(scenario: Scenario) -> bool:
    """Whether ``scenario`` is the embedded demo (by id): only then may output say "the demo"."""
    return scenario.id == _demo_id()


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (YAML or JSON).

    Raises :class:`~crowdguard.errors.ScenarioError` with one line naming the file, the
    line and the field for a missing or unreadable file, malformed YAML/JSON, or a value
    that fails validation.
    """
    return load_scenario_and_plans(path)[0]


def load_scenario_and_plans(path: str | Path) -> tuple[Scenario, dict[str, SecurityPlan]]:
    """:func:`load_scenario`, with the security plans its venues link (read once, here)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such scenario file") from None
    except IsADirectoryError:
        raise ScenarioError(f"{path}: is a directory; expected a scenario file") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: is not UTF-8 text; expected a YAML or JSON file") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot be read ({exc.strerror})") from None
    return parse_scenario_and_plans(text, source=str(path), base_dir=path.parent)


def resolve_plan_ref(ref: str, *, base_dir: Path | None = None) -> Path:
    """The file a venue's ``security_plan`` names.

    ``demo:<name>`` is a plan shipped with CrowdGuard (``crowdguard/plans/demo/<name>.yaml``,
    found through ``importlib.resources``); any other value is a path, relative to
    ``base_dir`` (the scenario file's folder; the current folder when None).
    """
    if ref.startswith(DEMO_PLAN_PREFIX):
        name = ref.removeprefix(DEMO_PLAN_PREFIX).strip()
        demo = resources.files("crowdguard.plans").joinpath("demo", f"{name}.yaml")
        return Path(str(demo))
    path = Path(ref).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return path


def parse_scenario(
    text: str, *, source: str = "<string>", base_dir: Path | None = None
) -> Scenario:
    """Validate scenario text (YAML or JSON); ``source`` names it in error messages.

    Venues' ``security_plan`` paths are resolved against ``base_dir`` (default: the current
    folder), checked to exist and to be a readable plan for that venue, and stored resolved
    (absolute paths; ``demo:`` references as written).
    """
    return parse_scenario_and_plans(text, source=source, base_dir=base_dir)[0]


def parse_scenario_and_plans(
    text: str, *, source: str = "<string>", base_dir: Path | None = None
) -> tuple[Scenario, dict[str, SecurityPlan]]:
    """:func:`parse_scenario`, with the linked security plans it read, per venue id.

    The plans are read once, here, to check them; the planner takes them as data
    (:class:`crowdguard.pipeline.PlanInputs`) and never reads them again.
    """
    if text.lstrip().startswith("{"):
        # JSON: a raw tab can only be whitespace (JSON strings escape theirs), but PyYAML
        # refuses tabs as indentation, so make them spaces; line numbers are unchanged.
        text = text.replace("\t", " ")
    root: yaml.Node | None = None
    try:
        check_yaml(text)  # nesting and alias expansion bounded before any tree is built
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except UnsafeInput as exc:
        raise ScenarioError(exc.describe(source)) from None
    except (ValueError, TypeError) as exc:  # a scalar PyYAML cannot construct (bad date)
        raise ScenarioError(_unconstructible(root, source, exc)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        if _tab_indented(text, mark):
            raise ScenarioError(
                f"{source}{line}: YAML does not allow tabs for indentation; use spaces"
            ) from None
        problem = " ".join(str(exc.problem or exc.context or "unreadable").split())
        raise ScenarioError(f"{source}{line}: malformed YAML/JSON: {problem}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(
            f"{source}: malformed YAML/JSON: {' '.join(str(exc).split())}"
        ) from None
    if not isinstance(data, dict) or root is None:
        got = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ScenarioError(f"{source}:1: expected a mapping of scenario fields, got {got}")
    try:
        check_data(data)  # .inf, .nan and numbers past a float's range
    except UnsafeInput as exc:
        exc.line = _line(root, exc.path)
        raise ScenarioError(exc.describe(source)) from None
    duplicate = _duplicate_key(root)
    if duplicate is not None:
        key, key_line, where = duplicate
        raise ScenarioError(
            f"{source}:{key_line}: {where or 'top level'}: key {key!r} appears twice; "
            "remove one (YAML would silently keep the last)"
        )
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_describe(exc, root, source)) from None
    return _link_plans(scenario, root, source, base_dir)


def _link_plans(
    scenario: Scenario, root: yaml.Node, source: str, base_dir: Path | None
) -> tuple[Scenario, dict[str, SecurityPlan]]:
    """Resolve and check every venue's ``security_plan`` (exists, parses, same venue id)."""
    venues = list(scenario.venues)
    documents: dict[str, SecurityPlan] = {}
    changed = False
    for i, venue in enumerate(venues):
        ref = venue.security_plan
        if ref is None:
            continue
        line = _line(root, ("venues", i, "security_plan"))
        where = f"{source}:{line}: venues[{i}].security_plan"
        path = resolve_plan_ref(ref, base_dir=base_dir)
        if not path.is_file():
            raise ScenarioError(
                f"{where}: venue {venue.id!r} links security plan {ref!r}, but {path} "
                "is not a file; give a plan path relative to the scenario file, or demo:<name>"
            )
        documents[venue.id] = _read_linked_plan(path, venue.id, ref, where)
        if not ref.startswith(DEMO_PLAN_PREFIX):
            venues[i] = venue.model_copy(update={"security_plan": str(path.resolve())})
            changed = True
    linked = scenario.model_copy(update={"venues": venues}) if changed else scenario
    return linked, documents


def security_plan_documents(scenario: Scenario) -> dict[str, SecurityPlan]:
    """Read the security plan each venue links (per venue id), for a scenario that did not
    come through :func:`parse_scenario_and_plans` (a stored snapshot, a varied copy).

    Raises :class:`~crowdguard.errors.ScenarioError` naming the venue and the reference when
    a plan is missing, unreadable or written for another venue.
    """
    documents: dict[str, SecurityPlan] = {}
    for i, venue in enumerate(scenario.venues):
        if venue.security_plan is not None:
            path = resolve_plan_ref(venue.security_plan)
            where = f"venues[{i}].security_plan"
            documents[venue.id] = _read_linked_plan(path, venue.id, venue.security_plan, where)
    return documents


def _read_linked_plan(path: Path, venue: str, ref: str, where: str) -> SecurityPlan:
    """The security plan ``ref`` at ``path``, checked to be a valid plan for ``venue``."""
    from crowdguard.errors import ReviewError
    from crowdguard.plans.review import load_plan  # plans import nothing from scenario

    try:
        plan = load_plan(path)
    except ReviewError as exc:
        raise ScenarioError(
            f"{where}: venue {venue!r}: its security plan is not valid: {exc}"
        ) from None
    plan_venue = plan.venue.id if plan.venue is not None else None
    if plan_venue != venue:
        raise ScenarioError(
            f"{where}: plan {ref!r} is for venue {plan_venue!r}, not {venue!r}; "
            "link the right plan or correct venue.id in the plan"
        )
    return plan


def _describe(exc: ValidationError, root: yaml.Node, source: str) -> str:
    """One line for the first validation error: ``source:line: field: what, expected``."""
    errors = exc.errors(include_url=False)
    # A misspelt field is both unknown and (its right name) missing: name the typo first.
    error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc: Loc = tuple(error["loc"])
    message = _message(error, loc)
    match = _PREFIX.match(message) if not loc else None
    if match is not None:
        loc = (match["field"], int(match["index"]), *([match["sub"]] if match["sub"] else []))
        if match["field"] in ("venues", "bases") and not match["sub"] and "duplicate" in message:
            loc = (*loc, "id")
        message = message[match.end() :]
    elif message.startswith("lat/lon") and loc and isinstance(loc[-1], int):
        loc = (*loc, "lat")  # point at the coordinates, not the start of the item
    elif " on area_m2 (" in message and loc and isinstance(loc[-1], int):
        loc = (*loc, "area_m2")  # the footprint that cannot hold the crowd
    line = _line(root, loc)
    field = _dotted(loc)
    where = f"{source}:{line}" if line is not None else source
    return " ".join(f"{where}: {field + ': ' if field else ''}{message}".split())


def _message(error: typing.Any, loc: Loc) -> str:
    """Rewrite pydantic's message so it says what was wrong and what was expected."""
    kind: str = error["type"]
    msg: str = error["msg"]
    value = error.get("input")
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    if kind == "extra_forbidden":
        name = str(loc[-1]) if loc else "?"
        allowed = _allowed_fields(loc[:-1])
        hint = ""
        if allowed:
            close = difflib.get_close_matches(name, allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            hint += f" (allowed: {', '.join(allowed)})"
        return f"unknown field {name!r}{hint}"
    if kind == "missing":
        return "required field is missing"
    if kind == "enum":
        allowed = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
        hint = did_you_mean(str(value), allowed) if isinstance(value, str) else ""
        return f"{value!r} is not one of {', '.join(allowed)}" + (f"; {hint}" if hint else "")
    if kind == "string_pattern_mismatch":
        if error.get("ctx", {}).get("pattern") == SLUG:
            return f"{value!r} is not an identifier; {_SLUG_HINT}" + _slug_suggestion(value)
        return f"{value!r} does not have the expected form"
    if kind == "too_short" and loc and loc[-1] in ("venues", "teams"):
        return f"the list is empty; expected at least one {str(loc[-1])[:-1]}"
    lowered = msg[0].lower() + msg[1:] if msg else msg
    if value is not None and not isinstance(value, dict | list):
        return f"{lowered}; got {value!r}"
    return lowered


_SLUG_HINT = (
    "expected lower-case letters and digits, words joined by single hyphens, e.g. alpha-1 "
    "or winchester-cathedral-market"
)


def _slug_suggestion(value: object) -> str:
    """``"; did you mean 'alpha-1'?"`` for ``'Alpha 1'`` (empty when nothing fits)."""
    if not isinstance(value, str):
        return ""
    words = re.findall(r"[a-z0-9]+", value.lower())
    slug = "-".join(words)
    return f"; did you mean {slug!r}?" if slug and slug != value else ""


def _tab_indented(text: str, mark: yaml.Mark | None) -> bool:
    """Whether the line PyYAML stopped at (or the one before) is indented with a tab.

    PyYAML reports a tab in indentation as "found character '\\t' that cannot start any
    token" (or, after a tab-indented key, as a mapping error on the next line); YAML 1.1
    section 4.2.2 forbids tabs in indentation.
    """
    if mark is None:
        return False
    lines = text.splitlines()
    for number in (mark.line, mark.line - 1):
        if 0 <= number < len(lines):
            indent = lines[number][: len(lines[number]) - len(lines[number].lstrip(" \t"))]
            if "\t" in indent:
                return True
    return False


def _unconstructible(root: yaml.Node | None, source: str, exc: Exception) -> str:
    """Locate a timestamp-looking scalar PyYAML could not turn into a date."""
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in reversed(node.value) for n in reversed(pair))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
        elif isinstance(node, yaml.ScalarNode) and node.tag.endswith(":timestamp"):
            try:
                dt.date.fromisoformat(str(node.value)[:10])
            except ValueError:
                return (
                    f"{source}:{node.start_mark.line + 1}: {node.value!r} is not a date; "
                    "expected YYYY-MM-DD"
                )
    return f"{source}: a value cannot be read ({exc})"


def _dotted(loc: Loc) -> str:
    """``('venues', 3, 'opening_hours')`` -> ``venues[3].opening_hours``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _line(root: yaml.Node, loc: Loc) -> int | None:
    """1-based line of the deepest node of ``loc`` found in the composed YAML tree."""
    node = root
    line = root.start_mark.line + 1
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if str(key.value) == str(part):
                    # The key's own line for scalars; for a nested block the key line too
                    # (it is where the reader looks), deeper parts refine it.
                    line = key.start_mark.line + 1
                    child = value
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


def _duplicate_key(node: yaml.Node, where: str = "") -> tuple[str, int, str] | None:
    """The first mapping key that appears twice in the tree: (key, line, dotted path)."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if name in seen:
                return name, key.start_mark.line + 1, where
            seen.add(name)
            found = _duplicate_key(value, f"{where}.{name}" if where else name)
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found = _duplicate_key(item, f"{where}[{i}]")
            if found:
                return found
    return None


def _allowed_fields(loc: Sequence[int | str]) -> list[str]:
    """Field names of the model found at ``loc`` (walking Scenario's annotations)."""
    current: object = Scenario
    for part in loc:
        current = _inner(current, part)
        if current is None:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _inner(annotation: object, part: int | str) -> object:
    """The annotation one step down ``annotation`` for a location part (or None)."""
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(str(part))
        return _unwrap(field.annotation) if field else None
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is list and args:
        return _unwrap(args[0])
    if origin is dict and len(args) == 2:
        return _unwrap(args[1])
    return None


def _unwrap(annotation: object) -> object:
    """Strip ``Annotated`` and ``X | None`` down to the model or container type."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation
