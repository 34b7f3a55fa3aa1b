"""What every page shares: templates, static assets, security headers, the signed-in user
and the role-aware navigation.

**Static assets** are the package's own files under ``web/static`` (our few scripts and the
libraries ``scripts/vendor-web`` fetched from npm, with their licences): no CDN, so every
page works offline. Each is served at ``/static/PATH?v=HASH`` (the first 12 hex digits of
its SHA-256), so a browser may keep it for a year and still gets a new file the moment it
changes (``Cache-Control: immutable``, RFC 8246).

**Who is signed in** comes from the session cookie (:data:`crowdguard.api.auth.SESSION_COOKIE`),
checked like a bearer token on every request (revoked, expired, disabled: signed out).
**Where each role works**: :data:`HOME` names each role's page, :data:`PAGES` who may open
each page; a page refuses any other role with a 403 that names the caller's own page.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from crowdguard.api.auth import SESSION_COOKIE, Principal
from crowdguard.api.deps import NowDep, SessionDep, get_context
from crowdguard.reports.models import EMERGENCY_REMINDER
from crowdguard.store.errors import NotFoundError, UnauthenticatedError
from crowdguard.users import service as users
from crowdguard.users.models import Role

__all__ = [
    "HOME",
    "PAGES",
    "ROLE_NAMES",
    "PageStop",
    "PageUserDep",
    "asset_url",
    "page",
    "page_name",
    "page_stop",
    "page_user",
    "refuse",
    "security_headers",
    "static_file",
    "templates",
]

HERE = Path(str(resources.files("crowdguard.web")))
STATIC = HERE / "static"
templates = Jinja2Templates(directory=str(HERE / "templates"))

_MEDIA = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".png": "image/png",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    "": "text/plain; charset=utf-8",  # LICENSE, NOTICE
}


@dataclass(frozen=True, slots=True)
class _Asset:
    path: Path
    media: str
    version: str


def _index() -> dict[str, _Asset]:
    assets: dict[str, _Asset] = {}
    for path in sorted(STATIC.rglob("*")):
        if not path.is_file() or path.suffix not in _MEDIA:
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        assets[path.relative_to(STATIC).as_posix()] = _Asset(path, _MEDIA[path.suffix], digest)
    return assets


ASSETS = _index()


def asset_url(name: str) -> str:
    """``/static/NAME?v=HASH`` for a packaged asset (``KeyError`` for an unknown one, so a
    template naming a missing file fails in the tests, not in a browser)."""
    return f"/static/{name}?v={ASSETS[name].version}"


def static_file(name: str) -> FileResponse:
    """A packaged asset; 404 for anything else (no path is ever joined from the request)."""
    asset = ASSETS.get(name)
    if asset is None:
        raise NotFoundError(f"static: no asset {name!r}")
    return FileResponse(
        asset.path,
        media_type=asset.media,
        headers={
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "public, max-age=31536000, immutable",
        },
    )


def security_headers(tile_url: str | None = None) -> dict[str, str]:
    """Scripts and styles only from this server (no inline code, no CDN), no framing; map
    tiles also from the force's own tile server when one is set."""
    tiles = ""
    if tile_url:
        scheme, rest = tile_url.split("://", 1)
        host = rest.split("/", 1)[0].replace("{s}", "*")
        tiles = f" {scheme}://{host}"
    return {
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'self'; style-src 'self'; "
            f"img-src 'self' data:{tiles}; connect-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'"
        ),
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }


ROLE_NAMES: dict[Role, str] = {
    Role.admin: "administrator",
    Role.planner: "patrol planner",
    Role.control: "control room",
    Role.officer: "armed officer",
    Role.organiser: "event organiser",
    Role.analyst: "analyst",
}
PAGES: dict[str, tuple[str, frozenset[Role]]] = {
    "/admin": ("Accounts and audit", frozenset({Role.admin})),
    "/board": ("Control-room board", frozenset({Role.control, Role.admin})),
    "/planner": ("Planner", frozenset({Role.planner, Role.admin})),
    "/analyst": ("Statistics", frozenset({Role.analyst, Role.planner, Role.admin})),
    "/officer": ("My next shift", frozenset({Role.officer})),
    "/organiser": ("My events and security plans", frozenset({Role.organiser})),
}
"""Every signed-in page: its name and the roles that may open it."""

HOME: dict[Role, str] = {
    role: next((path for path, (_, roles) in PAGES.items() if role in roles), "/") for role in Role
}
"""Each role's own page (the first page it may open; the home page's links until a role
has a page of its own)."""


def page_name(path: str) -> str:
    """A page's name for links ("Home" for ``/``)."""
    return PAGES[path][0] if path in PAGES else "Home"


def nav_for(user: Principal | None) -> list[tuple[str, str]]:
    """The pages ``user`` may open, their own page first."""
    if user is None:
        return []
    own = HOME[user.role]
    links = [(path, name) for path, (name, roles) in PAGES.items() if user.role in roles]
    return sorted(links, key=lambda link: link[0] != own)


def page_user(request: Request, session: SessionDep, now: NowDep) -> Principal | None:
    """The signed-in user (from the session cookie), or None."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 200:
        return None
    try:
        row = users.user_for_token(session=session, token=token, now=now)
    except UnauthenticatedError:
        return None
    return Principal(
        id=row.id, username=row.username, role=Role(row.role), team=row.team, token=token
    )


PageUserDep = Annotated[Principal | None, Depends(page_user)]


def page(
    request: Request,
    name: str,
    *,
    user: Principal | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page from ``templates/NAME`` with the navigation for ``user`` and the security
    headers."""
    tile_url = get_context(request).settings.tile_url
    response = templates.TemplateResponse(
        request,
        name,
        {
            "reminder": EMERGENCY_REMINDER,
            "user": user,
            "role_name": ROLE_NAMES.get(user.role, "") if user else "",
            "nav": nav_for(user),
            "here": request.url.path,
            "asset": asset_url,
            "tile_url": tile_url or "",
            **context,
        },
        status_code=status,
    )
    response.headers.update({**security_headers(tile_url), **(headers or {})})
    return response


class PageStop(Exception):
    """Raised by a page's dependency to answer with a page of its own instead of the route's
    (the login form, "not for your account", "no such event"), so a route's gate and fetch
    are one dependency rather than a prologue repeated in every route. The app answers it
    with :attr:`response` (:func:`page_stop`)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


async def page_stop(_: Request, exc: Exception) -> Response:
    """The exception handler for :class:`PageStop`: its page."""
    assert isinstance(exc, PageStop)
    return exc.response


def refuse(request: Request, user: Principal, path: str) -> HTMLResponse:
    """403: this page is not for ``user``'s role; the message names their own page."""
    name, roles = PAGES[path]
    allowed = ", ".join(sorted(ROLE_NAMES[r] for r in roles))
    return page(
        request,
        "refused.html",
        user=user,
        status=403,
        title=name,
        allowed=allowed,
        home=HOME[user.role],
        home_name=page_name(HOME[user.role]),
    )


def login_form(
    request: Request, *, title: str, next_path: str, message: str = "", status: int = 200
) -> HTMLResponse:
    """The login form, for a page an anonymous visitor asked for (works without JavaScript:
    it posts to ``/login``, which sends the browser back to ``next_path``)."""
    return page(
        request,
        "login.html",
        status=status,
        title=title,
        next_path=next_path,
        message=message,
        problem=status != 200,
    )
