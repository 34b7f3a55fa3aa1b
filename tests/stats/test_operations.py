"""The Home Office counting rules, each against a hand-computed case (domain.md section 6)."""

from __future__ import annotations

import datetime as dt

import pytest

from crowdguard.errors import InputError
from crowdguard.stats.operations import (
    ArvDefinition,
    Deployment,
    PatrolSegment,
    Purpose,
    busy_intervals,
    classify,
    count_by_month,
    count_by_year,
    count_operations,
    patrol_delivery,
    response_times,
)
from crowdguard.stats.years import (
    FinancialYear,
    financial_year,
    parse_financial_year,
    parse_period,
)

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    """An aware instant from ISO text (UTC when no offset is given)."""
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def sent(incident: str, unit: str, when: str, *, arv: bool = True, **kw: object) -> Deployment:
    """A unit authorised and sent at ``when`` (en route at once), as dispatch logs it."""
    moment = at(when)
    fields: dict[str, object] = {
        "authorised_at": moment,
        "authorised_by": "insp-tfc",
        "deployed_at": moment,
        "opened_at": moment - dt.timedelta(minutes=2),
    }
    fields.update(kw)
    return Deployment(incident=incident, unit=unit, arv=arv, **fields)  # type: ignore[arg-type]


def test_two_units_at_one_incident_are_one_operation() -> None:
    log = [
        sent("task-1", "arv-1", "2026-12-05T14:00:00"),
        sent("task-1", "arv-2", "2026-12-05T14:03:00"),
        sent("task-2", "arv-1", "2026-12-06T10:00:00"),
    ]
    (counts,) = count_by_year(log).values()
    assert counts.operations == 2
    assert counts.deployments == 3
    ops, _ = classify(log)
    assert ops[0].units == ("arv-1", "arv-2")


def test_a_stand_down_on_the_way_still_counts_but_before_deployment_does_not() -> None:
    on_the_way = sent(
        "task-1", "arv-1", "2026-12-05T14:00:00", stood_down_at=at("2026-12-05T14:06:00")
    )
    never_left = Deployment(
        incident="task-2",
        unit="arv-2",
        arv=True,
        authorised_at=at("2026-12-05T15:00:00"),
        stood_down_at=at("2026-12-05T15:01:00"),
    )
    ops, excluded = classify([on_the_way, never_left])
    assert [o.incident for o in ops] == ["task-1"]
    assert ops[0].stood_down_on_the_way == 1
    assert [(e.incident, e.reason) for e in excluded] == [
        ("task-2", "stood down before deployment")
    ]
    counts = count_operations(ops, excluded)
    assert counts.operations == 1
    assert counts.excluded == {"stood down before deployment": 1}


def test_one_unit_stood_down_before_leaving_does_not_remove_the_incident() -> None:
    log = [
        Deployment(
            incident="task-1",
            unit="arv-1",
            arv=True,
            authorised_at=at("2026-12-05T14:00:00"),
            stood_down_at=at("2026-12-05T14:00:30"),
        ),
        sent("task-1", "foot-1", "2026-12-05T14:01:00", arv=False),
    ]
    ops, excluded = classify(log)
    assert len(ops) == 1 and excluded == []
    assert ops[0].units == ("foot-1",)
    assert not ops[0].arv_involved  # the ARV never deployed
    assert ops[0].authorised_at == at("2026-12-05T14:00:00")  # the incident's first authority


def test_self_authorised_deployments_count() -> None:
    self_sent = Deployment(
        incident="self-arv-1-1",
        unit="arv-1",
        arv=True,
        self_authorised=True,
        deployed_at=at("2026-12-05T14:00:00"),
        arrived_at=at("2026-12-05T14:04:00"),
    )
    unauthorised = Deployment(
        incident="task-9", unit="arv-2", arv=True, deployed_at=at("2026-12-05T14:00:00")
    )
    ops, excluded = classify([self_sent, unauthorised])
    assert [o.incident for o in ops] == ["self-arv-1-1"]
    assert ops[0].self_authorised and ops[0].authorised_at == at("2026-12-05T14:00:00")
    assert [e.reason for e in excluded] == ["not authorised"]
    assert count_operations(ops).self_authorised == 1


