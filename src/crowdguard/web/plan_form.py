"""The event security plan as an HTML form, read back into the plan's own schema.

The form is derived from :class:`crowdguard.plans.schema.SecurityPlan` field by field, so it
has the plan schema's sections and can never drift from what the review engine reads: each
section is a fieldset introduced by its class's docstring (which cites the clause of the
Terrorism (Protection of Premises) Act 2025 or the guidance it comes from), each field
carries the note and the value of the shipped example plan
(``plans/templates/example-plan.yaml``) as its inline guidance. Field names are dotted paths
(``procedures.evacuation.routes``; rows of a list of sections are numbered,
``physical.hvm_products.0.rating``).

:func:`plan_data` turns the posted fields back into the plan's nested data: a field left at
its default is left out, and so is a section with nothing in it, so a section the organiser
did not fill in is *missing* (a finding in the review, never a validation error, as for a
file). :func:`field_errors` puts pydantic's validation errors next to the fields they name
(GOV.UK Design System, "Error message" and "Error summary" patterns). Pure functions over
the schema: no request, no session.
"""

from __future__ import annotations

import datetime as dt
import enum
import inspect
import re
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ValidationError

from crowdguard.plans.hvm import HvmRating
from crowdguard.plans.review import _friendly
from crowdguard.plans.schema import SecurityPlan

__all__ = [
    "MAX_ROWS",
    "FormField",
    "FormGroup",
    "PlanForm",
    "field_errors",
    "form_values",
    "plan_data",
    "plan_form",
]

Kind = Literal["text", "textarea", "lines", "bool", "date", "number", "choice", "choices"]
MAX_ROWS = 12
"""Most rows of a list of sections (HVM products, emergency routes) the form reads."""
SPARE_ROWS = 1
"""Empty rows offered after the filled ones (at least two rows in all)."""

_WORDS = {
    "sia": "SIA", "cctv": "CCTV", "hvm": "HVM", "act": "ACT", "hot": "HOT", "scan": "SCaN",
    "mou": "MoU", "bid": "BID", "ctsa": "CTSA", "999": "999", "id": "ID", "vda": "VDA",
}  # fmt: skip
_MESSAGES = {
    "int_parsing": "enter a whole number, such as 2500",
    "int_from_float": "enter a whole number, such as 2500",
    "float_parsing": "enter a number, such as 1.2",
    "date_from_datetime_parsing": "enter a date as YYYY-MM-DD, such as 2026-11-20",
    "date_parsing": "enter a date as YYYY-MM-DD, such as 2026-11-20",
    "bool_parsing": "tick the box or leave it empty",
}
"""pydantic's words for a badly typed field, in the words of a form (GOV.UK Design System
error messages: say what to enter)."""
_LABELS = {
    "event.id": "Short name of the plan (lower case, digits and hyphens)",
    "venue.id": "Short name of the venue",
}
_UNITS = {"minutes": "minutes", "m": "m", "kg": "kg", "kmh": "km/h", "m2": "per m²"}
ACCESS_INTRO = (
    "An event of 800 or more is a qualifying event (TPPA s.3) only if it is open to the "
    "public and has entry checks: payment, a ticket or pass, or club membership."
)
_TITLES = {
    "": "Public access and entry checks",
    "event": "The event and who is responsible",
    "people": "Responsible person, senior individual, SIA",
    "procedures": "Public-protection procedures",
    "physical": "Physical security and hostile vehicles",
    "information": "Information security",
    "document": "The security document",
    "threat_levels": "Measures by threat level",
    "christmas": "Christmas-market measures",
}


@dataclass
class FormField:
    """One input: its dotted ``path`` (the form field's name), label, kind and guidance,
    with the value to show and the error to say next to it."""

    path: str
    label: str
    kind: Kind
    hint: str = ""
    example: str = ""
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    none_allowed: bool = False
    """A list that may be missing or empty, and the two differ (``[]``: there are none)."""
    default: object = None
    value: str | list[str] = ""
    none_checked: bool = False
    error: str = ""

    @property
    def id(self) -> str:
        """The element id (``f-procedures-evacuation-routes``)."""
        return "f-" + self.path.replace(".", "-").replace("_", "-")


@dataclass
class FormGroup:
    """A section of the plan (a fieldset) or one row of a list of sections."""

    path: str
    title: str
    intro: str = ""
    items: list[FormField | FormGroup] = field(default_factory=list)
    rows_of: str = ""
    """For a row: the list it belongs to (``physical.hvm_products``)."""
    error: str = ""

    @property
    def id(self) -> str:
        """The element id of the fieldset."""
        return "g-" + (self.path.replace(".", "-").replace("_", "-") or "access")

    def walk(self) -> list[FormField]:
        """Every field in the group, in order."""
        out: list[FormField] = []
        for item in self.items:
            out.extend(item.walk() if isinstance(item, FormGroup) else [item])
        return out

    @property
    def filled(self) -> bool:
        """Something in the group differs from its default, or is wrong."""
        return bool(self.error) or any(f.error or f.none_checked or _given(f) for f in self.walk())


