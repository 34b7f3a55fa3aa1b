"""Account administration (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from crowdguard.api.auth import Principal, require
from crowdguard.api.deps import NowDep, SessionDep
from crowdguard.api.pagination import Page, PageDep
from crowdguard.api.params import IntId
from crowdguard.users import service
from crowdguard.users.models import Role, UserCreate, UserPublic, UserUpdate

__all__ = ["router"]

router = APIRouter(prefix="/users", tags=["users"])
Admin = Annotated[Principal, Depends(require(Role.admin))]


@router.get("", response_model=Page[UserPublic])
def list_users(user: Admin, session: SessionDep, page: PageDep) -> Page[UserPublic]:
    """List accounts."""
    rows, total = service.list_users(session=session, limit=page.limit, offset=page.offset)
    return Page(
        items=[service.to_public(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("", response_model=UserPublic, status_code=201)
def create_user(body: UserCreate, user: Admin, session: SessionDep, now: NowDep) -> UserPublic:
    """Create an account."""
    return service.to_public(
        service.create_user(session=session, data=body, actor=user.username, now=now)
    )


@router.get("/{user_id}", response_model=UserPublic)
def get_user(user_id: IntId, user: Admin, session: SessionDep) -> UserPublic:
    """One account."""
    return service.to_public(service.get_user(session=session, user_id=user_id))


@router.patch("/{user_id}", response_model=UserPublic)
def update_user(
    user_id: IntId, body: UserUpdate, user: Admin, session: SessionDep, now: NowDep
) -> UserPublic:
    """Change role, team, password or active flag."""
    row = service.update_user(
        session=session, user_id=user_id, data=body, actor=user.username, now=now, actor_id=user.id
    )
    return service.to_public(row)


@router.delete("/{user_id}", status_code=204)
def delete_user(user_id: IntId, user: Admin, session: SessionDep, now: NowDep) -> None:
    """Delete an account."""
    service.delete_user(
        session=session, user_id=user_id, actor=user.username, now=now, actor_id=user.id
    )
