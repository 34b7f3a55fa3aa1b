"""A sweep's folder: the journal rows land in, the manifest, and the tidy results.

``DIR/`` holds

* ``sweep.json``: the manifest. The scenario (id and digest), the options and the code
  version the rows were computed with, the grid asked for, and the last run's figures
  (rows computed and reused, retries, failures, wall time). Written atomically.
* ``journal.jsonl``: one JSON row per finished task, appended and flushed as each task
  completes, so an interrupted sweep keeps every finished row. A line cut short by a crash
  is ignored.
* ``results.parquet`` and ``results.csv``: the tidy table (:data:`COLUMNS`, one row per
  grid point and seed, sorted by threat, teams and seed), rewritten atomically at the end
  of every run from the journal.

Resuming: :func:`open_sweep` on a folder that already holds a sweep checks that the
scenario, the options and the code version are the same (anything else would mix rows
that do not belong together: :class:`~crowdguard.errors.InputError` names what differs)
and returns the keys already done, which the runner skips.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from crowdguard.errors import InputError

if TYPE_CHECKING:
    from crowdguard.scenario.schema import Scenario

__all__ = [
    "COLUMNS",
    "SweepFolder",
    "SweepRecord",
    "find_sweep",
    "key_of",
    "open_sweep",
    "read_results",
    "read_sweep",
    "scenario_digest",
    "write_atomic",
]

#: The results' columns, in order, with their Arrow types (``float64`` columns may be
#: missing: null in Parquet, empty in CSV).
COLUMNS: dict[str, str] = {
    "scenario": "string",
    "scenario_digest": "string",
    "code_version": "string",
    "mode": "string",
    "days": "int64",
    "options": "string",
    "threat": "string",
    "teams": "int64",
    "team_hours": "float64",
    "seed": "int64",
    "harm_stated": "float64",
    "harm_worst_tie": "float64",
    "harm_daily": "float64",
    "harm_realised": "float64",
    "attacker_utility": "float64",
    "solver": "string",
    "incidents": "int64",
    "served": "int64",
    "unserved": "int64",
    "share_within_target": "float64",
    "median_minutes": "float64",
    "p90_minutes": "float64",
    "patrol_minutes_rostered": "float64",
    "patrol_minutes_lost": "float64",
    "share_patrol_lost": "float64",
}

MANIFEST = "sweep.json"
JOURNAL = "journal.jsonl"
PARQUET = "results.parquet"
CSV = "results.csv"


def key_of(row: dict[str, Any]) -> tuple[str, int, int]:
    """A row's key: ``(threat, teams, seed)``."""
    return (str(row["threat"]), int(row["teams"]), int(row["seed"]))


def write_atomic(path: Path, write: Any, *, binary: bool = False) -> None:
    """Write ``path`` through a temporary file in its folder, then rename it into place."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        handle: IO[Any] = (
            os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")
        )
        with handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_journal(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, int, int]] = set()
    if not path.exists():
        return rows
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                row = json.loads(line)
                key = key_of(row)
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short when the sweep was killed
            if key not in seen:
                seen.add(key)
                rows.append(row)
    return rows


@dataclass
class SweepFolder:
    """An open sweep folder: its manifest, the rows already done, and the journal to append to."""

    path: Path
    manifest: dict[str, Any]
    rows: list[dict[str, Any]]
    _journal: IO[str] | None = None

    @property
    def done(self) -> set[tuple[str, int, int]]:
        """Keys of the rows already in the journal."""
        return {key_of(r) for r in self.rows}

    def append(self, row: dict[str, Any]) -> None:
        """Add one finished row to the journal (flushed at once) and to :attr:`rows`."""
        if self._journal is None:
            path = self.path / JOURNAL
            torn = False
            if path.exists() and path.stat().st_size:
                with path.open("rb") as existing:
                    existing.seek(-1, os.SEEK_END)
                    torn = existing.read(1) != b"\n"
            self._journal = path.open("a", encoding="utf-8")
            if torn:  # a line cut short by a crash: end it, so it stays one bad line
                self._journal.write("\n")
        self._journal.write(json.dumps(row, sort_keys=True) + "\n")
        self._journal.flush()
        self.rows.append(row)

    def close(self) -> None:
        """Flush the journal to disk and close it."""
        if self._journal is not None:
            self._journal.flush()
            os.fsync(self._journal.fileno())
            self._journal.close()
            self._journal = None

    def save_manifest(self, **updates: Any) -> None:
        """Update and rewrite ``sweep.json`` atomically."""
        self.manifest.update(updates)
        text = json.dumps(self.manifest, indent=2, sort_keys=True) + "\n"
        write_atomic(self.path / MANIFEST, lambda h: h.write(text))

    def sorted_rows(self) -> list[dict[str, Any]]:
        """The rows in the results' order: threat (lowest first), teams, seed."""
        from crowdguard.scenario.schema import ThreatLevel

        order = {level.value: i for i, level in enumerate(ThreatLevel)}
        unique = {key_of(r): r for r in reversed(self.rows)}  # first occurrence wins
        return sorted(unique.values(), key=lambda r: (order[r["threat"]], r["teams"], r["seed"]))

    def write_results(self) -> dict[str, Path]:
        """Write ``results.parquet`` and ``results.csv`` from every row (atomically)."""
        rows = self.sorted_rows()
        parquet, text = self.path / PARQUET, self.path / CSV
        write_atomic(parquet, lambda h: _write_parquet(rows, h), binary=True)
        write_atomic(text, lambda h: _write_csv(rows, h))
        return {"parquet": parquet, "csv": text}