@dataclass
class PlanForm:
    """The whole form: the plan's sections in schema order, and the errors in page order."""

    groups: list[FormGroup]
    problem: str = ""

    def errors(self) -> list[tuple[str, str, str]]:
        """(element id, where, message) of every error, for the summary at the top; where
        names the section and the field ("Occupancy: Maximum")."""
        out: list[tuple[str, str, str]] = []
        for group in self.groups:
            out.extend(_group_errors(group, group.title))
        return out


def _group_errors(group: FormGroup, where: str) -> list[tuple[str, str, str]]:
    out = [(group.id, where, group.error)] if group.error else []
    for item in group.items:
        if isinstance(item, FormGroup):
            out.extend(_group_errors(item, f"{where}: {item.title}" if item.rows_of else where))
        elif item.error:
            out.append((item.id, f"{where}: {item.label}", item.error))
    return out


def _given(f: FormField) -> bool:
    if f.kind == "bool":
        return (f.value == "on") != bool(f.default)
    if isinstance(f.value, list):
        return bool(f.value)
    return bool(f.value.strip()) and f.value.strip() != str(f.default or "")


# -- the schema, read once ------------------------------------------------------------------


def _label(name: str) -> str:
    words = name.split("_")
    unit = ""
    if len(words) > 1 and words[-1] in _UNITS:
        unit = f" ({_UNITS[words.pop()]})"
        if words[-1] == "per":
            words.pop()
    text = " ".join(_WORDS.get(w, w) for w in words)
    return text[:1].upper() + text[1:] + unit


def _intro(model: type[BaseModel]) -> str:
    doc = inspect.cleandoc(model.__doc__ or "")
    first = doc.split("\n\n", 1)[0]
    return " ".join(first.replace("``", "").split())


def _strip_optional(annotation: object) -> tuple[object, bool]:
    """The annotation without ``| None``, and whether it allowed None."""
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _bare(annotation: object) -> object:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _choices(annotation: object) -> tuple[tuple[str, str], ...] | None:
    annotation = _bare(annotation)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return tuple((str(m.value), str(m.value).replace("_", " ")) for m in annotation)
    if typing.get_origin(annotation) is Literal:
        return tuple((str(a), str(a).replace("_", " ")) for a in typing.get_args(annotation))
    return None


@cache
def _example() -> tuple[dict[str, str], dict[str, str]]:
    """The example plan's note (its YAML comment) and value for each dotted path (rows of a
    list share their first row's, under the path without the index)."""
    text = (
        resources.files("crowdguard.plans")
        .joinpath("templates/example-plan.yaml")
        .read_text(encoding="utf-8")
    )
    notes: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    last = ""
    for line in text.splitlines():
        code, comment = _split_comment(line)
        if not code.strip():
            if last and comment:  # a note continued on its own line
                notes[last] = f"{notes[last]} {comment}".strip()
            continue
        key = re.match(r"(\s*)(- )?([a-z0-9_]+):", code)
        if key is None:  # a list item: its comment continues the list's note
            if last and comment:
                notes[last] = f"{notes[last]} {comment}".strip()
            continue
        indent = len(key.group(1)) + (2 if key.group(2) else 0)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, key.group(3)))
        last = ".".join(k for _, k in stack)
        notes[last] = comment
    values: dict[str, str] = {}

    def flatten(data: object, path: str) -> None:
        if isinstance(data, dict):
            for k, v in data.items():
                flatten(v, f"{path}.{k}" if path else str(k))
        elif isinstance(data, list) and data and all(isinstance(d, dict) for d in data):
            flatten(data[0], path)
        elif isinstance(data, list):
            values[path] = "; ".join(str(d) for d in data)
        elif not isinstance(data, bool) and data is not None:
            values[path] = str(data)

    flatten(yaml.safe_load(text), "")
    return notes, values


def _split_comment(line: str) -> tuple[str, str]:
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i], line[i + 1 :].strip()
    return line, ""


