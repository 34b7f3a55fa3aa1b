"""Unit and task state machines for dispatch, pure and table-driven.

The states follow CoCeSo's unit and task states (``domain.md`` section 9, [DESIGN] data
model "Unit with UnitState and TaskState (after CoCeSo)"); the automatic transitions answer
peer users' most repeated request after "nearest unit": *self-maintaining statuses*,
"assign -> en route, close -> free" (SnailyCAD #156, Resgrid #184).

Unit states and the moves allowed (``UNIT_TRANSITIONS``)::

    off_duty --> available --> assigned --> en_route --> on_scene --> committed
                  ^  |  ^         |            |            |            |
                  |  |  +---------+------------+------------+------------+  (released)
                  |  +--> committed, off_duty, en_route (self-dispatch)
                  +-- off_duty

Task states (``TASK_TRANSITIONS``)::

    open --> assigned --> en_route --> on_scene --> closed
      ^         |            |
      +---------+------------+  (unit stood down: back to open)
    open, assigned, en_route --> closed (resolved without attendance)

Everything here is pure: :class:`Unit` and :class:`Task` are frozen, and every function
returns the new values together with :class:`TransitionEvent` records for the append-only
timeline. An invalid move raises :class:`~crowdguard.errors.DispatchError` naming the
unit (or task), its state and the state attempted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Literal

from crowdguard.errors import DispatchError

__all__ = [
    "TASK_TRANSITIONS",
    "UNIT_TRANSITIONS",
    "Task",
    "TaskState",
    "TransitionEvent",
    "Unit",
    "UnitState",
    "arrive",
    "assign",
    "close_task",
    "release",
    "transition_task",
    "transition_unit",
]


class UnitState(StrEnum):
    """What a unit (an armed team) is doing."""

    available = "available"
    assigned = "assigned"
    en_route = "en_route"
    on_scene = "on_scene"
    committed = "committed"
    off_duty = "off_duty"


class TaskState(StrEnum):
    """Where a task (an incident needing attendance) stands."""

    open = "open"
    assigned = "assigned"
    en_route = "en_route"
    on_scene = "on_scene"
    closed = "closed"


U = UnitState
T = TaskState

UNIT_TRANSITIONS: dict[UnitState, frozenset[UnitState]] = {
    U.off_duty: frozenset({U.available}),
    U.available: frozenset({U.assigned, U.en_route, U.committed, U.off_duty}),
    U.assigned: frozenset({U.en_route, U.available}),
    U.en_route: frozenset({U.on_scene, U.available}),
    U.on_scene: frozenset({U.committed, U.available}),
    U.committed: frozenset({U.available, U.on_scene}),
}
"""state -> the states a unit may move to from it."""

TASK_TRANSITIONS: dict[TaskState, frozenset[TaskState]] = {
    T.open: frozenset({T.assigned, T.closed}),
    T.assigned: frozenset({T.en_route, T.open, T.closed}),
    T.en_route: frozenset({T.on_scene, T.open, T.closed}),
    T.on_scene: frozenset({T.closed}),
    T.closed: frozenset(),
}
"""state -> the states a task may move to from it."""


@dataclass(frozen=True, slots=True)
class Unit:
    """A dispatchable unit: its id, state, capability and current task (if any)."""

    id: str
    state: UnitState = UnitState.available
    armed: bool = True
    task_id: str | None = None


@dataclass(frozen=True, slots=True)
class Task:
    """A task and the units assigned to it."""

    id: str
    state: TaskState = TaskState.open
    unit_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TransitionEvent:
    """One state change, for the timeline."""

    at: dt.datetime
    kind: Literal["unit", "task"]
    id: str
    from_state: str
    to_state: str
    cause: str


def _allowed(moves: frozenset[UnitState] | frozenset[TaskState]) -> str:
    return ", ".join(sorted(m.value for m in moves)) or "none (final)"


def transition_unit(
    unit: Unit, to: UnitState | str, *, at: dt.datetime, cause: str = "manual"
) -> tuple[Unit, TransitionEvent]:
    """Move a unit to state ``to`` if the table allows it."""
    try:
        target = UnitState(to)
    except ValueError:
        raise DispatchError(
            f"unit {unit.id}: {to!r} is not a unit state; expected one of "
            f"{', '.join(s.value for s in UnitState)}"
        ) from None
    if target not in UNIT_TRANSITIONS[unit.state]:
        raise DispatchError(
            f"unit {unit.id} is {unit.state.value}; cannot go to {target.value} "
            f"(allowed: {_allowed(UNIT_TRANSITIONS[unit.state])})"
        )
    task_id = None if target in (U.available, U.off_duty) else unit.task_id
    new = replace(unit, state=target, task_id=task_id)
    return new, TransitionEvent(at, "unit", unit.id, unit.state.value, target.value, cause)


def transition_task(
    task: Task, to: TaskState | str, *, at: dt.datetime, cause: str = "manual"
) -> tuple[Task, TransitionEvent]:
    """Move a task to state ``to`` if the table allows it."""
    try:
        target = TaskState(to)
    except ValueError:
        raise DispatchError(
            f"task {task.id}: {to!r} is not a task state; expected one of "
            f"{', '.join(s.value for s in TaskState)}"
        ) from None
    if target not in TASK_TRANSITIONS[task.state]:
        raise DispatchError(
            f"task {task.id} is {task.state.value}; cannot go to {target.value} "
            f"(allowed: {_allowed(TASK_TRANSITIONS[task.state])})"
        )
    return replace(task, state=target), TransitionEvent(
        at, "task", task.id, task.state.value, target.value, cause
    )


def assign(
    unit: Unit, task: Task, *, at: dt.datetime, en_route: bool = True
) -> tuple[Unit, Task, list[TransitionEvent]]:
    """Assign an available unit to a task (automatic transitions).

    The unit goes ``available -> assigned`` (and ``-> en_route`` when ``en_route``, the
    default: an ARV moves as soon as it is sent); the task goes to ``assigned`` (and
    ``en_route``) unless it is already further along (a second unit joining).
    """
    if unit.state is not U.available:
        raise DispatchError(
            f"unit {unit.id} is {unit.state.value}; cannot go to assigned "
            f"(only an available unit can be assigned)"
        )
    if task.state is T.closed:
        raise DispatchError(f"task {task.id} is closed; cannot assign unit {unit.id}")
    events: list[TransitionEvent] = []
    unit, event = transition_unit(unit, U.assigned, at=at, cause=f"assigned to {task.id}")
    unit = replace(unit, task_id=task.id)
    events.append(event)
    if task.state is T.open:
        task, event = transition_task(task, T.assigned, at=at, cause=f"unit {unit.id} assigned")
        events.append(event)
    task = replace(task, unit_ids=(*task.unit_ids, unit.id))
    if en_route:
        unit, event = transition_unit(unit, U.en_route, at=at, cause="automatic on assign")
        events.append(event)
        if task.state is T.assigned:
            task, event = transition_task(task, T.en_route, at=at, cause="automatic on assign")
            events.append(event)
    return unit, task, events


def arrive(unit: Unit, task: Task, *, at: dt.datetime) -> tuple[Unit, Task, list[TransitionEvent]]:
    """A unit reaches the scene: unit ``-> on_scene``, task ``-> on_scene`` (first arrival)."""
    if unit.task_id != task.id:
        raise DispatchError(f"unit {unit.id} is not assigned to task {task.id}")
    events: list[TransitionEvent] = []
    if unit.state is U.assigned:
        unit, event = transition_unit(unit, U.en_route, at=at, cause="automatic on arrival")
        events.append(event)
    unit, event = transition_unit(unit, U.on_scene, at=at, cause=f"arrived at {task.id}")
    events.append(event)
    if task.state is T.assigned:
        task, event = transition_task(task, T.en_route, at=at, cause="automatic on arrival")
        events.append(event)
    if task.state is T.en_route:
        task, event = transition_task(task, T.on_scene, at=at, cause=f"unit {unit.id} arrived")
        events.append(event)
    return unit, task, events


def release(
    unit: Unit, *, at: dt.datetime, cause: str = "released"
) -> tuple[Unit, TransitionEvent]:
    """Free a unit (``-> available``) from whatever it was doing."""
    return transition_unit(unit, U.available, at=at, cause=cause)


def close_task(
    task: Task, units: list[Unit], *, at: dt.datetime, cause: str = "closed"
) -> tuple[Task, list[Unit], list[TransitionEvent]]:
    """Close a task and release every unit still attached to it (automatic: close -> free)."""
    task, event = transition_task(task, T.closed, at=at, cause=cause)
    events = [event]
    freed: list[Unit] = []
    for unit in units:
        if unit.task_id == task.id and unit.state is not U.available:
            unit, event = transition_unit(unit, U.available, at=at, cause=f"task {task.id} closed")
            events.append(event)
        freed.append(unit)
    return task, freed, events
