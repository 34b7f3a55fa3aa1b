"""Dependencies injected into routes, as ``Annotated`` aliases (Full Stack FastAPI style).

``SessionDep`` opens one transaction per request and commits it *before* the response is
sent (``scope="function"``), so an acknowledged write is durable. An authentication or
authorisation refusal (:class:`~crowdguard.errors.AuthError`) still commits, so the audit
row recording a refused read or a failed login survives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from crowdguard.api.limits import GATE_SLOT, GateSlot
from crowdguard.errors import AuthError
from crowdguard.jobs.runner import PlanRunner
from crowdguard.store.clock import Clock
from crowdguard.store.settings import Settings
from crowdguard.users.throttle import LoginThrottle

__all__ = [
    "AppContext",
    "ContextDep",
    "GateReleaseDep",
    "NowDep",
    "SessionDep",
    "done_with_database",
    "get_context",
    "get_gate_release",
    "get_session",
]


@dataclass(slots=True)
class AppContext:
    """Everything a request may need, built once per app."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    throttle: LoginThrottle
    runner: PlanRunner


def get_context(request: Request) -> AppContext:
    """The app's context (set by :func:`crowdguard.api.app.create_app`)."""
    context: AppContext = request.app.state.context
    return context


ContextDep = Annotated[AppContext, Depends(get_context)]


def get_session(context: ContextDep) -> Iterator[Session]:
    """One transaction per request: commit on success (and on refusals), else roll back."""
    session = context.sessions()
    try:
        yield session
        session.commit()
    except AuthError:
        session.commit()
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_now(context: ContextDep) -> dt.datetime:
    """The app clock's current instant."""
    return context.clock.now()


NowDep = Annotated[dt.datetime, Depends(get_now)]


def _nothing() -> None:
    return None


def get_gate_release(request: Request) -> Callable[[], None]:
    """Gives back this request's database-gate slot early (:class:`GateSlot`); a no-op when
    the request holds none (an exempt path, or an app built without the gate)."""
    slot = request.scope.get("state", {}).get(GATE_SLOT)
    return slot.release if isinstance(slot, GateSlot) else _nothing


GateReleaseDep = Annotated[Callable[[], None], Depends(get_gate_release)]


def done_with_database(session: Session, release_gate: Callable[[], None]) -> None:
    """Commit the request's transaction and give its database slot back, before work that
    takes a while and reads nothing more (rendering a PDF letter): on SQLite an open
    transaction holds the single writer lock, and the slot holds every other request."""
    session.commit()
    release_gate()
