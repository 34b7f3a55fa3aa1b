"""The browser pages: one router for the public form, the login and every role's page."""

from __future__ import annotations

from fastapi import APIRouter

from crowdguard.web import (
    admin,
    analyst,
    board,
    maps,
    officer,
    organiser,
    pages,
    planner,
    session,
)
from crowdguard.web.common import static_file

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
router.include_router(session.router)
router.include_router(pages.router)
router.include_router(board.router)
router.include_router(maps.router)
router.include_router(officer.router)
router.include_router(organiser.router)
router.include_router(planner.router)
router.include_router(admin.router)
router.include_router(analyst.router)
router.add_api_route("/static/{name:path}", static_file, methods=["GET"], include_in_schema=False)
