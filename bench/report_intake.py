"""Figure (issue 6): public report intake, 200 reports/s sustained on SQLite, none lost.

Starts ``crowdguard serve`` as a real uvicorn subprocess on loopback with the embedded
SQLite store (the demo venues are loaded on first start, so every report is triaged against
18 crowded places and checked for duplicates) and the per-address rate limit switched off
(``CROWDGUARD_REPORT_RATE_PER_MINUTE=0``: every request comes from 127.0.0.1, which the
limit would otherwise throttle to 10 a minute by design).

Two measurements per run, on the same server:

* **sustained**: an open-loop load of ``--rate`` reports a second for ``--seconds`` (a new
  report is sent every 1/rate s whether or not earlier ones were answered, as a public
  that does not wait for us would). Reported: the acknowledged (201) reports completed
  during the offered window per second of it, the share of all offered reports
  acknowledged in the end, how long after the window the last answer came (the backlog),
  and p50/p95/p99 latency measured from each report's scheduled send time (so time spent
  waiting for a free connection counts: no coordinated omission). A server that cannot keep
  up shows a rate below the offered one, a long drain and latencies that grow with it.
* **capacity** (the baseline, same run): closed loop, ``--clients`` concurrent senders
  with no think time: the most reports a second the server acknowledges.

Every report is about one of 20 (venue, category) incidents, all observed "now", so every
report has many possible duplicates: the surge the duplicate check must not slow down for.

Then one more open-loop burst is cut by SIGKILL mid-stream (no graceful shutdown) and the
SQLite file is opened directly: every reference the API acknowledged, in any run, must be
there with its triage and its ``report.create`` audit row, and the audit chain must verify
("none lost"). Each figure is the median over ``--runs`` runs.

The load generator shares the machine's cores with the server, so it must be cheap: the
default client (``--client raw``) writes pre-encoded HTTP/1.1 requests on keep-alive
asyncio connections (about 0.5 ms of CPU a request; httpx's ``AsyncClient`` spends 3-5 ms,
which on two cores caps any server near 200 requests/s). Idle connections are closed by the
client after :data:`IDLE_EXPIRY` s, well before the server's keep-alive timeout (75 s in
``crowdguard serve``; uvicorn's default, 5 s, at the time of the run below) closes them. The first version of this script crashed with ``httpx.ReadError``
(connection reset) against the server of the time, which fell ever further behind: the
resets stopped when uvicorn's keep-alive timeout was raised to 300 s, and the kernel counted
sockets closed with unread data (``TcpExtTCPAbortOnData``) but no listen-queue overflow, so
they were uvicorn closing keep-alive connections just as the client reused them (a POST
cannot safely be retried, RFC 9110 section 9.2.2), not its backlog. Transport errors are
counted by kind, never fatal. Prints Markdown rows for docs/benchmarks/reports.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "server"))
from served import ServedProcess

from rawhttp import KeepAliveClient

VENUES = [
    "winchester-cathedral-market",
    "southampton-westquay",
    "portsmouth-gunwharf-quays",
    "basingstoke-festival-place",
    "southampton-christmas-market",
]
CATEGORIES = ["unattended_item", "hostile_reconnaissance", "suspicious_vehicle", "research"]
PATH = "/api/v1/reports"
TIMEOUT = 30.0
"""Seconds a request may take before it counts as a timeout."""
IDLE_EXPIRY = 2.0
"""Seconds an idle keep-alive connection is reused for (below the server's keep-alive timeout,
75 s since ``crowdguard serve`` set it; uvicorn's default was 5 s)."""


def _report(i: int) -> bytes:
    """A plausible report; venues and categories vary so duplicate checks do real work."""
    return json.dumps(
        {
            "category": CATEGORIES[i % len(CATEGORIES)],
            "location": {"venue_id": VENUES[i % len(VENUES)], "text": f"near stall {i % 40}"},
            "observed_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
            "description": f"Bench report {i}: a bag left under a bench by the ice rink entrance.",
        }
    ).encode()


def _quantiles(latencies: list[float]) -> tuple[float, float, float]:
    if len(latencies) < 2:
        return (float("nan"),) * 3
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[94] * 1000, cuts[98] * 1000


@dataclass
class Tally:
    """What one measurement saw."""

    references: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)  # non-201 answers and errors
    began: float = field(default_factory=time.perf_counter)
    done: list[float] = field(default_factory=list)  # when each 201 came, from ``began``
    elapsed: float = 0.0  # the measured window (offered window, or closed-loop run)

    @property
    def rate(self) -> float:
        """Acknowledged reports completed within the window, per second of it."""
        within = sum(1 for t in self.done if t <= self.elapsed)
        return within / self.elapsed if self.elapsed else 0.0

    @property
    def drain(self) -> float:
        """Seconds from the end of the window to the last answer (0 if none after it)."""
        return max(0.0, max(self.done, default=0.0) - self.elapsed)

    def answer(self, status: int, body: bytes, latency: float) -> None:
        if status == 201:
            self.references.append(json.loads(body)["reference"])
            self.latencies.append(latency)
            self.done.append(time.perf_counter() - self.began)
        else:
            self.statuses[f"HTTP {status}"] += 1

    def error(self, exc: BaseException) -> None:
        self.statuses[type(exc).__name__] += 1


