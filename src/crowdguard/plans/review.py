"""Review an event security plan against the checklist and Martyn's Law tiers.

The checklist (``domain.md`` section 3, a [DESIGN] instrument) has 22 items, G1 to X3,
each tied to a section of the Terrorism (Protection of Premises) Act 2025 (TPPA) or to
ProtectUK / NPSA guidance. The items are data: ``plans/rules/*.yaml``. Each rule states
the section that makes it law (``section``; none for guidance), the evidence that makes it
*adequate* (2) or *partial* (1) as predicates over plan fields; otherwise it is *absent*
(0). Evidence may depend on the tier with the ``at_tier`` predicate: G2 asks for a
Designated Senior Individual where the responsible person is not an individual only where
the Act does (TPPA s.10: enhanced duty premises and qualifying events). A rule may bind by
law only where a fact holds (``binds_if``): G4A, co-ordination with other responsible
persons (s.8), binds only where the plan names such a person.

**Commencement.** As of the 2026 season only s.27 of the Act is commenced: the duties are
not in force (``domain.md`` section 2). :func:`review` takes the commencement date of the
duties (unknown by default); the review records it and whether the duties were in force on
the review date, and the letter words the legal checklist as advice about duties that
*will* apply until then. The scoring itself does not change: the tier and the legal reading
say what the Act requires, or will require, of these premises or this event.

Steps of :func:`review`:

1. Determine the legal tier (:func:`legal_tier`, TPPA ss.2-3): under 200 people at once,
   none; premises of 200-799, standard; 800+, enhanced, except places of worship,
   childcare, schools and further education, which stay standard; an event not on
   enhanced premises is a *qualifying event* with enhanced duties only at 800+, open to
   the public, *with entry checks* (payment, a ticket or pass, club membership; s.3).
2. Score every rule 0/1/2 twice: against the full checklist (``at_tier`` read at the
   enhanced tier, the good-practice standard for every plan), and against the law at the
   plan's tier (``at_tier`` read at that tier). The two differ only for rules whose
   evidence uses ``at_tier``.
3. The legal verdict uses the rules that bind at that tier (standard: S items; enhanced:
   S and E items) with their legal scores; the good-practice verdict uses every rule with
   its checklist score. Either verdict is "improvement required" when any critical item in
   its scope scores 0, whatever the total.
4. Findings (every item below adequate in either reading) are ordered by severity:
   critical items absent, then critical items partial and legal items absent, then the
   rest; a finding is *legal* only if it falls short of what the law asks at the plan's
   tier. Each cites its source and says what to do.

Plan files are read strictly: a key given twice in one mapping (``maximum: 1800`` then
``maximum: 5``) and an impossible date (``2026-02-30``) are refused with the file and line,
as the scenario loader does, and so is nesting too deep to be a plan.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from crowdguard.errors import ReviewError
from crowdguard.plans.schema import EntryChecks, SecurityPlan, Venue, VenueKind
from crowdguard.safeinput import UnsafeInput, check_yaml, load_json

__all__ = [
    "ENHANCED_THRESHOLD",
    "STANDARD_THRESHOLD",
    "Finding",
    "ItemScore",
    "LegalTier",
    "Review",
    "Rule",
    "RuleTier",
    "Severity",
    "default_rules",
    "duties_in_force",
    "legal_tier",
    "load_plan",
    "load_rules",
    "loads_plan",
    "parse_plan",
    "review",
]

STANDARD_THRESHOLD = 200
"""People reasonably expected at once from which premises qualify (TPPA s.2)."""
ENHANCED_THRESHOLD = 800
"""People at once from which enhanced duties apply (TPPA s.2 premises, s.3 events)."""

RULES_DIR = Path(__file__).parent / "rules"
LONDON = ZoneInfo("Europe/London")


class LegalTier(StrEnum):
    """Martyn's Law tier the plan falls under."""

    none = "none"
    standard = "standard"
    enhanced = "enhanced"


class RuleTier(StrEnum):
    """Where a checklist item comes from: standard duty, enhanced duty or good practice."""

    standard = "standard"
    enhanced = "enhanced"
    best_practice = "best_practice"


class Severity(StrEnum):
    """Finding severity, most severe first."""

    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"


SEVERITY_ORDER = {s: i for i, s in enumerate(Severity)}
STATUS = {0: "absent", 1: "partial", 2: "adequate"}
GROUP = {RuleTier.standard: "S", RuleTier.enhanced: "E", RuleTier.best_practice: "BP"}
BINDING: dict[LegalTier, frozenset[RuleTier]] = {
    LegalTier.none: frozenset(),
    LegalTier.standard: frozenset({RuleTier.standard}),
    LegalTier.enhanced: frozenset({RuleTier.standard, RuleTier.enhanced}),
}

