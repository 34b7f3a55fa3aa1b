"""Logging in and out of the pages: a plain HTML form, no JavaScript needed.

``POST /login`` checks the username and password through the API's own
:func:`crowdguard.api.auth.log_in` (throttled, audited), keeps the token it issues in the
session cookie and sends the browser on to the page it came for (``next``, one of this
site's pages, never an address elsewhere: OWASP Unvalidated Redirects and Forwards) or to
the role's own page. ``POST /logout`` revokes the token and clears the cookie.
Both refuse a post from another site (the cookie is ``SameSite=Strict`` too).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from crowdguard.api.auth import SESSION_COOKIE, log_in, same_origin
from crowdguard.api.deps import ContextDep, NowDep, SessionDep
from crowdguard.audit import service as audit
from crowdguard.store.errors import TooManyAttemptsError, UnauthenticatedError
from crowdguard.users import service as users
from crowdguard.users.models import Role
from crowdguard.web.common import HOME, PAGES, PageUserDep, login_form, page

__all__ = ["cross_site", "router"]

router = APIRouter(include_in_schema=False)


def _next(path: str, role: Role) -> str:
    """Where to go after logging in: a known page (with its query), else the role's own."""
    bare = path.split("?", 1)[0]
    if bare in PAGES and path.startswith("/") and not path.startswith("//"):
        return path
    return HOME[role]


def cross_site(request: Request) -> HTMLResponse | None:
    """A refusal page for a form posted from another site (None: this site's own)."""
    if same_origin(request) or (
        "sec-fetch-site" not in request.headers and "origin" not in request.headers
    ):  # a browser without these headers (old, or no JavaScript) still sends SameSite
        return None
    return page(request, "message.html", status=403, title="Refused",
                message="This form must be sent from this site's own pages.")  # fmt: skip


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, user: PageUserDep, next: str = "") -> Response:
    """The login form (a signed-in user goes straight to their page)."""
    if user is not None:
        return RedirectResponse(_next(next, user.role), status_code=303)
    message = "You have logged out." if request.query_params.get("out") else ""
    return login_form(request, title="Log in", next_path=next[:200], message=message)


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    now: NowDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Check the account and start a session; the form again, with why, when refused."""
    refused = cross_site(request)
    if refused is not None:
        return refused
    try:
        token = log_in(
            request=request,
            session=session,
            context=context,
            now=now,
            username=username,
            password=password,
        )
    except TooManyAttemptsError as exc:
        return login_form(
            request,
            title="Log in",
            next_path=next,
            message=f"Too many failed log-ins: try again in {exc.retry_after} s.",
            status=429,
        )
    except UnauthenticatedError:
        return login_form(
            request,
            title="Log in",
            next_path=next,
            message="Log-in refused: check the username and password.",
            status=401,
        )
    response = RedirectResponse(_next(next, token.role), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token.access_token,
        max_age=context.settings.token_ttl_minutes * 60,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


@router.post("/logout")
def logout(request: Request, user: PageUserDep, session: SessionDep, now: NowDep) -> Response:
    """End the session: the token is revoked, the cookie cleared."""
    refused = cross_site(request)
    if refused is not None:
        return refused
    if user is not None:
        users.revoke_token(session=session, token=user.token, now=now)
        audit.record(
            session=session,
            at=now,
            actor=user.username,
            action="auth.logout",
            entity="user",
            entity_id=str(user.id),
        )
    response = RedirectResponse("/login?out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response
