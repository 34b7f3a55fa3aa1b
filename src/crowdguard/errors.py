"""One exception tree for CrowdGuard.

Every error a user can cause is a :class:`CrowdGuardError` whose message is one line
that names the file, field or option at fault and says what was expected. The CLI turns
these into exit status 2 (``exit_code``) and the API into a 4xx response; anything else
is a bug and exits 1.
"""

from __future__ import annotations

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
]


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
