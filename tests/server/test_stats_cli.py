"""``crowdguard stats ...`` and ``crowdguard brief`` on a store: log -> counts -> briefing,
and the public summary's leak test with distinctive roster facts planted in the store.

The store (SQLite in a data folder) holds December 2026 (GMT: local time is UTC):

* rosters for 12 and 13 December, seven teams each day, every one patrolling the planted
  venue ``quillmoor-arcade`` 17:45-19:15, one of them the planted call sign ``zulu-7719``;
* the log, entered by hand: incident ``inc-a`` (``zulu-7719`` taken off its patrol at 18:00
  on the 12th and ``arv-2``: two units, one operation), ``inc-b`` (``arv-1`` self-authorised
  on the 20th), ``inc-c`` (``arv-2`` stood down before it set off) and an escort.

By hand: 2 operations, both involving an ARV, 1 self-authorised, 3 unit deployments; not
counted: 1 stood down before deployment, 1 escort. Patrol hours: 7 teams x 1.5 h x 2 days
= 21 h planned at the venue; on the 12th ``zulu-7719`` was away 18:00-18:40 and ``arv-2``
18:02-18:40 (78 minutes of patrol lost), so 19.7 h delivered (a share of 0.938); one
operation took a team off a patrol.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from test_dispatch_api import store_world
from typer.testing import CliRunner

from crowdguard.audit.tables import AuditRow
from crowdguard.cli.main import app
from crowdguard.jobs import service as jobs
from crowdguard.jobs.models import PlanCreate
from crowdguard.stats import service as stats
from crowdguard.stats.models import DeploymentCreate
from crowdguard.store.clock import FakeClock
from crowdguard.store.db import make_engine, make_sessionmaker, session_scope, upgrade
from crowdguard.store.settings import resolve_settings

PERIOD = "2026-12-01:2026-12-31"
VENUE = "quillmoor-arcade"
CALLSIGN = "zulu-7719"
TEAMS = [CALLSIGN, "arv-1", "arv-2", "arv-3", "arv-4", "arv-5", "arv-6"]
DAYS = ("2026-12-12", "2026-12-13")


def _roster(day: str) -> dict[str, Any]:
    segment = {"kind": "patrol", "venue": VENUE, "start": f"{day}T17:45", "end": f"{day}T19:15"}
    return {
        "date": day,
        "teams": [{"team": t, "base": "hq-eastleigh", "segments": [segment]} for t in TEAMS],
    }


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


LOG = [
    DeploymentCreate(
        incident="inc-a", unit=CALLSIGN, opened_at=_at("2026-12-12T17:58"),
        authorised_at=_at("2026-12-12T18:00"),
        authorised_by="insp-tfc", deployed_at=_at("2026-12-12T18:00"),
        arrived_at=_at("2026-12-12T18:09"), ended_at=_at("2026-12-12T18:40"), grade="immediate",
    ),
    DeploymentCreate(
        incident="inc-a", unit="arv-2", authorised_at=_at("2026-12-12T18:02"),
        authorised_by="insp-tfc", deployed_at=_at("2026-12-12T18:02"),
        arrived_at=_at("2026-12-12T18:12"), ended_at=_at("2026-12-12T18:40"), grade="immediate",
    ),
    DeploymentCreate(
        incident="inc-b", unit="arv-1", self_authorised=True, deployed_at=_at("2026-12-20T11:00"),
        arrived_at=_at("2026-12-20T11:04"), ended_at=_at("2026-12-20T11:30"),
    ),
    DeploymentCreate(
        incident="inc-c", unit="arv-2", authorised_at=_at("2026-12-21T09:00"),
        authorised_by="insp-tfc", stood_down_at=_at("2026-12-21T09:01"),
        ended_at=_at("2026-12-21T09:01"),
    ),
    DeploymentCreate(
        incident="esc-1", unit="arv-3", purpose="escort", authorised_at=_at("2026-12-22T08:00"),
        authorised_by="insp-tfc", deployed_at=_at("2026-12-22T08:00"),
        ended_at=_at("2026-12-22T10:00"),
    ),
]  # fmt: skip


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated store holding the planted rosters and the log (see the module docstring)."""
    folder = tmp_path_factory.mktemp("stats-store")
    engine = make_engine(resolve_settings(folder).database_url)
    try:
        upgrade(engine)
        clock = FakeClock(_at("2026-12-01T08:00"))
        store_world(engine, clock, with_plan=False)
        with session_scope(make_sessionmaker(engine)) as session:
            now = clock.now()
            plan = jobs.create_plan(
                session=session, data=PlanCreate(scenario_id="solent", seed=1), actor="t", now=now
            )
            jobs.finish_plan(
                session=session,
                plan_id=plan.id,
                now=now,
                result={"solver": "hand-written"},
                rosters={day: _roster(day) for day in DAYS},
            )
            for entry in LOG:
                stats.record_deployment(session=session, data=entry, actor="ctl", now=now)
    finally:
        engine.dispose()
    return folder


