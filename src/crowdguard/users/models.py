"""Account schemas by role: what a client may send (Create/Update) and see (Public)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["Role", "TokenPublic", "UserCreate", "UserPublic", "UserUpdate"]

Username = Annotated[
    str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,79}$", min_length=1, max_length=80)
]
Callsign = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", min_length=1, max_length=80)]
Password = Annotated[str, Field(min_length=8, max_length=1024)]


class Role(StrEnum):
    """Who a user is to the system (see ``docs/api.md`` for what each may do)."""

    admin = "admin"
    planner = "planner"
    control = "control"
    officer = "officer"
    organiser = "organiser"
    analyst = "analyst"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserCreate(_In):
    """A new account. Officers must name their team (callsign)."""

    username: Username
    password: Password
    role: Role
    team: Callsign | None = None

    @model_validator(mode="after")
    def _team_for_officers(self) -> UserCreate:
        if self.role is Role.officer and self.team is None:
            raise ValueError("team: an officer account needs --team CALLSIGN")
        return self


class UserUpdate(_In):
    """Fields an admin may change; omitted fields stay as they are."""

    password: Password | None = None
    role: Role | None = None
    team: Callsign | None = None
    active: bool | None = None


class UserPublic(BaseModel):
    """An account as shown to admins (never the password hash)."""

    id: int
    username: str
    role: Role
    team: str | None
    active: bool
    created_at: dt.datetime


class TokenPublic(BaseModel):
    """The OAuth2 bearer-token response (RFC 6749 section 5.1)."""

    access_token: str
    token_type: str = "bearer"
    expires_at: dt.datetime
    role: Role
