"""The Stackelberg security game (SSG) data model, its JSON format and the certificate.

The model is the compact SSG of Kiekintveld, Jain, Tsai, Pita, Ordóñez and Tambe,
"Computing Optimal Randomized Resource Allocations for Massive Security Games" (AAMAS 2009):
``n`` targets, ``m`` identical resources, each assignable to one target. The defender commits
to a marginal *coverage* ``c_t`` in ``[0, 1]`` with ``sum(c) <= m``. Each target has four
payoffs: for the defender if the attacked target is covered (``defender_covered``,
``U_d^c``) or uncovered (``defender_uncovered``, ``U_d^u``), and the same for the attacker
(``attacker_covered``, ``attacker_uncovered``). Expected utilities are linear in coverage::

    U_d(t, c) = c_t * U_d^c(t) + (1 - c_t) * U_d^u(t)
    U_a(t, c) = c_t * U_a^c(t) + (1 - c_t) * U_a^u(t)

The attacker observes ``c`` and attacks a target maximising ``U_a``; in the Strong Stackelberg
Equilibrium (SSE) it breaks ties in the defender's favour. :func:`certify` checks exactly these
conditions for a proposed coverage and attacked target.

:class:`SecurityGame` holds validated data only; the solvers are pure functions over NumPy
arrays in :mod:`~crowdguard.games.origami`, :mod:`~crowdguard.games.eraser` and
:mod:`~crowdguard.games.multiple_lps`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import yaml
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, BeforeValidator, ConfigDict, StrictInt, ValidationError

from crowdguard.errors import GameError
from crowdguard.safeinput import UnsafeInput, load_json, load_yaml

__all__ = [
    "MAX_PAYOFF",
    "PAYOFF_FIELDS",
    "TIE_TOL",
    "Certificate",
    "SecurityGame",
    "Solution",
    "certify",
]

FloatArray = NDArray[np.float64]

#: Largest payoff magnitude accepted: beyond it differences of payoffs lose the precision the
#: certificate needs (and HiGHS treats 1e20 as infinite). Rescale larger units.
MAX_PAYOFF = 1e12
#: More resources than any force has, and far past saturation for any game we can store
#: (10**400 would overflow the first float it meets).
_MAX_RESOURCES = 1_000_000_000

#: Targets whose attacker utility is within ``TIE_TOL * payoff_scale`` of the attacked target's
#: are *indifferent* (the attack set): a floating-point round-off margin, not a modelling one.
TIE_TOL = 1e-9

PAYOFF_FIELDS = (
    "defender_covered",
    "defender_uncovered",
    "attacker_covered",
    "attacker_uncovered",
)


def _number(value: Any) -> Any:
    """Accept JSON numbers only: no strings, no booleans (pydantic would coerce them)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("expected a finite number")
    return value


Payoff = Annotated[float, BeforeValidator(_number)]