def cli(*args: str) -> str:
    """Run the CLI in-process; fail with its output unless it succeeds."""
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def test_the_log_counts_by_the_home_office_rules_from_the_cli(data_dir: Path) -> None:
    out = cli("stats", "operations", "--period", PERIOD, "-f", "json", "--data-dir", str(data_dir))
    ops = json.loads(out)
    assert (ops["operations"], ops["arv_operations"], ops["self_authorised"]) == (2, 2, 1)
    assert ops["deployments"] == 3
    assert ops["excluded"] == {"stood down before deployment": 1, "escort": 1}
    month = next(m for m in ops["by_month"] if m["month"] == "2026-12")
    assert month["operations"] == 2
    csv_text = cli("stats", "patrols", "--period", PERIOD, "-f", "csv", "--data-dir", str(data_dir))
    assert csv_text.splitlines() == [
        "venue,planned hours,delivered hours,delivered share",
        f"{VENUE},21,19.7,0.938",
    ]


def test_a_year_table_and_its_plot_are_written(data_dir: Path, tmp_path: Path) -> None:
    table, image = tmp_path / "ops.csv", tmp_path / "ops.svg"
    cli(
        "stats", "operations", "--period", PERIOD, "--by", "year", "-f", "csv", "--out",
        str(table), "--plot", str(image), "--data-dir", str(data_dir),
    )  # fmt: skip
    rows = table.read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("year,comparable,Hampshire operations (published)")
    assert any(r.startswith("2017/18,yes,283,") for r in rows)
    assert rows[-1].startswith("2026/27,yes,") and rows[-1].endswith(",2,2")
    assert "not comparable" in image.read_text(encoding="utf-8")


def test_the_round_trip_log_counts_commissioner_briefing(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "commissioner.md"
    cli(
        "brief", "--period", PERIOD, "--audience", "commissioner", "--format", "md",
        "--out", str(out), "--data-dir", str(data_dir),
    )  # fmt: skip
    text = out.read_text(encoding="utf-8")
    assert text.startswith("**OFFICIAL-SENSITIVE**")
    assert "2 firearms operations (2 involving an ARV, 1 self-authorised) from 3 unit" in text
    assert "Not counted: escort 1, stood down before deployment 1." in text
    assert "21 hours planned, 19.7 delivered over 2 days; 1 operations took a team" in text
    assert f"| {VENUE} | 21 | 19.7 | 0.938 |" in text
    assert "| 2026-12 | immediate | 1 | 11 | 11 | 11 |" in text  # 17:58 call, on scene 18:09
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # OFFICIAL-SENSITIVE: owner-only


def _public_text(path: Path, fmt: str) -> str:
    """The file's text; for a PDF every page's text and its document metadata."""
    if fmt != "pdf":
        return path.read_text(encoding="utf-8")
    reader = PdfReader(path)
    pages = [page.extract_text() or "" for page in reader.pages]
    return "\n".join(pages + [str(v) for v in (reader.metadata or {}).values()])


@pytest.mark.parametrize("fmt", ["md", "html", "pdf"])
def test_the_public_summary_reveals_no_patrol_time_place_team_or_number(
    data_dir: Path, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"public.{fmt}"
    cli(
        "brief", "--period", PERIOD, "--audience", "public", "--format", fmt, "--out", str(out),
        "--data-dir", str(data_dir),
    )  # fmt: skip
    text = _public_text(out, fmt)
    assert "Hampshire" in text and "fewer than 10" in text  # it is the summary
    lowered = text.lower()
    for planted in (VENUE, "quillmoor", "arcade", CALLSIGN, "zulu", "7719", "17:45", "19:15",
                    "18:00", "19.7", "12 december", "13 december"):  # fmt: skip
        assert planted not in lowered, planted
    seen = re.sub(r"<style>.*?</style>|<[^>]+>", " ", text, flags=re.S)
    for number in ("7", "21", "2", "3"):  # teams, planned hours, operations, deployments
        assert not re.search(rf"(?<![\d,.:]){number}(?![\d,.:])", seen), number


def test_the_roster_read_behind_a_briefing_is_audited(data_dir: Path, tmp_path: Path) -> None:
    cli(
        "brief", "--period", PERIOD, "--audience", "commissioner", "--out",
        str(tmp_path / "b.md"), "--data-dir", str(data_dir),
    )  # fmt: skip
    engine = make_engine(resolve_settings(data_dir).database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            rows = session.scalars(
                select(AuditRow).where(AuditRow.action == "roster.aggregate")
            ).all()
    finally:
        engine.dispose()
    assert rows and rows[-1].actor.startswith("cli") and rows[-1].entity_id == PERIOD


def test_bad_input_exits_2_naming_the_option(data_dir: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "crowdguard", "brief", "--period", "2026-12-05:2026-12-06",
         "--audience", "public", "--out", str(tmp_path / "p.md"), "--data-dir", str(data_dir)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "--period: 2026-12-05:2026-12-06 is 2 day(s)" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "p.md").exists()
    missing = str(tmp_path / "none")
    for args, message in (
        (["--period", "2026-13-01:2027-01-01"], "--period"),
        (["--period", PERIOD, "--arv-definition", "involve"], "did you mean 'involving'"),
        (["--period", PERIOD, "--plot", str(tmp_path / "x.gif")], "--plot"),
    ):
        got = CliRunner().invoke(app, ["stats", "operations", *args, "--data-dir", str(data_dir)])
        assert got.exit_code != 0 and message in str(got.exception), (args, got.exception)
    got = CliRunner().invoke(app, ["stats", "reports", "--period", PERIOD, "--data-dir", missing])
    assert "no CrowdGuard store there" in str(got.exception)
    assert not Path(missing).exists()  # looked, created nothing
