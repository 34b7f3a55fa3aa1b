"""``solve``: pick a solver, run it, read off the SSE outcome and certify it.

The facade over the pure solvers in :mod:`~crowdguard.games.origami`,
:mod:`~crowdguard.games.eraser` and :mod:`~crowdguard.games.multiple_lps`. ORIGAMI and ERASER
are from Kiekintveld et al. (AAMAS 2009), multiple LPs from Conitzer & Sandholm (EC 2006).
"""

from __future__ import annotations

import time
from typing import Final

import numpy as np

from crowdguard.errors import CertificateFailed, GameError
from crowdguard.games.eraser import eraser_coverage
from crowdguard.games.model import TIE_TOL, FloatArray, SecurityGame, Solution, certify
from crowdguard.games.multiple_lps import multiple_lps_coverage
from crowdguard.games.origami import origami_applies, origami_coverage

__all__ = ["METHODS", "solve"]

METHODS: Final = ("auto", "origami", "eraser", "multiple-lps")


def _attack_set(game: SecurityGame, attacker: FloatArray, level: float) -> FloatArray:
    """Targets indifferent with ``level`` up to round-off (:data:`~.model.TIE_TOL`)."""
    tight = TIE_TOL * game.payoff_scale()
    return np.asarray(attacker >= level - tight)


def solve(game: SecurityGame, method: str = "auto", *, tol: float = 1e-6) -> Solution:
    """Solve ``game`` for its Strong Stackelberg Equilibrium and certify the answer.

    ``method`` is ``"auto"`` (ORIGAMI when it applies, that is when every target has
    ``attacker_covered < attacker_uncovered`` and ``defender_covered >= defender_uncovered``,
    else ERASER), ``"origami"``, ``"eraser"`` or ``"multiple-lps"``. ``seconds`` times the
    solver alone. Raises :class:`~crowdguard.errors.GameError` for an unknown method or for
    ORIGAMI on a game it does not apply to, and
    :class:`~crowdguard.errors.CertificateFailed` if the answer fails :func:`certify` with
    tolerance ``tol``.
    """
    if method not in METHODS:
        raise GameError(f"method {method!r} is not one of: {', '.join(METHODS)}")
    arrays = (
        game.defender_covered,
        game.defender_uncovered,
        game.attacker_covered,
        game.attacker_uncovered,
    )
    breaks = origami_applies(*arrays)
    if method == "auto":
        method = "origami" if breaks is None else "eraser"
    if method == "origami" and breaks is not None:
        raise GameError(
            f"method origami needs attacker_covered < attacker_uncovered and "
            f"defender_covered >= defender_uncovered, but targets[{breaks}] "
            f"({game.ids[breaks]}) breaks it; use method eraser or multiple-lps"
        )
    start = time.perf_counter()
    if method == "origami":
        coverage, level = origami_coverage(
            game.attacker_covered, game.attacker_uncovered, float(game.resources)
        )
        seconds = time.perf_counter() - start
        attacker = game.attacker_utilities(coverage)
        in_set = _attack_set(game, attacker, level)
        defender = game.defender_utilities(coverage)
        attacked = int(np.argmax(np.where(in_set, defender, -np.inf)))
    else:
        solver = eraser_coverage if method == "eraser" else multiple_lps_coverage
        coverage, attacked = solver(*arrays, float(game.resources))
        seconds = time.perf_counter() - start
        attacker = game.attacker_utilities(coverage)
        in_set = _attack_set(game, attacker, float(attacker[attacked]))
        defender = game.defender_utilities(coverage)
    coverage.setflags(write=False)
    certificate = certify(game, coverage, attacked, tol=tol)
    if not certificate.ok:
        raise CertificateFailed(
            f"{method} solution failed its certificate: {'; '.join(certificate.failures)}"
        )
    return Solution(
        coverage=coverage,
        defender_utility=float(defender[attacked]),
        attacker_utility=float(attacker[attacked]),
        attacked_target=attacked,
        attack_set=tuple(np.flatnonzero(in_set).tolist()),
        method=method,
        seconds=seconds,
        certificate=certificate,
    )