@pytest.mark.parametrize(
    "purpose",
    [Purpose.vip_protection, Purpose.escort, Purpose.guarding, Purpose.airport_patrol,
     Purpose.routine_patrol, Purpose.protective_patrol],
)  # fmt: skip
def test_escorts_guarding_vip_protection_and_patrols_are_excluded(purpose: Purpose) -> None:
    ops, excluded = classify([sent("x-1", "arv-1", "2026-12-05T14:00:00", purpose=purpose)])
    assert ops == []
    assert [e.reason for e in excluded] == [purpose.value]


def test_unarmed_deployments_are_not_firearms_operations() -> None:
    ops, excluded = classify([sent("t", "dog-1", "2026-12-05T14:00:00", armed=False)])
    assert ops == [] and excluded[0].reason == "no armed officers"


def test_arv_definitions_involving_and_initial_or_sole() -> None:
    foot_first = [
        sent("task-1", "foot-1", "2026-12-05T14:00:00", arv=False),
        sent("task-1", "arv-1", "2026-12-05T14:05:00"),
    ]
    arv_sole = [sent("task-2", "arv-2", "2026-12-05T16:00:00")]
    foot_only = [sent("task-3", "foot-2", "2026-12-05T17:00:00", arv=False)]
    log = foot_first + arv_sole + foot_only
    (involving,) = count_by_year(log).values()
    (initial,) = count_by_year(log, arv_definition=ArvDefinition.initial_or_sole).values()
    assert (involving.operations, involving.arv_operations) == (3, 2)
    assert (initial.operations, initial.arv_operations) == (3, 1)


def test_discharges_count_incidents_not_rounds() -> None:
    log = [
        sent("task-1", "arv-1", "2026-12-05T14:00:00", discharges=3),
        sent("task-1", "arv-2", "2026-12-05T14:01:00", discharges=2),
        sent("task-2", "arv-1", "2026-12-06T14:00:00"),
    ]
    (counts,) = count_by_year(log).values()
    assert counts.discharge_incidents == 1


def test_2359_on_31_march_is_in_the_year_ending_that_day() -> None:
    # 31 March 2018 was in British Summer Time (from 25 March): 23:59 BST is 22:59 UTC.
    late = sent("task-1", "arv-1", "2018-03-31T22:59:00")
    # 23:30 UTC on 31 March is 00:30 BST on 1 April: the next year.
    after = sent("task-2", "arv-1", "2018-03-31T23:30:00")
    years = count_by_year([late, after])
    assert {y.label: c.operations for y, c in years.items()} == {"2017/18": 1, "2018/19": 1}
    assert financial_year(at("2018-03-31T23:59:00+01:00")).long == "year ending 31 March 2018"


def test_an_incident_spanning_31_march_counts_in_the_year_of_its_authorisation() -> None:
    log = [
        sent("task-1", "arv-1", "2027-03-31T23:50:00+01:00"),
        sent("task-1", "arv-2", "2027-04-01T00:20:00+01:00"),  # a second unit after midnight
    ]
    ((year, counts),) = count_by_year(log).items()
    assert year == FinancialYear(2027) and counts.operations == 1


def test_a_patrol_that_turns_into_an_incident_response() -> None:
    patrol = [
        PatrolSegment(
            "arv-1", "winchester-market", at("2026-12-05T14:00:00"), at("2026-12-05T16:00:00")
        )
    ]
    response = sent(
        "task-7",
        "arv-1",
        "2026-12-05T14:30:00",
        arrived_at=at("2026-12-05T14:36:00"),
        ended_at=at("2026-12-05T15:00:00"),
        from_patrol=True,
    )
    ops, _ = classify([response])
    assert len(ops) == 1 and ops[0].from_patrol  # the incident counts, once
    busy = busy_intervals([response], now=at("2026-12-05T18:00:00"))
    (venue,) = patrol_delivery(patrol, busy)
    assert (venue.planned_hours, venue.delivered_hours) == (2.0, 1.5)  # 30 min lost
    assert venue.delivered_share == 0.75


