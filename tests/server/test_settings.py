"""Where the store lives and how the environment tunes the server."""

from __future__ import annotations

from pathlib import Path

import pytest

from crowdguard.errors import InputError
from crowdguard.store.settings import DEFAULT_LEAD_MINUTES, resolve_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "CROWDGUARD_DATABASE_URL",
        "CROWDGUARD_OFFICER_LEAD_MINUTES",
        "CROWDGUARD_TOKEN_TTL_MINUTES",
    ):
        monkeypatch.delenv(name, raising=False)


def test_data_dir_gives_an_sqlite_file_inside_it(tmp_path: Path) -> None:
    settings = resolve_settings(tmp_path)
    assert settings.is_sqlite
    assert settings.database_url == f"sqlite:///{(tmp_path / 'crowdguard.sqlite3').resolve()}"
    assert settings.officer_lead_minutes == DEFAULT_LEAD_MINUTES == 120


def test_database_url_is_used_without_data_dir_and_loses_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROWDGUARD_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert resolve_settings(None).database_url == "postgresql+psycopg://u@h/db"
    assert resolve_settings(tmp_path).is_sqlite


def test_lead_minutes_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CROWDGUARD_OFFICER_LEAD_MINUTES", "45")
    assert resolve_settings(tmp_path).officer_lead_minutes == 45


@pytest.mark.parametrize("value", ["soon", "-5"])
def test_bad_lead_minutes_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str
) -> None:
    monkeypatch.setenv("CROWDGUARD_OFFICER_LEAD_MINUTES", value)
    with pytest.raises(InputError, match="CROWDGUARD_OFFICER_LEAD_MINUTES"):
        resolve_settings(tmp_path)


def test_unsupported_database_url_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROWDGUARD_DATABASE_URL", "mysql://u:secret@h/db")
    with pytest.raises(InputError, match="CROWDGUARD_DATABASE_URL") as info:
        resolve_settings(None)
    assert "secret" not in str(info.value)  # never echo credentials
