"""Where the store lives and the few knobs of the served system.

Resolution order (twelve-factor style, https://12factor.net/config): an explicit
``--data-dir`` wins for the embedded SQLite file; ``CROWDGUARD_DATABASE_URL`` selects a
served database (PostgreSQL) instead; otherwise the per-user data folder given by
:func:`platformdirs.user_data_path`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from crowdguard.errors import InputError

__all__ = [
    "COMMENCEMENT_ENV",
    "DEFAULT_LEAD_MINUTES",
    "Settings",
    "default_data_dir",
    "parse_commencement",
    "resolve_settings",
]

COMMENCEMENT_ENV = "CROWDGUARD_MARTYNS_LAW_COMMENCEMENT"
"""The date (YYYY-MM-DD) the duties of the Terrorism (Protection of Premises) Act 2025 are
commenced; unset means not yet known (as of the 2026 season only s.27 is commenced), so plan
reviews advise on duties that *will* apply. Read by the server and ``crowdguard review``."""

DEFAULT_LEAD_MINUTES = 120
"""An officer sees their team's assignment this many minutes before the shift starts."""


def default_data_dir() -> Path:
    """The per-user data folder (e.g. ``~/.local/share/crowdguard`` on Linux)."""
    return platformdirs.user_data_path("crowdguard", appauthor=False)


@dataclass(frozen=True, slots=True)
class Settings:
    """Resolved settings for one process (CLI command or server)."""

    database_url: str
    data_dir: Path
    officer_lead_minutes: int = DEFAULT_LEAD_MINUTES
    token_ttl_minutes: int = 480
    max_body_bytes: int = 2 * 1024 * 1024
    login_max_failures: int = 5
    login_window_seconds: int = 900
    report_rate_per_minute: int = 10
    board_heartbeat_seconds: int = 15
    """A live page hears from the server at least this often (``heartbeat`` events)."""
    tile_url: str | None = None
    """A force's own map tile server (``https://tiles.example/{z}/{x}/{y}.png``), drawn
    under the pages' maps instead of the offline Natural Earth base map."""
    audit_checkpoint_file: Path | None = None
    """Where ``serve`` appends signed checkpoints of the audit chain's head
    (``CROWDGUARD_AUDIT_CHECKPOINT``; :mod:`crowdguard.audit.checkpoint`)."""
    audit_key_file: Path | None = None
    """The key that signs them (``CROWDGUARD_AUDIT_KEY``), kept outside the store."""
    audit_checkpoint_seconds: int = 900
    """How often a checkpoint is written while the chain grows
    (``CROWDGUARD_AUDIT_CHECKPOINT_MINUTES``, default 15)."""
    trusted_proxies: tuple[str, ...] = ()
    """Reverse proxies whose ``X-Forwarded-For`` is believed (``CROWDGUARD_TRUSTED_PROXIES``);
    none by default."""
    martyns_law_commencement: dt.date | None = None
    """When the Act's duties are commenced (None: not yet known); see :data:`COMMENCEMENT_ENV`."""
    sweeps_dir: Path | None = None
    """Where ``crowdguard sweep --out`` folders are kept (``CROWDGUARD_SWEEPS``): a plan job
    of a scenario swept there says where its deployment sits on the sweep's curve."""

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded store."""
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_file(self) -> Path | None:
        """The embedded store's file (None for a served database or an in-memory one)."""
        if not self.is_sqlite or "///" not in self.database_url:
            return None
        path = self.database_url.split("///", 1)[1]
        return None if path in ("", ":memory:") else Path(path)