def test_a_unit_still_out_is_busy_until_now() -> None:
    out = sent("task-1", "arv-1", "2026-12-05T15:00:00")
    busy = busy_intervals([out], now=at("2026-12-05T15:45:00"))
    segment = PatrolSegment("arv-1", "v", at("2026-12-05T15:00:00"), at("2026-12-05T17:00:00"))
    (venue,) = patrol_delivery([segment], busy)
    assert venue.delivered_hours == 1.25


def test_overlapping_deployments_are_not_subtracted_twice() -> None:
    a = sent("t1", "arv-1", "2026-12-05T14:00:00", ended_at=at("2026-12-05T14:40:00"))
    b = sent("t2", "arv-1", "2026-12-05T14:20:00", ended_at=at("2026-12-05T15:00:00"))
    segment = PatrolSegment("arv-1", "v", at("2026-12-05T14:00:00"), at("2026-12-05T16:00:00"))
    (venue,) = patrol_delivery([segment], busy_intervals([a, b], now=at("2026-12-06T00:00:00")))
    assert venue.delivered_hours == 1.0


def test_response_times_by_month_and_grade() -> None:
    def op(i: int, day: str, minutes: float, grade: str | None) -> Deployment:
        opened = at(f"{day}T12:00:00")
        return Deployment(
            incident=f"t{i}",
            unit="arv-1",
            arv=True,
            opened_at=opened,
            authorised_at=opened + dt.timedelta(minutes=1),
            deployed_at=opened + dt.timedelta(minutes=1),
            arrived_at=opened + dt.timedelta(minutes=minutes),
            grade=grade,
        )

    log = [
        op(1, "2026-11-03", 6, "immediate"),
        op(2, "2026-11-04", 10, "immediate"),
        op(3, "2026-11-05", 8, "immediate"),
        op(4, "2026-12-01", 20, "priority"),
        op(5, "2026-12-02", 15, None),
    ]
    ops, _ = classify(log)
    rows = response_times(ops, parse_period("2026-11-01:2027-01-31"))
    table = {(r.month, r.grade): (r.operations, r.median_minutes, r.p90_minutes) for r in rows}
    assert table == {
        ("2026-11", "immediate"): (3, 8.0, 10.0),
        ("2026-12", "call"): (1, 15.0, 15.0),
        ("2026-12", "priority"): (1, 20.0, 20.0),
    }


def test_count_by_month_lists_every_month_of_the_period() -> None:
    log = [sent("t1", "arv-1", "2026-12-05T14:00:00")]
    months = count_by_month(log, parse_period("2026-11-01:2027-01-31"))
    assert {m: c.operations for m, c in months.items()} == {
        "2026-11": 0, "2026-12": 1, "2027-01": 0,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("text", "ending"),
    [("2017/18", 2018), ("2017-18", 2018), ("2017/2018", 2018), ("1999/00", 2000),
     ("year ending 31 March 2018", 2018), ("2018", 2018)],
)  # fmt: skip
def test_financial_year_labels(text: str, ending: int) -> None:
    year = parse_financial_year(text)
    assert year.ending == ending
    assert parse_financial_year(year.label) == year


@pytest.mark.parametrize(
    "text", ["2017/19", "17/18", "next year", "2018/17", "0000", "0000/01", "9999"]
)
def test_bad_financial_years_are_named(text: str) -> None:
    with pytest.raises(InputError, match="year"):
        parse_financial_year(text)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-01",
        "2027-01-31:2026-11-01",
        "2026-02-30:2026-03-01",
        "x:y",
        "2000-01-01:2020-01-01",
        "0001-01-01:0001-02-01",
        "9999-12-01:9999-12-31",
        "0000",
    ],
)
def test_bad_periods_are_named(text: str) -> None:
    with pytest.raises(InputError, match="--period"):
        parse_period(text)


def test_a_financial_year_is_a_period() -> None:
    period = parse_period("2026/27")
    assert (period.first, period.last) == (dt.date(2026, 4, 1), dt.date(2027, 3, 31))


def test_naive_times_are_refused() -> None:
    with pytest.raises(InputError, match="time zone"):
        financial_year(dt.datetime(2026, 3, 31, 23, 59))
