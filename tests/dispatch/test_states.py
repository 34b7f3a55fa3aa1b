"""The unit and task state machines: every pair of states, valid or not."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from crowdguard.dispatch.states import (
    TASK_TRANSITIONS,
    UNIT_TRANSITIONS,
    Task,
    TaskState,
    Unit,
    UnitState,
    arrive,
    assign,
    close_task,
    release,
    transition_task,
    transition_unit,
)
from crowdguard.errors import DispatchError

NOW = dt.datetime(2026, 12, 5, 14, 0, tzinfo=dt.UTC)


def test_the_tables_cover_every_state() -> None:
    assert set(UNIT_TRANSITIONS) == set(UnitState)
    assert set(TASK_TRANSITIONS) == set(TaskState)
    assert TASK_TRANSITIONS[TaskState.closed] == frozenset()  # closed is final


@pytest.mark.parametrize(("start", "target"), list(itertools.product(UnitState, UnitState)))
def test_unit_transition(start: UnitState, target: UnitState) -> None:
    unit = Unit(id="arv-31", state=start)
    if target in UNIT_TRANSITIONS[start]:
        new, event = transition_unit(unit, target, at=NOW, cause="test")
        assert new.state is target
        assert (event.kind, event.id, event.from_state, event.to_state) == (
            "unit",
            "arv-31",
            start.value,
            target.value,
        )
        assert event.at == NOW and unit.state is start  # pure: the old value is unchanged
    else:
        with pytest.raises(DispatchError) as info:
            transition_unit(unit, target, at=NOW)
        message = str(info.value)
        assert "arv-31" in message and start.value in message and target.value in message
        assert "\n" not in message


@pytest.mark.parametrize(("start", "target"), list(itertools.product(TaskState, TaskState)))
def test_task_transition(start: TaskState, target: TaskState) -> None:
    task = Task(id="inc-7", state=start)
    if target in TASK_TRANSITIONS[start]:
        new, event = transition_task(task, target, at=NOW)
        assert new.state is target and event.to_state == target.value
    else:
        with pytest.raises(
            DispatchError, match=rf"task inc-7 is {start.value}; cannot go to {target.value}"
        ):
            transition_task(task, target, at=NOW)


def test_an_unknown_state_name_is_a_dispatch_error() -> None:
    with pytest.raises(DispatchError, match="not a unit state"):
        transition_unit(Unit(id="arv-31"), "lunch", at=NOW)


def test_assign_moves_unit_and_task_en_route_automatically() -> None:
    unit, task, events = assign(Unit(id="arv-31"), Task(id="inc-7"), at=NOW)
    assert unit.state is UnitState.en_route and unit.task_id == "inc-7"
    assert task.state is TaskState.en_route and task.unit_ids == ("arv-31",)
    assert [(e.kind, e.to_state) for e in events] == [
        ("unit", "assigned"),
        ("task", "assigned"),
        ("unit", "en_route"),
        ("task", "en_route"),
    ]


def test_assign_without_moving_leaves_both_assigned() -> None:
    unit, task, _ = assign(Unit(id="arv-31"), Task(id="inc-7"), at=NOW, en_route=False)
    assert (unit.state, task.state) == (UnitState.assigned, TaskState.assigned)


def test_a_second_unit_joins_a_task_already_under_way() -> None:
    _, task, _ = assign(Unit(id="arv-31"), Task(id="inc-7"), at=NOW)
    unit2, task, _ = assign(Unit(id="arv-32"), task, at=NOW)
    assert task.unit_ids == ("arv-31", "arv-32") and task.state is TaskState.en_route
    assert unit2.state is UnitState.en_route


@pytest.mark.parametrize("state", [s for s in UnitState if s is not UnitState.available])
def test_only_an_available_unit_can_be_assigned(state: UnitState) -> None:
    with pytest.raises(DispatchError, match=f"unit arv-31 is {state.value}; cannot go to assigned"):
        assign(Unit(id="arv-31", state=state), Task(id="inc-7"), at=NOW)


def test_a_closed_task_cannot_take_units() -> None:
    with pytest.raises(DispatchError, match="closed"):
        assign(Unit(id="arv-31"), Task(id="inc-7", state=TaskState.closed), at=NOW)


def test_arrival_then_close_frees_the_unit() -> None:
    unit, task, _ = assign(Unit(id="arv-31"), Task(id="inc-7"), at=NOW)
    unit, task, _ = arrive(unit, task, at=NOW + dt.timedelta(minutes=6))
    assert (unit.state, task.state) == (UnitState.on_scene, TaskState.on_scene)
    task, (unit,), events = close_task(task, [unit], at=NOW + dt.timedelta(minutes=50))
    assert task.state is TaskState.closed
    assert unit.state is UnitState.available and unit.task_id is None
    assert [e.to_state for e in events] == ["closed", "available"]


def test_arrival_needs_the_unit_to_be_on_that_task() -> None:
    unit, _, _ = assign(Unit(id="arv-31"), Task(id="inc-7"), at=NOW)
    with pytest.raises(DispatchError, match="not assigned to task inc-8"):
        arrive(unit, Task(id="inc-8", state=TaskState.en_route), at=NOW)


def test_release_frees_a_committed_unit_but_not_twice() -> None:
    unit, _ = release(Unit(id="arv-31", state=UnitState.committed, task_id="inc-7"), at=NOW)
    assert unit.state is UnitState.available and unit.task_id is None
    with pytest.raises(DispatchError, match="arv-31 is available; cannot go to available"):
        release(unit, at=NOW)
