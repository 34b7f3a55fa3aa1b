"""Shared fixtures. Domain-specific fixtures live in each test folder's conftest."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of the private PostgreSQL cluster started by ``scripts/test`` (skip without it)."""
    url = os.environ.get("CROWDGUARD_TEST_DATABASE_URL")
    if not url:
        pytest.skip("no private PostgreSQL cluster (run through scripts/test)")
    return url
