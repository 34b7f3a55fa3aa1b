"""Audit trail endpoints (admins only): list entries and verify the chain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from crowdguard.api.auth import Principal, require
from crowdguard.api.deps import SessionDep
from crowdguard.api.pagination import Page, PageDep
from crowdguard.audit import service
from crowdguard.audit.models import AuditEntryPublic, ChainStatus
from crowdguard.users.models import Role

__all__ = ["router"]

router = APIRouter(prefix="/audit", tags=["audit"])
Admin = Annotated[Principal, Depends(require(Role.admin))]


@router.get("", response_model=Page[AuditEntryPublic])
def list_entries(user: Admin, session: SessionDep, page: PageDep) -> Page[AuditEntryPublic]:
    """Audit rows, newest first."""
    rows, total = service.list_entries(session=session, limit=page.limit, offset=page.offset)
    items = [AuditEntryPublic.model_validate(r, from_attributes=True) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/verify", response_model=ChainStatus)
def verify(user: Admin, session: SessionDep) -> ChainStatus:
    """Walk the hash chain and report the first broken row, if any."""
    report = service.verify_chain(session=session)
    return ChainStatus(
        intact=report.intact,
        rows=report.rows,
        first_broken=report.first_broken,
        reason=report.reason,
    )