class _TargetSpec(BaseModel):
    """One target as written in the game JSON (unknown fields are errors)."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    defender_covered: Payoff
    defender_uncovered: Payoff
    attacker_covered: Payoff
    attacker_uncovered: Payoff


class _GameSpec(BaseModel):
    """The game JSON: ``{"resources": m, "targets": [...]}``."""

    model_config = ConfigDict(extra="forbid")

    resources: StrictInt
    targets: list[_TargetSpec]


def _location(loc: Sequence[int | str]) -> str:
    """Render a pydantic error location as ``targets[3].attacker_covered``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def _describe(error: Mapping[str, Any]) -> str:
    """One clause for one pydantic error, naming the field and what was expected."""
    where = _location(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        if where.startswith("targets["):
            expected = "id, " + ", ".join(PAYOFF_FIELDS)
        else:
            expected = "resources, targets"
        return f"{where} is not a known field; expected one of: {expected}"
    if kind == "missing":
        return f"{where} is missing"
    if where == "resources":
        return f"resources is {error.get('input')!r}; expected a non-negative integer"
    if where.split(".")[-1] in PAYOFF_FIELDS:
        return f"{where} is {error.get('input')!r}; expected a finite number"
    return f"{where}: {error['msg']}"


def _parse_text(text: str, source: str) -> Any:
    """Parse JSON (or YAML for ``.yaml``/``.yml`` files), naming file and line on error."""
    if source.endswith((".yaml", ".yml")):
        try:
            return load_yaml(text)
        except UnsafeInput as exc:  # deep nesting, alias bombs, .inf (crowdguard.safeinput)
            raise GameError(exc.describe(source)) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f" at line {mark.line + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or "not valid YAML"
            raise GameError(f"{source}: malformed YAML{line}: {problem}") from None
    try:
        return load_json(text)
    except UnsafeInput as exc:  # deep nesting, NaN/Infinity, overflowing numbers
        raise GameError(exc.describe(source)) from None
    except json.JSONDecodeError as exc:
        raise GameError(
            f"{source}: malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None


@dataclass(frozen=True, eq=False)
class SecurityGame:
    """A validated compact security game (Kiekintveld et al., AAMAS 2009).

    Build one with :meth:`from_arrays` or :meth:`from_json`; both validate and raise
    :class:`~crowdguard.errors.GameError` with a one-line message naming the field.
    """

    defender_covered: FloatArray
    defender_uncovered: FloatArray
    attacker_covered: FloatArray
    attacker_uncovered: FloatArray
    resources: int
    ids: tuple[str, ...]

    @property
    def n_targets(self) -> int:
        """Number of targets ``n``."""
        return int(self.attacker_uncovered.shape[0])

    @classmethod
    def from_arrays(
        cls,
        *,
        defender_covered: ArrayLike,
        defender_uncovered: ArrayLike,
        attacker_covered: ArrayLike,
        attacker_uncovered: ArrayLike,
        resources: int,
        ids: Sequence[str] | None = None,
    ) -> SecurityGame:
        """Validate four payoff vectors and the resource count into a game.

        Raises :class:`GameError` for an empty target list, vectors of different lengths,
        NaN, infinite or huge (above :data:`MAX_PAYOFF` in magnitude) payoffs, negative, non-integer or boolean ``resources`` and
        duplicate ``ids``. ``resources > n`` is allowed (the game is saturated).
        """
        raw = {
            "defender_covered": defender_covered,
            "defender_uncovered": defender_uncovered,
            "attacker_covered": attacker_covered,
            "attacker_uncovered": attacker_uncovered,
        }
        arrays: dict[str, FloatArray] = {}
        for name, value in raw.items():
            try:
                array = np.array(value, dtype=np.float64)
            except (TypeError, ValueError):
                raise GameError(
                    f"{name} is not a list of numbers; expected finite numbers"
                ) from None
            if array.ndim != 1:
                raise GameError(f"{name} has shape {array.shape}; expected a one-dimensional list")
            array.setflags(write=False)
            arrays[name] = array
        n = arrays["attacker_uncovered"].shape[0]
        for name, array in arrays.items():
            if array.shape[0] != n:
                raise GameError(
                    f"{name} has {array.shape[0]} entries but attacker_uncovered has {n}; "
                    "expected one payoff per target"
                )
        if n == 0:
            raise GameError("targets is empty; expected at least one target")
        for name, array in arrays.items():
            bad = ~np.isfinite(array)
            if bad.any():
                index = int(np.argmax(bad))
                what = "NaN" if math.isnan(array[index]) else "infinite"
                raise GameError(f"targets[{index}].{name} is {what}; expected a finite number")
            huge = np.abs(array) > MAX_PAYOFF
            if huge.any():
                index = int(np.argmax(huge))
                raise GameError(
                    f"targets[{index}].{name} is {array[index]:g}; expected a magnitude of at "
                    f"most {MAX_PAYOFF:g} (rescale the payoffs to a smaller unit)"
                )
        if isinstance(resources, bool) or not isinstance(resources, int | np.integer):
            raise GameError(f"resources is {resources!r}; expected a non-negative integer")
        if resources < 0:
            raise GameError(f"resources is {resources}; expected a non-negative integer")
        if resources > _MAX_RESOURCES:
            shown = str(resources) if resources < 10**30 else f"about 10^{len(str(resources)) - 1}"
            raise GameError(f"resources is {shown}; expected at most {_MAX_RESOURCES}")
        if ids is None:
            id_tuple = tuple(f"t{i}" for i in range(n))
        else:
            id_tuple = tuple(ids)
            if len(id_tuple) != n:
                raise GameError(f"ids has {len(id_tuple)} entries; expected {n}, one per target")
            first: dict[str, int] = {}
            for index, ident in enumerate(id_tuple):
                if not isinstance(ident, str) or not ident:
                    raise GameError(
                        f"targets[{index}].id is {ident!r}; expected a non-empty string"
                    )
                if ident in first:
                    raise GameError(
                        f"targets[{index}].id {ident!r} duplicates targets[{first[ident]}].id; "
                        "expected unique ids"
                    )
                first[ident] = index
        return cls(resources=int(resources), ids=id_tuple, **arrays)

    @classmethod
    def from_json(cls, source: Mapping[str, Any] | str | Path) -> SecurityGame:
        """Read a game from a parsed JSON object or from a file path (JSON, or YAML by suffix).

        The format is ``{"resources": m, "targets": [{"id", "defender_covered",
        "defender_uncovered", "attacker_covered", "attacker_uncovered"}, ...]}``; ``id`` is
        optional (defaults to ``t0``, ``t1``...). Errors name the file (and line for malformed
        JSON) and the field, e.g. ``targets[3].attacker_covered is NaN``.
        """
        prefix = ""
        if isinstance(source, str | Path):
            path = Path(source)
            prefix = f"{path}: "
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise GameError(f"{path}: no such file; expected a game JSON file") from None
            except IsADirectoryError:
                raise GameError(f"{path}: is a directory; expected a game JSON file") from None
            except (OSError, UnicodeDecodeError) as exc:
                raise GameError(f"{path}: cannot be read ({exc.__class__.__name__})") from None
            obj: Any = _parse_text(text, str(path))
        else:
            obj = source
        if not isinstance(obj, Mapping):
            raise GameError(
                f"{prefix}top level is {type(obj).__name__}; "
                'expected an object {"resources": ..., "targets": [...]}'
            )
        try:
            spec = _GameSpec.model_validate(obj)
        except ValidationError as exc:
            errors = exc.errors()
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise GameError(f"{prefix}{_describe(errors[0])}{more}") from None
        ids = [t.id if t.id is not None else f"t{i}" for i, t in enumerate(spec.targets)]
        try:
            return cls.from_arrays(
                defender_covered=[t.defender_covered for t in spec.targets],
                defender_uncovered=[t.defender_uncovered for t in spec.targets],
                attacker_covered=[t.attacker_covered for t in spec.targets],
                attacker_uncovered=[t.attacker_uncovered for t in spec.targets],
                resources=spec.resources,
                ids=ids,
            )
        except GameError as exc:
            raise GameError(f"{prefix}{exc}") from None

    def to_json(self) -> dict[str, Any]:
        """The game as a JSON-able object (the inverse of :meth:`from_json`)."""
        columns = {name: getattr(self, name).tolist() for name in PAYOFF_FIELDS}
        targets = [
            {"id": ident, **{name: columns[name][i] for name in PAYOFF_FIELDS}}
            for i, ident in enumerate(self.ids)
        ]
        return {"resources": self.resources, "targets": targets}

    def defender_utilities(self, coverage: FloatArray) -> FloatArray:
        """``U_d(t, c)`` for every target."""
        return self.defender_uncovered + coverage * (
            self.defender_covered - self.defender_uncovered
        )

    def attacker_utilities(self, coverage: FloatArray) -> FloatArray:
        """``U_a(t, c)`` for every target."""
        return self.attacker_uncovered + coverage * (
            self.attacker_covered - self.attacker_uncovered
        )

    def payoff_scale(self) -> float:
        """``max(1, largest absolute payoff)``: the unit certificate tolerances are scaled by."""
        largest = max(float(np.max(np.abs(getattr(self, name)))) for name in PAYOFF_FIELDS)
        return max(1.0, largest)


@dataclass(frozen=True)
class Certificate:
    """The equilibrium checks of :func:`certify` and their measured values.

    ``ok`` is true when every check passed. ``failures`` lists, in words, the checks that did
    not. Utilities are compared with tolerance ``tol * scale`` where ``scale`` is
    :meth:`SecurityGame.payoff_scale`; coverage bounds with ``tol``.
    """

    ok: bool
    tol: float
    scale: float
    coverage_in_bounds: bool
    resources: int
    resources_used: float
    within_resources: bool
    attacked_target: int
    attacker_utility: float
    defender_utility: float
    attack_set: tuple[int, ...]
    attack_set_indifferent: bool
    others_worse: bool
    best_other_attacker_utility: float | None
    defender_best_in_attack_set: bool
    failures: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """The certificate as a JSON-able dict (all plain Python scalars and lists)."""
        return {
            "ok": self.ok,
            "tol": self.tol,
            "scale": self.scale,
            "coverage_in_bounds": self.coverage_in_bounds,
            "resources": self.resources,
            "resources_used": self.resources_used,
            "within_resources": self.within_resources,
            "attacked_target": self.attacked_target,
            "attacker_utility": self.attacker_utility,
            "defender_utility": self.defender_utility,
            "attack_set": list(self.attack_set),
            "attack_set_indifferent": self.attack_set_indifferent,
            "others_worse": self.others_worse,
            "best_other_attacker_utility": self.best_other_attacker_utility,
            "defender_best_in_attack_set": self.defender_best_in_attack_set,
            "failures": list(self.failures),
        }


def certify(
    game: SecurityGame, coverage: ArrayLike, attacked_target: int, *, tol: float = 1e-6
) -> Certificate:
    """Check that ``coverage`` and ``attacked_target`` form a Strong Stackelberg response.

    The checks are the SSE conditions of the compact model (Kiekintveld et al., AAMAS 2009,
    constraints of ERASER; Conitzer & Sandholm, EC 2006, for the tie-breaking rule):

    1. every ``c_t`` lies in ``[0, 1]`` (within ``tol``);
    2. ``sum(c) <= resources`` (within ``tol``);
    3. the attacked target is a best response: no target gives the attacker more than
       ``U_a(attacked)`` plus the tolerance (*attack set indifferent*);
    4. every target outside the attack set is worse for the attacker;
    5. the attacked target is the defender's best in the attack set (ties broken for the
       defender).

    The attack set is the targets whose attacker utility equals the attacked target's up to
    floating-point round-off (:data:`TIE_TOL` times the payoff scale); checks 3-5 allow
    ``tol * game.payoff_scale()`` so the test is unit-free. Two targets whose payoffs differ by
    less than ``tol`` but more than round-off are *not* a tie: the attacker strictly prefers
    one. It returns a :class:`Certificate` and never raises for a failed check (``solve``
    does).
    """
    cov = np.asarray(coverage, dtype=np.float64)
    n = game.n_targets
    if cov.shape != (n,):
        raise GameError(f"coverage has shape {cov.shape}; expected ({n},), one value per target")
    if not 0 <= attacked_target < n:
        raise GameError(f"attacked_target is {attacked_target}; expected an index in 0..{n - 1}")
    scale = game.payoff_scale()
    utol = tol * scale
    failures: list[str] = []

    in_bounds = bool(np.all(np.isfinite(cov)) and cov.min() >= -tol and cov.max() <= 1 + tol)
    if not in_bounds:
        failures.append(f"coverage outside [0, 1] (min {cov.min():.6g}, max {cov.max():.6g})")
    used = float(cov.sum())
    within = used <= game.resources + tol
    if not within:
        failures.append(f"coverage sums to {used:.9g} > resources {game.resources}")

    attacker = game.attacker_utilities(cov)
    defender = game.defender_utilities(cov)
    attacked_value = float(attacker[attacked_target])
    in_set = attacker >= attacked_value - TIE_TOL * scale
    attack_set = tuple(np.flatnonzero(in_set).tolist())
    best = float(attacker.max())
    indifferent = best <= attacked_value + utol
    if not indifferent:
        failures.append(
            f"target {game.ids[int(np.argmax(attacker))]} gives the attacker {best:.9g} > "
            f"{attacked_value:.9g} at the attacked target {game.ids[attacked_target]}"
        )
    outside = attacker[~in_set]
    best_other = float(outside.max()) if outside.size else None
    others_worse = best_other is None or best_other < attacked_value + utol
    if not others_worse:
        failures.append("a target outside the attack set is as good for the attacker")
    defender_value = float(defender[attacked_target])
    best_for_defender = float(defender[in_set].max())
    defender_best = best_for_defender <= defender_value + utol
    if not defender_best:
        failures.append(
            f"the attacker is indifferent but the defender prefers another target "
            f"({best_for_defender:.9g} > {defender_value:.9g}); SSE ties go to the defender"
        )
    return Certificate(
        ok=not failures,
        tol=tol,
        scale=scale,
        coverage_in_bounds=in_bounds,
        resources=game.resources,
        resources_used=used,
        within_resources=within,
        attacked_target=int(attacked_target),
        attacker_utility=attacked_value,
        defender_utility=defender_value,
        attack_set=attack_set,
        attack_set_indifferent=indifferent,
        others_worse=others_worse,
        best_other_attacker_utility=best_other,
        defender_best_in_attack_set=defender_best,
        failures=tuple(failures),
    )


@dataclass(frozen=True, eq=False)
class Solution:
    """A solved game: the defender's coverage and the attacker's (SSE) response.

    ``attack_set`` holds the targets where the attacker is indifferent at its maximum;
    ``attacked_target`` is the defender's best among them; ``method`` is the solver actually
    used (``auto`` resolves to ``origami`` or ``eraser``); ``seconds`` is the solver's wall
    time; ``certificate`` is the :func:`certify` result (always ``ok``: ``solve`` raises
    otherwise).
    """

    coverage: FloatArray
    defender_utility: float
    attacker_utility: float
    attacked_target: int
    attack_set: tuple[int, ...]
    method: str
    seconds: float
    certificate: Certificate