# ---------------------------------------------------------------------------------------
# The rule catalogue and its predicate vocabulary
# ---------------------------------------------------------------------------------------

OPERATORS = ("all_of", "any_of", "not", "at_least", "nonempty", "is_true", "equals", "min", "max",
             "before", "within_days", "at_tier")  # fmt: skip

CHECKLIST_TIER = LegalTier.enhanced
"""The tier at which the full (good-practice) checklist reads ``at_tier`` predicates:
every plan is scored against the enhanced checklist as good practice (``domain.md`` s.2)."""


def _field_type(owner: type[BaseModel], name: str) -> object:
    """The type behind ``owner.name`` (Optional unwrapped), or ``property`` for properties."""
    if name in owner.model_fields:
        annotation: object = owner.model_fields[name].annotation
        if typing.get_origin(annotation) in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0] if len(args) == 1 else annotation
        return annotation
    if isinstance(getattr(owner, name, None), property):
        return property
    raise KeyError(name)


def _check_path(path: object, where: str) -> None:
    """A predicate's field path must name a real plan field or property."""
    if not isinstance(path, str) or not path:
        raise ValueError(f"{where}: expected a dotted plan field path, got {path!r}")
    owner: object = SecurityPlan
    parts = path.split(".")
    for i, part in enumerate(parts):
        if not (isinstance(owner, type) and issubclass(owner, BaseModel)):
            raise ValueError(f"{where}: {path!r} goes below a plain value at {part!r}")
        try:
            owner = _field_type(owner, part)
        except KeyError:
            raise ValueError(f"{where}: {path!r} is not a plan field ({part!r} unknown)") from None
        if owner is property and i != len(parts) - 1:
            raise ValueError(f"{where}: {path!r} goes below a derived value at {part!r}")


def _check_tiers(arg: object, where: str) -> None:
    """``at_tier`` takes one legal tier or a non-empty list of them."""
    names = [t.value for t in LegalTier]
    tiers = arg if isinstance(arg, list) else [arg]
    if not tiers:
        raise ValueError(f"{where}: expected a tier or a list of tiers, one of {', '.join(names)}")
    for tier in tiers:
        if tier not in names:
            raise ValueError(
                f"{where}: unknown tier {tier!r}; expected one of {', '.join(names)} "
                "(the plan's legal tier under TPPA ss.2-3)"
            )


def _tiers_of(arg: object) -> frozenset[LegalTier]:
    """The tiers an (already validated) ``at_tier`` argument names."""
    tiers = arg if isinstance(arg, list) else [arg]
    return frozenset(LegalTier(str(t)) for t in tiers)


def _check_predicate(pred: object, where: str) -> None:
    """Validate one predicate of the vocabulary (see ``docs/theory/plan-review.md``)."""
    if not isinstance(pred, dict) or len(pred) != 1:
        raise ValueError(f"{where}: a predicate is a mapping with one operator, one of {OPERATORS}")
    ((op, arg),) = pred.items()
    here = f"{where}.{op}"
    if op in ("all_of", "any_of"):
        if not isinstance(arg, list) or not arg:
            raise ValueError(f"{here}: expected a non-empty list of predicates")
        for i, sub in enumerate(arg):
            _check_predicate(sub, f"{here}[{i}]")
    elif op == "not":
        _check_predicate(arg, here)
    elif op == "at_least":
        if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], int)):
            raise ValueError(f"{here}: expected [count, [predicates...]]")
        if not isinstance(arg[1], list):
            raise ValueError(f"{here}: expected [count, [predicates...]]")
        for i, sub in enumerate(arg[1]):
            _check_predicate(sub, f"{here}[{i}]")
    elif op in ("nonempty", "is_true"):
        _check_path(arg, here)
    elif op == "equals":
        if not (isinstance(arg, list) and len(arg) == 2):
            raise ValueError(f"{here}: expected [field, value]")
        _check_path(arg[0], here)
    elif op in ("min", "max", "within_days"):
        if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], int | float)):
            raise ValueError(f"{here}: expected [field, number]")
        _check_path(arg[0], here)
    elif op == "before":
        if not (isinstance(arg, list) and len(arg) == 2):
            raise ValueError(f"{here}: expected [earlier date field, later date field]")
        _check_path(arg[0], here)
        _check_path(arg[1], here)
    elif op == "at_tier":
        _check_tiers(arg, here)
    else:
        raise ValueError(
            f"{where}: unknown operator {op!r}; expected one of {', '.join(OPERATORS)}"
        )


