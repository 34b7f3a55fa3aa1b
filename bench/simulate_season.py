"""Figure (issue 6): a 37-day season, 20 teams, 10,000 incidents, in the SimPy simulator.

The season: 15 crowded places and 4 staging bases around Hampshire (invented points), 20
armed teams each rostered 10:00-22:00 every day, patrolling a venue for 100 minutes then
driving 20 minutes to the next (so the recommender meets units in transit), and 10,000
expected incidents drawn as a Poisson process proportional to an hourly crowd profile.
Venues lie within about 20 x 14 km (Southampton to Winchester) and on-scene times are short
(lognormal, median 10 minutes; false alarms 5), so 20 teams can carry the load without the
queue growing all season: 10,000 armed calls in 37 days is a stress test, about a hundred
times Hampshire's real firearms operations. Travel times are a precomputed matrix (haversine x 1.3 at 40 km/h), as ``travel_times.json``
would give. Target: under 30 s.

Baseline, measured in the same run: the same 10,000 recommender calls (``k=1``) made
directly, without the event simulation, so the ratio shows what SimPy's bookkeeping costs.

A second row times duplicate suggestions over 10,000 reports against a vectorised
brute-force baseline (every pair, chunked NumPy haversine).

Prints Markdown rows for docs/benchmarks.md (median of 5 runs each).
"""

from __future__ import annotations

import datetime as dt
import math
import platform
import statistics
import time
from typing import Any

import numpy as np

from crowdguard.dispatch.recommend import (
    DispatchUnit,
    LatLon,
    matrix_travel,
    place_segments,
    recommend,
)
from crowdguard.dispatch.states import UnitState
from crowdguard.geometry import haversine_m
from crowdguard.reports.duplicates import DuplicateCandidate, suggest_duplicates
from crowdguard.simulation.incidents import lognormal_on_scene
from crowdguard.simulation.season import SeasonResult, merge_rosters, simulate_season

RUNS = 5
DAYS = 37
TEAMS = 20
INCIDENTS = 10_000
TARGET_SECONDS = 30.0
START = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)


