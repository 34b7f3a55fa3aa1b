"""Shared fixtures. Domain-specific fixtures live in each test folder's conftest."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# Property tests explore new random examples on every local run. CI (``.ci/run`` sets
# CROWDGUARD_CI) runs them derandomized: the same examples each time, so a build is
# reproducible and a red CI names a failure anyone can rerun. A failure found locally is
# pinned in its test with ``@example`` (see tests/patrols/test_flow_game.py).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CROWDGUARD_CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of the private PostgreSQL cluster started by ``scripts/test`` (skip without it)."""
    url = os.environ.get("CROWDGUARD_TEST_DATABASE_URL")
    if not url:
        pytest.skip("no private PostgreSQL cluster (run through scripts/test)")
    return url