def _field(name: str, info: Any, path: str, template: str) -> FormField | FormGroup | list[Any]:
    """The form item for one schema field (``template``: the path without row numbers)."""
    notes, examples = _example()
    annotation, optional = _strip_optional(info.annotation)
    annotation = _bare(annotation)
    default = None if info.is_required() else info.get_default(call_default_factory=True)
    common = {
        "path": path,
        "label": _LABELS.get(template, _label(name)),
        "hint": notes.get(template, "") or (info.description or ""),
        "example": examples.get(template, ""),
        "required": info.is_required(),
        "default": default,
    }
    if annotation is bool:
        return FormField(kind="bool", **common)
    if annotation is dt.date:
        return FormField(kind="date", **common)
    if annotation in (int, float):
        return FormField(kind="number", **common)
    if annotation is HvmRating:
        return FormField(kind="text", **common)
    choices = _choices(annotation)
    if choices is not None:
        return FormField(kind="choice", choices=choices, **common)
    if typing.get_origin(annotation) is list:
        (inner,) = typing.get_args(annotation)
        inner = _bare(inner)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return ["rows", inner]
        inner_choices = _choices(inner)
        if inner_choices is not None:
            return FormField(kind="choices", choices=inner_choices, **common)
        return FormField(kind="lines", none_allowed=optional, **common)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _group(annotation, path, template)
    long = len(common["example"]) > 60 or name in {"how_coordinated", "decision_triggers"}
    return FormField(kind="textarea" if long else "text", **common)


def _group(model: type[BaseModel], path: str, template: str, rows: int = 0) -> FormGroup:
    name = path.rsplit(".", 1)[-1]
    group = FormGroup(path=path, title=_TITLES.get(path, _label(name)), intro=_intro(model))
    for field_name, info in model.model_fields.items():
        sub = f"{path}.{field_name}" if path else field_name
        sub_template = f"{template}.{field_name}" if template else field_name
        item = _field(field_name, info, sub, sub_template)
        if isinstance(item, list):
            group.items.append(_rows(item[1], sub, sub_template, field_name))
        else:
            group.items.append(item)
    return group


def _rows(model: type[BaseModel], path: str, template: str, name: str) -> FormGroup:
    rows = FormGroup(path=path, title=_label(name), intro=_intro(model))
    for i in range(MAX_ROWS):
        row = _group(model, f"{path}.{i}", template)
        row.title = f"{_label(name).rstrip('s')} {i + 1}"
        row.rows_of = path
        row.intro = ""
        rows.items.append(row)
    return rows


@cache
def _skeleton() -> tuple[FormGroup, ...]:
    """The plan's sections in schema order; its top-level scalars first, as one section."""
    top = _group(SecurityPlan, "", "")
    access = FormGroup(path="", title=_TITLES[""], intro=ACCESS_INTRO)
    sections: list[FormGroup] = []
    for item in top.items:
        if isinstance(item, FormGroup):
            sections.append(item)
        else:
            access.items.append(item)
    return (sections[0], access, *sections[1:])


def _copy(group: FormGroup) -> FormGroup:
    items: list[FormField | FormGroup] = [
        _copy(i) if isinstance(i, FormGroup) else FormField(**vars(i)) for i in group.items
    ]
    return FormGroup(
        path=group.path, title=group.title, intro=group.intro, items=items, rows_of=group.rows_of
    )


# -- values in, data out --------------------------------------------------------------------


def _trim_rows(group: FormGroup, spare: int) -> None:
    """Keep the filled rows of each list plus ``spare`` empty ones (two rows at least)."""
    for item in group.items:
        if not isinstance(item, FormGroup):
            continue
        if item.items and all(isinstance(r, FormGroup) and r.rows_of for r in item.items):
            used = max((i + 1 for i, r in enumerate(item.items) if r.filled), default=0)  # type: ignore[union-attr]
            item.items = item.items[: max(2, min(MAX_ROWS, used + spare))]
        else:
            _trim_rows(item, spare)


def plan_form(
    values: Mapping[str, str | list[str]],
    errors: Mapping[str, str] | None = None,
    problem: str = "",
) -> PlanForm:
    """The form with ``values`` (dotted path -> text, or list for multiple choices; a
    checked box is ``"on"``, a "there are none" box is ``PATH.none``) and ``errors`` (dotted
    path -> message) in place."""
    errors = errors or {}
    groups = [_copy(g) for g in _skeleton()]
    for group in groups:
        _fill(group, values, errors)
        _trim_rows(group, SPARE_ROWS)
    return PlanForm(groups=groups, problem=problem)


def _fill(
    group: FormGroup, values: Mapping[str, str | list[str]], errors: Mapping[str, str]
) -> None:
    if group.path in errors:
        group.error = errors[group.path]
    for item in group.items:
        if isinstance(item, FormGroup):
            _fill(item, values, errors)
            continue
        raw = values.get(item.path, [] if item.kind == "choices" else "")
        if item.kind == "choices":
            item.value = (
                [str(v) for v in raw] if isinstance(raw, list) else [str(raw)] if raw else []
            )
        else:
            item.value = raw[-1] if isinstance(raw, list) and raw else str(raw) if raw else ""
        if item.kind == "bool" and "_submitted" not in values and item.path not in values:
            item.value = "on" if item.default else ""  # a blank form starts at the defaults
        item.none_checked = values.get(f"{item.path}.none") == "on"
        item.error = errors.get(item.path, "")


