"""The real server: first start with demo data, and durability under SIGKILL mid-load."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from served import ServedProcess, add_admin
from server_helpers import venue

pytestmark = pytest.mark.slow
PASSWORD = "a long enough password"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, str | None]]:
    """(data dir, database URL or None for the embedded SQLite store)."""
    if request.param == "sqlite":
        yield tmp_path / "data", None
        return
    from server_helpers import fresh_postgres

    yield from (
        (tmp_path / "data", url) for url in fresh_postgres(request.getfixturevalue("postgres_url"))
    )


def _all_venues(server: ServedProcess, headers: dict[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    offset = 0
    while True:
        page = httpx.get(
            f"{server.base_url}/api/v1/venues",
            params={"limit": 200, "offset": offset},
            headers=headers,
            timeout=30,
        ).json()
        for item in page["items"]:
            found[item["id"]] = item
        offset += 200
        if offset >= page["total"]:
            return found


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_first_start_migrates_loads_the_demo_and_says_where_to_log_in(
    store: tuple[Path, str | None],
) -> None:
    from crowdguard.scenario.load import demo_scenario

    data_dir, url = store
    server = ServedProcess(data_dir, url).start()
    try:
        log = server.log.read_text()
        assert "/api/v1/auth/token" in log
        assert "crowdguard user add admin --role admin" in log
        add_admin(data_dir, url, "admin", PASSWORD)
        headers = server.token("admin", PASSWORD)
        ids = set(_all_venues(server, headers))
        assert ids == {v.id for v in demo_scenario().venues}
        teams = httpx.get(f"{server.base_url}/api/v1/teams?limit=200", headers=headers).json()
        assert teams["total"] == len(demo_scenario().teams)
        spec = httpx.get(f"{server.base_url}/api/v1/openapi.json").json()
        assert "/api/v1/rosters/{date}" in spec["paths"]
        assert httpx.get(f"{server.base_url}/api/v1/docs").status_code == 200
        for line in log.splitlines():  # every page it names is there
            if line.startswith(("report a concern", "control-room board", "every role's page")):
                page = httpx.get(line.rsplit(" ", 1)[1])
                assert page.status_code == 200, line
                # the public form says call 999; the staff pages start with the login form
                assert ("999" if "concern" in line else 'action="/login"') in page.text, line
        assert "report a concern (public form)" in log and "control-room board" in log
    finally:
        server.stop()


def test_acknowledged_writes_survive_sigkill(store: tuple[Path, str | None]) -> None:
    data_dir, url = store
    add_admin(data_dir, url, "admin", PASSWORD)
    server = ServedProcess(data_dir, url).start()
    headers = server.token("admin", PASSWORD)
    acknowledged: set[str] = set()
    sent: dict[str, dict[str, Any]] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def writer(w: int) -> None:
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=10) as client:
            i = 0
            while not stop.is_set():
                body = {
                    **venue(f"dur-{w}-{i}"),
                    "peak_occupancy": 1000 + i,
                    "source": f"writer {w}",
                }
                with lock:
                    sent[body["id"]] = body
                try:
                    response = client.post("/api/v1/venues", json=body)
                except httpx.HTTPError:
                    return  # the server is gone
                if response.status_code == 201:
                    with lock:
                        acknowledged.add(body["id"])
                i += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()  # mid-load
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert len(acknowledged) >= 40

    again = ServedProcess(data_dir, url).start()
    try:
        headers = again.token("admin", PASSWORD)
        stored = {k: v for k, v in _all_venues(again, headers).items() if k.startswith("dur-")}
        missing = acknowledged - set(stored)
        assert not missing, f"acknowledged but lost: {sorted(missing)[:10]}"
        for venue_id, item in stored.items():  # nothing half-written: each row is whole
            original = sent[venue_id]
            assert item["venue"]["peak_occupancy"] == original["peak_occupancy"]
            assert item["venue"]["source"] == original["source"]
            assert item["name"] == original["name"]
        chain = httpx.get(
            f"{again.base_url}/api/v1/audit/verify", headers=headers, timeout=60
        ).json()
        assert chain["intact"], chain["reason"]
    finally:
        again.stop()


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_fifty_concurrent_clients_are_all_answered(store: tuple[Path, str | None]) -> None:
    """Regression: blocking DB waits once starved the worker pool (requests hung for 30 s)."""
    import asyncio

    data_dir, url = store
    add_admin(data_dir, url, "admin", PASSWORD)
    server = ServedProcess(data_dir, url).start()
    try:
        headers = server.token("admin", PASSWORD)

        async def burst() -> list[int]:
            limits = httpx.Limits(max_connections=50)
            async with httpx.AsyncClient(
                base_url=server.base_url, headers=headers, timeout=25, limits=limits
            ) as client:

                async def one(i: int) -> int:
                    path = "/api/v1/rosters/2026-12-05" if i % 2 else "/api/v1/venues"
                    return (await client.get(path)).status_code

                return list(await asyncio.gather(*(one(i) for i in range(200))))

        statuses = asyncio.run(burst())
        assert statuses.count(200) == 200, {s: statuses.count(s) for s in set(statuses)}
    finally:
        server.stop()


def _all_pages(server: ServedProcess, path: str, headers: dict[str, str]) -> list[Any]:
    items: list[Any] = []
    while True:
        page = httpx.get(
            f"{server.base_url}{path}",
            params={"limit": 200, "offset": len(items)},
            headers=headers,
            timeout=60,
        ).json()
        items.extend(page["items"])
        if len(items) >= page["total"] or not page["items"]:
            return items


def test_acknowledged_reports_survive_sigkill_whole(
    store: tuple[Path, str | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many concurrent public reports, SIGKILL mid-stream, restart: every reference the
    server acknowledged is stored with exactly what was sent, and nothing is half-written
    (every stored report is a whole one that was sent, with its audit row)."""
    import datetime as dt

    monkeypatch.setenv("CROWDGUARD_REPORT_RATE_PER_MINUTE", "0")  # all from one address
    data_dir, url = store
    add_admin(data_dir, url, "admin", PASSWORD)
    server = ServedProcess(data_dir, url).start()
    acknowledged: dict[str, str] = {}  # description -> reference
    sent: dict[str, dict[str, Any]] = {}  # description -> body
    lock = threading.Lock()
    stop = threading.Event()
    categories = ["suspicious_vehicle", "unattended_item", "hostile_reconnaissance"]

    def writer(w: int) -> None:
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            i = 0
            while not stop.is_set():
                text = f"writer {w} report {i}: a van parked by the gate, engine running"
                body: dict[str, Any] = {
                    "category": categories[(w + i) % 3],
                    "location": {"lat": 50.9 + w / 100, "lon": -1.4 + i / 10_000},
                    "observed_at": (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).isoformat(),
                    "description": text,
                }
                if i % 2:
                    body["contact"] = {"name": f"Caller {w}-{i}", "phone": "+44 7700 900123"}
                with lock:
                    sent[text] = body
                try:
                    response = client.post("/api/v1/reports", json=body)
                except httpx.HTTPError:
                    return  # the server is gone
                if response.status_code == 201:
                    with lock:
                        acknowledged[text] = response.json()["reference"]
                i += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 60 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()  # mid-stream
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert len(acknowledged) >= 60

    again = ServedProcess(data_dir, url).start()
    try:
        headers = again.token("admin", PASSWORD)
        stored = {
            item["report"]["description"]: item
            for item in _all_pages(again, "/api/v1/reports", headers)
        }
        missing = set(acknowledged) - set(stored)
        assert not missing, f"acknowledged but lost: {sorted(missing)[:5]}"
        for text, item in stored.items():  # whole, and exactly what was sent
            report, original = item["report"], sent[text]
            if text in acknowledged:
                assert report["reference"] == acknowledged[text]
            assert report["category"] == original["category"]
            assert report["location"]["lat"] == original["location"]["lat"]
            assert report["location"]["lon"] == original["location"]["lon"]
            observed = dt.datetime.fromisoformat(report["observed_at"])
            assert observed == dt.datetime.fromisoformat(original["observed_at"])
            assert report["contact"] == (
                None if "contact" not in original else {**original["contact"], "email": None}
            )
            assert item["grade"] and item["triage"]["reasons"]
        created = {
            row["entity_id"]
            for row in _all_pages(again, "/api/v1/audit", headers)
            if row["action"] == "report.create"
        }
        assert created == {item["report"]["reference"] for item in stored.values()}
        chain = httpx.get(
            f"{again.base_url}/api/v1/audit/verify", headers=headers, timeout=60
        ).json()
        assert chain["intact"], chain["reason"]
    finally:
        again.stop()