def _int_env(name: str, default: int, *, minimum: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InputError(f"{name}={raw!r} is not an integer; expected e.g. {default}") from None
    if value < minimum:
        raise InputError(f"{name}={value} is below {minimum}")
    return value


def _path_env(name: str) -> Path | None:
    raw = os.environ.get(name, "").strip()
    return Path(raw).expanduser() if raw else None


def parse_trusted_proxies(values: list[str] | tuple[str, ...], source: str) -> tuple[str, ...]:
    """Addresses or networks (``10.0.0.5``, ``10.0.0.0/24``, ``::1``) of trusted reverse
    proxies, normalised; :class:`InputError` naming ``source`` for anything else (a ``*``
    would trust every client to say who it is)."""
    out: list[str] = []
    for raw in values:
        for item in (part.strip() for part in raw.split(",")):
            if not item:
                continue
            try:
                network = ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise InputError(
                    f"{source} {item!r}: not an IP address or network; expected e.g. "
                    "10.0.0.5 or 10.0.0.0/24"
                ) from None
            if network.prefixlen == 0:
                raise InputError(
                    f"{source} {item!r}: trusts every address; name the proxy's own address"
                )
            text = str(network.network_address) if network.num_addresses == 1 else str(network)
            out.append(text)
    return tuple(out)


def parse_commencement(raw: str | None, *, name: str = COMMENCEMENT_ENV) -> dt.date | None:
    """A commencement date from text (``YYYY-MM-DD``); empty or None: not yet known."""
    if raw is None or not raw.strip():
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise InputError(
            f"{name}: {raw.strip()!r} is not a date; expected YYYY-MM-DD, e.g. 2027-04-01, "
            "or leave it unset while the Act's duties are not commenced"
        ) from None


def resolve_settings(data_dir: Path | None = None) -> Settings:
    """Settings from ``--data-dir`` and the ``CROWDGUARD_*`` environment variables.

    ``CROWDGUARD_DATABASE_URL`` (e.g. ``postgresql+psycopg://user@host/db``) is used when
    set and no ``--data-dir`` is given; otherwise ``DATA_DIR/crowdguard.sqlite3``.
    """
    env_url = os.environ.get("CROWDGUARD_DATABASE_URL", "").strip()
    if data_dir is None:
        folder = default_data_dir()
    else:
        folder = Path(data_dir).expanduser()
        if folder.exists() and not folder.is_dir():
            raise InputError(f"--data-dir {folder}: is a file; expected a directory")
    if env_url and data_dir is None:
        if not env_url.startswith(("postgresql", "sqlite")):
            raise InputError(
                f"CROWDGUARD_DATABASE_URL={env_url.split(':', 1)[0]}:...: unsupported; "
                "expected postgresql+psycopg://... or sqlite:///..."
            )
        url = env_url
    else:
        url = f"sqlite:///{(folder / 'crowdguard.sqlite3').resolve()}"
    return Settings(
        database_url=url,
        data_dir=folder,
        officer_lead_minutes=_int_env(
            "CROWDGUARD_OFFICER_LEAD_MINUTES", DEFAULT_LEAD_MINUTES, minimum=0
        ),
        token_ttl_minutes=_int_env("CROWDGUARD_TOKEN_TTL_MINUTES", 480, minimum=1),
        max_body_bytes=_int_env("CROWDGUARD_MAX_BODY_BYTES", 2 * 1024 * 1024, minimum=1024),
        report_rate_per_minute=_int_env("CROWDGUARD_REPORT_RATE_PER_MINUTE", 10, minimum=0),
        board_heartbeat_seconds=_int_env("CROWDGUARD_BOARD_HEARTBEAT_SECONDS", 15, minimum=1),
        tile_url=_tile_url(os.environ.get("CROWDGUARD_TILE_URL", "")),
        audit_checkpoint_file=_path_env("CROWDGUARD_AUDIT_CHECKPOINT"),
        audit_key_file=_path_env("CROWDGUARD_AUDIT_KEY"),
        audit_checkpoint_seconds=60
        * _int_env("CROWDGUARD_AUDIT_CHECKPOINT_MINUTES", 15, minimum=1),
        trusted_proxies=parse_trusted_proxies(
            [os.environ.get("CROWDGUARD_TRUSTED_PROXIES", "")], "CROWDGUARD_TRUSTED_PROXIES"
        ),
        martyns_law_commencement=parse_commencement(os.environ.get(COMMENCEMENT_ENV)),
        sweeps_dir=_path_env("CROWDGUARD_SWEEPS"),
    )


_TILE_URL = re.compile(r"^https?://[A-Za-z0-9.-]+(?::\d{1,5})?/[^\s\"'<>]*$")


def _tile_url(raw: str) -> str | None:
    """``CROWDGUARD_TILE_URL``: an http(s) URL template with ``{z}``, ``{x}`` and ``{y}``
    (Leaflet's ``TileLayer`` form, optionally ``{s}`` and ``{r}``), or empty for none."""
    value = raw.strip()
    if not value:
        return None
    if not _TILE_URL.match(value) or not all(k in value for k in ("{z}", "{x}", "{y}")):
        raise InputError(
            f"CROWDGUARD_TILE_URL={value[:80]!r}: expected an http(s) URL template with "
            "{z}, {x} and {y}, such as https://tiles.example.org/{z}/{x}/{y}.png"
        )
    return value
