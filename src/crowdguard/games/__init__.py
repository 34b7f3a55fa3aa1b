"""Stackelberg security games: the model, three exact solvers and the certificate.

>>> from crowdguard.games import SecurityGame, solve
>>> game = SecurityGame.from_arrays(
...     defender_covered=[0.0, 0.0], defender_uncovered=[-1.0, -1.0],
...     attacker_covered=[0.0, 0.0], attacker_uncovered=[1.0, 1.0], resources=1)
>>> solve(game).coverage.round(6).tolist()
[0.5, 0.5]

Solvers: ORIGAMI and ERASER (Kiekintveld et al., AAMAS 2009) and multiple LPs (Conitzer &
Sandholm, EC 2006). See ``docs/theory/games.md``.
"""

from crowdguard.games._solve import METHODS, solve
from crowdguard.games.generate import generate_game, saturation, saturation_coverage
from crowdguard.games.model import Certificate, SecurityGame, Solution, certify

__all__ = [
    "METHODS",
    "Certificate",
    "SecurityGame",
    "Solution",
    "certify",
    "generate_game",
    "saturation",
    "saturation_coverage",
    "solve",
]