def build_season(seed: int = 0) -> dict[str, Any]:
    """Places, travel matrix, daily rosters and hourly crowd for the benchmark season."""
    rng = np.random.default_rng(seed)
    places: dict[str, LatLon] = {}
    for v in range(15):
        places[f"venue-{v}"] = (
            float(rng.uniform(50.90, 51.08)),
            float(rng.uniform(-1.45, -1.25)),
        )
    for b in range(4):
        places[f"base-{b}"] = (float(rng.uniform(50.9, 51.08)), float(rng.uniform(-1.45, -1.25)))
    names = list(places)
    lat = np.array([places[n][0] for n in names])
    lon = np.array([places[n][1] for n in names])
    metres = haversine_m(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    minutes = metres * 1.3 / (40_000 / 60)
    travel = matrix_travel([places[n] for n in names], minutes.tolist())
    venues = [n for n in names if n.startswith("venue")]

    rosters: dict[dt.date, dict[str, Any]] = {}
    for d in range(DAYS):
        day = (START + dt.timedelta(days=d)).date()
        teams = []
        for t in range(TEAMS):
            stamp = day.isoformat()
            clock = dt.datetime.fromisoformat(f"{stamp}T10:00")
            segments = []
            k = (t + d) % len(venues)
            while clock.hour < 22:
                patrol_end = min(clock + dt.timedelta(minutes=100), clock.replace(hour=22))
                segments.append(
                    {
                        "kind": "patrol",
                        "venue": venues[k],
                        "start": clock.isoformat(),
                        "end": patrol_end.isoformat(),
                    }
                )
                clock = patrol_end
                if clock.hour >= 22:
                    break
                transit_end = clock + dt.timedelta(minutes=20)
                k = (k + 7) % len(venues)
                segments.append(
                    {
                        "kind": "transit",
                        "venue": venues[k],
                        "start": clock.isoformat(),
                        "end": transit_end.isoformat(),
                    }
                )
                clock = transit_end
            teams.append({"team": f"arv-{t:02d}", "base": f"base-{t % 4}", "segments": segments})
        rosters[day] = {"date": day.isoformat(), "teams": teams}

    profile = np.zeros(24)
    profile[10:22] = [0.4, 0.6, 0.8, 0.9, 1.0, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.3]
    size = rng.uniform(2_000, 20_000, len(venues))
    crowd = size[:, None] * np.tile(profile, DAYS)[None, :]
    return {
        "places": places,
        "travel": travel,
        "venues": venues,
        "rosters": rosters,
        "crowd": crowd,
    }


def run_simulation(season: dict[str, Any], seed: int) -> SeasonResult:
    return simulate_season(
        season["rosters"],
        places=season["places"],
        venues=season["venues"],
        crowd=season["crowd"],
        start=START,
        expected_incidents=INCIDENTS,
        travel_minutes=season["travel"],
        seed=seed,
        on_scene=lognormal_on_scene(10.0, 0.5),
        false_alarm_on_scene=lognormal_on_scene(5.0, 0.5),
    )


def run_recommender_only(season: dict[str, Any], seed: int) -> int:
    """Baseline: the same number of recommender calls at random times, no simulation."""
    rng = np.random.default_rng(seed)
    places = season["places"]
    units = [
        DispatchUnit(
            team.team,
            UnitState.available,
            places[team.base],
            place_segments(team, places),
            base_id=team.base,
        )
        for team in merge_rosters(season["rosters"])
    ]
    venues = season["venues"]
    for _ in range(INCIDENTS):
        day = int(rng.integers(DAYS))
        now = START + dt.timedelta(days=day, hours=10 + 12 * float(rng.random()))
        where = places[venues[int(rng.integers(len(venues)))]]
        recommend(units, where, travel_minutes=season["travel"], now=now, k=1)
    return INCIDENTS


def reports(n: int, seed: int) -> list[DuplicateCandidate]:
    rng = np.random.default_rng(seed)
    cats = ["unattended_item", "suspicious_vehicle", "hostile_reconnaissance"]
    return [
        DuplicateCandidate(
            f"r{i}",
            cats[int(rng.integers(3))],
            51.06 + float(rng.normal(0, 0.01)),
            -1.31 + float(rng.normal(0, 0.01)),
            START + dt.timedelta(minutes=float(rng.uniform(0, 60 * 24 * DAYS))),
        )
        for i in range(n)
    ]


def brute_force_pairs(items: list[DuplicateCandidate]) -> int:
    """Every pair, vectorised in row chunks: the obvious method."""
    lat = np.array([r.lat for r in items])
    lon = np.array([r.lon for r in items])
    t = np.array([(r.observed_at - START).total_seconds() for r in items])
    cat = np.array([r.category for r in items])
    found = 0
    for i0 in range(0, len(items), 500):
        sl = slice(i0, i0 + 500)
        dist = haversine_m(lat[sl, None], lon[sl, None], lat[None, :], lon[None, :])
        ok = (dist <= 50) & (np.abs(t[sl, None] - t[None, :]) <= 1800)
        ok &= cat[sl, None] == cat[None, :]
        rows = np.arange(i0, min(i0 + 500, len(items)))[:, None]
        found += int((ok & (np.arange(len(items))[None, :] > rows)).sum())
    return found


def timed(fn: Any, *args: Any) -> tuple[float, Any]:
    began = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - began, out


def main() -> None:
    machine = f"{platform.machine()}, Python {platform.python_version()}, 2 cores (shared)"
    season = build_season()
    sim, base = [], []
    for run in range(RUNS):
        seconds, result = timed(run_simulation, season, run)
        sim.append(seconds)
        base.append(timed(run_recommender_only, season, run)[0])
    dup, brute = [], []
    items = reports(10_000, 1)
    for _ in range(RUNS):
        seconds, pairs = timed(suggest_duplicates, items)
        dup.append(seconds)
        seconds, count = timed(brute_force_pairs, items)
        brute.append(seconds)
        if count != len(pairs):
            raise SystemExit(f"duplicate check disagrees with brute force: {len(pairs)} vs {count}")

    def fmt(ts: list[float]) -> str:
        return f"{statistics.median(ts):.2f} (runs {', '.join(f'{t:.2f}' for t in ts)})"

    print("| figure | machine | command | median of 5 (s) | baseline (same run) | ratio |")
    print("|---|---|---|---|---|---|")
    print(
        f"| season: {DAYS} days, {TEAMS} teams, ~{INCIDENTS:,} incidents (last run "
        f"{len(result.incidents):,}, {result.served:,} served, median response "
        f"{result.overall.median_minutes:.1f} min); target < {TARGET_SECONDS:.0f} s | {machine} | `python bench/simulate_season.py` "
        f"| {fmt(sim)} | {INCIDENTS:,} recommender calls without SimPy: {fmt(base)} "
        f"| {statistics.median(sim) / statistics.median(base):.2f} |"
    )
    print(
        f"| duplicate suggestions, 10,000 reports ({len(pairs)} pairs) | {machine} "
        f"| `python bench/simulate_season.py` | {fmt(dup)} "
        f"| brute force, every pair (NumPy, chunked): {fmt(brute)} "
        f"| {statistics.median(dup) / statistics.median(brute):.3f} |"
    )
    if math.isfinite(TARGET_SECONDS) and statistics.median(sim) > TARGET_SECONDS:
        raise SystemExit(f"season simulation median {statistics.median(sim):.1f} s > target")


if __name__ == "__main__":
    main()
