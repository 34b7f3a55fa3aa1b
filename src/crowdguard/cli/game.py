"""``crowdguard game``: solve and generate Stackelberg security games.

``crowdguard game solve FILE [--method auto|origami|eraser|multiple-lps] [--json]`` and
``crowdguard game generate --targets N --resources M --seed S [--correlation R] [--out FILE]``.
The JSON formats are the contract in ``docs/design.md``; the theory is in
``docs/theory/games.md``.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from crowdguard.errors import GameError
from crowdguard.games import METHODS, SecurityGame, Solution, generate_game, solve
from crowdguard.games.generate import MAX_GENERATED_TARGETS

__all__ = ["game_app", "register", "solution_to_json"]

game_app = typer.Typer(
    name="game",
    help="Solve and generate Stackelberg security games (ORIGAMI, ERASER, multiple LPs).",
    no_args_is_help=True,
)

TOP_ROWS = 15


def solution_to_json(game: SecurityGame, solution: Solution) -> dict[str, Any]:
    """The ``game solve --json`` object: method, coverage by id, utilities, certificate."""
    return {
        "method": solution.method,
        "coverage": dict(zip(game.ids, solution.coverage.tolist(), strict=True)),
        "defender_utility": solution.defender_utility,
        "attacker_utility": solution.attacker_utility,
        "attacked_target": game.ids[solution.attacked_target],
        "seconds": solution.seconds,
        "certificate": solution.certificate.to_dict(),
    }


def _print_table(game: SecurityGame, solution: Solution) -> None:
    console = Console()
    order = np.argsort(-solution.coverage, kind="stable")[:TOP_ROWS]
    attack_set = set(solution.attack_set)
    table = Table(
        title=f"Coverage ({solution.method}, {game.resources} resources, {game.n_targets} targets)"
    )
    longest = max(len(game.ids[i]) for i in order.tolist())
    table.add_column("target", no_wrap=True, min_width=min(longest, 48))
    table.add_column("coverage", justify="right")
    table.add_column("attacker utility", justify="right")
    table.add_column("defender utility", justify="right")
    table.add_column("in attack set", justify="center")
    attacker = game.attacker_utilities(solution.coverage)
    defender = game.defender_utilities(solution.coverage)
    for index in order.tolist():
        mark = "attacked" if index == solution.attacked_target else ""
        table.add_row(
            game.ids[index],
            f"{solution.coverage[index]:.4f}",
            f"{attacker[index]:.4f}",
            f"{defender[index]:.4f}",
            mark or ("yes" if index in attack_set else ""),
        )
    console.print(table)
    if game.n_targets > TOP_ROWS:
        console.print(f"(top {TOP_ROWS} of {game.n_targets} targets by coverage)")
    cert = solution.certificate
    console.print(
        f"defender utility {solution.defender_utility:.6f}, attacker utility "
        f"{solution.attacker_utility:.6f}, attacked target {game.ids[solution.attacked_target]}, "
        f"attack set of {len(solution.attack_set)}, resources used {cert.resources_used:.4f} "
        f"of {game.resources}"
    )
    verdict = "[green]passed[/green]" if cert.ok else "[red]FAILED[/red]"
    console.print(
        f"certificate {verdict} (tol {cert.tol:g}): coverage in [0, 1], within resources, "
        "attack set indifferent, others worse, ties to the defender; "
        f"solved in {solution.seconds * 1000:.2f} ms"
    )


@game_app.command("solve")
def solve_command(
    file: Annotated[
        Path, typer.Argument(help="Game JSON (or YAML) file.", metavar="FILE", show_default=False)
    ],
    method: Annotated[
        str,
        typer.Option(
            "--method", help=f"Solver: {', '.join(METHODS)} (auto: ORIGAMI if it applies)."
        ),
    ] = "auto",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout.")
    ] = False,
) -> None:
    """Solve a security game for its Strong Stackelberg Equilibrium and certify it."""
    if method not in METHODS:
        raise GameError(f"--method {method!r} is not one of: {', '.join(METHODS)}")
    game = SecurityGame.from_json(file)
    solution = solve(game, method)
    if as_json:
        typer.echo(json.dumps(solution_to_json(game, solution)))
    else:
        _print_table(game, solution)


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename (never half-written)."""
    directory = path.parent if str(path.parent) else Path()
    if not directory.is_dir():
        raise GameError(f"--out {path}: directory {directory} does not exist")
    if path.is_dir():
        raise GameError(f"--out {path}: is a directory; expected a file name")
    handle, temp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@game_app.command("generate")
def generate_command(
    targets: Annotated[
        int, typer.Option("--targets", help="Number of targets n.", show_default=False)
    ],
    resources: Annotated[int, typer.Option("--resources", help="Resources m.", show_default=False)],
    seed: Annotated[
        int, typer.Option("--seed", help="Seed for a reproducible draw.", show_default=False)
    ],
    correlation: Annotated[
        float, typer.Option("--correlation", help="Payoff correlation r in [-1, 0] (-1: zero-sum).")
    ] = 0.0,
    out: Annotated[Path | None, typer.Option("--out", help="Write here instead of stdout.")] = None,
) -> None:
    """Draw a random game (payoffs U[1,10] / U[-10,-1], GAMUT-style correlation)."""
    if not 1 <= targets <= MAX_GENERATED_TARGETS:
        raise GameError(
            f"--targets is {targets}; expected a positive integer up to {MAX_GENERATED_TARGETS}"
        )
    if resources < 0:
        raise GameError(f"--resources is {resources}; expected a non-negative integer")
    if seed < 0:
        raise GameError(f"--seed is {seed}; expected a non-negative integer")
    if not -1.0 <= correlation <= 0.0:
        raise GameError(f"--correlation is {correlation}; expected a number in [-1, 0]")
    game = generate_game(targets, resources, seed=seed, correlation=correlation)
    text = json.dumps(game.to_json(), indent=1) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        _write_atomic(out, text)


def register(app: typer.Typer) -> None:
    """Add the ``game`` command group to the ``crowdguard`` app."""
    app.add_typer(game_app, name="game")
