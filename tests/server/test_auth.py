"""Accounts, login, tokens (expiry, tampering, revocation) and login throttling."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from server_helpers import PASSWORD
from sqlalchemy import Engine, select

from crowdguard.store.clock import FakeClock
from crowdguard.store.db import make_sessionmaker, session_scope
from crowdguard.users.models import Role
from crowdguard.users.tables import TokenRow, UserRow

TOKEN = "/api/v1/auth/token"
ME = "/api/v1/auth/me"


def _login(client: TestClient, username: str, password: str = PASSWORD, ip: str | None = None):  # type: ignore[no-untyped-def]
    return client.post(TOKEN, data={"username": username, "password": password})


def test_login_returns_a_bearer_token_that_identifies_the_user(
    client: TestClient, add_user: Callable[..., int]
) -> None:
    add_user("pat", Role.planner)
    response = _login(client, "pat")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    me = client.get(ME, headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == "pat"
    assert me.json()["role"] == "planner"
    assert "password" not in me.text


def test_passwords_are_stored_as_argon2id_and_tokens_only_as_hashes(
    client: TestClient, add_user: Callable[..., int], engine: Engine
) -> None:
    add_user("pat", Role.planner)
    token = _login(client, "pat").json()["access_token"]
    with session_scope(make_sessionmaker(engine)) as session:
        user = session.scalars(select(UserRow)).one()
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        stored = session.scalars(select(TokenRow.token_hash)).all()
        assert token not in stored
        assert len(stored) == 1 and len(stored[0]) == 64


def test_wrong_password_and_unknown_user_look_the_same(
    client: TestClient, add_user: Callable[..., int]
) -> None:
    add_user("pat", Role.planner)
    wrong = _login(client, "pat", "not the password")
    unknown = _login(client, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.headers["WWW-Authenticate"] == "Bearer"


def test_expired_token_is_refused(
    client: TestClient,
    as_role: Callable[..., dict[str, str]],
    clock: FakeClock,
    app,  # type: ignore[no-untyped-def]
) -> None:
    headers = as_role(Role.planner)
    assert client.get(ME, headers=headers).status_code == 200
    clock.advance(dt.timedelta(minutes=app.state.context.settings.token_ttl_minutes, seconds=1))
    response = client.get(ME, headers=headers)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_tampered_token_is_refused(
    client: TestClient, as_role: Callable[..., dict[str, str]]
) -> None:
    headers = as_role(Role.planner)
    token = headers["Authorization"].removeprefix("Bearer ")
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get(ME, headers={"Authorization": f"Bearer {flipped}"}).status_code == 401


def test_logout_revokes_the_token(
    client: TestClient, as_role: Callable[..., dict[str, str]]
) -> None:
    headers = as_role(Role.planner)
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    response = client.get(ME, headers=headers)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_disabled_account_loses_access(
    client: TestClient, as_role: Callable[..., dict[str, str]], add_user: Callable[..., int]
) -> None:
    admin = as_role(Role.admin)
    planner_id = add_user("pat", Role.planner)
    planner = _login(client, "pat").json()["access_token"]
    assert (
        client.patch(
            f"/api/v1/users/{planner_id}", json={"active": False}, headers=admin
        ).status_code
        == 200
    )
    assert client.get(ME, headers={"Authorization": f"Bearer {planner}"}).status_code == 401
    assert _login(client, "pat").status_code == 401


def test_a_new_password_or_a_disable_ends_every_earlier_session(
    client: TestClient, as_role: Callable[..., dict[str, str]], add_user: Callable[..., int]
) -> None:
    """Issue 12, item 9: a changed password left old tokens working, and disabling then
    re-enabling an account revived them."""
    admin = as_role(Role.admin)
    planner_id = add_user("pat", Role.planner)
    user = f"/api/v1/users/{planner_id}"

    def bearer() -> dict[str, str]:
        return {"Authorization": f"Bearer {_login(client, 'pat').json()['access_token']}"}

    before = bearer()
    changed = client.patch(user, json={"password": "a brand new passphrase"}, headers=admin)
    assert changed.status_code == 200
    assert client.get(ME, headers=before).status_code == 401
    after = {
        "Authorization": f"Bearer {_login(client, 'pat', 'a brand new passphrase').json()['access_token']}"
    }
    assert client.get(ME, headers=after).status_code == 200
    assert client.patch(user, json={"active": False}, headers=admin).status_code == 200
    assert client.patch(user, json={"active": True}, headers=admin).status_code == 200
    assert client.get(ME, headers=after).status_code == 401  # not revived by re-enabling
    fresh = _login(client, "pat", "a brand new passphrase")
    assert fresh.status_code == 200
    untouched = client.patch(user, json={"role": "analyst"}, headers=admin)  # no session ends
    assert untouched.status_code == 200
    assert (
        client.get(
            ME, headers={"Authorization": f"Bearer {fresh.json()['access_token']}"}
        ).status_code
        == 200
    )


def test_repeated_failures_are_throttled_with_retry_after(
    client: TestClient, add_user: Callable[..., int], clock: FakeClock
) -> None:
    add_user("pat", Role.planner)
    for _ in range(5):
        assert _login(client, "pat", "wrong password").status_code == 401
    throttled = _login(client, "pat")  # even the right password waits
    assert throttled.status_code == 429
    retry = int(throttled.headers["Retry-After"])
    assert 0 < retry <= 900
    clock.advance(dt.timedelta(seconds=retry))
    assert _login(client, "pat").status_code == 200


def test_throttling_is_per_address_across_usernames(
    client: TestClient, add_user: Callable[..., int]
) -> None:
    add_user("pat", Role.planner)
    for i in range(5):
        assert _login(client, f"guess{i}", "wrong password").status_code == 401
    # Same client address, a different (real) account: refused until the window passes.
    assert _login(client, "pat").status_code == 429


def test_login_attempts_are_audited(
    client: TestClient, add_user: Callable[..., int], as_role: Callable[..., dict[str, str]]
) -> None:
    add_user("pat", Role.planner)
    _login(client, "pat", "wrong password")
    _login(client, "pat")
    admin = as_role(Role.admin)
    actions = [
        e["action"] for e in client.get("/api/v1/audit?limit=200", headers=admin).json()["items"]
    ]
    assert "auth.login_failed" in actions
    assert actions.count("auth.login") >= 2  # pat, then the admin


def test_admin_manages_accounts_via_api(
    client: TestClient, as_role: Callable[..., dict[str, str]]
) -> None:
    admin = as_role(Role.admin)
    created = client.post(
        "/api/v1/users",
        json={"username": "olly", "password": "long enough pw", "role": "officer", "team": "arv-2"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert created.json()["team"] == "arv-2"
    duplicate = client.post(
        "/api/v1/users",
        json={"username": "olly", "password": "long enough pw", "role": "analyst"},
        headers=admin,
    )
    assert duplicate.status_code == 409
    officer_without_team = client.post(
        "/api/v1/users",
        json={"username": "nat", "password": "long enough pw", "role": "officer"},
        headers=admin,
    )
    assert officer_without_team.status_code == 422
    listing = client.get("/api/v1/users", headers=admin).json()
    assert listing["total"] == 2
    uid = created.json()["id"]
    assert client.delete(f"/api/v1/users/{uid}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/users/{uid}", headers=admin).status_code == 404


def test_production_hasher_uses_rfc9106_argon2id() -> None:
    import subprocess
    import sys

    from argon2.profiles import RFC_9106_LOW_MEMORY

    # In a fresh interpreter: the autouse fixture swaps the hasher only in this process.
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "from crowdguard.users import service as s; "
            "h = s._hasher; print(h.type.name, h.memory_cost, h.time_cost)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    kind, memory, time_cost = probe.stdout.split()
    assert kind == "ID"
    assert int(memory) >= RFC_9106_LOW_MEMORY.memory_cost
    assert int(time_cost) >= RFC_9106_LOW_MEMORY.time_cost


def test_admin_cannot_lock_themselves_out(
    client: TestClient, as_role: Callable[..., dict[str, str]]
) -> None:
    admin = as_role(Role.admin)
    me = client.get(ME, headers=admin).json()["id"]
    assert client.delete(f"/api/v1/users/{me}", headers=admin).status_code == 409
    disable = client.patch(f"/api/v1/users/{me}", json={"active": False}, headers=admin)
    assert disable.status_code == 409
    demote = client.patch(f"/api/v1/users/{me}", json={"role": "analyst"}, headers=admin)
    assert demote.status_code == 409
    assert client.get(ME, headers=admin).json()["role"] == "admin"


# Anyone may try these without a token; every other operation needs a live one.
OPEN = {
    ("POST", "/api/v1/auth/token"),
    ("GET", "/api/v1/health"),
    ("POST", "/api/v1/reports"),  # the public report-a-concern form
    ("GET", "/api/v1/board/stream"),  # an endless stream; its refusals: tests/server/test_board.py
}
PATH_VALUES = {
    "date": "2026-12-05",
    "team": "arv-1",
    "callsign": "arv-1",
    "reference": "CG-AAAA-BBBB",
}


def _concrete(path: str) -> str:
    import re

    return re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), "1"), path)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("state", ["expired", "tampered", "revoked"])
def test_a_dead_token_is_refused_by_every_operation(
    client: TestClient,
    as_role: Callable[..., dict[str, str]],
    clock: FakeClock,
    app,  # type: ignore[no-untyped-def]
    state: str,
) -> None:
    """The authorisation matrix's token column: for every role the matrix checks live tokens;
    here every operation of the OpenAPI document refuses an expired, a tampered and a revoked
    one with 401 (admin's token, so no refusal can be a role's 403)."""
    headers = as_role(Role.admin)
    token = headers["Authorization"].removeprefix("Bearer ")
    if state == "expired":
        clock.advance(dt.timedelta(minutes=app.state.context.settings.token_ttl_minutes))
    elif state == "tampered":
        headers = {"Authorization": f"Bearer {token[:-2]}{'AA' if token[-2:] != 'AA' else 'BB'}"}
    else:
        assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    operations = [
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if (method.upper(), path) not in OPEN
    ]
    assert len(operations) > 40
    wrong = []
    for method, path in operations:
        body = {} if method in ("POST", "PUT", "PATCH") else None
        response = client.request(method, _concrete(path), json=body, headers=headers)
        if response.status_code != 401 or response.headers.get("WWW-Authenticate") != "Bearer":
            wrong.append(f"{method} {path}: {response.status_code}")
    assert wrong == []
