"""Figures (issue 15): count a year of 100,000 logged deployments and render the
commissioner's PDF in under 15 s; the same counts in SQL on PostgreSQL, equal, with the
ratio.

A seeded synthetic year (financial year 2026/27, Europe/London) of armed deployments is
written to the operations log of a fresh store: incidents of one to four units, 6% of units
stood down before they set off and 8% on the way, 7% self-authorised, 2% of incidents with
a discharge, and 5% of rows for escorts, guarding, VIP protection or patrols (excluded). Then,
median of RUNS runs each:

* **count**: ``stats.service.operations_aggregate`` over the year (read the log, the pure
  Home Office counting of ``stats.operations``), on SQLite and PostgreSQL;
* **brief**: ``briefing_data`` plus ``render_briefing(commissioner, pdf)`` (every table,
  five plots, WeasyPrint);
* **SQL**: one PostgreSQL query implementing the same rules (``SQL`` below), compared
  with the Python core count for count. The ratio is Python / SQL, measured in the same
  run.

Prints the Markdown rows and, with ``--write``, writes them to ``docs/benchmarks/stats.md``
(then run ``python bench/assemble_docs.py``). PostgreSQL is a private cluster (as root) or
``CROWDGUARD_TEST_DATABASE_URL``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_load import _private_postgres
from crowdguard.stats import service
from crowdguard.stats.briefing import Audience, render_briefing
from crowdguard.stats.operations import Purpose
from crowdguard.stats.tables import DeploymentRow
from crowdguard.stats.years import LONDON, parse_period
from crowdguard.store.db import make_engine, make_sessionmaker, session_scope, upgrade

RUNS = 3
TARGET_SECONDS = 15.0
PERIOD = parse_period("2026/27")
OTHER = [p for p in Purpose if p is not Purpose.incident]

# The Home Office rules (stats/operations.py) in SQL: a deployment counts when armed, for an
# incident, authorised (or self-authorised and under way) and deployed; an incident with a
# counting deployment is one operation, at its earliest authority (Europe/London), ARV when
# any counting unit is an ARV, self-authorised when its earliest authority was, with a
# discharge when any counting unit discharged. Others are excluded for the reason nearest
# to counting. One grouping pass over the log (a join of two CTEs made PostgreSQL, which has
# no statistics for CTE scans, pick a nested loop: 20 minutes on 100,000 rows).
SQL = """
WITH per_incident AS (
  SELECT incident,
         min(authority) FILTER (WHERE may_authorise) AS authority,
         (array_agg(self_authorised ORDER BY authority, id) FILTER (WHERE may_authorise))[1]
           AS self_authorised,
         count(*) FILTER (WHERE reason IS NULL) AS units,
         coalesce(bool_or(arv) FILTER (WHERE reason IS NULL), false) AS arv,
         coalesce(bool_or(discharges > 0) FILTER (WHERE reason IS NULL), false) AS discharge,
         (array_agg(reason ORDER BY CASE reason
            WHEN 'stood down before deployment' THEN 0 WHEN 'not authorised' THEN 1
            WHEN 'vip_protection' THEN 2 WHEN 'escort' THEN 3 WHEN 'guarding' THEN 4
            WHEN 'airport_patrol' THEN 5 WHEN 'routine_patrol' THEN 6
            WHEN 'protective_patrol' THEN 7 ELSE 8 END))[1] AS reason,
         min(coalesce(authority, opened_at)) AS excluded_at
  FROM (
    SELECT *,
           armed AND purpose = 'incident' AND authority IS NOT NULL AS may_authorise,
           CASE WHEN NOT armed THEN 'no armed officers'
                WHEN purpose <> 'incident' THEN purpose
                WHEN authority IS NULL THEN 'not authorised'
                WHEN NOT deployed THEN 'stood down before deployment' END AS reason
    FROM (
      SELECT id, incident, arv, armed, purpose, discharges, self_authorised, opened_at,
             CASE WHEN authorised_at IS NOT NULL THEN authorised_at
                  WHEN self_authorised THEN coalesce(deployed_at, arrived_at) END AS authority,
             (deployed_at IS NOT NULL OR arrived_at IS NOT NULL) AS deployed
      FROM operations_log
    ) d
  ) r
  GROUP BY incident
), local AS (
  SELECT *,
         ((authority AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/London')::date AS day,
         ((excluded_at AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/London')::date AS excluded_day
  FROM per_incident
), counted AS (
  SELECT * FROM local WHERE units > 0 AND day BETWEEN :first AND :last
)
SELECT 'operations' AS k, count(*) AS n FROM counted
UNION ALL SELECT 'arv_operations', count(*) FILTER (WHERE arv) FROM counted
UNION ALL SELECT 'self_authorised', count(*) FILTER (WHERE self_authorised) FROM counted
UNION ALL SELECT 'discharge_incidents', count(*) FILTER (WHERE discharge) FROM counted
UNION ALL SELECT 'deployments', coalesce(sum(units), 0) FROM counted
UNION ALL SELECT 'excluded:' || reason, count(*) FROM local
  WHERE units = 0 AND excluded_day BETWEEN :first AND :last GROUP BY reason
"""


def synthetic_year(deployments: int, seed: int) -> list[dict[str, Any]]:
    """About ``deployments`` log rows over 2026/27 (see the module docstring)."""
    rng = random.Random(seed)
    start = PERIOD.start.astimezone(dt.UTC)
    seconds = int((PERIOD.end - PERIOD.start).total_seconds()) - 4 * 3600
    now = dt.datetime(2027, 4, 2, tzinfo=dt.UTC)
    rows: list[dict[str, Any]] = []
    n = 0
    while len(rows) < deployments:
        n += 1
        opened = start + dt.timedelta(seconds=rng.randrange(seconds))
        other = rng.random() < 0.05
        purpose = rng.choice(OTHER).value if other else Purpose.incident.value
        self_authorised = not other and rng.random() < 0.07
        discharge = not other and rng.random() < 0.02
        for u in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
            authorised = opened + dt.timedelta(minutes=2 + u * rng.randrange(1, 6))
            deployed: dt.datetime | None = authorised
            arrived: dt.datetime | None = authorised + dt.timedelta(minutes=rng.randrange(3, 40))
            stood_down = None
            roll = rng.random()
            if roll < 0.06:  # stood down before setting off
                deployed = arrived = None
                stood_down = authorised + dt.timedelta(minutes=1)
            elif roll < 0.14:  # stood down on the way
                arrived = None
                stood_down = authorised + dt.timedelta(minutes=5)
            end = (arrived or stood_down or authorised) + dt.timedelta(minutes=30)
            rows.append(
                {
                    "incident": f"inc-{n}",
                    "unit": f"arv-{rng.randrange(60)}" if rng.random() < 0.8 else f"foot-{u}",
                    "unit_kind": "arv",
                    "arv": rng.random() < 0.8,
                    "armed": rng.random() > 0.01,
                    "purpose": purpose,
                    "source": "bench",
                    "grade": rng.choice(("immediate", "priority", "call")),
                    "opened_at": opened,
                    "authorised_at": None if self_authorised else authorised,
                    "authorised_by": None if self_authorised else "insp-tfc",
                    "self_authorised": self_authorised,
                    "deployed_at": deployed,
                    "arrived_at": arrived,
                    "stood_down_at": stood_down,
                    "ended_at": end,
                    "discharges": rng.randrange(1, 4) if discharge and u == 0 else 0,
                    "from_patrol": False,
                    "recorded_by": "bench",
                    "updated_at": now,
                }
            )
    return rows[:deployments]


def _fill(engine: Engine, rows: list[dict[str, Any]]) -> None:
    upgrade(engine)
    with session_scope(make_sessionmaker(engine)) as session:
        for i in range(0, len(rows), 5000):
            session.execute(insert(DeploymentRow), rows[i : i + 5000])


def _timed(fn: Any) -> tuple[float, Any]:
    began = time.perf_counter()
    out = fn()
    return time.perf_counter() - began, out


def measure(url: str, runs: int) -> dict[str, Any]:
    """Median seconds to count the year and to brief, and the counts (one back end)."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    now = dt.datetime(2027, 4, 2, tzinfo=dt.UTC)
    count_times: list[float] = []
    brief_times: list[float] = []
    sql_times: list[float] = []
    aggregate = None
    sql_counts: dict[str, int] = {}
    pdf = b""
    for _ in range(runs):
        with session_scope(sessions) as session:
            seconds, aggregate = _timed(
                lambda s=session: service.operations_aggregate(session=s, period=PERIOD)
            )
            count_times.append(seconds)

            def brief(s: Any = session) -> bytes:
                data = service.briefing_data(session=s, period=PERIOD, actor="bench", now=now)
                return render_briefing(data, Audience.commissioner, "pdf")

            seconds, pdf = _timed(brief)
            brief_times.append(seconds)
            if engine.dialect.name == "postgresql":
                query = text(SQL).bindparams(first=PERIOD.first, last=PERIOD.last)
                seconds, result = _timed(lambda s=session, q=query: s.execute(q).all())
                sql_times.append(seconds)
                sql_counts = {k: int(n) for k, n in result}
    engine.dispose()
    assert aggregate is not None
    python_counts = {
        "operations": aggregate.operations,
        "arv_operations": aggregate.arv_operations,
        "self_authorised": aggregate.self_authorised,
        "discharge_incidents": aggregate.discharge_incidents,
        "deployments": aggregate.deployments,
        **{f"excluded:{k}": v for k, v in aggregate.excluded.items()},
    }
    return {
        "count": statistics.median(count_times),
        "count_runs": count_times,
        "brief": statistics.median(brief_times),
        "brief_runs": brief_times,
        "sql": statistics.median(sql_times) if sql_times else None,
        "sql_runs": sql_times,
        "python_counts": python_counts,
        "sql_counts": sql_counts,
        "pdf_bytes": len(pdf),
    }


def _runs(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deployments", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--write", action="store_true", help="write docs/benchmarks/stats.md")
    args = parser.parse_args()
    lines: list[str] = []

    def out(line: str = "") -> None:
        print(line, flush=True)
        lines.append(line)

    rows = synthetic_year(args.deployments, args.seed)
    machine = (
        f"{platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} cores (shared)"
    )
    load = os.getloadavg()[0]
    print(f"{len(rows):,} deployments, {len({r['incident'] for r in rows}):,} incidents; "
          f"load average {load:.1f}", flush=True)  # fmt: skip
    command = f"`python bench/stats_counting.py --deployments {args.deployments}`"
    results: dict[str, dict[str, Any]] = {}
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/bench.sqlite3"
            _fill(make_engine(url), rows)
            results["SQLite"] = measure(url, args.runs)
    if args.backend in ("postgres", "both"):
        with _private_postgres() as url:
            if url is None:
                out("(PostgreSQL skipped: no cluster and not root)")
            else:
                _fill(make_engine(url), rows)
                results["PostgreSQL"] = measure(url, args.runs)
    out()
    out("| store | machine | command | count the year (operations_aggregate), median (s) | "
        "count the year and render the commissioner's PDF (briefing_data + render), median (s) "
        "| target | met |")  # fmt: skip
    out("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        met = "yes" if r["brief"] < TARGET_SECONDS else "no"
        out(
            f"| {name} | {machine} | {command} | {r['count']:.2f} (runs {_runs(r['count_runs'])})"
            f" | {r['brief']:.2f} (runs {_runs(r['brief_runs'])}; PDF {r['pdf_bytes']:,} bytes) | "
            f"< {TARGET_SECONDS:g} s | {met} |"
        )
    pg = results.get("PostgreSQL")
    if pg is not None and pg["sql"] is not None:
        equal = pg["python_counts"] == pg["sql_counts"]
        out()
        out("| counts | Python core (stats.operations) | SQL on PostgreSQL | equal |")
        out("|---|---|---|---|")
        for key in sorted(set(pg["python_counts"]) | set(pg["sql_counts"])):
            a, b = pg["python_counts"].get(key), pg["sql_counts"].get(key)
            out(f"| {key} | {a} | {b} | {'yes' if a == b else 'NO'} |")
        out()
        out("| figure | Python core: read the log and count, median (s) | one SQL query, "
              "median (s) | ratio Python / SQL | counts equal |")  # fmt: skip
        out("|---|---|---|---|---|")
        out(
            f"| count 2026/27 on PostgreSQL | {pg['count']:.2f} (runs {_runs(pg['count_runs'])}) | "
            f"{pg['sql']:.3f} (runs {_runs(pg['sql_runs'])}) | {pg['count'] / pg['sql']:.1f} | "
            f"{'yes' if equal else 'NO'} |"
        )
    out()
    out(
        f"Load average {load:.1f} before, {os.getloadavg()[0]:.1f} after (other engineers' work "
        f"on the same 2 cores); measured {dt.datetime.now(LONDON):%Y-%m-%d %H:%M} London."
    )
    if args.write:
        target = Path(__file__).resolve().parents[1] / "docs" / "benchmarks" / "stats.md"
        incidents = len({r["incident"] for r in rows})
        intro = [
            "# Benchmarks: statistics and briefings (issue 15)",
            "",
            f"A seeded synthetic financial year (2026/27) of {len(rows):,} logged deployments "
            f"({incidents:,} incidents); median of {args.runs} runs. Rerun with "
            "`python bench/stats_counting.py --write`. The briefing column includes counting "
            "the year again (briefing_data reads and classifies the log once), so it alone is "
            "the figure the issue's target is about. The SQL query is `SQL` in the script.",
        ]
        target.write_text("\n".join(intro + lines).rstrip() + "\n", encoding="utf-8")
        print(f"wrote {target}")


if __name__ == "__main__":
    main()
