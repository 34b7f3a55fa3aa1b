"""The operations log written by dispatch as it happens, and the aggregates read from it,
through the API on SQLite and PostgreSQL.

One afternoon (GMT, so local time is UTC) on the hand-built Solent map of
``test_dispatch_api``: ``arv-1`` patrols Gunwharf Quays 10:00-16:00, ``arv-2`` Newport
10:00-13:00 then Ryde 13:00-16:00.

* 12:00 a call: both units sent (two units, one incident); ``arv-1`` stood down on the way
  at 12:08, ``arv-2`` on scene at 12:10, the task closed at 12:40;
* 13:00 a second call: ``arv-1`` assigned but stood down at 13:01 before it set off;
* 14:00 ``arv-1`` sets off on its own authority (self-dispatch), on scene 14:05, free 14:30.

By hand: 2 operations (the first call, the self-deployment), 1 excluded (stood down
before deployment), 3 deployments, 1 stood down on the way, 2 ARV operations, 1 self-
authorised; both operations took a team off a patrol. Patrol hours: Gunwharf 6 h planned,
6 h - 8 - 1 - 30 min = 5.35 h delivered; Newport 3 h - 37 min = 2.38 h; Ryde 3 h.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from test_dispatch_api import NOON, store_world

from crowdguard.audit.tables import AuditRow
from crowdguard.stats.reference import PACKAGED
from crowdguard.stats.trends import TableName
from crowdguard.store.clock import FakeClock
from crowdguard.store.db import make_sessionmaker, session_scope
from crowdguard.users.models import Role

PERIOD = "2026-12-01:2026-12-31"
Headers = dict[str, str]


def _at(clock: FakeClock, hh_mm: str) -> None:
    hour, minute = map(int, hh_mm.split(":"))
    clock.set(NOON.replace(hour=hour, minute=minute))


def _ok(response: Any, code: int = 200) -> dict[str, Any]:
    assert response.status_code == code, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def afternoon(
    client: TestClient, engine: Engine, clock: FakeClock, as_role: Callable[..., Headers]
) -> Headers:
    store_world(engine, clock)
    control = as_role(Role.control, username="ctl")
    call = {"location": {"lat": 50.7965, "lon": -1.1075}, "description": "999: man with a knife"}
    _at(clock, "12:00")
    task = _ok(client.post("/api/v1/dispatch/tasks", json=call, headers=control), 201)["id"]
    _ok(
        client.post(
            "/api/v1/dispatch/assign", json={"unit": "arv-1", "task": task}, headers=control
        )
    )
    _at(clock, "12:03")
    _ok(
        client.post(
            "/api/v1/dispatch/assign", json={"unit": "arv-2", "task": task}, headers=control
        )
    )
    _at(clock, "12:08")
    _ok(client.post("/api/v1/dispatch/units/arv-1/release", headers=control))
    _at(clock, "12:10")
    _ok(
        client.post(
            "/api/v1/dispatch/units/arv-2/state", json={"state": "on_scene"}, headers=control
        )
    )
    _at(clock, "12:40")
    _ok(
        client.post(
            f"/api/v1/dispatch/tasks/{task}/close", json={"outcome": "arrested"}, headers=control
        )
    )
    _at(clock, "13:00")
    second = _ok(client.post("/api/v1/dispatch/tasks", json=call, headers=control), 201)["id"]
    body = {"unit": "arv-1", "task": second, "en_route": False}
    _ok(client.post("/api/v1/dispatch/assign", json=body, headers=control))
    _at(clock, "13:01")
    _ok(client.post("/api/v1/dispatch/units/arv-1/release", headers=control))
    _at(clock, "14:00")
    _ok(
        client.post(
            "/api/v1/dispatch/units/arv-1/state", json={"state": "en_route"}, headers=control
        )
    )
    _at(clock, "14:05")
    _ok(
        client.post(
            "/api/v1/dispatch/units/arv-1/state", json={"state": "on_scene"}, headers=control
        )
    )
    _at(clock, "14:30")
    _ok(
        client.post(
            "/api/v1/dispatch/units/arv-1/state", json={"state": "available"}, headers=control
        )
    )
    _at(clock, "18:00")
    return control


def test_dispatch_logs_every_deployment_as_it_happens(
    client: TestClient, afternoon: Headers
) -> None:
    rows = _ok(client.get("/api/v1/operations", headers=afternoon))["items"]
    got = sorted(
        (r["incident"].split("-")[0], r["unit"], r["authorised_by"], r["self_authorised"],
         r["deployed_at"] is not None, r["arrived_at"] is not None, r["stood_down_at"] is not None)
        for r in rows
    )  # fmt: skip
    assert got == [
        ("self", "arv-1", None, True, True, True, False),
        ("task", "arv-1", "ctl", False, False, False, True),  # stood down before leaving
        ("task", "arv-1", "ctl", False, True, False, True),  # stood down on the way
        ("task", "arv-2", "ctl", False, True, True, False),
    ]
    assert all(r["ended_at"] is not None for r in rows)


def test_a_unit_taken_off_its_patrol_is_logged_from_patrol(
    client: TestClient, afternoon: Headers, clock: FakeClock, engine: Engine
) -> None:
    # 18:00: the patrols ended at 16:00, so a unit sent now was not taken off one.
    call = {"location": {"lat": 50.7965, "lon": -1.1075}, "description": "999: shots heard"}
    task = _ok(client.post("/api/v1/dispatch/tasks", json=call, headers=afternoon), 201)["id"]
    body = {"unit": "arv-2", "task": task}
    _ok(client.post("/api/v1/dispatch/assign", json=body, headers=afternoon))
    rows = _ok(client.get("/api/v1/operations", headers=afternoon))["items"]
    got = sorted(
        (r["unit"], r["authorised_at"] or r["deployed_at"], r["from_patrol"]) for r in rows
    )
    assert [(unit, patrol) for unit, _, patrol in got] == [
        ("arv-1", True),  # 12:00 off Gunwharf
        ("arv-1", True),  # 13:00
        ("arv-1", True),  # 14:00 self-dispatched off its patrol
        ("arv-2", True),  # 12:03 off Newport
        ("arv-2", False),  # 18:00, no patrol rostered
    ]
    with session_scope(make_sessionmaker(engine)) as session:
        reads = session.scalars(select(AuditRow).where(AuditRow.action == "roster.read")).all()
    asked = [r.detail for r in reads if r.detail.get("purpose") == "patrolling at dispatch"]
    assert len(asked) == 5 and all(set(d) == {"teams", "purpose", "at"} for d in asked)


def test_the_aggregates_follow_the_home_office_rules(
    client: TestClient, afternoon: Headers, as_role: Callable[..., Headers]
) -> None:
    analyst = as_role(Role.analyst, username="ana")
    ops = _ok(client.get(f"/api/v1/stats/operations?period={PERIOD}", headers=analyst))
    assert (ops["operations"], ops["arv_operations"], ops["self_authorised"]) == (2, 2, 1)
    assert ops["deployments"] == 3
    assert ops["excluded"] == {"stood down before deployment": 1}
    (year,) = ops["by_year"]
    assert year["year"] == "2026/27" and year["stood_down_on_the_way"] == 1
    assert year["published"]["hampshire_operations"] == {
        "value": None,
        "release": None,
        "source": None,
        "label": None,
    }  # fmt: skip  (no figure for 2026/27: a gap)
    patrols = _ok(client.get(f"/api/v1/stats/patrols?period={PERIOD}", headers=analyst))
    hours = {v["venue"]: (v["planned_hours"], v["delivered_hours"]) for v in patrols["venues"]}
    assert hours == {
        "portsmouth-gunwharf": (6.0, 5.35),
        "newport-market": (3.0, 2.38),
        "ryde-market": (3.0, 3.0),
    }
    assert patrols["responses_from_patrol"] == 2
    response = _ok(client.get(f"/api/v1/stats/response?period={PERIOD}", headers=analyst))
    # the call at 12:00 (first unit on scene 12:10) and the self-deployment (14:00 -> 14:05):
    # two call-graded operations in December, nearest-rank median 5 min, 90th 10 min
    assert [
        (r["month"], r["grade"], r["operations"], r["median_minutes"], r["p90_minutes"])
        for r in response["rows"]
    ] == [("2026-12", "call", 2, 5.0, 10.0)]


def test_every_table_is_served_as_json_and_csv_as_plotted(
    client: TestClient, afternoon: Headers, as_role: Callable[..., Headers]
) -> None:
    analyst = as_role(Role.analyst, username="ana")
    url = f"/api/v1/stats/tables/patrol-hours?period={PERIOD}"
    table = _ok(client.get(url, headers=analyst))
    assert table["columns"] == ["venue", "planned hours", "delivered hours", "delivered share"]
    assert ["portsmouth-gunwharf", 6.0, 5.35, 0.892] in table["rows"]
    csv_response = client.get(url + "&format=csv", headers=analyst)
    assert csv_response.status_code == 200
    assert csv_response.headers["content-type"].startswith("text/csv")
    assert "patrol-hours_2026-12-01_2026-12-31.csv" in csv_response.headers["content-disposition"]
    assert "portsmouth-gunwharf,6,5.35,0.892" in csv_response.text.splitlines()
    years = _ok(
        client.get(f"/api/v1/stats/tables/operations-by-year?period={PERIOD}", headers=analyst)
    )
    by_year = {row[0]: dict(zip(years["columns"], row, strict=True)) for row in years["rows"]}
    assert by_year["2017/18"]["Hampshire operations (published)"] == 283
    assert by_year["2018/19"]["Hampshire operations (published)"] is None  # a gap, not 0
    assert by_year["2026/27"]["our operations"] == 2
    bad = client.get(f"/api/v1/stats/tables/rosters?period={PERIOD}", headers=analyst)
    assert bad.status_code == 422


def test_the_api_reads_the_figures_stats_import_merged_into_the_data_folder(
    client: TestClient, afternoon: Headers, as_role: Callable[..., Headers], tmp_path: Path
) -> None:
    analyst = as_role(Role.analyst, username="ana")
    url = f"/api/v1/stats/operations?period={PERIOD}"
    (year,) = _ok(client.get(url, headers=analyst))["by_year"]
    assert year["published"]["hampshire_operations"]["value"] is None  # packaged: none held
    imported = PACKAGED.read_text(encoding="utf-8") + (
        "hampshire,firearms_operations,2026/27,321,published,Test release,2027,,test tables,FACT,\n"
    )
    (tmp_path / "published.csv").write_text(imported, encoding="utf-8")  # the data folder
    (year,) = _ok(client.get(url, headers=analyst))["by_year"]
    assert year["published"]["hampshire_operations"]["value"] == 321
    table = _ok(client.get(f"/api/v1/stats/tables/operations-by-year?period={PERIOD}",
                           headers=analyst))  # fmt: skip
    assert table["rows"][-1][:3] == ["2026/27", True, 321]


def test_analysts_get_counts_never_units_rosters_or_reports(
    client: TestClient, afternoon: Headers, as_role: Callable[..., Headers]
) -> None:
    analyst = as_role(Role.analyst, username="ana")
    tables = [f"tables/{t}" for t in TableName] + [f"tables/{t}?format=csv" for t in TableName]
    for what in ("operations", "response", "patrols", "reports", "plan-reviews", *tables):
        sep = "&" if "?" in what else "?"
        text = client.get(f"/api/v1/stats/{what}{sep}period={PERIOD}", headers=analyst).text
        assert "arv-1" not in text and "arv-2" not in text and "T10:00" not in text, what
    assert client.get("/api/v1/operations", headers=analyst).status_code == 403
    assert client.get("/api/v1/rosters/2026-12-05", headers=analyst).status_code == 403
    assert client.get("/api/v1/reports", headers=analyst).status_code == 403


def test_the_patrol_aggregate_audits_its_roster_read(
    client: TestClient, afternoon: Headers, engine: Engine, as_role: Callable[..., Headers]
) -> None:
    analyst = as_role(Role.analyst, username="ana")
    _ok(client.get(f"/api/v1/stats/patrols?period={PERIOD}", headers=analyst))
    with session_scope(make_sessionmaker(engine)) as session:
        rows = session.scalars(select(AuditRow).where(AuditRow.action == "roster.aggregate")).all()
        assert [(r.actor, r.entity_id) for r in rows] == [("ana", PERIOD)]


def test_control_corrects_who_authorised_and_it_is_audited(
    client: TestClient, afternoon: Headers, engine: Engine
) -> None:
    rows = _ok(client.get("/api/v1/operations", headers=afternoon))["items"]
    target = next(r for r in rows if r["unit"] == "arv-2")
    body = {"authorised_by": "insp-tfc", "authorised_at": "2026-12-05T12:02:00+00:00"}
    changed = _ok(client.patch(f"/api/v1/operations/{target['id']}", json=body, headers=afternoon))
    assert changed["authorised_by"] == "insp-tfc"
    assert changed["authorised_at"].startswith("2026-12-05T12:02")
    with session_scope(make_sessionmaker(engine)) as session:
        (row,) = session.scalars(select(AuditRow).where(AuditRow.action == "operations.amend"))
        assert row.detail["authorised_by"] == {"from": "ctl", "to": "insp-tfc"}


def test_hand_entered_escorts_are_logged_but_not_counted(
    client: TestClient, afternoon: Headers, as_role: Callable[..., Headers]
) -> None:
    escort = {
        "incident": "escort-1", "unit": "arv-2", "purpose": "escort",
        "authorised_at": "2026-12-06T09:00:00+00:00", "authorised_by": "insp-tfc",
        "deployed_at": "2026-12-06T09:05:00+00:00",
    }  # fmt: skip
    _ok(client.post("/api/v1/operations", json=escort, headers=afternoon), 201)
    analyst = as_role(Role.analyst, username="ana")
    ops = _ok(client.get(f"/api/v1/stats/operations?period={PERIOD}", headers=analyst))
    assert ops["operations"] == 2
    assert ops["excluded"] == {"escort": 1, "stood down before deployment": 1}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"incident": "x", "unit": "arv-1"}, "authorised_at"),
        ({"incident": "x", "unit": "arv-1", "self_authorised": True, "discharges": -1}, "discharges"),
        ({"incident": "x", "unit": "arv-1", "authorised_at": "2026-12-05T12:00:00"}, "authorised_at"),
        ({"incident": "x", "unit": "arv-1", "authorised_at": "2026-12-05T12:00:00Z",
          "arrived_at": "2026-12-05T11:00:00Z"}, "arrived_at"),
    ],
)  # fmt: skip
def test_bad_log_entries_are_refused_naming_the_field(
    client: TestClient, afternoon: Headers, body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/operations", json=body, headers=afternoon)
    assert response.status_code == 422
    assert field in response.text


@pytest.mark.parametrize("period", ["2026-13-01:2026-12-31", "2027-01-01:2026-12-01", "soon"])
def test_a_bad_period_is_a_400_naming_it(
    client: TestClient, afternoon: Headers, as_role: Callable[..., Headers], period: str
) -> None:
    analyst = as_role(Role.analyst, username="ana")
    response = client.get(f"/api/v1/stats/operations?period={period}", headers=analyst)
    assert response.status_code == 400 and "period" in response.json()["detail"]
