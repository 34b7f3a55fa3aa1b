"""The unpredictability audit: drawn rosters pass, a fixed weekly rota is caught."""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from crowdguard.errors import InputError
from crowdguard.patrols.audit import audit_rosters, load_rosters, observations
from crowdguard.patrols.dayplan import plan_day
from crowdguard.patrols.roster import DayRoster
from crowdguard.patrols.travel import places_of, straight_line_travel

DAY = dt.date(2026, 12, 5)
TEAMS = [
    {"callsign": "foot-1", "base": "ops-winchester", "kind": "foot", "shifts": ["10:00-16:00"]},
    {"callsign": "arv-1", "base": "pic-southampton", "kind": "arv", "shifts": ["10:00-16:00"]},
    {"callsign": "foot-2", "base": "pic-portsmouth", "kind": "foot", "shifts": ["10:00-16:00"]},
]


@pytest.fixture
def plan(
    make_scenario: Callable[..., Any], make_targets: Callable[..., Any], known_places: Any
) -> Any:
    venues, bases = known_places
    sc = make_scenario(venues=venues[:9], bases=bases[:3], teams=TEAMS)
    targets = make_targets(sc, 21)
    result = plan_day(sc, DAY, targets, straight_line_travel(places_of(sc)))
    assert max(len(v) for v in result.routes.values()) > 1  # a randomised plan
    return result


def _dated(roster: DayRoster, day: dt.date) -> DayRoster:
    return roster.model_copy(update={"date": day})


def test_drawn_rosters_give_the_observer_no_significant_advantage(plan: Any) -> None:
    rng = random.Random(7)
    rosters = [_dated(plan.draw(rng), DAY + dt.timedelta(days=i)) for i in range(42)]
    result = audit_rosters(rosters, window=14, rng=np.random.default_rng(1))
    assert not result.significant
    assert result.days_tested == 28


def test_fixed_weekly_rota_is_learnt(plan: Any) -> None:
    rng = random.Random(7)
    week = [plan.draw(rng) for _ in range(7)]
    rosters = [_dated(week[i % 7], DAY + dt.timedelta(days=i)) for i in range(42)]
    result = audit_rosters(rosters, window=14, rng=np.random.default_rng(1))
    assert result.significant
    weekly = result.observers["weekly"]
    assert weekly["hit_rate"] == pytest.approx(1.0)
    assert weekly["advantage"] > 0.2
    assert weekly["p_value"] < 0.01


def test_observations_read_places_from_segments(plan: Any) -> None:
    roster = plan.draw(random.Random(3))
    _, columns, obs, labels = observations([roster])
    for (team, slot), code in zip(columns, obs[0], strict=True):
        place = labels[code]
        entry = next(t for t in roster.teams if t.team == team)
        covering = [s for s in entry.segments if s.start.hour <= slot < s.end.hour + 1]
        assert place in {s.venue or s.kind for s in covering}


def test_too_few_rosters_is_an_input_error(plan: Any) -> None:
    rosters = [_dated(plan.draw(random.Random(i)), DAY + dt.timedelta(days=i)) for i in range(5)]
    with pytest.raises(InputError, match="--window 14"):
        audit_rosters(rosters, window=14, rng=np.random.default_rng(0))


def _write(plan: Any, folder: Path, days: int, weekly: bool) -> None:
    (folder / "rosters").mkdir(parents=True)
    rng = random.Random(11)
    week = [plan.draw(rng) for _ in range(7)]
    for i in range(days):
        day = DAY + dt.timedelta(days=i)
        roster = week[i % 7] if weekly else plan.draw(rng)
        (folder / "rosters" / f"{day.isoformat()}.json").write_text(
            json.dumps(_dated(roster, day).document())
        )


def test_cli_reports_a_weekly_rota(plan: Any, tmp_path: Path) -> None:
    _write(plan, tmp_path, 35, weekly=True)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "crowdguard",
            "audit",
            "rosters",
            str(tmp_path),
            "--window",
            "14",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["significant"] is True
    assert report["days"] == 35
    assert load_rosters(tmp_path)[0].date == DAY


def test_cli_bad_folder_exits_2(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("{not json")
    done = subprocess.run(
        [sys.executable, "-m", "crowdguard", "audit", "rosters", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "x.json" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