class RawClient(KeepAliveClient):
    """POSTs of one report to :data:`PATH` (see the module docstring)."""

    def __init__(self, port: int, max_connections: int) -> None:
        super().__init__(
            port,
            max_connections,
            method="POST",
            path=PATH,
            headers={"Content-Type": "application/json"},
            idle_expiry=IDLE_EXPIRY,
        )

    async def post(self, body: bytes) -> tuple[int, bytes]:
        return await self.request(body)


class HttpxClient:
    """The same requests through ``httpx.AsyncClient`` (keep-alive expiry as above)."""

    def __init__(self, port: int, max_connections: int) -> None:
        limits = httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=IDLE_EXPIRY,
        )
        self.client = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=TIMEOUT
        )

    async def post(self, body: bytes) -> tuple[int, bytes]:
        response = await self.client.post(
            PATH, content=body, headers={"content-type": "application/json"}
        )
        return response.status_code, response.content

    def close(self) -> None:
        pass


Client = RawClient | HttpxClient


async def _send(client: Client, tally: Tally, i: int, due: float) -> None:
    try:
        status, body = await asyncio.wait_for(client.post(_report(i)), TIMEOUT)
    except (TimeoutError, OSError, asyncio.IncompleteReadError, httpx.HTTPError) as exc:
        tally.error(exc)
        return
    tally.answer(status, body, time.perf_counter() - due)


async def _open_loop(
    make: type[Client], port: int, rate: float, seconds: float, start: int
) -> Tally:
    """Offer ``rate`` reports a second for ``seconds``; wait for every answer."""
    tally = Tally(elapsed=seconds)
    client = make(port, 400)
    tasks = []
    for k in range(int(rate * seconds)):
        due = tally.began + k / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_send(client, tally, start + k, due)))
    await asyncio.gather(*tasks)
    client.close()
    return tally


async def _closed_loop(
    make: type[Client], port: int, clients: int, seconds: float, start: int
) -> Tally:
    """``clients`` senders back to back for ``seconds``."""
    tally = Tally(elapsed=seconds)
    client = make(port, clients)
    counter = start
    end = tally.began + seconds

    async def worker() -> None:
        nonlocal counter
        while time.perf_counter() < end:
            counter += 1
            await _send(client, tally, counter, time.perf_counter())

    await asyncio.gather(*(worker() for _ in range(clients)))
    client.close()
    return tally


async def _killed_mid_stream(
    make: type[Client], server: ServedProcess, rate: float, start: int
) -> Tally:
    """An open-loop burst with SIGKILL 2 s in: what was acknowledged must be stored."""
    burst = asyncio.create_task(_open_loop(make, server.port, rate, 4.0, start))
    await asyncio.sleep(2.0)
    server.kill()
    return await burst


def _stored(database: Path) -> tuple[set[str], set[str]]:
    """References in the reports table with a grade, and those with a report.create row."""
    with sqlite3.connect(database) as conn:
        reports = {r[0] for r in conn.execute("SELECT reference FROM reports WHERE grade <> ''")}
        audited = {
            r[0]
            for r in conn.execute("SELECT entity_id FROM audit_log WHERE action = 'report.create'")
        }
    return reports, audited


