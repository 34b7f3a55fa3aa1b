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


def run_here(
    capsys: pytest.CaptureFixture[str], *args: str, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """``crowdguard review ARGS`` in this process (exit code, stdout, stderr): the same entry
    point as the command line, without paying a Python start-up per case."""
    from crowdguard.cli.main import main

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "argv", ["crowdguard", "review", *args])
        patch.delenv("CROWDGUARD_MARTYNS_LAW_COMMENCEMENT", raising=False)
        for key, value in (env or {}).items():
            patch.setenv(key, value)
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_output_is_the_documented_contract() -> None:
    result = run(str(GUILDHALL), "--format", "json", "--on", "2026-10-01")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"event", "tier", "score", "critical_failures", "duties_in_force",
                         "commencement", "findings"}  # fmt: skip
    assert data["event"] == "portsmouth-guildhall-ice-rink"
    assert data["tier"] == "enhanced"
    assert (data["duties_in_force"], data["commencement"]) == (False, None)
    assert "M3" in data["critical_failures"]
    assert all(
        set(f) == {"rule", "title", "tier", "severity", "status", "legal", "section", "source",
                   "advice"}
        for f in data["findings"]
    )  # fmt: skip
    assert data["findings"][0]["severity"] == "critical"
    d1 = next(f for f in data["findings"] if f["rule"] == "D1")
    assert (d1["legal"], d1["section"]) == (True, "s.7")


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        ([], {}, (False, None)),
        (["--commencement", "2027-04-01"], {}, (False, "2027-04-01")),
        (["--commencement", "2026-09-01"], {}, (True, "2026-09-01")),
        ([], {"CROWDGUARD_MARTYNS_LAW_COMMENCEMENT": "2026-09-01"}, (True, "2026-09-01")),
    ],
)
def test_commencement_date_is_an_option_and_an_environment_setting(
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    env: dict[str, str],
    expected: tuple[bool, str | None],
) -> None:
    code, out, err = run_here(
        capsys, str(GUILDHALL), "-f", "json", "--on", "2026-10-01", *args, env=env
    )
    assert code == 0, err
    data = json.loads(out)
    assert (data["duties_in_force"], data["commencement"]) == expected


def test_a_bad_commencement_date_is_exit_2_naming_the_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run_here(capsys, str(GUILDHALL), "--commencement", "2027-02-30")
    assert code == 2
    assert err.startswith("crowdguard: error: --commencement: '2027-02-30'")


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
    # issue 12 item 3: an impossible date is a one-line error, not a ValueError
    "impossible_date": ("event: {id: x, name: X, organiser: O}\n"
                        "dates:\n  opens: 2026-02-30\n  closes: 2026-03-05\n",
                        ":3: '2026-02-30' is not a real date"),
    # issue 12 item 5: a repeated key would silently drop the tier from enhanced to none
    "duplicate_key": ("event: {id: x, name: X, organiser: O}\n"
                      "occupancy:\n  maximum: 1800\n  maximum: 5\n",
                      ":4: key 'maximum' appears twice in one mapping (lines 3 and 4)"),
    "duplicate_section": ("event: {id: x, name: X, organiser: O}\noccupancy: {maximum: 1800}\n"
                          "occupancy: {maximum: 5}\n", ":3: key 'occupancy' appears twice"),
    "infinite": ("event: {id: x, name: X, organiser: O}\n"
                 "procedures:\n  lockdown:\n    time_to_secure_minutes: .inf\n",
                 ":4: procedures.lockdown.time_to_secure_minutes: Input should be a finite number"),
    "deep": ("event: {id: x, name: X, organiser: O}\nnotes: " + "[" * 5000 + "]" * 5000 + "\n",
             "nested too deeply"),
    "invitation": ("event: {id: x, name: X, organiser: O}\nentry_checks: invitation\n",
                   ":2: entry_checks: 'invitation' is not an entry check under TPPA s.3"),
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
        # issue 12 item 3: no OverflowError, no IsADirectoryError
        ([str(GUILDHALL), "--days-before", "1000000000"], "--days-before: 1000000000 is out"),
        ([str(GUILDHALL), "--days-before", "-1"], "--days-before: -1 is out of range"),
        ([str(GUILDHALL), "--out", str(GUILDHALL.parent)], "is a folder; expected a file"),
        (["--example", "--out", str(GUILDHALL.parent)], "is a folder; expected a file"),
        ([str(GUILDHALL), "--example"], "either a PLAN to review or --example"),
    ],
)
def test_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    if args == ["--format", "pdf"]:
        args = [str(GUILDHALL), *args]
    code, _, err = run_here(capsys, *args)
    assert code == 2
    assert expected in err
    assert err.startswith("crowdguard: error: ")
    assert err.count("\n") == 1  # the usual one-line reason
    assert "Traceback" not in err


@pytest.mark.parametrize("case", ["impossible_date", "duplicate_key", "deep", "invitation"])
def test_hostile_plans_exit_2_with_one_line_and_write_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str
) -> None:
    """Issue 12 items 3 and 5, through the command's own entry point."""
    text, expected = BAD[case]
    plan = tmp_path / f"{case}.yaml"
    plan.write_text(text, encoding="utf-8")
    code, out, err = run_here(capsys, str(plan), "--out", str(tmp_path / "letter.md"))
    assert (code, out) == (2, "")
    assert err.startswith("crowdguard: error: ") and err.count("\n") == 1
    assert expected in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{case}.yaml"]


def test_json_plan_with_a_repeated_key_is_refused(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(
        '{"event": {"id": "x", "name": "X", "organiser": "O"},\n'
        ' "occupancy": {"maximum": 1800, "maximum": 5}}\n',
        encoding="utf-8",
    )
    with pytest.raises(ReviewError, match="key 'maximum' appears twice"):
        load_plan(plan)


def test_yaml_merge_keys_may_still_be_overridden(tmp_path: Path) -> None:
    """A key merged in with ``<<`` and then set is YAML's override, not a repeated key."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "defaults: &d {maximum: 900, includes_staff: true}\n"
        "event: {id: x, name: X, organiser: O}\n"
        "occupancy: {<<: *d, maximum: 1800, method: counts}\n",
        encoding="utf-8",
    )
    with pytest.raises(ReviewError, match="defaults: unknown field"):
        load_plan(plan)  # refused only for the unknown top-level key, not the merge


@pytest.mark.parametrize(("fmt", "magic"), [("pdf", b"%PDF"), ("html", b"<!DOCTYPE html>"),
                                            ("md", b"Hampshire")])  # fmt: skip
def test_example_with_a_format_writes_the_example_plans_letter(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str, magic: bytes
) -> None:
    """Issue 13 item 12: ``--example --format pdf`` was ignored and printed YAML."""
    out = tmp_path / f"example.{fmt}"
    code, _, err = run_here(
        capsys, "--example", "--format", fmt, "--out", str(out), "--on", "2026-11-12"
    )
    assert code == 0, err
    assert out.read_bytes().startswith(magic)
    assert "riverside-winter-fair" in err
    code, yaml_only, _ = run_here(capsys, "--example")
    assert code == 0 and yaml_only.lstrip().startswith("#")


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
