"""Authentication and role checks for the API.

Login is the OAuth2 password grant (RFC 6749 section 4.3) at ``POST /api/v1/auth/token``
via FastAPI's ``OAuth2PasswordRequestForm``; the bearer token (RFC 6750) is opaque and
stored hashed (see :mod:`crowdguard.users.service`). Failed logins are throttled per
username and per client address (:mod:`crowdguard.users.throttle`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm

from crowdguard.api.deps import ContextDep, NowDep, SessionDep
from crowdguard.audit import service as audit
from crowdguard.store.errors import ForbiddenError, TooManyAttemptsError, UnauthenticatedError
from crowdguard.users import service as users
from crowdguard.users.models import Role, TokenPublic, UserPublic

__all__ = ["CurrentUser", "Principal", "UserDep", "require", "router"]

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
TokenDep = Annotated[str | None, Depends(oauth2)]
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    id: int
    username: str
    role: Role
    team: str | None
    token: str


def current_user(session: SessionDep, token: TokenDep, now: NowDep) -> Principal:
    """The caller, or 401 when the token is missing, unknown, expired or revoked."""
    if not token:
        raise UnauthenticatedError(
            "Authorization: missing bearer token; log in at /api/v1/auth/token"
        )
    if len(token) > 200:
        raise UnauthenticatedError("Authorization: unknown or malformed bearer token")
    row = users.user_for_token(session=session, token=token, now=now)
    return Principal(
        id=row.id, username=row.username, role=Role(row.role), team=row.team, token=token
    )


CurrentUser = Annotated[Principal, Depends(current_user)]
UserDep = CurrentUser


def require(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency admitting only callers whose role is in ``roles`` (403 otherwise)."""
    allowed = frozenset(roles)

    def check(user: CurrentUser) -> Principal:
        if user.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise ForbiddenError(f"role: {user.role.value} may not do this (needs one of: {names})")
        return user

    return check


router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=TokenPublic)
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    session: SessionDep,
    context: ContextDep,
    now: NowDep,
) -> TokenPublic:
    """Exchange username and password for a bearer token (OAuth2 password grant)."""
    address = request.client.host if request.client else "unknown"
    name = form.username.strip().lower()
    keys = (f"user:{name[:80]}", f"addr:{address}")
    wait = context.throttle.retry_after(*keys)
    if wait:
        raise TooManyAttemptsError(
            f"username: too many failed logins; try again in {wait} s", retry_after=wait
        )
    row = (
        users.authenticate(session=session, username=name, password=form.password)
        if _USERNAME.match(name) and len(form.password) <= 1024
        else None
    )
    if row is None:
        context.throttle.fail(*keys)
        audit.record(
            session=session,
            at=now,
            actor=None,
            action="auth.login_failed",
            entity="user",
            entity_id=name[:80] if _USERNAME.match(name) else "?",
            detail={"address": address},
        )
        raise UnauthenticatedError("username/password: not recognised")
    context.throttle.succeed(keys[0])
    ttl = dt.timedelta(minutes=context.settings.token_ttl_minutes)
    token, expires = users.issue_token(session=session, user=row, now=now, ttl=ttl)
    audit.record(
        session=session,
        at=now,
        actor=row.username,
        action="auth.login",
        entity="user",
        entity_id=str(row.id),
        detail={"address": address},
    )
    return TokenPublic(access_token=token, expires_at=expires, role=Role(row.role))


@router.post("/logout", status_code=204)
def logout(user: CurrentUser, session: SessionDep, now: NowDep) -> None:
    """Revoke the bearer token used for this request."""
    users.revoke_token(session=session, token=user.token, now=now)
    audit.record(
        session=session,
        at=now,
        actor=user.username,
        action="auth.logout",
        entity="user",
        entity_id=str(user.id),
    )


@router.get("/me", response_model=UserPublic)
def me(user: CurrentUser, session: SessionDep) -> UserPublic:
    """Who the token belongs to."""
    return users.to_public(users.get_user(session=session, user_id=user.id))