def test_sigterm_ends_open_board_streams_at_once_and_the_server_exits_promptly(
    tmp_path: Path,
) -> None:
    """Issue 12, item 13: a stopping server used to keep a board's stream open (uvicorn
    waits for open responses, with no limit), so the board still said "Live" while a new
    server took its reports. The stream now gets ``closing`` and ends at once."""
    import json
    import signal

    data_dir = tmp_path / "data"
    add_admin(data_dir, None, "admin", PASSWORD)
    server = ServedProcess(data_dir).start()
    headers = server.token("admin", PASSWORD)
    assert server.process is not None
    try:
        with (
            httpx.Client(base_url=server.base_url, timeout=20) as http,
            http.stream("GET", "/api/v1/board/stream", headers=headers) as response,
        ):
            lines = response.iter_lines()
            kinds: list[str] = []
            for line in lines:
                if line.startswith("event: "):
                    kinds.append(line.removeprefix("event: "))
                    if kinds[-1] == "hello":
                        break
            began = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            data = {}
            for line in lines:  # the rest of the stream, until the server closes it
                if line.startswith("event: "):
                    kinds.append(line.removeprefix("event: "))
                elif line.startswith("data: ") and kinds[-1] == "closing":
                    data = json.loads(line.removeprefix("data: "))
            ended = time.monotonic() - began
        server.process.wait(timeout=20)
        exited = time.monotonic() - began
    finally:
        server.stop()
    assert kinds == ["hello", "closing"]
    assert data["reason"] == "the server is stopping"
    assert ended < 2.0, f"the stream stayed open {ended:.1f} s after SIGTERM"
    assert exited < 8.0, f"the server took {exited:.1f} s to exit"