class Advice(BaseModel):
    """What to tell the organiser when the item is partial or absent."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    partial: str = Field(min_length=1)
    absent: str = Field(min_length=1)


class Rule(BaseModel):
    """One checklist item, loaded from ``plans/rules/*.yaml``.

    ``section`` is the section of the TPPA that makes the item law ("s.5(3)(a)"), and is
    required exactly for the standard and enhanced rules: a best-practice rule cites
    guidance in ``source`` and has no section, so no letter can call it a duty.
    ``practicable`` marks a duty the Act frames "so far as reasonably practicable" (ss.5-6)
    whose evidence (CCTV, a Vehicle Dynamics Assessment, a 1.2 m gap...) is guidance, not
    text of the Act. ``binds_if`` (a predicate) limits where the rule binds by law: G4A,
    co-ordination with other responsible persons (s.8), binds only where there are some.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[A-Z][A-Z0-9]*$")
    title: str = Field(min_length=1)
    tier: RuleTier
    critical: bool = False
    section: str | None = Field(default=None, min_length=1)
    practicable: bool = False
    source: str = Field(min_length=1)
    checks: str = Field(min_length=1)
    binds_if: dict[str, Any] | None = None
    adequate: dict[str, Any]
    partial: dict[str, Any]
    advice: Advice

    @field_validator("adequate", "partial", "binds_if")
    @classmethod
    def _predicate(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            _check_predicate(value, "predicate")
        return value

    @model_validator(mode="after")
    def _law_or_guidance(self) -> Rule:
        if self.tier is RuleTier.best_practice and self.section is not None:
            raise ValueError(
                f"section: a best_practice rule is guidance, not law; drop section "
                f"{self.section!r} (cite the guidance in source) or give the rule a legal tier"
            )
        if self.tier is not RuleTier.best_practice and self.section is None:
            raise ValueError(
                f"section: a {self.tier.value} rule is a duty of the Act; name the section "
                "that imposes it (e.g. 's.5(3)(a)'), or make the rule best_practice"
            )
        if self.tier is RuleTier.best_practice and (self.practicable or self.binds_if):
            raise ValueError(
                "practicable and binds_if describe a legal duty; a best_practice rule has neither"
            )
        return self

    @property
    def group(self) -> str:
        """Checklist group: S (standard duty), E (enhanced duty), BP (best practice)."""
        return GROUP[self.tier]

    def binds(self, plan: SecurityPlan, on: dt.date, tier: LegalTier) -> bool:
        """Whether the item is a duty of the Act for this plan at ``tier``: its tier binds
        there and its ``binds_if`` fact (if any) holds."""
        if self.tier not in BINDING[tier]:
            return False
        return self.binds_if is None or _holds(self.binds_if, plan, on, tier)

    def score(self, plan: SecurityPlan, on: dt.date, tier: LegalTier) -> Literal[0, 1, 2]:
        """2 if ``adequate`` holds, else 1 if ``partial`` holds, else 0, reading
        ``at_tier`` predicates at ``tier``."""
        if _holds(self.adequate, plan, on, tier):
            return 2
        if _holds(self.partial, plan, on, tier):
            return 1
        return 0


def _resolve(plan: SecurityPlan, path: str) -> object:
    value: object = plan
    for part in path.split("."):
        if value is None:
            return None
        value = getattr(value, part)
    return value


def _holds(pred: Mapping[str, Any], plan: SecurityPlan, on: dt.date, tier: LegalTier) -> bool:
    """Whether ``pred`` holds for ``plan`` on day ``on``, reading ``at_tier`` at ``tier``."""
    ((op, arg),) = pred.items()
    if op == "all_of":
        return all(_holds(p, plan, on, tier) for p in arg)
    if op == "any_of":
        return any(_holds(p, plan, on, tier) for p in arg)
    if op == "not":
        return not _holds(arg, plan, on, tier)
    if op == "at_least":
        return sum(_holds(p, plan, on, tier) for p in arg[1]) >= int(arg[0])
    if op == "at_tier":
        return tier in _tiers_of(arg)
    if op == "nonempty":
        value = _resolve(plan, arg)
        return value is not None and value != "" and value != [] and value is not False
    if op == "is_true":
        return _resolve(plan, arg) is True
    if op == "equals":
        return bool(_resolve(plan, arg[0]) == arg[1])
    if op in ("min", "max"):
        value = _resolve(plan, arg[0])
        if not isinstance(value, int | float) or isinstance(value, bool):
            return False
        limit = float(arg[1])
        return value >= limit if op == "min" else value <= limit
    if op == "within_days":
        value = _resolve(plan, arg[0])
        return isinstance(value, dt.date) and 0 <= (on - value).days <= int(arg[1])
    if op == "before":
        first, second = _resolve(plan, arg[0]), _resolve(plan, arg[1])
        return isinstance(first, dt.date) and isinstance(second, dt.date) and first < second
    raise AssertionError(f"unvalidated operator {op!r}")  # pragma: no cover


def load_rules(*paths: Path) -> tuple[Rule, ...]:
    """Load rule files (each a YAML list of rules); raise ``ReviewError`` naming the fault.

    With no paths, load the built-in catalogue (``plans/rules/*.yaml`` in file-name order).
    """
    files = list(paths) or sorted(RULES_DIR.glob("*.yaml"))
    rules: list[Rule] = []
    for file in files:
        data = _read_yaml(file)
        if not isinstance(data, list):
            raise ReviewError(f"{file}: a rule file is a YAML list of rules")
        for i, item in enumerate(data):
            try:
                rules.append(Rule.model_validate(item))
            except ValidationError as exc:
                err = exc.errors()[0]
                loc = ".".join(str(p) for p in err["loc"])
                rule_id = item.get("id") if isinstance(item, dict) else None
                name = f"rule {rule_id} [{i}]" if isinstance(rule_id, str) else f"rule [{i}]"
                msg = str(err["msg"]).removeprefix("Value error, ")
                where = f"{name} {loc}" if loc else name
                raise ReviewError(f"{file}: {where}: {msg}") from None
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise ReviewError(f"duplicate rule id {rule.id!r} in {', '.join(map(str, files))}")
        seen.add(rule.id)
    return tuple(rules)


@functools.cache
def default_rules() -> tuple[Rule, ...]:
    """The built-in catalogue (G1..X3), loaded once."""
    return load_rules()


# ---------------------------------------------------------------------------------------
# Loading plan files with line numbers
# ---------------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing what would silently change a plan's meaning.

    * A key given twice in one mapping: YAML keeps the last, so ``maximum: 1800`` then
      ``maximum: 5`` would drop the tier from enhanced to none without a word. Keys merged
      in with ``<<`` may still be overridden, as YAML intends.
    * An impossible date (``2026-02-30``): refused with its line, not a traceback.

    Each mapping node is checked once, when it is constructed (an alias reuses the object
    already built), so aliases cannot make the check expensive.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[str, int] = {}
        for key_node, _ in node.value:
            if (
                not isinstance(key_node, yaml.ScalarNode)
                or key_node.tag == "tag:yaml.org,2002:merge"
            ):
                continue
            line = key_node.start_mark.line + 1
            if key_node.value in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key_node.value!r} appears twice in one mapping (lines "
                    f"{seen[key_node.value]} and {line}); remove one (YAML would silently "
                    "keep the last)",
                    key_node.start_mark,
                )
            seen[key_node.value] = line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> object:  # type: ignore[override]
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"{node.value!r} is not a real date ({exc}); expected YYYY-MM-DD",
                node.start_mark,
            ) from None


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _StrictLoader.construct_yaml_timestamp)


def _yaml_data(text: str, source: str | Path) -> object:
    """Parse YAML (or JSON) text strictly; ``ReviewError`` names ``source:line`` on failure.

    Nesting and alias expansion are bounded before any tree is built
    (:func:`crowdguard.safeinput.check_yaml`, issue 12); non-finite numbers (``.inf``,
    ``.nan``) are refused by the schema (``allow_inf_nan=False``) with their line."""
    try:
        check_yaml(text)
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except UnsafeInput as exc:
        raise ReviewError(exc.describe(str(source))) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML or JSON"
        raise ReviewError(f"{source}{line}: {problem}") from None
    except RecursionError:
        raise ReviewError(
            f"{source}: nested too deeply to be a security plan (a plan is a few levels deep)"
        ) from None


def _read_yaml(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ReviewError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise ReviewError(f"{path}: not a UTF-8 text file") from None
    return _yaml_data(text, path)


def _line_of(root: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    """The 1-based line of the deepest node along a pydantic error location."""
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    node, line = value, key.start_mark.line + 1
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _section_fields(loc: Sequence[int | str]) -> list[str]:
    """Field names of the plan section at ``loc`` (list indices skipped), or ``[]``."""
    owner: object = SecurityPlan
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(owner, type) and issubclass(owner, BaseModel)):
            return []
        try:
            owner = _field_type(owner, part)
        except KeyError:
            return []
        if typing.get_origin(owner) is list:
            (owner,) = typing.get_args(owner)
    if isinstance(owner, type) and issubclass(owner, BaseModel):
        return list(owner.model_fields)
    return []


def _friendly(err: Mapping[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        loc = [p for p in err.get("loc", ()) if isinstance(p, int | str)]
        fields = _section_fields(loc[:-1])
        expected = f"; expected one of: {', '.join(fields)}" if fields else ""
        return f"unknown field (check the spelling){expected}"
    if kind == "missing":
        return "required field is missing"
    msg = str(err.get("msg", "invalid value"))
    return msg.removeprefix("Value error, ")


def _line_in(text: str | None, loc: Sequence[int | str]) -> int | None:
    """The line of ``loc`` in the plan's text, if the text is YAML (or JSON) we can compose."""
    if text is None:
        return None
    # JSON is YAML but for tab indentation; tabs outside strings are layout only.
    for candidate in (text, text.replace("\t", " ")):
        try:
            return _line_of(yaml.compose(candidate), loc)
        except yaml.YAMLError:
            continue
        except RecursionError:
            return None
    return None


def parse_plan(
    data: object,
    *,
    source: str = "<plan>",
    text: str | None = None,
    notices: list[str] | None = None,
) -> SecurityPlan:
    """Validate plan data; ``ReviewError`` names ``source:line: field: problem`` on failure.

    With ``notices``, deprecation notices are appended to it as ``source:line: message``
    (the plan is still read: ``event.body_corporate`` becomes ``responsible_person_type``).
    """
    if not isinstance(data, dict):
        raise ReviewError(f"{source}: a security plan is a mapping with an 'event' section")
    try:
        plan = SecurityPlan.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # A misspelt field also leaves the real one missing: name the misspelling first.
        err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        loc = [p for p in err["loc"] if isinstance(p, int | str)]
        field = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")
        line = _line_in(text, loc)
        where = f"{source}:{line}" if line is not None else source
        extra = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ReviewError(f"{where}: {field or 'plan'}: {_friendly(err)}{extra}") from None
    if notices is not None:
        for where_from, message in plan.notices:
            line = _line_in(text, where_from)
            notices.append(f"{source}:{line}: {message}" if line else f"{source}: {message}")
    return plan


def load_plan(path: Path | str, *, notices: list[str] | None = None) -> SecurityPlan:
    """Load a plan from YAML or JSON; errors are ``ReviewError`` with ``file:line: field``.

    ``.json`` files are read as JSON (which allows tabs, unlike YAML); anything else as YAML
    (strictly: no duplicate keys, no impossible dates). ``notices`` collects deprecation
    notices (see :func:`parse_plan`).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ReviewError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise ReviewError(f"{path}: not a UTF-8 text file") from None
    if path.suffix.lower() != ".json":
        return parse_plan(_yaml_data(text, path), source=str(path), text=text, notices=notices)
    try:
        data = load_json(text, object_pairs_hook=_unique_keys)
    except UnsafeInput as exc:  # deep nesting, NaN/Infinity, overflowing numbers
        raise ReviewError(exc.describe(str(path))) from None
    except json.JSONDecodeError as exc:
        raise ReviewError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    except _DuplicateJsonKey as exc:
        raise ReviewError(f"{path}: {exc}") from None
    except RecursionError:
        raise ReviewError(
            f"{path}: nested too deeply to be a security plan (a plan is a few levels deep)"
        ) from None
    return parse_plan(data, source=str(path), text=text, notices=notices)


class _DuplicateJsonKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateJsonKey(
                f"key {key!r} appears twice in one object; remove one (JSON readers would "
                "silently keep the last)"
            )
        out[key] = value
    return out


def loads_plan(
    text: str, *, source: str = "<plan>", notices: list[str] | None = None
) -> SecurityPlan:
    """Parse a plan from YAML or JSON text (``source`` names it in error messages)."""
    return parse_plan(_yaml_data(text, source), source=source, text=text, notices=notices)


# ---------------------------------------------------------------------------------------
# Tier and review
# ---------------------------------------------------------------------------------------


def duties_in_force(on: dt.date, commencement: dt.date | None) -> bool:
    """Whether the Act's duties (ss.4-10) are in force on ``on``: only once a commencement
    date is known and reached. As of the 2026 season only s.27 is commenced (``domain.md``
    section 2), so with no date the answer is no."""
    return commencement is not None and on >= commencement


def _always_standard_use(venue: Venue) -> str:
    """What makes premises always standard, in words ("a place of worship")."""
    if venue.place_of_worship or venue.kind is VenueKind.place_of_worship:
        return "a place of worship"
    if venue.childcare or venue.kind is VenueKind.childcare:
        return "childcare premises"
    if venue.school or venue.kind is VenueKind.school:
        return "a school"
    return "further education premises"


def legal_tier(plan: SecurityPlan, *, in_force: bool = False) -> tuple[LegalTier, str]:
    """The Martyn's Law tier and a one-sentence reason (TPPA ss.2-3; ``domain.md`` section 2).

    In order: under 200 at once, none. Premises (a building, with any land, in a Schedule 1
    use) of 800+ are enhanced duty premises, except places of worship, childcare, schools
    and further education, which Schedule 1 treats as standard. Otherwise an event of 800+
    that is open to the public and has entry checks (payment, a ticket or pass, club
    membership or guest status) is a *qualifying event* (s.3) with enhanced duties, on open
    land or on premises that are not enhanced duty premises (gov.uk *Scope (events)*
    factsheet, 2025) - so a ticketed 800+ event at a cathedral qualifies, and a private,
    invitation-only party does not. Otherwise premises of 200+ are standard, and an event
    not on premises is out of scope. Headcount includes staff. Without an occupancy figure
    the tier cannot be determined: ``none``, with a reason saying so.

    ``in_force`` words the reason for duties in force ("is a qualifying event"); before
    commencement (the default) it says what the event *will* be once they are.
    """
    be = "is" if in_force else "will be"
    if plan.occupancy is None:
        return LegalTier.none, (
            "the plan gives no maximum occupancy, so the tier under the Act cannot be determined"
        )
    n = plan.occupancy.maximum
    venue = plan.venue
    checks = plan.entry_checks
    premises = venue is not None and venue.premises
    always_standard = venue is not None and venue.always_standard
    if n < STANDARD_THRESHOLD:
        return LegalTier.none, (
            f"fewer than {STANDARD_THRESHOLD} people ({n:,}) are expected at once, "
            "below the Act's threshold"
        )
    if premises and not always_standard and n >= ENHANCED_THRESHOLD:
        return LegalTier.enhanced, (
            f"{n:,} people are expected at once at qualifying premises "
            f"({ENHANCED_THRESHOLD:,} or more: the premises {be} enhanced duty premises)"
        )
    if n >= ENHANCED_THRESHOLD and plan.public_access and checks is not EntryChecks.none:
        where = (
            "at premises that are not enhanced duty premises"
            if premises
            else "at a place that is not qualifying premises"
        )
        return LegalTier.enhanced, (
            f"{n:,} people are expected at once at an event open to the public with entry "
            f"checks ({checks.value}) {where}, so it {be} a qualifying event with enhanced "
            "duties"
        )
    private = (
        f"; the event is not open to the public, so it {be} not a qualifying event (TPPA s.3)"
        if n >= ENHANCED_THRESHOLD and not plan.public_access
        else ""
    )
    if premises and always_standard:
        assert venue is not None
        return LegalTier.standard, (
            f"{n:,} people are expected at once at {_always_standard_use(venue)}, which "
            f"Schedule 1 keeps in the standard tier whatever its size{private}"
        )
    if premises:
        return LegalTier.standard, (
            f"{n:,} people are expected at once at qualifying premises "
            f"({STANDARD_THRESHOLD}-{ENHANCED_THRESHOLD - 1}: the premises {be} standard duty "
            f"premises){private}"
        )
    if private:
        return LegalTier.none, (
            f"{n:,} people are expected at once, but the event is not open to the public "
            f"(a private, invitation-only event), so it {be} not a qualifying event (TPPA "
            "s.3) and is not held on qualifying premises"
        )
    if n >= ENHANCED_THRESHOLD:
        return LegalTier.none, (
            f"{n:,} people are expected at once but there are no entry checks and the event "
            "is not held on qualifying premises, so it is probably not a qualifying event"
        )
    return LegalTier.none, (
        f"{n:,} people are expected at once at an event that is not held on qualifying "
        f"premises; an event needs {ENHANCED_THRESHOLD:,} or more, open to the public with "
        "entry checks, to qualify"
    )


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ItemScore(_Frozen):
    """The score of one checklist item, against the full checklist and against the law.

    ``score``/``status`` read the rule at the enhanced tier (the good-practice checklist);
    ``legal_score`` reads it at the plan's legal tier. They differ only for a rule whose
    evidence uses ``at_tier`` (G2: a body corporate's Designated Senior Individual is
    asked for at every tier but required by law only at the enhanced tier, TPPA s.10).
    """

    rule: str
    title: str
    tier: RuleTier
    critical: bool
    section: str | None = Field(
        default=None, description="the section of the Act that makes the item law (none: guidance)"
    )
    practicable: bool = Field(
        default=False,
        description="a duty 'so far as reasonably practicable' whose evidence is guidance",
    )
    score: Literal[0, 1, 2]
    status: Literal["absent", "partial", "adequate"]
    legal: bool = Field(description="the item binds by law at this plan's tier")
    legal_score: Literal[0, 1, 2] = Field(
        description="the score against what the law asks at this plan's tier"
    )
    source: str
    checks: str

    @model_validator(mode="before")
    @classmethod
    def _legal_score_defaults_to_score(cls, data: object) -> object:
        # Reviews stored before legal scores existed read the same rule at every tier.
        if isinstance(data, dict) and "legal_score" not in data and "score" in data:
            return {**data, "legal_score": data["score"]}
        return data

    @property
    def legal_gap(self) -> bool:
        """The item binds by law at this tier and falls short of what the law asks."""
        return self.legal and self.legal_score < 2

    @property
    def finding_score(self) -> int:
        """The score a finding reports: the lower of the checklist and legal scores
        (the legal one only where the item binds by law)."""
        return min(self.score, self.legal_score) if self.legal else self.score


class Finding(_Frozen):
    """An item below adequate: what is missing, the clause, what to do.

    ``legal`` is true when the shortfall is against what the law asks at the plan's tier;
    a finding against the full checklist only (a standard-tier company without a
    Designated Senior Individual, say) is good practice, ``legal`` false.
    """

    rule: str
    title: str
    tier: RuleTier
    critical: bool
    legal: bool
    section: str | None = None
    practicable: bool = False
    severity: Severity
    status: Literal["absent", "partial"]
    source: str
    advice: str


class Review(_Frozen):
    """The outcome of one plan review.

    ``commencement`` is the date the Act's duties are (or were) commenced as known when the
    review was made (None: not yet known), and ``duties_in_force`` whether they were in
    force on ``reviewed_on``. Before commencement the legal verdict says what the Act *will*
    require, and the letter presents it as advice. Reviews stored before these fields
    existed read as made with the date unknown, which was the law then.
    """

    event: str
    event_name: str
    organiser: str
    venue: str
    opens: dt.date | None
    reviewed_on: dt.date
    commencement: dt.date | None = None
    duties_in_force: bool = False
    tier: LegalTier
    tier_reason: str
    items: list[ItemScore]
    findings: list[Finding]
    critical_failures: list[str] = Field(description="critical items scoring 0 (all items)")
    legal_critical_failures: list[str] = Field(description="critical items at 0 binding by law")
    score: float = Field(description="percentage of available points, every item")
    legal_score: float | None = Field(description="percentage over the items binding by law")
    group_scores: dict[str, float] = Field(description="percentage per group S, E, BP")
    legal_verdict: str
    good_practice_verdict: str
    fictional_details: list[str] = Field(
        default_factory=list, description="invented details of the plan (demo data)"
    )

    def to_json(self) -> dict[str, object]:
        """The CLI's JSON contract: event, tier, score, critical_failures, findings, and
        whether the duties were in force (with the commencement date, if known). Each
        finding says whether it falls short of the law at the plan's tier (``legal``) and
        the section of the Act behind the item (``section``, null for guidance)."""
        return {
            "event": self.event,
            "tier": self.tier.value,
            "score": self.score,
            "critical_failures": list(self.critical_failures),
            "duties_in_force": self.duties_in_force,
            "commencement": self.commencement.isoformat() if self.commencement else None,
            "findings": [
                {
                    "rule": f.rule,
                    "title": f.title,
                    "tier": f.tier.value,
                    "severity": f.severity.value,
                    "status": f.status,
                    "legal": f.legal,
                    "section": f.section,
                    "source": f.source,
                    "advice": f.advice,
                }
                for f in self.findings
            ],
        }

    def to_json_text(self) -> str:
        """:meth:`to_json` as indented text."""
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False)


def _checklist(item: ItemScore) -> int:
    return item.score


def _at_law(item: ItemScore) -> int:
    return item.legal_score


def _percent(items: Sequence[ItemScore], score: Callable[[ItemScore], int] = _checklist) -> float:
    if not items:
        return 100.0
    return round(100.0 * sum(score(i) for i in items) / (2 * len(items)), 1)


def _verdict(items: Sequence[ItemScore], score: Callable[[ItemScore], int] = _checklist) -> str:
    if not items:
        return "no legal duties"
    if any(i.critical and score(i) == 0 for i in items):
        return "improvement required"
    if all(score(i) == 2 for i in items):
        return "satisfactory"
    return "satisfactory with recommendations"


def _severity(item: ItemScore) -> Severity:
    score = item.finding_score
    if item.critical and score == 0:
        return Severity.critical
    if (item.critical and score == 1) or (item.legal_gap and item.legal_score == 0):
        return Severity.high
    if item.legal_gap or score == 0:
        return Severity.medium
    return Severity.low


def _findings(items: Sequence[ItemScore], advice: Callable[[ItemScore], str]) -> list[Finding]:
    """Every item short of the checklist or (where it binds) of the law, most severe first."""
    order = {item.rule: i for i, item in enumerate(items)}
    return sorted(
        (
            Finding(
                rule=i.rule,
                title=i.title,
                tier=i.tier,
                critical=i.critical,
                legal=i.legal_gap,
                section=i.section,
                practicable=i.practicable,
                severity=_severity(i),
                status="partial" if i.finding_score == 1 else "absent",
                source=i.source,
                advice=advice(i),
            )
            for i in items
            if i.finding_score < 2
        ),
        key=lambda f: (SEVERITY_ORDER[f.severity], order[f.rule]),
    )


def _totals(items: Sequence[ItemScore]) -> dict[str, Any]:
    """Everything a review derives from its item scores, apart from the findings."""
    legal_items = [i for i in items if i.legal]
    groups: dict[str, float] = {}
    for tier_of_rule, label in GROUP.items():
        members = [i for i in items if i.tier is tier_of_rule]
        if members:
            groups[label] = _percent(members)
    return {
        "critical_failures": [i.rule for i in items if i.critical and i.score == 0],
        "legal_critical_failures": [
            i.rule for i in legal_items if i.critical and i.legal_score == 0
        ],
        "score": _percent(items),
        "legal_score": _percent(legal_items, _at_law) if legal_items else None,
        "group_scores": groups,
        "legal_verdict": _verdict(legal_items, _at_law),
        "good_practice_verdict": _verdict(items),
    }


def review(
    plan: SecurityPlan,
    *,
    rules: Sequence[Rule] | None = None,
    on: dt.date | None = None,
    commencement: dt.date | None = None,
) -> Review:
    """Review ``plan`` against the rule catalogue (default: :func:`default_rules`).

    ``on`` is the review date (default: today in Europe/London), used for dated evidence
    and stamped on the letter. ``commencement`` is the date the Act's duties are commenced,
    if known (default: unknown, so not in force; see the module docstring).
    """
    catalogue = default_rules() if rules is None else tuple(rules)
    day = on or dt.datetime.now(LONDON).date()
    in_force = duties_in_force(day, commencement)
    tier, reason = legal_tier(plan, in_force=in_force)
    items: list[ItemScore] = []
    for rule in catalogue:
        score = rule.score(plan, day, CHECKLIST_TIER)
        items.append(
            ItemScore(
                rule=rule.id,
                title=rule.title,
                tier=rule.tier,
                critical=rule.critical,
                section=rule.section,
                practicable=rule.practicable,
                score=score,
                status=STATUS[score],
                legal=rule.binds(plan, day, tier),
                legal_score=rule.score(plan, day, tier),
                source=rule.source,
                checks=rule.checks,
            )
        )
    by_id = {rule.id: rule for rule in catalogue}

    def advice(item: ItemScore) -> str:
        text = by_id[item.rule].advice
        return text.partial if item.finding_score == 1 else text.absent

    return Review(
        event=plan.event.id,
        event_name=plan.event.name,
        organiser=plan.event.organiser,
        venue=plan.venue.name if plan.venue else "",
        opens=plan.dates.opens if plan.dates else None,
        reviewed_on=day,
        commencement=commencement,
        duties_in_force=in_force,
        tier=tier,
        tier_reason=reason,
        items=items,
        findings=_findings(items, advice),
        fictional_details=list(plan.fictional_details),
        **_totals(items),
    )
