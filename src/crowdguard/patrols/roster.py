"""The one roster type: a team's day as time segments, and a day's rosters (issue 10 s.5).

A roster is the ``rosters/YYYY-MM-DD.json`` contract of ``design.md``::

    {"date": "YYYY-MM-DD",
     "teams": [{"team": callsign, "base": staging point,
                "segments": [{"kind": "patrol" | "transit" | "base",
                              "venue": id (patrol; a transit's destination, optional),
                              "start": ISO 8601, "end": ISO 8601}]}]}

Every part of CrowdGuard holds rosters as these models: the planner draws them
(:func:`crowdguard.patrols.sample.draw_roster`, :func:`crowdguard.patrols.planner.draw_rosters`),
``crowdguard plan`` writes them (one file per date), the store keeps each team's segments, the
API serves them (:mod:`crowdguard.rosters.models` adds only what the store knows: the plan and
the team's window), dispatch places units by them, the re-plan draws new ones, and the
simulator and the unpredictability audit read them. Nothing converts one roster type into
another; the role views (an officer sees only their own shift) are :meth:`TeamRoster.only`.

Times are timezone-aware: a naive time is read as Europe/London local time (the force's
clock), and every time is written back in ISO 8601 with its offset, as it was given
(``2026-11-27T10:00:00+00:00``), so a roster read and written again is byte for byte the same.
A segment ends after it starts and a patrol names its venue; :func:`parse_roster` turns any
other input into an :class:`~crowdguard.errors.InputError` naming the field.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    model_validator,
)

from crowdguard.errors import InputError
from crowdguard.safeinput import UnsafeInput, load_json

__all__ = [
    "LONDON",
    "DayRoster",
    "Instant",
    "LatLon",
    "MissedPatrol",
    "PlacedSegment",
    "Segment",
    "SegmentKind",
    "TeamRoster",
    "parse_roster",
    "place_segments",
    "read_roster_file",
]

LONDON = ZoneInfo("Europe/London")
"""The clock a naive roster time is read in."""

SegmentKind = Literal["patrol", "transit", "base"]
LatLon = tuple[float, float]
"""A point: latitude, longitude (degrees)."""


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=LONDON) if value.tzinfo is None else value


def _iso(value: dt.datetime) -> str:
    return value.isoformat()


Instant = Annotated[
    dt.datetime,
    AfterValidator(_aware),
    PlainSerializer(_iso, return_type=str, when_used="json"),
]
"""An aware date-time; naive input is Europe/London; written as ``isoformat()``."""


class Segment(BaseModel):
    """One stretch of a team's day: patrolling a venue, in transit, or at base."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: SegmentKind
    venue: str | None = None
    start: Instant
    end: Instant

    @model_validator(mode="after")
    def _valid(self) -> Self:
        if self.end <= self.start:
            raise ValueError(f"end {self.end} is not after start {self.start}")
        if self.kind == "patrol" and not self.venue:
            raise ValueError("venue: a patrol needs a venue")
        return self

    @property
    def minutes(self) -> float:
        """Its length in minutes (exact across a clock change)."""
        return (self.end - self.start).total_seconds() / 60.0

    def at(self, moment: dt.datetime) -> bool:
        """Whether ``moment`` falls inside ``[start, end)``."""
        return self.start <= moment < self.end


