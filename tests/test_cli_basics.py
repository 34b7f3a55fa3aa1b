"""The command line behaves like a well-mannered Unix tool."""

from __future__ import annotations

import subprocess
import sys

from crowdguard import __version__


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crowdguard", *args], capture_output=True, text=True, check=False
    )


def test_version_is_printed() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"crowdguard {__version__}"


def test_unknown_command_is_a_usage_error() -> None:
    result = run("no-such-command")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_each_command_loads_only_its_own_modules_and_the_map_is_complete() -> None:
    """``crowdguard demo`` must not wait for the server's and statistics' imports; the map
    from command to modules must name every command the modules register."""
    import importlib

    import typer

    from crowdguard.cli.main import COMMAND_MODULES, COMMANDS

    registered: dict[str, set[str]] = {}
    for module in COMMAND_MODULES:
        probe = typer.Typer()
        if module in ("crowdguard.cli.patrol_audit", "crowdguard.cli.generate"):
            group = {"crowdguard.cli.patrol_audit": "audit", "crowdguard.cli.generate": "scenario"}
            importlib.import_module(COMMANDS[group[module]][0]).register(probe)
        importlib.import_module(module).register(probe)
        for command in probe.registered_commands:
            registered.setdefault(command.name or "", set()).add(module)
        for group_info in probe.registered_groups:
            registered.setdefault(group_info.name or "", set()).add(module)
    assert set(registered) == set(COMMANDS)
    for command, modules in registered.items():
        assert modules <= set(COMMANDS[command]), command
    script = (
        "import sys\n"
        "from crowdguard.cli import main\n"
        "sys.argv = ['crowdguard', 'demo', '--help']\n"
        "try:\n"
        "    main.main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in ('sqlalchemy', 'alembic', 'fastapi') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert "--days" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout[-300:]
