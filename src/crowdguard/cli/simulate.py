"""``crowdguard simulate SCENARIO``: compare patrol plans on equal resources.

The work is :func:`crowdguard.simulation.compare.compare_plans`; this module validates the
options, shows a Rich table and writes ``comparison.json`` and two PNG figures into
``--out`` (staged in a temporary folder, then renamed into place, so a failed run never
leaves half a folder). See ``docs/howto/compare-plans.md``.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from crowdguard.cli.progress import long_run
from crowdguard.errors import InputError

if TYPE_CHECKING:
    from crowdguard.plans.schema import SecurityPlan
    from crowdguard.scenario.schema import Scenario
    from crowdguard.simulation.compare import Comparison

__all__ = ["register", "simulate_command", "write_outputs"]

DEFAULT_OUT = Path("crowdguard-simulation")


def _plot_response(comparison: Comparison, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    figure, axes = plt.subplots(figsize=(8, 4.5))
    finite = [r.response_minutes[np.isfinite(r.response_minutes)] for r in comparison.rows]
    top = max((float(np.percentile(v, 99)) for v in finite if v.size), default=60.0)
    bins = np.linspace(0, max(top, comparison.response_target_minutes * 2), 40)
    for row, values in zip(comparison.rows, finite, strict=True):
        if values.size:
            axes.hist(values, bins=bins.tolist(), histtype="step", lw=1.8, label=row.plan)
    axes.axvline(comparison.response_target_minutes, color="black", ls="--", lw=1)
    axes.text(
        comparison.response_target_minutes,
        axes.get_ylim()[1] * 0.95,
        " target",
        va="top",
        fontsize=9,
    )
    axes.set_xlabel("response time, call to armed team on scene (minutes)")
    axes.set_ylabel("incidents")
    axes.set_title(
        f"Simulated season, the same {len(comparison.rows[0].response_minutes)} incidents per plan"
    )
    axes.legend()
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)


def _plot_harm(comparison: Comparison, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = [r.plan for r in comparison.rows]
    x = np.arange(len(names))
    best = [r.best_response.harm for r in comparison.rows]
    watch = [r.observer.mean for r in comparison.rows]
    err = np.array(
        [[r.observer.mean - r.observer.low for r in comparison.rows],
         [r.observer.high - r.observer.mean for r in comparison.rows]]
    )  # fmt: skip
    figure, axes = plt.subplots(figsize=(7.5, 4.5))
    axes.bar(x - 0.2, best, 0.4, label="best-responding attacker (knows the coverage)")
    axes.bar(
        x + 0.2,
        watch,
        0.4,
        yerr=err,
        capsize=4,
        label=f"observer ({comparison.window} days of rosters), 95% interval",
    )
    axes.set_xticks(x, names)
    axes.set_ylabel("expected harm (minus defender utility)")
    axes.set_title("Harm each plan concedes (lower is better)")
    axes.legend(fontsize=8)
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)


def write_outputs(comparison: Comparison, out: Path) -> dict[str, Path]:
    """Write ``comparison.json``, ``response_times.png`` and ``harm.png`` atomically."""
    out = out.expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        staging.chmod(0o700)  # owner-only like every output folder (issue 12)
    except OSError as exc:
        raise InputError(f"--out {out}: cannot create the folder ({exc.strerror})") from exc
    names = {
        "comparison": "comparison.json",
        "response_times": "response_times.png",
        "harm": "harm.png",
    }
    try:
        (staging / names["comparison"]).write_text(
            json.dumps(comparison.to_json(), indent=2) + "\n", encoding="utf-8"
        )
        _plot_response(comparison, staging / names["response_times"])
        _plot_harm(comparison, staging / names["harm"])
        previous = out.with_name(out.name + ".previous")
        if previous.exists():
            shutil.rmtree(previous)
        if out.exists():
            out.rename(previous)
        staging.rename(out)
        if previous.exists():
            shutil.rmtree(previous)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {key: out / name for key, name in names.items()}


def _load(spec: str) -> tuple[Scenario, dict[str, SecurityPlan]]:
    """The scenario and the security plans its venues link (each file read once)."""
    from crowdguard.scenario.load import demo_scenario_and_plans, load_scenario_and_plans

    if spec == "demo":
        return demo_scenario_and_plans()
    path = Path(spec)
    if not path.is_file():
        raise InputError(f"SCENARIO {spec}: no such file (give a YAML scenario or 'demo')")
    return load_scenario_and_plans(path)


def _fmt(x: float, spec: str) -> str:
    return "-" if math.isnan(x) else format(x, spec)


_OPTIMAL = {
    "routes": "the routes plan `crowdguard plan` gives",
    "free": "free placement per slot (--mode free)",
}


def _calls(comparison: Comparison) -> str:
    """Which calls every plan met: the season's, or the compared days' share of them."""
    drawn = len(comparison.rows[0].response_minutes)
    if comparison.compared_incidents is None:
        return f"Season: the same {drawn} incidents for every plan"
    return (
        f"Calls: the same {drawn} incidents for every plan, drawn at "
        f"{comparison.compared_incidents:.1f} expected (these {len(comparison.days)} days' "
        f"share, by crowd, of the season's {comparison.expected_incidents:g})"
    )


def _table(comparison: Comparison) -> Table:
    first, last = comparison.days[0], comparison.days[-1]
    table = Table(
        title=(
            f"{comparison.scenario_name}: {first:%d %b %Y} to {last:%d %b %Y}, "
            f"{comparison.targets} venue-slots, same teams per slot for every plan"
        ),
        title_justify="left",
        caption=(
            f"optimal: {_OPTIMAL[comparison.mode]}. "
            f"Harm ratios are relative to the optimal plan. Observer: strongest of four, "
            f"{comparison.window} days watched, {comparison.replicates} roster draws. "
            f"{_calls(comparison)}; target {comparison.response_target_minutes:g} min."
        ),
        caption_justify="left",
    )
    for column in (
        "Plan",
        "Harm: best response",
        "x optimal",
        "Harm: observer (95% CI)",
        "x optimal",
        "Unopposed",
        "Median min",
        "P90 min",
        "Within target",
        "Patrol lost",
    ):
        table.add_column(column, justify="left" if column == "Plan" else "right")
    for row in comparison.rows:
        s = row.season
        table.add_row(
            row.plan,
            f"{row.best_response.harm:.1f}",
            _fmt(row.best_response_ratio, ".2f"),
            f"{row.observer.mean:.1f} ({row.observer.low:.1f}-{row.observer.high:.1f})",
            _fmt(row.observer_ratio, ".2f"),
            f"{row.unopposed.mean:.0%}",
            _fmt(s.median_minutes, ".1f"),
            _fmt(s.p90_minutes, ".1f"),
            _fmt(s.share_within_target, ".0%"),
            _fmt(s.share_patrol_lost, ".0%"),
        )
    return table


def simulate_command(
    scenario: Annotated[str, typer.Argument(help="Scenario YAML file, or 'demo'.")],
    plans: Annotated[
        str,
        typer.Option("--plans", help="Comma-separated plans: optimal, uniform, footfall, rota."),
    ] = "optimal,uniform,footfall,rota",
    seed: Annotated[
        int | None,
        typer.Option("--seed", help="Make every draw reproducible; without it, from `secrets`."),
    ] = None,
    window: Annotated[
        int, typer.Option("--window", help="Days of rosters the observer watches first.")
    ] = 14,
    days: Annotated[
        int | None, typer.Option("--days", help="Compare over the first D days only.")
    ] = None,
    incidents: Annotated[
        float,
        typer.Option(
            "--incidents",
            help="Expected armed calls in the whole season; --days compares its first days "
            "with their share (by crowd).",
        ),
    ] = 200.0,
    replicates: Annotated[
        int, typer.Option("--replicates", help="Roster draws the observer is run against.")
    ] = 8,
    mode: Annotated[
        str,
        typer.Option(
            "--mode",
            help="The optimal plan: 'routes' (the plan `crowdguard plan` gives, default) or "
            "'free' (free placement per slot, the bound no drivable plan beats).",
        ),
    ] = "routes",
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for comparison.json and the figures.")
    ] = DEFAULT_OUT,
) -> None:
    """Compare the optimal plan with uniform, footfall and rota plans on equal resources."""
    from crowdguard.simulation.compare import compare_plans, parse_plans

    names = parse_plans(plans)
    if window < 1:
        raise InputError(f"--window {window}: expected a whole number of days >= 1")
    if seed is not None and seed < 0:
        raise InputError(f"--seed {seed}: expected a whole number >= 0")
    if days is not None and days < 1:
        raise InputError(f"--days {days}: expected a whole number of days >= 1")
    if replicates < 1:
        raise InputError(f"--replicates {replicates}: expected at least 1")
    if mode not in ("routes", "free"):
        raise InputError(f"--mode {mode!r}: expected 'routes' or 'free'")
    if not (math.isfinite(incidents) and incidents >= 0):
        raise InputError(f"--incidents {incidents}: expected a number >= 0")
    loaded, security_plans = _load(scenario)
    console = Console()
    if not console.is_terminal:
        console = Console(width=170)
    with long_run("") as (update, say):
        comparison = compare_plans(
            loaded,
            plans=names,
            seed=seed,
            window=window,
            days=days,
            replicates=replicates,
            expected_incidents=incidents,
            progress=update,
            mode="free" if mode == "free" else "routes",
            security_plans=security_plans,
        )
        say("writing figures")
        paths = write_outputs(comparison, out)
    console.print(_table(comparison))
    source = "your seed" if comparison.seeded else "drawn from `secrets`; rerun with --seed"
    console.print(f"Seed {comparison.seed} ({source}); {comparison.seconds:.1f} s.")
    console.print(f"Wrote {paths['comparison']}, {paths['response_times'].name} and "
                  f"{paths['harm'].name} in {paths['comparison'].parent}/")  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add the top-level ``simulate`` command."""
    app.command("simulate")(simulate_command)
