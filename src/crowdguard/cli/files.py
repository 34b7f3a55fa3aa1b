"""Writing command output to a file: whole or not at all, owner-only when sensitive."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from crowdguard.errors import InputError

__all__ = ["write_atomic"]


def write_atomic(path: Path, data: bytes, *, option: str = "--out", private: bool = False) -> None:
    """Write ``data`` to a temporary file next to ``path`` and rename it: never a
    half-written file. ``private`` keeps the file owner-only (0600, as
    :func:`tempfile.mkstemp` creates it), for OFFICIAL-SENSITIVE material; otherwise the
    usual permissions under the umask. ``option`` names the option in errors."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{option}: folder {folder} does not exist")
    if path.is_dir():
        raise InputError(f"{option}: {path} is a folder; expected a file name")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if not private:
            umask = os.umask(0o022)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