def _chain(database: Path) -> str:
    from crowdguard.audit.service import verify_chain
    from crowdguard.store.db import make_engine, make_sessionmaker

    engine = make_engine(f"sqlite:///{database}")
    try:
        with make_sessionmaker(engine)() as session:
            report = verify_chain(session=session)
    finally:
        engine.dispose()
    return "chain intact" if report.intact else f"chain BROKEN: {report.reason}"


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rate", type=float, default=200.0, help="offered reports a second")
    parser.add_argument("--seconds", type=float, default=10.0, help="per measurement")
    parser.add_argument("--clients", type=int, default=32, help="closed-loop senders")
    parser.add_argument("--client", choices=["raw", "httpx"], default="raw")
    args = parser.parse_args()
    make: type[Client] = RawClient if args.client == "raw" else HttpxClient
    os.environ["CROWDGUARD_REPORT_RATE_PER_MINUTE"] = "0"
    sustained: list[Tally] = []
    capacity: list[Tally] = []
    server_ms: list[float] = []
    client_ms: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        server = ServedProcess(data).start()
        pid = server.process.pid if server.process else 0
        try:
            start = 0
            for run in range(args.runs):
                cpu, own = _cpu(pid), _own_cpu()
                tally = asyncio.run(_open_loop(make, server.port, args.rate, args.seconds, start))
                sent = int(args.rate * args.seconds)
                server_ms.append(1000 * (_cpu(pid) - cpu) / max(1, len(tally.references)))
                client_ms.append(1000 * (_own_cpu() - own) / sent)
                start += sent
                sustained.append(tally)
                most = asyncio.run(
                    _closed_loop(make, server.port, args.clients, args.seconds, start)
                )
                start += len(most.references) + sum(most.statuses.values()) + args.clients
                capacity.append(most)
                p50, p95, p99 = _quantiles(tally.latencies)
                print(
                    f"run {run + 1}: sustained {tally.rate:.1f}/s, "
                    f"{len(tally.references)}/{sent} acknowledged, drain {tally.drain:.2f} s, "
                    "p50/p95/p99 "
                    f"{p50:.1f}/{p95:.1f}/{p99:.1f} ms {dict(tally.statuses) or ''}; "
                    f"capacity {most.rate:.0f}/s {dict(most.statuses) or ''}; server "
                    f"{server_ms[-1]:.2f} ms CPU/report, client {client_ms[-1]:.2f} ms CPU/report",
                    file=sys.stderr,
                )
            killed = asyncio.run(_killed_mid_stream(make, server, args.rate, start))
        finally:
            server.kill()  # SIGKILL: what was acknowledged must already be on disk
        database = next(data.rglob("*.sqlite3"))
        stored, audited = _stored(database)
        chain = _chain(database)
    acknowledged = [r for t in [*sustained, *capacity, killed] for r in t.references]
    lost = set(acknowledged) - stored
    unaudited = set(acknowledged) - audited
    errors: Counter[str] = Counter()
    for t in [*sustained, *capacity]:
        errors.update(t.statuses)
    quantiles = [_quantiles(t.latencies) for t in sustained]
    rate = statistics.median(t.rate for t in sustained)
    offered = int(args.rate * args.seconds)
    share = statistics.median(len(t.references) / offered for t in sustained)
    drain = statistics.median(t.drain for t in sustained)
    p50, p95, p99 = (statistics.median(q[i] for q in quantiles) for i in range(3))
    most = statistics.median(t.rate for t in capacity)
    machine = (
        f"{platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} cores (shared)"
    )
    failures = ", ".join(f"{n} {kind}" for kind, n in errors.most_common()) or "none"
    print(
        "| figure | machine | command | offered | median of "
        f"{args.runs}: acknowledged reports/s | acknowledged / offered | drain after the "
        "window (s) | p50 / p95 / p99 ms | baseline: capacity, "
        f"{args.clients} closed-loop senders (reports/s) | sustained / offered | "
        "acknowledged, lost after SIGKILL | errors | target |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    runs = ", ".join(f"{t.rate:.0f}" for t in sustained)
    most_runs = ", ".join(f"{t.rate:.0f}" for t in capacity)
    print(
        f"| report intake, SQLite | {machine} | `python bench/report_intake.py` | "
        f"{args.rate:.0f}/s for {args.seconds:.0f} s | {rate:.1f} (runs {runs}) | "
        f"{share:.1%} | {drain:.2f} | "
        f"{p50:.1f} / {p95:.1f} / {p99:.1f} | {most:.0f} (runs {most_runs}) | "
        f"{rate / args.rate:.2f} | {len(acknowledged):,} ({len(killed.references)} in the "
        f"killed burst), {len(lost)} lost, {len(unaudited)} unaudited, {chain} | {failures} | "
        ">= 200/s, none lost |"
    )
    print(
        f"\nserver CPU per acknowledged report (median): {statistics.median(server_ms):.2f} ms; "
        f"load generator ({args.client}) CPU per report: {statistics.median(client_ms):.2f} ms; "
        f"killed burst: {len(killed.references)} acknowledged, {dict(killed.statuses)} cut off",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
