"""The control-room live board (``/board``): a page for control-room and admin accounts.

The page is a shell the server renders for a signed-in control or admin user; its script
(``static/board.js``) reads ``/api/v1/reports``, ``/api/v1/dispatch/units``,
``/api/v1/dispatch/tasks`` and ``/api/v1/dispatch/places`` and follows
``/api/v1/board/stream`` (server-sent events, :mod:`crowdguard.api.events`) with the
session cookie. Every control-room action on the page (grade override, duplicate mark,
recommend and assign, unit moves, closing a task, the rest-of-day re-plan, tasks opened
from a call) is a call to the documented API; the page holds no rule of its own. The map is
the shared Leaflet map (``static/cgmap.js``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from crowdguard.api.deps import SessionDep
from crowdguard.api.events import BOARD_ROLES
from crowdguard.dispatch.service import dispatch_places
from crowdguard.web.common import PageUserDep, login_form, page, refuse
from crowdguard.web.pages import BOARD_CATEGORY_LABELS, GRADE_CODES, GRADE_LABELS, UNIT_STATE_LABELS

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/board", response_class=HTMLResponse)
def board(request: Request, user: PageUserDep, session: SessionDep) -> HTMLResponse:
    """The live board; the login form for a visitor; a refusal for other roles. The call
    form's venue list is rendered here (empty until one is chosen), not by the script."""
    if user is None:
        return login_form(request, title="Log in to the control-room board", next_path="/board")
    if user.role not in BOARD_ROLES:
        return refuse(request, user, "/board")
    return page(
        request,
        "board.html",
        user=user,
        categories=BOARD_CATEGORY_LABELS,
        grades=GRADE_LABELS,
        grade_codes=GRADE_CODES,
        unit_states=UNIT_STATE_LABELS,
        call_venues=sorted(
            ((v.id, v.name) for v in dispatch_places(session=session).venues),
            key=lambda item: item[1],
        ),
    )
