"""``crowdguard review`` behaves: formats, example, exit 2 with the field named."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from crowdguard.errors import ReviewError
from crowdguard.plans import DEMO_DIR, load_plan

GUILDHALL = DEMO_DIR / "portsmouth-guildhall-ice-rink.yaml"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crowdguard", "review", *args],
        capture_output=True,
        text=True,
        input=stdin,
        check=False,
    )


def test_json_output_is_the_documented_contract() -> None:
    result = run(str(GUILDHALL), "--format", "json", "--on", "2026-10-01")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"event", "tier", "score", "critical_failures", "findings"}
    assert data["event"] == "portsmouth-guildhall-ice-rink"
    assert data["tier"] == "enhanced"
    assert "M3" in data["critical_failures"]
    assert all(
        set(f) == {"rule", "title", "tier", "severity", "status", "source", "advice"}
        for f in data["findings"]
    )
    assert data["findings"][0]["severity"] == "critical"


def test_example_prints_a_plan_that_reviews_cleanly(tmp_path: Path) -> None:
    example = run("--example")
    assert example.returncode == 0
    assert example.stdout.lstrip().startswith("#")  # commented
    plan = tmp_path / "mine.yaml"
    plan.write_text(example.stdout, encoding="utf-8")
    reviewed = run(str(plan), "-f", "json", "--on", "2026-11-12")
    assert reviewed.returncode == 0, reviewed.stderr
    data = json.loads(reviewed.stdout)
    assert (data["score"], data["critical_failures"], data["findings"]) == (100.0, [], [])


def test_markdown_letter_to_stdout_and_files(tmp_path: Path) -> None:
    result = run(str(GUILDHALL), "--on", "2026-10-01")
    assert result.returncode == 0
    assert "# Security plan review: Portsmouth Guildhall Square Ice Rink" in result.stdout
    html = tmp_path / "letter.html"
    pdf = tmp_path / "letter.pdf"
    assert run(str(GUILDHALL), "-f", "html", "-o", str(html)).returncode == 0
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert run(str(GUILDHALL), "-f", "pdf", "-o", str(pdf)).returncode == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["letter.html", "letter.pdf"]


def test_plan_from_stdin() -> None:
    result = run("-", "-f", "json", stdin=GUILDHALL.read_text(encoding="utf-8"))
    assert json.loads(result.stdout)["event"] == "portsmouth-guildhall-ice-rink"


BAD = {
    "unknown_field": ("event:\n  id: x\n  name: X\n  organiser: O\nocupancy:\n  maximum: 3\n",
                      ":5: ocupancy: unknown field"),
    "wrong_type": ("event:\n  id: x\n  name: X\n  organiser: O\noccupancy:\n  maximum: lots\n",
                   ":6: occupancy.maximum:"),
    "bad_rating": (
        "event: {id: x, name: X, organiser: O}\nphysical:\n  hvm_products:\n"
        "    - name: b\n      rating: '7500[N3]/50/90:1.0'\n      standard: PAS 68\n"
        "      foundation: A\n",
        ":5: physical.hvm_products[0].rating:",
    ),
    "bad_yaml": ("event:\n  id: x\n  name: [X\n", "bad_yaml.yaml:"),
    "missing_event": ("venue: {id: v, name: V}\n", "event: required field is missing"),
    "bad_slug": ("event: {id: Not A Slug, name: X, organiser: O}\n", ":1: event.id:"),
    "closes_first": ("event: {id: x, name: X, organiser: O}\n"
                     "dates: {opens: 2026-12-01, closes: 2026-11-01}\n",
                     ":2: dates: closes (2026-11-01) is before opens"),
    "not_a_mapping": ("- just\n- a list\n", "a security plan is a mapping"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD))
def test_malformed_plans_are_one_line_errors_naming_file_line_and_field(
    tmp_path: Path, case: str
) -> None:
    text, expected = BAD[case]
    plan = tmp_path / f"{case}.yaml"
    plan.write_text(text, encoding="utf-8")
    with pytest.raises(ReviewError) as info:
        load_plan(plan)
    message = str(info.value)
    assert "\n" not in message
    assert f"{case}.yaml" in message
    assert expected in message
    assert info.value.exit_code == 2


@pytest.mark.parametrize("case", ["unknown_field", "bad_yaml", "bad_rating"])
def test_malformed_plans_exit_2_without_output(tmp_path: Path, case: str) -> None:
    text, expected = BAD[case]
    plan = tmp_path / f"{case}.yaml"
    plan.write_text(text, encoding="utf-8")
    out = tmp_path / "letter.md"
    result = run(str(plan), "--out", str(out))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1  # one line
    assert expected in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{case}.yaml"]  # nothing written


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--format", "pdf"], "--out"),
        ([], "PLAN"),
        ([str(GUILDHALL), "--out", "/no/such/folder/x.md"], "--out"),
        ([str(GUILDHALL.parent)], "is a folder; expected a plan file"),
        ([str(GUILDHALL.parent / "no-such-plan.yaml")], "no such file"),
    ],
)
def test_usage_errors_exit_2(args: list[str], expected: str) -> None:
    if args == ["--format", "pdf"]:
        args = [str(GUILDHALL), *args]
    result = run(*args)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_json_plans_with_tabs_get_line_numbers(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(
        '{\n\t"event": {"id": "x", "name": "X", "organiser": "O"},\n'
        '\t"occupancy": {"maximum": "lots"}\n}\n',
        encoding="utf-8",
    )
    with pytest.raises(ReviewError, match=r"plan\.json:3: occupancy\.maximum: "):
        load_plan(plan)


def test_unknown_field_lists_the_fields_expected_there(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "event: {id: x, name: X, organiser: O}\nphysical:\n  emergency_routes:\n"
        "    - {name: a, width_m: 3, staffed_by: 2}\n",
        encoding="utf-8",
    )
    with pytest.raises(ReviewError) as info:
        load_plan(plan)
    message = str(info.value)
    assert "plan.yaml:4: physical.emergency_routes[0].staffed_by: unknown field" in message
    assert "name, width_m, rated_removable_barrier, staffed" in message


def test_a_misspelt_required_field_is_named_not_the_one_it_leaves_missing(
    tmp_path: Path,
) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "event: {id: x, name: X, organiser: O}\noccupancy:\n  maximun: 900\n",
        encoding="utf-8",
    )
    with pytest.raises(ReviewError) as info:
        load_plan(plan)
    message = str(info.value)
    assert message.startswith(f"{plan}:3: occupancy.maximun: unknown field")
    assert "expected one of: maximum, includes_staff, method" in message
    assert "(and 1 more)" in message