def _cell(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "float64":
        number = float(value)
        return None if math.isnan(number) else number
    if kind == "int64":
        return int(value)
    return str(value)


def _write_parquet(rows: Sequence[dict[str, Any]], handle: IO[bytes]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(name, pa.type_for_alias(kind)) for name, kind in COLUMNS.items()])
    arrays = {
        name: pa.array([_cell(r.get(name), kind) for r in rows], type=pa.type_for_alias(kind))
        for name, kind in COLUMNS.items()
    }
    table = pa.table(arrays, schema=schema)
    pq.write_table(table, handle)


def _write_csv(rows: Sequence[dict[str, Any]], handle: IO[str]) -> None:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rows:
        cells = [_cell(r.get(name), kind) for name, kind in COLUMNS.items()]
        writer.writerow(
            ["" if c is None else repr(c) if isinstance(c, float) else c for c in cells]
        )


def scenario_digest(scenario: Scenario) -> str:
    """A short hash of the scenario as validated: a sweep's rows belong to this version."""
    text = scenario.model_dump_json()
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def read_results(path: Path) -> list[dict[str, Any]]:
    """The rows of a ``results.parquet`` (or a sweep folder holding one), missing as NaN."""
    import pyarrow.parquet as pq

    file = path / PARQUET if path.is_dir() else path
    if not file.is_file():
        raise InputError(f"{file}: no such results file (run `crowdguard sweep` first)")
    try:
        table = pq.read_table(file)
    except Exception as exc:  # pyarrow raises its own error types for a damaged file
        raise InputError(f"{file}: not a readable Parquet file ({exc})") from None
    absent = [c for c in ("threat", "teams", "seed") if c not in table.column_names]
    if absent:
        raise InputError(f"{file}: not sweep results (no column {absent[0]!r})")
    rows: list[dict[str, Any]] = table.to_pylist()
    for row in rows:
        for name, kind in COLUMNS.items():
            if kind == "float64" and row.get(name) is None:
                row[name] = math.nan
    return rows


@dataclass(frozen=True)
class SweepRecord:
    """A finished sweep as read from its folder: manifest, rows and proportionality file."""

    path: Path
    manifest: dict[str, Any]
    rows: list[dict[str, Any]]
    proportionality: dict[str, Any] | None

    @property
    def scenario(self) -> str:
        """The id of the scenario the sweep varied."""
        return str(self.manifest.get("scenario"))


