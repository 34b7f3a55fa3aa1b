"""Plan-review tests: make the shared helper module ``plans_testdata`` importable.

pytest runs with ``--import-mode=importlib``, which does not put test folders on
``sys.path``; the helpers are plain data builders, so we add this folder explicitly.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).parent)
if _HERE not in sys.path:
    # Appended, not inserted first: this folder's conftest.py must never shadow another
    # folder's for a test that imports ``conftest`` by name (tests/server does).
    sys.path.append(_HERE)
