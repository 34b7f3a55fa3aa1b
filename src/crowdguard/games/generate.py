"""Random security games as used in the literature, and the saturation point.

**Payoffs.** The standard generator of the SSG literature (Kiekintveld et al., AAMAS 2009;
Jain, Leyton-Brown, Tambe, AAAI 2012): the attacker's reward (target uncovered) and the
defender's reward (target covered) are uniform on ``[1, 10]``; the attacker's penalty
(covered) and the defender's penalty (uncovered) are uniform on ``[-10, -1]``.

**Correlation.** Following GAMUT's CovariantGame (Nudelman, Wortman, Shoham, Leyton-Brown,
"Run the GAMUT", AAMAS 2004), the two players' payoffs for the same outcome are drawn with
correlation ``r`` in ``[-1, 0]``: per target and outcome (uncovered, covered) draw ``(x, y)``
from a standard bivariate normal with correlation ``r`` and map each through the normal CDF
``Φ`` (a monotone map onto ``[0, 1]``, hence uniform marginals) into its range:

* uncovered: ``U_a^u = 1 + 9 Φ(x)``, ``U_d^u = -10 + 9 Φ(y)``;
* covered: ``U_a^c = -10 + 9 Φ(x')``, ``U_d^c = 1 + 9 Φ(y')``.

With ``r = 0`` the four payoffs are independent uniforms (the classic generator); with
``r = -1`` ``y = -x`` so ``U_d = -U_a`` exactly: a zero-sum game, where the defender's loss
grows with the attacker's gain.

**Saturation.** Jain, Leyton-Brown and Tambe (AAAI 2012) define the deployment-to-saturation
ratio ``d:s``: deployed resources over the number of resources beyond which more give the
defender no benefit; ``d:s = 0.5`` is where the games are hardest. :func:`saturation`
computes that number exactly for games where ORIGAMI applies (see its docstring).
"""

from __future__ import annotations

import math
import secrets

import numpy as np
from scipy.special import ndtr

from crowdguard.errors import GameError
from crowdguard.games.model import SecurityGame
from crowdguard.games.origami import origami_applies

__all__ = ["MAX_GENERATED_TARGETS", "generate_game", "saturation", "saturation_coverage"]

MAX_GENERATED_TARGETS = 10_000_000
"""Largest game :func:`generate_game` draws (about 2 GB while drawn and written as JSON)."""


def generate_game(
    n_targets: int, resources: int, *, seed: int | None, correlation: float = 0.0
) -> SecurityGame:
    """Draw a random game with ``n_targets`` targets and ``resources`` resources.

    ``seed`` makes the draw reproducible (``numpy.random.default_rng(seed)``); ``None`` seeds
    from the ``secrets`` module. ``correlation`` is ``r`` in ``[-1, 0]`` (module docstring).
    """
    if isinstance(n_targets, bool) or not isinstance(n_targets, int) or n_targets < 1:
        raise GameError(f"targets is {n_targets!r}; expected a positive integer")
    if n_targets > MAX_GENERATED_TARGETS:  # 10**12 targets would ask for 29 TiB at once
        raise GameError(
            f"targets is {n_targets}; expected at most {MAX_GENERATED_TARGETS} "
            "(each target takes about 200 bytes while drawn and written)"
        )
    if isinstance(resources, bool) or not isinstance(resources, int) or resources < 0:
        raise GameError(f"resources is {resources!r}; expected a non-negative integer")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise GameError(f"seed is {seed!r}; expected a non-negative integer")
    if not (math.isfinite(correlation) and -1.0 <= correlation <= 0.0):
        raise GameError(f"correlation is {correlation!r}; expected a number in [-1, 0]")
    rng = np.random.default_rng(secrets.randbits(128) if seed is None else seed)
    # One standard normal pair per target and outcome: [uncovered, covered] x [x, z].
    draws = rng.standard_normal((2, 2, n_targets))
    attacker = ndtr(draws[:, 0])
    partner = correlation * draws[:, 0] + math.sqrt(1.0 - correlation**2) * draws[:, 1]
    defender = ndtr(partner)
    return SecurityGame.from_arrays(
        attacker_uncovered=1.0 + 9.0 * attacker[0],
        defender_uncovered=-10.0 + 9.0 * defender[0],
        attacker_covered=-10.0 + 9.0 * attacker[1],
        defender_covered=1.0 + 9.0 * defender[1],
        resources=resources,
    )


def saturation_coverage(game: SecurityGame) -> float:
    """The least total coverage that holds the attacker at its lowest achievable utility.

    In a game where ORIGAMI applies the attacker's utility cannot be pushed below
    ``x* = max_t U_a^c(t)`` (the target with the best covered payoff, fully covered), and
    reaching ``x*`` takes ``s = Σ_t max(0, (U_a^u(t) - x*) / (U_a^u(t) - U_a^c(t)))``.
    With ``s`` resources ORIGAMI already stops at ``x*``; any further resource can only be
    placed where it does not change the attacker's choice, so the defender gains nothing.
    """
    breaks = origami_applies(
        game.defender_covered,
        game.defender_uncovered,
        game.attacker_covered,
        game.attacker_uncovered,
    )
    if breaks is not None:
        raise GameError(
            f"saturation needs attacker_covered < attacker_uncovered and defender_covered >= "
            f"defender_uncovered; targets[{breaks}] ({game.ids[breaks]}) breaks it"
        )
    floor = float(game.attacker_covered.max())
    delta = game.attacker_uncovered - game.attacker_covered
    return float(np.sum(np.maximum(0.0, (game.attacker_uncovered - floor) / delta)))


def saturation(game: SecurityGame) -> int:
    """The saturation point ``s`` of Jain, Leyton-Brown, Tambe (AAAI 2012), in resources.

    Defined here exactly: the smallest integer ``m`` with ``m >= saturation_coverage(game)``;
    with ``m >= s`` resources the defender's optimal utility no longer increases. The
    deployment-to-saturation ratio of ``m`` resources is ``m / s``.
    """
    return max(1, math.ceil(saturation_coverage(game) - 1e-9))
