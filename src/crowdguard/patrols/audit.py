"""Unpredictability audit: could someone watching the rosters predict tomorrow's patrols?

Randomised patrols only deter if they cannot be learnt (Project Servator's "unpredictable"
deployments, ``domain.md`` section 4; the observer model of Stackelberg security games,
Kiekintveld et al., AAMAS 2009, lets the attacker know the *mixed* strategy but not the
daily draw). The audit plays that attacker's reconnaissance:

1. Each roster becomes, per (team, slot of the day), a **place**: the venue it patrols for
   most of the slot, or ``base``, ``transit`` or ``off`` (not on duty).
2. **Observers** who have watched the last ``window`` days predict the next day's place of
   every team in every slot: ``frequency`` (the most common place in the window),
   ``recency`` (yesterday's place) and ``weekly`` (the place seven days earlier; needs
   ``window >= 7``). Days are taken in date order and assumed consecutive.
3. The **baseline** knows only the published coverage: the stationary distribution of each
   (team, slot), estimated over all the rosters, and always guesses its mode.
4. **Significance** by a permutation test (Good, *Permutation, Parametric and Bootstrap
   Tests of Hypotheses*, 2005): if rosters are independent draws from one distribution,
   shuffling the days leaves the observer's hit rate unchanged in distribution. The p-value
   is ``(1 + #{shuffles with hit rate >= observed}) / (1 + shuffles)``; Bonferroni over the
   observers. A fixed rota is learnt (tiny p-value, large advantage over the baseline);
   drawn rosters are not.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from crowdguard.errors import InputError
from crowdguard.patrols.roster import DayRoster, TeamRoster, read_roster_file

__all__ = ["OBSERVERS", "AuditResult", "audit_rosters", "load_rosters", "observations"]

OBSERVERS = ("frequency", "recency", "weekly")


@dataclass(frozen=True)
class AuditResult:
    """Hit rates of the observers and of the coverage-only baseline, with p-values."""

    window: int
    days: int
    days_tested: int
    predictions: int
    baseline_hit_rate: float
    observers: dict[str, dict[str, float]]
    alpha: float
    significant: bool

    def to_json(self) -> dict[str, Any]:
        """A plain dict for ``--json``."""
        return {
            "window": self.window,
            "days": self.days,
            "days_tested": self.days_tested,
            "predictions": self.predictions,
            "baseline_hit_rate": self.baseline_hit_rate,
            "observers": self.observers,
            "alpha": self.alpha,
            "significant": self.significant,
        }


def load_rosters(directory: str | Path) -> list[DayRoster]:
    """Rosters from ``DIR/rosters/*.json`` or else ``DIR/*.json``, sorted by date."""
    root = Path(directory)
    if not root.is_dir():
        raise InputError(
            f"audit rosters: {root} is not a directory; give the --out folder of "
            "'crowdguard plan' (or a folder of rosters/*.json)"
        )
    folder = root / "rosters" if (root / "rosters").is_dir() else root
    files = sorted(folder.glob("*.json"))
    if not files:
        raise InputError(f"audit rosters: no *.json rosters in {folder}")
    rosters = []
    for path in files:
        try:
            rosters.append(read_roster_file(path))
        except InputError as exc:
            raise InputError(
                f"audit rosters: {exc}; "
                'expected {"date": "YYYY-MM-DD", "teams": [{"team", "base", "segments"}]}'
            ) from None
    return sorted(rosters, key=lambda r: r.date)


def _slot_places(roster: DayRoster, slot_minutes: int) -> dict[tuple[str, int], str]:
    places: dict[tuple[str, int], str] = {}
    best: dict[tuple[str, int], float] = {}
    for team in roster.teams:
        for seg in team.segments:
            start, end = seg.start, seg.end
            label = seg.venue or seg.kind
            minute = start.hour * 60 + start.minute
            slot = minute // slot_minutes
            slot_start = start.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(
                minutes=slot * slot_minutes
            )
            while slot_start < end:
                slot_end = slot_start + dt.timedelta(minutes=slot_minutes)
                overlap = (min(end, slot_end) - max(start, slot_start)).total_seconds()
                key = (team.team, slot)
                if overlap > best.get(key, 0.0):
                    best[key], places[key] = overlap, label
                slot_start, slot = slot_end, slot + 1
    return places


def observations(
    rosters: Sequence[DayRoster], slot_minutes: int = 60
) -> tuple[list[str], list[tuple[str, int]], np.ndarray, list[str]]:
    """Dates, (team, slot) columns, an int matrix of place labels (days x columns), labels."""
    per_day = [_slot_places(r, slot_minutes) for r in rosters]
    columns = sorted({key for day in per_day for key in day})
    labels = sorted({"off"} | {p for day in per_day for p in day.values()})
    code = {label: i for i, label in enumerate(labels)}
    obs = np.array(
        [[code[day.get(col, "off")] for col in columns] for day in per_day], dtype=np.int64
    )
    return [r.date.isoformat() for r in rosters], columns, obs, labels


def _hits(obs: np.ndarray, window: int, n_labels: int) -> dict[str, np.ndarray]:
    """Per observer, a (tested days x columns) boolean matrix of correct predictions."""
    days = obs.shape[0]
    onehot = np.eye(n_labels, dtype=np.int64)[obs]  # days x cols x labels
    cumulative = np.concatenate([np.zeros_like(onehot[:1]), np.cumsum(onehot, axis=0)])
    tested = np.arange(window, days)
    counts = cumulative[tested] - cumulative[tested - window]
    # ties go to the most recent place: add a small bonus for yesterday's label
    counts = counts * 2 + np.eye(n_labels, dtype=np.int64)[obs[tested - 1]]
    truth = obs[tested]
    result = {
        "frequency": counts.argmax(axis=2) == truth,
        "recency": obs[tested - 1] == truth,
    }
    if window >= 7:
        result["weekly"] = obs[tested - 7] == truth
    return result


def audit_rosters(
    rosters: Sequence[DayRoster],
    *,
    window: int = 14,
    permutations: int = 999,
    rng: np.random.Generator,
    alpha: float = 0.01,
    slot_minutes: int = 60,
) -> AuditResult:
    """Run the audit (module docstring). ``rng`` drives the shuffles only."""
    if permutations * alpha < 3 * len(OBSERVERS):
        raise InputError(
            f"--permutations {permutations}: too few for --alpha {alpha} with "
            f"{len(OBSERVERS)} observers; use at least {int(np.ceil(3 * len(OBSERVERS) / alpha))}"
        )
    if window < 1:
        raise InputError(f"--window {window}: expected a whole number of days >= 1")
    dates, _, obs, labels = observations(rosters, slot_minutes)
    if len(dates) <= window:
        raise InputError(
            f"--window {window}: only {len(dates)} rosters; need more days than the window"
        )
    n_labels = len(labels)
    # A (team, slot) the team never works says nothing about predictability: drop it.
    obs = obs[:, np.any(obs != labels.index("off"), axis=0)]
    # Baseline: mode of the stationary distribution of each column, over all days.
    counts = np.eye(n_labels, dtype=np.int64)[obs].sum(axis=0)  # cols x labels
    mode = counts.argmax(axis=1)
    tested = obs[window:]
    baseline = float(np.mean(tested == mode[None, :]))
    observed = {name: float(h.mean()) for name, h in _hits(obs, window, n_labels).items()}
    exceed = dict.fromkeys(observed, 0)
    for _ in range(permutations):
        shuffled = obs[rng.permutation(len(dates))]
        for name, h in _hits(shuffled, window, n_labels).items():
            if h.mean() >= observed[name] - 1e-12:
                exceed[name] += 1
    result: dict[str, dict[str, float]] = {}
    significant = False
    for name, rate in observed.items():
        p_value = (1 + exceed[name]) / (1 + permutations)
        result[name] = {
            "hit_rate": rate,
            "advantage": rate - baseline,
            "p_value": p_value,
        }
        if p_value <= alpha / len(observed) and rate > baseline:
            significant = True
    return AuditResult(
        window=window,
        days=len(dates),
        days_tested=len(dates) - window,
        predictions=int(tested.size),
        baseline_hit_rate=baseline,
        observers=result,
        alpha=alpha,
        significant=significant,
    )


BINS = ((0.0, 0.5, "below 0.5"), (0.5, 0.75, "0.5 to 0.75"), (0.75, 1.01, "0.75 and above"))


def _roster_protection(
    teams: Sequence[TeamRoster], venue: str, start: dt.datetime, model: dict[str, Any]
) -> float:
    """Protection of one venue-slot by one drawn roster: teams on patrol there for at least
    the dwell within the slot, weighted by kind effectiveness, capped at 1 (issue 10)."""
    end = start + dt.timedelta(minutes=float(model["slot_minutes"]))
    effect = model["team_effectiveness"]
    total = 0.0
    for team in teams:
        minutes = 0.0
        for segment in team.patrols():
            if segment.venue != venue:
                continue
            a, b = max(segment.start, start), min(segment.end, end)
            minutes += max(0.0, (b - a).total_seconds() / 60)
        if minutes >= float(model["min_dwell_minutes"]) - 1e-9:
            total += float(effect.get(team.team, 1.0))
    return min(1.0, total)


def planned_vs_delivered(directory: str | Path) -> dict[str, Any] | None:
    """Planned protection (``plan.json``) against what the drawn rosters delivered, by band
    of planned coverage, plus each day's exact check of the roster distribution.

    ``None`` when the folder has no ``plan.json`` in routes mode (the rosters alone do not
    say what was planned). The rosters are one draw per day, so their figure is a sample;
    the exact figure is ``rosters_implementation`` (computed from the distribution itself).
    """
    path = Path(directory) / "plan.json"
    if not path.is_file():
        return None
    try:
        plan = json.loads(path.read_text())
        model = plan["protection_model"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    rosters = {r.date: r for r in load_rosters(directory)}
    bands = []
    for low, high, label in BINS:
        planned, delivered = [], []
        for row in plan["coverage"]:
            start = dt.datetime.fromisoformat(row["start"])
            # the slot's own date, and the evening before (a night's early hours are on the
            # roster of the date its overnight shift starts); their segments never overlap
            days = [start.date(), start.date() - dt.timedelta(days=1)]
            found = [rosters[d] for d in days if d in rosters]
            if not found or not low <= row["coverage"] < high:
                continue
            teams = [team for r in found for team in r.teams]
            planned.append(row["coverage"])
            delivered.append(_roster_protection(teams, row["venue"], start, model))
        bands.append(
            {
                "band": label,
                "venue_slots": len(planned),
                "mean_planned": float(np.mean(planned)) if planned else None,
                "mean_delivered": float(np.mean(delivered)) if delivered else None,
            }
        )
    days = plan.get("rosters_implementation", [])
    return {
        "bands": bands,
        "days": len(days),
        "days_exact": sum(1 for d in days if d.get("joint_exact")),
        "largest_protection_gap": max(
            (float(d["protection_gap"]) for d in days if d.get("protection_gap") is not None),
            default=None,
        ),
        "implementation_gap": sum(float(d.get("implementation_gap") or 0.0) for d in days),
    }
