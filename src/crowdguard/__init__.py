"""CrowdGuard: randomised, proportionate armed patrols of crowded places.

The public Python surface is small and explicit; see ``__all__``. Solvers live in
:mod:`crowdguard.games`, the scenario model in :mod:`crowdguard.scenario`, the risk model in
:mod:`crowdguard.risk`.
"""

from __future__ import annotations

from crowdguard.errors import CrowdGuardError

__version__ = "0.1.0"

__all__ = ["CrowdGuardError", "__version__"]
