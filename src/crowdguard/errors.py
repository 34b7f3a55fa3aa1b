"""One exception tree for CrowdGuard.

Every error a user can cause is a :class:`CrowdGuardError` whose message is one line
that names the file, field or option at fault and says what was expected. The CLI turns
these into exit status 2 (``exit_code``) and the API into a 4xx response; anything else
is a bug and exits 1. :func:`did_you_mean` words the suggestion for a mistyped name.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "AuthError",
    "CertificateFailed",
    "CrowdGuardError",
    "DispatchError",
    "GameError",
    "InfeasibleGame",
    "InputError",
    "NoUnitAvailable",
    "PlanError",
    "ReviewError",
    "ScenarioError",
    "SolverFailed",
    "did_you_mean",
]


def did_you_mean(word: str, known: Iterable[str], *, n: int = 1, cutoff: float = 0.6) -> str:
    """``"did you mean 'outlet_village'?"`` for the closest of ``known``, or ``""``.

    Case is ignored and a known name that starts with ``word`` (``outlet`` ->
    ``outlet_village``) counts as close; otherwise :func:`difflib.get_close_matches`
    (Ratcliff-Obershelp similarity of at least ``cutoff``) decides.
    """
    names = list(dict.fromkeys(known))
    lowered = {name.lower(): name for name in names}
    folded = word.strip().lower()
    close = [
        lowered[m] for m in difflib.get_close_matches(folded, list(lowered), n=n, cutoff=cutoff)
    ]
    if not close:
        close = [name for name in names if folded and name.lower().startswith(folded)][:n]
    if not close:
        return ""
    return f"did you mean {' or '.join(repr(c) for c in close)}?"


class CrowdGuardError(Exception):
    """Base class. ``exit_code`` is what the CLI exits with (2: bad input or usage)."""

    exit_code: int = 2


class InputError(CrowdGuardError):
    """A file, option or parameter given by the user is unusable."""


class ScenarioError(InputError):
    """A scenario file or object fails validation (message names file, line and field)."""


class GameError(InputError):
    """A security game is malformed or a solver was asked for something it cannot do."""


class InfeasibleGame(GameError):
    """The constraints of a game (or of overrides on it) admit no coverage at all."""


class SolverFailed(GameError):
    """A solver back end (HiGHS) did not reach optimality: an internal fault."""

    exit_code = 1


class CertificateFailed(GameError):
    """A solution failed its equilibrium certificate: an internal fault, never a warning."""

    exit_code = 1


class PlanError(InputError):
    """A patrol plan cannot be built from these inputs (teams, shifts, overrides)."""


class ReviewError(InputError):
    """An event security plan submitted for review is malformed."""


class DispatchError(CrowdGuardError):
    """A dispatch request cannot be carried out."""


class NoUnitAvailable(DispatchError):
    """No suitable unit is free to send."""


class AuthError(CrowdGuardError):
    """Authentication or authorisation failed."""
