"""stored security plans follow Martyn's Law as it stands (issue 13)

Rewrites the JSON of every stored plan version, so it validates against today's
``SecurityPlan``:

* ``event.body_corporate`` becomes ``event.responsible_person_type`` (``true``:
  ``body_corporate``; ``false``: ``individual``). TPPA s.10 asks for a Designated Senior
  Individual wherever the responsible person is not an individual, not only for a body
  corporate; the organiser can now say partnership or unincorporated association.
* ``entry_checks: invitation`` is not an entry check under TPPA s.3 (payment, a ticket or
  pass, membership or guest status of a club): such a plan described a private,
  invitation-only event, so it becomes ``public_access: false`` with ``entry_checks: none``.
  Every other plan gets ``public_access: true`` (the default) explicitly.

Stored reviews are left as they were made (a record of the advice given). The downgrade maps
back to the nearest old values: ``responsible_person_type`` other than ``individual`` to
``body_corporate: true``; ``public_access: false`` to ``entry_checks: invitation``;
``payment`` to ``ticket`` and ``membership`` to ``pass``; further education premises to
``kind: other`` (the old schema had no such kind or flag).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 13:00:00
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_REVIEW_FIELDS = ("commencement", "duties_in_force", "fictional_details")
_ITEM_FIELDS = ("section", "practicable")

_reviews = sa.table(
    "security_plan_reviews",
    sa.column("id", sa.Integer()),
    sa.column("review", sa.JSON()),
)
_versions = sa.table(
    "security_plan_versions",
    sa.column("id", sa.Integer()),
    sa.column("plan", sa.JSON()),
)


def _as_dict(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):  # some drivers hand JSON back as text
        value = json.loads(value)
    return dict(value) if isinstance(value, dict) else None


def _upgrade_plan(plan: dict[str, Any]) -> dict[str, Any]:
    event = plan.get("event")
    if isinstance(event, dict) and "body_corporate" in event:
        event = dict(event)
        old = bool(event.pop("body_corporate"))
        event.setdefault("responsible_person_type", "body_corporate" if old else "individual")
        plan["event"] = event
    if plan.get("entry_checks") == "invitation":
        plan["entry_checks"] = "none"
        plan["public_access"] = False
    plan.setdefault("public_access", True)
    return plan


def _downgrade_plan(plan: dict[str, Any]) -> dict[str, Any]:
    event = plan.get("event")
    if isinstance(event, dict) and "responsible_person_type" in event:
        event = dict(event)
        kind = event.pop("responsible_person_type")
        event["body_corporate"] = kind not in (None, "individual")
        plan["event"] = event
    public = plan.pop("public_access", True)
    checks = plan.get("entry_checks")
    if public is False:
        plan["entry_checks"] = "invitation"
    elif checks in ("payment", "membership"):
        plan["entry_checks"] = {"payment": "ticket", "membership": "pass"}[checks]
    plan.pop("fictional_details", None)
    venue = plan.get("venue")
    if isinstance(venue, dict):
        venue = dict(venue)
        if venue.pop("further_education", False) or venue.get("kind") == "further_education":
            venue["kind"] = "other"
        plan["venue"] = venue
    coordination = plan.get("coordination")
    if isinstance(coordination, dict):
        coordination = dict(coordination)
        coordination.pop("other_responsible_persons", None)
        coordination.pop("how_coordinated", None)
        plan["coordination"] = coordination
    return plan


def _downgrade_review(review: dict[str, Any]) -> dict[str, Any]:
    """Drop what the old ``Review`` (extra fields forbidden) did not know."""
    for key in _REVIEW_FIELDS:
        review.pop(key, None)
    for key in ("items", "findings"):
        for entry in review.get(key) or []:
            for field in _ITEM_FIELDS:
                entry.pop(field, None)
    return review


def _rewrite(table: Any, column: str, change: Any) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(table.c.id, table.c[column])).all()
    for row_id, stored in rows:
        data = _as_dict(stored)
        if data is None:
            continue
        new = change(json.loads(json.dumps(data)))
        if new != data:
            bind.execute(sa.update(table).where(table.c.id == row_id).values({column: new}))


def upgrade() -> None:
    _rewrite(_versions, "plan", _upgrade_plan)


def downgrade() -> None:
    _rewrite(_versions, "plan", _downgrade_plan)
    _rewrite(_reviews, "review", _downgrade_review)
