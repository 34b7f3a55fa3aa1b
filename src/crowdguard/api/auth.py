"""Authentication and role checks for the API.

Login is the OAuth2 password grant (RFC 6749 section 4.3) at ``POST /api/v1/auth/token``
via FastAPI's ``OAuth2PasswordRequestForm``; the bearer token (RFC 6750) is opaque and
stored hashed (see :mod:`crowdguard.users.service`). Failed logins are throttled per
username and per client address (:mod:`crowdguard.users.throttle`).

The web pages log in with a form (``POST /login``, :mod:`crowdguard.web.session`) through
the same :func:`log_in`, and keep the same kind of token in a session cookie
(:data:`SESSION_COOKIE`: ``HttpOnly``, ``SameSite=Strict``, ``Secure`` over HTTPS), so a
page's script calls the API with the cookie instead of a token it could leak. A request
with no ``Authorization`` header is authenticated by the cookie; an unsafe one (POST,
PATCH, DELETE...) only when the browser says it comes from this site (``Sec-Fetch-Site:
same-origin``, or an ``Origin`` equal to the request's own): OWASP Cross-Site Request
Forgery Prevention Cheat Sheet, "Verifying Origin with standard headers" and "SameSite
cookie attribute", as defence in depth.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from sqlalchemy.orm import Session

from crowdguard.api.deps import AppContext, ContextDep, NowDep, SessionDep
from crowdguard.audit import service as audit
from crowdguard.store.errors import ForbiddenError, TooManyAttemptsError, UnauthenticatedError
from crowdguard.users import service as users
from crowdguard.users.models import Role, TokenPublic, UserPublic

__all__ = [
    "SESSION_COOKIE",
    "CurrentUser",
    "Principal",
    "UserDep",
    "log_in",
    "require",
    "router",
    "same_origin",
]

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
TokenDep = Annotated[str | None, Depends(oauth2)]
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
SESSION_COOKIE = "crowdguard_session"
"""The web pages' session cookie: the same opaque token as the API's bearer token."""
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    id: int
    username: str
    role: Role
    team: str | None
    token: str


def same_origin(request: Request) -> bool:
    """Whether the browser says this request comes from a page of this site."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("origin")
    if origin is None:
        return False
    return origin == f"{request.url.scheme}://{request.url.netloc}"


def current_user(request: Request, session: SessionDep, token: TokenDep, now: NowDep) -> Principal:
    """The caller, or 401 when the token is missing, unknown, expired or revoked."""
    if not token:
        token = request.cookies.get(SESSION_COOKIE)
        if token and request.method not in _SAFE_METHODS and not same_origin(request):
            raise ForbiddenError(
                "Origin: a request authenticated by the session cookie must come from this "
                "site's pages; other clients send Authorization: Bearer TOKEN"
            )
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


def log_in(
    *,
    request: Request,
    session: Session,
    context: AppContext,
    now: dt.datetime,
    username: str,
    password: str,
) -> TokenPublic:
    """Check a username and password (throttled, audited) and issue a token; the API's
    token endpoint and the pages' login form both come here."""
    address = request.client.host if request.client else "unknown"
    name = username.strip().lower()
    keys = (f"user:{name[:80]}", f"addr:{address}")
    wait = context.throttle.retry_after(*keys)
    if wait:
        raise TooManyAttemptsError(
            f"username: too many failed logins; try again in {wait} s", retry_after=wait
        )
    row = (
        users.authenticate(session=session, username=name, password=password)
        if _USERNAME.match(name) and len(password) <= 1024
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


@router.post("/token", response_model=TokenPublic)
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    session: SessionDep,
    context: ContextDep,
    now: NowDep,
) -> TokenPublic:
    """Exchange username and password for a bearer token (OAuth2 password grant)."""
    return log_in(
        request=request,
        session=session,
        context=context,
        now=now,
        username=form.username,
        password=form.password,
    )


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
