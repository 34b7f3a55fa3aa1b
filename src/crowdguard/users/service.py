"""Accounts and tokens: the only code that touches user and token rows.

Passwords are hashed with Argon2id (RFC 9106) via argon2-cffi's ``PasswordHasher`` and its
recommended parameters. Bearer tokens are opaque random strings from :mod:`secrets`
(256 bits); only their SHA-256 is stored, so a copy of the database cannot be replayed and
revocation (logout) is a row update. Expiry, revocation and deactivation are checked on
every request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crowdguard.audit import service as audit
from crowdguard.store.errors import ConflictError, NotFoundError, UnauthenticatedError
from crowdguard.users.models import Role, UserCreate, UserPublic, UserUpdate
from crowdguard.users.tables import TokenRow, UserRow

__all__ = [
    "authenticate",
    "create_user",
    "delete_user",
    "get_user",
    "issue_token",
    "list_users",
    "revoke_all_tokens",
    "revoke_token",
    "to_public",
    "update_user",
    "user_for_token",
]

_hasher = PasswordHasher()
# A fixed hash to verify against when the username is unknown, so timing does not reveal
# which usernames exist.
_DUMMY_HASH = _hasher.hash("crowdguard-dummy-password")


def to_public(row: UserRow) -> UserPublic:
    """The Public schema of a user row."""
    return UserPublic(
        id=row.id,
        username=row.username,
        role=Role(row.role),
        team=row.team,
        active=row.active,
        created_at=row.created_at,
    )


def create_user(
    *, session: Session, data: UserCreate, actor: str | None, now: dt.datetime
) -> UserRow:
    """Add an account (username unique); audited as ``user.create``."""
    if session.scalar(select(UserRow.id).where(UserRow.username == data.username)) is not None:
        raise ConflictError(f"username: {data.username!r} is already taken")
    row = UserRow(
        username=data.username,
        password_hash=_hasher.hash(data.password),
        role=data.role.value,
        team=data.team,
        active=True,
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="user.create",
        entity="user",
        entity_id=str(row.id),
        detail={"username": row.username, "role": row.role, "team": row.team},
    )
    return row


def get_user(*, session: Session, user_id: int) -> UserRow:
    """The user with this id, or :class:`NotFoundError`."""
    row = session.get(UserRow, user_id)
    if row is None:
        raise NotFoundError(f"user_id: no user {user_id}")
    return row


def list_users(*, session: Session, limit: int, offset: int) -> tuple[list[UserRow], int]:
    """One page of users by id, and the total count."""
    total = session.scalar(select(func.count()).select_from(UserRow)) or 0
    rows = session.scalars(select(UserRow).order_by(UserRow.id).limit(limit).offset(offset)).all()
    return list(rows), total


def update_user(
    *,
    session: Session,
    user_id: int,
    data: UserUpdate,
    actor: str | None,
    now: dt.datetime,
    actor_id: int | None = None,
) -> UserRow:
    """Change role, team, password or active flag; audited (never the password).

    Admins cannot disable or demote their own account (so the last admin cannot lock
    everyone out by accident).
    """
    row = get_user(session=session, user_id=user_id)
    if user_id == actor_id and (
        data.active is False or (data.role is not None and data.role.value != row.role)
    ):
        raise ConflictError("user_id: you cannot disable or demote your own account")
    changed = data.model_dump(exclude_unset=True, exclude={"password"})
    was_active = row.active
    if data.password is not None:
        row.password_hash = _hasher.hash(data.password)
        changed["password"] = "changed"
    if data.role is not None:
        row.role = data.role.value
    if "team" in data.model_fields_set:
        row.team = data.team
    if data.active is not None:
        row.active = data.active
    if row.role == Role.officer.value and row.team is None:
        raise ConflictError("team: an officer account needs a team")
    if data.password is not None or row.active != was_active:
        # A new password or a disabled account ends every session issued before (issue 12:
        # re-enabling an account must not revive old tokens, nor a stolen one outlive the
        # password change; OWASP Session Management Cheat Sheet, "Renew the session").
        changed["sessions_revoked"] = revoke_all_tokens(session=session, user_id=row.id, now=now)
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="user.update",
        entity="user",
        entity_id=str(row.id),
        detail={k: str(v) for k, v in changed.items()},
    )
    return row


def delete_user(
    *,
    session: Session,
    user_id: int,
    actor: str | None,
    now: dt.datetime,
    actor_id: int | None = None,
) -> None:
    """Remove an account (its tokens go with it); audited. Not your own account."""
    row = get_user(session=session, user_id=user_id)
    if user_id == actor_id:
        raise ConflictError("user_id: you cannot delete your own account")
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="user.delete",
        entity="user",
        entity_id=str(row.id),
        detail={"username": row.username},
    )
    session.delete(row)


def authenticate(*, session: Session, username: str, password: str) -> UserRow | None:
    """The active user with these credentials, or None (constant work either way)."""
    row = session.scalar(select(UserRow).where(UserRow.username == username))
    try:
        _hasher.verify(row.password_hash if row is not None else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or not row.active:
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        row.password_hash = _hasher.hash(password)
    return row


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue_token(
    *, session: Session, user: UserRow, now: dt.datetime, ttl: dt.timedelta
) -> tuple[str, dt.datetime]:
    """A new bearer token for ``user`` and its expiry; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    expires = now + ttl
    session.add(
        TokenRow(token_hash=_digest(token), user_id=user.id, issued_at=now, expires_at=expires)
    )
    return token, expires


def user_for_token(*, session: Session, token: str, now: dt.datetime) -> UserRow:
    """The user a bearer token belongs to; :class:`UnauthenticatedError` if unknown/expired/revoked."""
    # One round trip for token and user: every authenticated request pays for this.
    found = session.execute(
        select(TokenRow.revoked_at, TokenRow.expires_at, UserRow)
        .join(UserRow, UserRow.id == TokenRow.user_id)
        .where(TokenRow.token_hash == _digest(token))
    ).first()
    if found is None:
        raise UnauthenticatedError("Authorization: unknown or malformed bearer token")
    revoked_at, expires_at, user = found
    if revoked_at is not None:
        raise UnauthenticatedError("Authorization: token has been revoked (logged out)")
    if expires_at <= now:
        raise UnauthenticatedError("Authorization: token has expired; log in again")
    if not user.active:
        raise UnauthenticatedError("Authorization: account is disabled")
    return user


def revoke_all_tokens(*, session: Session, user_id: int, now: dt.datetime) -> int:
    """Revoke every live token of ``user_id``; how many were live."""
    result = session.execute(
        update(TokenRow)
        .where(TokenRow.user_id == user_id, TokenRow.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def revoke_token(*, session: Session, token: str, now: dt.datetime) -> None:
    """Mark a token revoked (logout). Unknown tokens are ignored."""
    row = session.get(TokenRow, _digest(token))
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
