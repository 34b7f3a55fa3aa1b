"""Let the stats tests import their fixture builders (pytest imports tests with importlib)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
