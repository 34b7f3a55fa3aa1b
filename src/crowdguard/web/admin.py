"""The administrator's page (``/admin``): accounts and the audit trail.

Plain HTML forms (they work without JavaScript), each a call to the same services as the
API's ``/api/v1/users`` and ``/api/v1/audit`` (audited the same way): add an account;
disable or enable one (a disabled account's sessions end at once: every request checks
it, :func:`crowdguard.users.service.user_for_token`); reset a password; change a role or
team. Below, the newest audit rows and a button that walks the hash chain
(:func:`crowdguard.audit.service.verify_chain`). Forms from another site are refused, as
for the log-in; a refused form comes back with the reason next to the field.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from crowdguard.api.deps import NowDep, SessionDep
from crowdguard.audit import service as audit
from crowdguard.store.errors import ConflictError, NotFoundError
from crowdguard.users import service as users
from crowdguard.users.models import Role, UserCreate, UserUpdate
from crowdguard.web.common import ROLE_NAMES, PageUserDep, login_form, page, refuse
from crowdguard.web.session import cross_site

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
ACTIONS = ("disable", "enable", "password", "role")


def _errors(exc: ValidationError) -> dict[str, str]:
    out: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][-1]) if error["loc"] else "form"
        message = str(error["msg"]).removeprefix("Value error, ")
        out.setdefault(field, message)
    return out


def _admin_page(
    request: Request,
    user: Any,
    session: Any,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    done: str = "",
    chain: Any = None,
    row_errors: dict[int, str] | None = None,
) -> HTMLResponse:
    rows, total = users.list_users(session=session, limit=500, offset=0)
    entries, entries_total = audit.list_entries(session=session, limit=25, offset=0)
    return page(
        request,
        "admin.html",
        user=user,
        status=status,
        accounts=[users.to_public(r) for r in rows],
        accounts_total=total,
        entries=entries,
        entries_total=entries_total,
        roles=[(r.value, ROLE_NAMES[r]) for r in Role],
        errors=errors or {},
        form=form or {},
        done=done,
        chain=chain,
        row_errors=row_errors or {},
    )


def _gate(request: Request, user: Any, path: str = "/admin") -> Response | None:
    if user is None:
        return login_form(request, title="Log in to manage accounts", next_path="/admin")
    if user.role is not Role.admin:
        return refuse(request, user, "/admin")
    return cross_site(request) if request.method == "POST" else None


@router.get("/admin", response_class=HTMLResponse)
def admin(request: Request, user: PageUserDep, session: SessionDep) -> Response:
    """Accounts and the audit trail (admins only)."""
    stop = _gate(request, user)
    if stop is not None:
        return stop
    done = request.query_params.get("done", "")[:200]
    return _admin_page(request, user, session, done=done)


@router.post("/admin/users", response_class=HTMLResponse)
def add_account(
    request: Request,
    user: PageUserDep,
    session: SessionDep,
    now: NowDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    role: Annotated[str, Form(max_length=40)] = "",
    team: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Add an account; the form again with the reasons when refused."""
    stop = _gate(request, user)
    if stop is not None or user is None:
        return stop or Response(status_code=401)
    form = {"username": username, "role": role, "team": team}
    try:
        data = UserCreate.model_validate(
            {"username": username, "password": password, "role": role, "team": team or None}
        )
        row = users.create_user(session=session, data=data, actor=user.username, now=now)
    except ValidationError as exc:
        return _admin_page(request, user, session, status=422, errors=_errors(exc), form=form)
    except ConflictError as exc:
        return _admin_page(
            request, user, session, status=409, errors={"username": str(exc)}, form=form
        )
    return RedirectResponse(f"/admin?done=Account+{row.username}+added", status_code=303)


@router.post("/admin/users/{user_id}", response_class=HTMLResponse)
def change_account(
    request: Request,
    user: PageUserDep,
    session: SessionDep,
    now: NowDep,
    user_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    action: Annotated[str, Form(max_length=20)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    role: Annotated[str, Form(max_length=40)] = "",
    team: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Disable, enable, reset the password of, or change the role and team of an account."""
    stop = _gate(request, user)
    if stop is not None or user is None:
        return stop or Response(status_code=401)
    fields: dict[str, Any]
    if action == "disable":
        fields = {"active": False}
    elif action == "enable":
        fields = {"active": True}
    elif action == "password":
        fields = {"password": password}
    elif action == "role":
        fields = {"role": role, "team": team or None}
    else:
        return _admin_page(
            request, user, session, status=422,
            row_errors={user_id: f"action: expected one of {', '.join(ACTIONS)}"},
        )  # fmt: skip
    try:
        target = users.get_user(session=session, user_id=user_id)
        users.update_user(
            session=session,
            user_id=user_id,
            data=UserUpdate.model_validate(fields),
            actor=user.username,
            now=now,
            actor_id=user.id,
        )
    except ValidationError as exc:
        message = "; ".join(f"{k}: {v}" for k, v in _errors(exc).items())
        return _admin_page(request, user, session, status=422, row_errors={user_id: message})
    except (ConflictError, NotFoundError) as exc:
        status = 404 if isinstance(exc, NotFoundError) else 409
        return _admin_page(request, user, session, status=status, row_errors={user_id: str(exc)})
    words = {"disable": "disabled (signed out)", "enable": "enabled",
             "password": "has a new password", "role": "changed"}[action]  # fmt: skip
    return RedirectResponse(f"/admin?done=Account+{target.username}+{words}", status_code=303)


@router.post("/admin/audit/verify", response_class=HTMLResponse)
def verify(request: Request, user: PageUserDep, session: SessionDep) -> Response:
    """Walk the audit trail's hash chain and say what was found."""
    stop = _gate(request, user)
    if stop is not None or user is None:
        return stop or Response(status_code=401)
    return _admin_page(request, user, session, chain=audit.verify_chain(session=session))