def read_sweep(path: Path) -> SweepRecord:
    """Read a sweep folder (``crowdguard sweep --out DIR``) for the plan report and the
    planner's page; :class:`~crowdguard.errors.InputError` naming the file when a part is
    missing or damaged."""
    path = path.expanduser()
    if not path.is_dir():
        raise InputError(f"--sweep {path}: not a folder (give a `crowdguard sweep --out` folder)")
    documents: dict[str, dict[str, Any] | None] = {}
    for name, required in ((MANIFEST, True), ("proportionality.json", False)):
        file = path / name
        if not file.is_file():
            if required:
                raise InputError(f"--sweep {path}: no {name}; is it a sweep's folder?")
            documents[name] = None
            continue
        try:
            loaded = json.loads(file.read_text(encoding="utf-8"))
        except (ValueError, OSError) as exc:
            raise InputError(f"--sweep {file}: not readable JSON ({exc})") from None
        if not isinstance(loaded, dict):
            raise InputError(f"--sweep {file}: expected a JSON object")
        documents[name] = loaded
    manifest = documents[MANIFEST]
    assert manifest is not None
    return SweepRecord(path, manifest, read_results(path), documents["proportionality.json"])


def find_sweep(folder: Path, *, scenario: str, teams: int, threat: str) -> SweepRecord | None:
    """The newest sweep under ``folder`` (one sweep folder per subfolder) of ``scenario``
    whose grid holds ``teams`` at ``threat`` and at least one other team count there, so
    the deployment can be placed on its curve; ``None`` when there is none. Folders that
    are not readable sweeps are skipped (the server's plan jobs must not fail on them)."""
    found: list[tuple[str, SweepRecord]] = []
    try:
        candidates = sorted(p for p in folder.expanduser().iterdir() if p.is_dir())
    except OSError:
        return None
    for path in candidates:
        try:
            manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
            if not isinstance(manifest, dict) or manifest.get("scenario") != scenario:
                continue
            record = read_sweep(path)
        except (OSError, ValueError, InputError):
            continue
        counts = {r["teams"] for r in record.rows if r["threat"] == threat}
        if teams in counts and len(counts) >= 2:
            found.append((str(manifest.get("created", "")), record))
    return max(found, key=lambda item: item[0])[1] if found else None


def _identity(manifest: dict[str, Any]) -> dict[str, Any]:
    return {
        "scenario": manifest.get("scenario"),
        "scenario_digest": manifest.get("scenario_digest"),
        "options": manifest.get("options"),
        "crowdguard": manifest.get("crowdguard"),
    }


def open_sweep(
    path: Path,
    identity: dict[str, Any],
    *,
    fresh: bool = False,
    grid: dict[str, Any] | None = None,
) -> SweepFolder:
    """Create the sweep folder, or reopen it to resume (module docstring).

    ``identity``: ``scenario``, ``scenario_digest``, ``options`` and ``crowdguard`` (the
    package version); a folder holding a sweep with another identity is refused unless
    ``fresh`` (then its journal and results are discarded). A folder that exists and holds
    anything but a sweep is refused: nothing of the user's is overwritten.
    """
    path = path.expanduser()
    if path.exists() and not path.is_dir():
        raise InputError(f"--out {path}: exists and is not a folder")
    manifest_path = path / MANIFEST
    if path.is_dir() and any(path.iterdir()) and not manifest_path.is_file():
        raise InputError(
            f"--out {path}: the folder holds other files and no {MANIFEST}; give an empty or "
            "new folder (a sweep never overwrites files it did not write)"
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out {path}: cannot create the folder ({exc.strerror})") from None
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    if manifest_path.is_file() and not fresh:
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            if not isinstance(manifest, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            raise InputError(
                f"--out {path}: {MANIFEST} is damaged ({exc}); rerun with --fresh to start over"
            ) from None
        theirs = _identity(manifest)
        differs = [k for k in theirs if theirs[k] != identity.get(k)]
        if differs:
            what = differs[0]
            raise InputError(
                f"--out {path}: holds a sweep with another {what} "
                f"({json.dumps(theirs[what], sort_keys=True)} there, "
                f"{json.dumps(identity.get(what), sort_keys=True)} now); resuming would mix "
                "rows that do not belong together: choose another --out, or --fresh to discard it"
            )
        folder = SweepFolder(path, manifest, _read_journal(path / JOURNAL))
        folder.save_manifest(grid=grid or manifest.get("grid"), resumed=now)
        return folder
    for name in (JOURNAL, PARQUET, CSV, MANIFEST):
        (path / name).unlink(missing_ok=True)
    folder = SweepFolder(path, {**identity, "created": now, "grid": grid}, [])
    folder.save_manifest()
    return folder