class TeamRoster(BaseModel):
    """One team's segments on one date."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    team: str = Field(min_length=1)
    base: str = Field(min_length=1)
    segments: tuple[Segment, ...]

    def patrols(self) -> Iterator[Segment]:
        """Its patrol segments, in roster order."""
        return (s for s in self.segments if s.kind == "patrol")

    def window(self) -> tuple[dt.datetime, dt.datetime] | None:
        """The first start and the last end of its segments (None: no segment)."""
        if not self.segments:
            return None
        return min(s.start for s in self.segments), max(s.end for s in self.segments)

    def only(self, keep: Callable[[Segment], bool]) -> Self:
        """The same roster showing only the segments ``keep`` accepts (a role's view)."""
        return self.model_copy(update={"segments": tuple(s for s in self.segments if keep(s))})


class DayRoster(BaseModel):
    """A day's rosters: the ``rosters/YYYY-MM-DD.json`` contract."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    date: dt.date
    teams: tuple[TeamRoster, ...]

    def team(self, callsign: str) -> TeamRoster | None:
        """The roster of team ``callsign`` (None: not rostered that day)."""
        return next((t for t in self.teams if t.team == callsign), None)

    def document(self) -> dict[str, Any]:
        """The JSON document of the file contract (a segment without a venue has no
        ``venue`` key, as the planner has always written it)."""
        data: dict[str, Any] = self.model_dump(mode="json", exclude_none=True)
        return data

    @classmethod
    def of(cls, day: dt.date | str, teams: Iterable[TeamRoster]) -> DayRoster:
        """A day's rosters from its team rosters."""
        return cls(date=dt.date.fromisoformat(str(day)), teams=tuple(teams))


def parse_roster(data: Any, *, source: str = "roster") -> DayRoster:
    """Validate a roster document (a mapping, or a :class:`DayRoster` as it is).

    Raises :class:`~crowdguard.errors.InputError` with one line naming ``source`` and the
    field at fault, e.g. ``rosters/2026-12-05: teams.0.segments.2.venue: ...``.
    """
    if isinstance(data, DayRoster):
        return data
    if not isinstance(data, Mapping):
        raise InputError(
            f"{source}: expected a roster object "
            '{"date": "YYYY-MM-DD", "teams": [{"team", "base", "segments"}]}, '
            f"got {type(data).__name__}"
        )
    try:
        return DayRoster.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = first["loc"]
        where = ".".join(str(p) for p in loc)
        message = str(first["msg"]).removeprefix("Value error, ")
        team = ""
        if len(loc) > 2 and loc[0] == "teams" and isinstance(loc[1], int):
            teams = data.get("teams")
            entry = teams[loc[1]] if isinstance(teams, list) and loc[1] < len(teams) else None
            if isinstance(entry, Mapping) and isinstance(entry.get("team"), str):
                team = f"team {entry['team']}: "
        raise InputError(f"{source}: {team}{where + ': ' if where else ''}{message}") from None


def read_roster_file(path: Path) -> DayRoster:
    """One ``rosters/YYYY-MM-DD.json`` file; an :class:`~crowdguard.errors.InputError`
    naming the file when it is not JSON or not a roster."""
    try:
        data = load_json(path.read_bytes())
    except (OSError, ValueError, UnsafeInput) as exc:
        raise InputError(f"{path}: not a JSON roster ({type(exc).__name__}: {exc})") from None
    return parse_roster(data, source=str(path))


# --- rosters on the map: where a team is, and the patrols it would miss ----------------


@dataclass(frozen=True, slots=True)
class PlacedSegment:
    """A roster segment with coordinates: ``place``/``point`` is where the unit is (patrol,
    base) or is heading (transit, whose ``origin`` is where it came from)."""

    kind: Literal["patrol", "transit", "base"]
    start: dt.datetime
    end: dt.datetime
    place: str
    point: LatLon
    origin_place: str | None = None
    origin: LatLon | None = None


def place_segments(
    team: TeamRoster, places: Mapping[str, LatLon], *, source: str = "roster"
) -> tuple[PlacedSegment, ...]:
    """Resolve a team's segments to coordinates (``places``: venue and base id -> lat/lon).

    Times are converted to UTC so that durations across a clock change are exact.

    A transit goes from the previous segment's place (or the base) to its ``venue`` if
    given, else to the next segment's place (or the base).
    """

    def where(name: str, field: str) -> LatLon:
        try:
            return places[name]
        except KeyError:
            raise InputError(
                f"{source}: {field}: unknown place {name!r}; expected a venue or base id"
            ) from None

    segs = sorted(
        (
            seg.model_copy(
                update={"start": seg.start.astimezone(dt.UTC), "end": seg.end.astimezone(dt.UTC)}
            )
            for seg in team.segments
        ),
        key=lambda s: s.start,
    )
    for a, b in itertools.pairwise(segs):
        if b.start < a.end:
            raise InputError(
                f"{source}: team {team.team}: segments overlap ({a.start.isoformat()} to "
                f"{a.end.isoformat()} and {b.start.isoformat()} to {b.end.isoformat()})"
            )
    named: list[str] = []
    for seg in segs:
        named.append(team.base if seg.kind == "base" else (seg.venue or ""))
    out: list[PlacedSegment] = []
    for j, seg in enumerate(segs):
        field = f"team {team.team} segment {j}"
        if seg.kind == "transit":
            prev = next((n for n in reversed(named[:j]) if n), team.base)
            dest = seg.venue or next((n for n in named[j + 1 :] if n), team.base)
            out.append(
                PlacedSegment(
                    "transit",
                    seg.start,
                    seg.end,
                    dest,
                    where(dest, field),
                    prev,
                    where(prev, field),
                )
            )
        else:
            out.append(
                PlacedSegment(seg.kind, seg.start, seg.end, named[j], where(named[j], field))
            )
    return tuple(out)


@dataclass(frozen=True, slots=True)
class MissedPatrol:
    """A piece of rostered patrol the unit would miss."""

    venue: str
    start: dt.datetime
    end: dt.datetime

    @property
    def minutes(self) -> float:
        """Its length in minutes."""
        return (self.end - self.start).total_seconds() / 60.0