def form_values(plan: Mapping[str, Any]) -> dict[str, str | list[str]]:
    """A stored plan (JSON mode) as the form's values, to revise it."""
    out: dict[str, str | list[str]] = {"_submitted": "1"}
    for group in _skeleton():
        for f in group.walk():
            _put(out, f, plan)
    return out


def _row_lists(group: FormGroup) -> list[FormGroup]:
    out: list[FormGroup] = []
    for item in group.items:
        if isinstance(item, FormGroup):
            if item.items and all(isinstance(r, FormGroup) and r.rows_of for r in item.items):
                out.append(item)
            else:
                out.extend(_row_lists(item))
    return out


def _at(data: object, path: str) -> object:
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _put(out: dict[str, str | list[str]], f: FormField, plan: Mapping[str, Any]) -> None:
    value = _at(plan, f.path)
    if value is None:
        return
    if f.kind == "bool":
        out[f.path] = "on" if value is True else ""
    elif f.kind == "choices" and isinstance(value, list):
        out[f.path] = [str(v) for v in value]
    elif f.kind == "lines" and isinstance(value, list):
        out[f.path] = "\n".join(str(v) for v in value)
        if not value and f.none_allowed:
            out[f"{f.path}.none"] = "on"
    elif not isinstance(value, dict | list):
        out[f.path] = str(value)


def plan_data(values: Mapping[str, str | list[str]]) -> tuple[dict[str, Any], dict[str, str]]:
    """The posted form as the plan's nested data, and where each list row came from (data
    path with the row's index in the data -> its path in the form), to put errors back."""
    data: dict[str, Any] = {}
    moved: dict[str, str] = {}
    for group in plan_form(values).groups:
        part = _group_data(group, values, moved, group.path)
        if group.path:
            if part:
                data[group.path] = part
        else:
            data.update(part)
    return data, moved


def _group_data(
    group: FormGroup,
    values: Mapping[str, str | list[str]],
    moved: dict[str, str],
    data_path: str,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in group.items:
        key = item.path.rsplit(".", 1)[-1]
        sub = f"{data_path}.{key}" if data_path else key
        if isinstance(item, FormGroup):
            if item.items and all(isinstance(r, FormGroup) and r.rows_of for r in item.items):
                rows: list[dict[str, Any]] = []
                for row in item.items:
                    assert isinstance(row, FormGroup)
                    row_data = _group_data(row, values, moved, f"{sub}.{len(rows)}")
                    if row_data:
                        moved[f"{sub}.{len(rows)}"] = row.path
                        rows.append(row_data)
                if rows:
                    out[key] = rows
            else:
                nested = _group_data(item, values, moved, sub)
                if nested:
                    out[key] = nested
            continue
        value = _field_data(item, values)
        if value is not None:
            out[key] = value
    return out


def _field_data(f: FormField, values: Mapping[str, str | list[str]]) -> object:
    raw = values.get(f.path)
    text = (raw[-1] if raw else "") if isinstance(raw, list) else (raw or "")
    if f.kind == "bool":
        checked = text == "on"
        return checked if checked != bool(f.default) else None
    if f.kind == "choices":
        chosen = raw if isinstance(raw, list) else [raw] if raw else []
        return [str(c) for c in chosen] or None
    if f.kind == "lines":
        if values.get(f"{f.path}.none") == "on" and f.none_allowed:
            return []
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return lines or None
    text = text.strip()
    if not text or (f.kind == "choice" and text == str(f.default)):
        return None
    return text


def field_errors(exc: ValidationError, moved: Mapping[str, str]) -> dict[str, str]:
    """pydantic's errors by the form path they belong to (first error per path): the
    nearest field or section the form has."""
    known = {f.path for g in _skeleton() for f in g.walk()}
    known |= {g.path for g in _all_groups(_skeleton())}
    out: dict[str, str] = {}
    for error in exc.errors():
        parts = [str(p) for p in error["loc"]]
        where = _form_path(parts, moved, known)
        out.setdefault(where, _MESSAGES.get(error["type"]) or _friendly(error))
    return out


def _all_groups(groups: Sequence[FormGroup]) -> list[FormGroup]:
    out: list[FormGroup] = []
    for g in groups:
        out.append(g)
        out.extend(_all_groups([i for i in g.items if isinstance(i, FormGroup)]))
    return out


def _form_path(parts: list[str], moved: Mapping[str, str], known: set[str]) -> str:
    for end in range(len(parts), 0, -1):
        path = ".".join(parts[:end])
        for data_row, form_row in moved.items():
            if path == data_row or path.startswith(data_row + "."):
                path = form_row + path[len(data_row) :]
                break
        if path in known:
            return path
    return ""
