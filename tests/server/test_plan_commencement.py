"""The server reviews plans against the Act as commenced on its setting (issue 13 item 1).

``CROWDGUARD_MARTYNS_LAW_COMMENCEMENT`` (``Settings.martyns_law_commencement``) is unset by
default: as of the 2026 season only s.27 is commenced, so a review says which duties *will*
apply. Set to a date on or before the review, the letter uses today's wording.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from server_helpers import venue
from test_security_plans import API, demo_plan

from crowdguard.errors import InputError
from crowdguard.store.settings import COMMENCEMENT_ENV, Settings, resolve_settings
from crowdguard.users.models import Role

Headers = dict[str, str]


@pytest.fixture(params=[None, dt.date(2026, 9, 1)], ids=["unknown", "commenced"])
def settings(request: pytest.FixtureRequest, db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path, martyns_law_commencement=request.param)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_review_and_letter_follow_the_servers_commencement_date(
    client: TestClient, settings: Settings, as_role: Callable[..., Headers]
) -> None:
    admin, orla = as_role(Role.admin), as_role(Role.organiser, username="orla")
    assert client.post("/api/v1/venues", json=venue(), headers=admin).status_code == 201
    event = client.post(
        "/api/v1/events",
        json={
            "name": "Ice rink",
            "venue_id": "winchester-market",
            "starts_at": "2026-12-12T16:00:00+00:00",
            "ends_at": "2026-12-12T21:00:00+00:00",
            "expected_attendance": 1200,
        },
        headers=orla,
    ).json()["id"]
    r = client.post(API, json={"event_id": event, "plan": demo_plan()}, headers=orla)
    assert r.status_code == 201, r.text
    review = r.json()["review"]["review"]
    plan_id = r.json()["plan"]["id"]
    letter = client.get(f"{API}/{plan_id}/letter", headers=orla).text
    if settings.martyns_law_commencement is None:
        assert (review["duties_in_force"], review["commencement"]) == (False, None)
        assert "the Act's duties are not yet in force" in letter
        assert "unlawful" not in letter
    else:
        assert (review["duties_in_force"], review["commencement"]) == (True, "2026-09-01")
        assert "not yet in force" not in letter
        assert "The Act's duties have been in force since 1 September 2026" in letter


def test_the_setting_is_read_from_the_environment_and_a_bad_date_names_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(COMMENCEMENT_ENV, raising=False)
    assert resolve_settings(tmp_path).martyns_law_commencement is None
    monkeypatch.setenv(COMMENCEMENT_ENV, "2027-04-01")
    assert resolve_settings(tmp_path).martyns_law_commencement == dt.date(2027, 4, 1)
    monkeypatch.setenv(COMMENCEMENT_ENV, "2027-02-30")
    with pytest.raises(InputError, match=f"^{COMMENCEMENT_ENV}: '2027-02-30' is not a date"):
        resolve_settings(tmp_path)
