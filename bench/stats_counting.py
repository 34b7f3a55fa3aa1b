"""Figures (issue 15): count a year of 100,000 logged deployments and render the
commissioner's PDF in under 15 s; the same counts in SQL on PostgreSQL, equal, with the
ratio.

A seeded synthetic year (financial year 2026/27, Europe/London) of armed deployments is
written to the operations log of a fresh store: incidents of one to four units, 6% of units
stood down before they set off and 8% on the way, 7% self-authorised, 2% of incidents with
a discharge, 10% of units taken off a patrol, and 5% of rows for escorts, guarding, VIP
protection or patrols (excluded). Then, median of RUNS runs each:

* **SQL count**: ``stats.service.operations_aggregate`` over the year: what the statistics,
  the API and the briefings use, the Home Office rules as one SQL aggregation
  (``crowdguard.stats.queries``), the same statements on SQLite and PostgreSQL;
* **Python core**: the baseline, in the same run: read the year's log
  (``service.load_deployments``) and count it with the pure core
  (``stats.operations.classify`` and ``count_operations``), the definition the SQL is
  checked against; every count compared, the ratio Python / SQL;
* **brief**: ``briefing_data`` plus ``render_briefing(commissioner, pdf)`` (every table,
  five plots, WeasyPrint): the figure the issue's 15 s target is about.

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

from sqlalchemy import Engine, insert

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_load import _private_postgres
from crowdguard.stats import service
from crowdguard.stats.briefing import Audience, render_briefing
from crowdguard.stats.operations import Purpose, classify, combine, count_operations
from crowdguard.stats.tables import DeploymentRow
from crowdguard.stats.years import LONDON, parse_period
from crowdguard.store.db import make_engine, make_sessionmaker, session_scope, upgrade

RUNS = 3
TARGET_SECONDS = 15.0
PERIOD = parse_period("2026/27")
OTHER = [p for p in Purpose if p is not Purpose.incident]


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
                    "from_patrol": rng.random() < 0.1,
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


def _python_counts(session: Any) -> dict[str, int]:
    """The pure core's counts of the year (the baseline and the check)."""
    operations, excluded = classify(service.load_deployments(session=session, period=PERIOD))
    inside = [o for o in operations if PERIOD.contains(o.authorised_at)]
    gone = [e for e in excluded if e.at is not None and PERIOD.contains(e.at)]
    return _flat(count_operations(inside, gone).as_dict())


def _flat(counts: dict[str, Any]) -> dict[str, int]:
    out = {k: int(v) for k, v in counts.items() if k != "excluded"}
    out.update({f"excluded:{k}": int(v) for k, v in counts["excluded"].items()})
    return out


def measure(url: str, runs: int) -> dict[str, Any]:
    """Median seconds to count the year in SQL, in the Python core, and to brief (one
    store), and both sets of counts."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    now = dt.datetime(2027, 4, 2, tzinfo=dt.UTC)
    sql_times: list[float] = []
    python_times: list[float] = []
    brief_times: list[float] = []
    sql_counts: dict[str, int] = {}
    python_counts: dict[str, int] = {}
    pdf = b""
    for _ in range(runs):
        with session_scope(sessions) as session:
            seconds, aggregate = _timed(
                lambda s=session: service.operations_aggregate(session=s, period=PERIOD)
            )
            sql_times.append(seconds)
            months = service.month_counts(session=session, period=PERIOD)
            sql_counts = _flat(combine(months.values()).as_dict())
            assert aggregate.operations == sql_counts["operations"]
            seconds, python_counts = _timed(lambda s=session: _python_counts(s))
            python_times.append(seconds)

            def brief(s: Any = session) -> bytes:
                data = service.briefing_data(session=s, period=PERIOD, actor="bench", now=now)
                return render_briefing(data, Audience.commissioner, "pdf")

            seconds, pdf = _timed(brief)
            brief_times.append(seconds)
    engine.dispose()
    return {
        "sql": statistics.median(sql_times),
        "sql_runs": sql_times,
        "python": statistics.median(python_times),
        "python_runs": python_times,
        "brief": statistics.median(brief_times),
        "brief_runs": brief_times,
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
    out("| store | machine | command | count the year and render the commissioner's PDF "
        "(briefing_data + render), median (s) | target | met |")  # fmt: skip
    out("|---|---|---|---|---|---|")
    for name, r in results.items():
        met = "yes" if r["brief"] < TARGET_SECONDS else "no"
        out(
            f"| {name} | {machine} | {command} | {r['brief']:.2f} (runs {_runs(r['brief_runs'])};"
            f" PDF {r['pdf_bytes']:,} bytes) | < {TARGET_SECONDS:g} s | {met} |"
        )
    out()
    out("| store | count the year in SQL (operations_aggregate), median (s) | baseline: read "
        "the log and count in the Python core, median (s) | ratio Python / SQL | all counts "
        "equal |")  # fmt: skip
    out("|---|---|---|---|---|")
    for name, r in results.items():
        equal = r["python_counts"] == r["sql_counts"]
        out(
            f"| {name} | {r['sql']:.2f} (runs {_runs(r['sql_runs'])}) | {r['python']:.2f} "
            f"(runs {_runs(r['python_runs'])}) | {r['python'] / r['sql']:.1f} | "
            f"{'yes' if equal else 'NO'} |"
        )
    names = list(results)
    if names:
        out()
        out("| count | " + " | ".join(f"{n}: SQL | {n}: Python core" for n in names) + " |")
        out("|---|" + "---|---|" * len(names))
        keys = sorted(
            {k for r in results.values() for k in (*r["sql_counts"], *r["python_counts"])}
        )
        for key in keys:
            cells = []
            for r in results.values():
                cells += [str(r["sql_counts"].get(key)), str(r["python_counts"].get(key))]
            out(f"| {key} | " + " | ".join(cells) + " |")
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
            "the year (briefing_data counts the log once, in SQL), so it alone is the figure the "
            "issue's target is about. The SQL is `crowdguard.stats.queries`; the Python core "
            "(`crowdguard.stats.operations`) is the baseline and the check, measured in the same "
            "run.",
        ]
        target.write_text("\n".join(intro + lines).rstrip() + "\n", encoding="utf-8")
        print(f"wrote {target}")


if __name__ == "__main__":
    main()
