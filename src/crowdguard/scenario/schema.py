"""The scenario model: what a force plans for, validated by pydantic.

A scenario is one season of protective patrols: a period of dates, the slot length, the
national threat level (set by JTAC, see ``domain.md`` section 4; always a dated, sourced input,
never hard-coded), the crowded places (venues), the staging bases armed teams start from,
the teams and their shift patterns, and two policy parameters: how effective a patrol
present at an attack is, and the response-time target.

Field names are the contract for YAML scenario files (``crowdguard plan SCENARIO``), the
API and the stored snapshot of every plan. Unknown fields are errors (``extra="forbid"``),
so a typo never silently drops a setting.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from enum import StrEnum
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

__all__ = [
    "DEFAULT_TEAM_KINDS",
    "MAX_DENSITY",
    "Base",
    "Crossing",
    "Mitigations",
    "OpeningHours",
    "PatrolPolicy",
    "Port",
    "Scenario",
    "Shift",
    "Team",
    "TeamKind",
    "ThreatLevel",
    "TimeRange",
    "Venue",
    "VenueKind",
    "Weekday",
]

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[str, Field(pattern=SLUG, min_length=1, max_length=80)]

#: The densest crowd CrowdGuard accepts, people per square metre: 47 people per 10 m^2, the
#: Green Guide's allowance for standing spectators (Guide to Safety at Sports Grounds, 6th
#: ed., 2018; guidance, figure to verify against the edition). Above about 5/m^2 a crowd is
#: at risk of collapse (Still, *Introduction to Crowd Science*, 2014). A venue's capacity
#: may not put more people than this on its ``area_m2``; the risk model caps density here.
MAX_DENSITY = 4.7

# Bounding box of the United Kingdom (incl. Shetland, Scilly, Northern Ireland), degrees.
UK_LAT = (49.8, 60.9)
UK_LON = (-8.7, 1.8)

_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
_EXPECTED_RANGE = "expected H:MM-H:MM or HH:MM-HH:MM within one day, e.g. 9:00-17:30"
_EXPECTED_SHIFT = (
    "expected H:MM-H:MM or HH:MM-HH:MM, e.g. 9:00-17:30, or a shift crossing midnight such "
    "as 22:00-02:00"
)
#: The longest date range one ``exceptions`` key may name (``2026-12-14..2026-12-23``).
MAX_EXCEPTION_DAYS = 366


class ThreatLevel(StrEnum):
    """UK national threat levels (JTAC), lowest first."""

    LOW = "LOW"
    MODERATE = "MODERATE"
    SUBSTANTIAL = "SUBSTANTIAL"
    SEVERE = "SEVERE"
    CRITICAL = "CRITICAL"


class Weekday(StrEnum):
    """Days of the week as written in scenario files."""

    mon = "mon"
    tue = "tue"
    wed = "wed"
    thu = "thu"
    fri = "fri"
    sat = "sat"
    sun = "sun"

    @classmethod
    def of(cls, day: dt.date) -> Weekday:
        """The weekday of a date."""
        return list(cls)[day.weekday()]


class VenueKind(StrEnum):
    """Kinds of crowded place (NaCTSO Crowded Places sectors that matter at Christmas)."""

    christmas_market = "christmas_market"
    shopping_street = "shopping_street"
    shopping_centre = "shopping_centre"
    town_centre = "town_centre"
    ice_rink = "ice_rink"
    covered_market = "covered_market"
    outlet_village = "outlet_village"


class _Strict(BaseModel):
    # allow_inf_nan=False: "inf"/"NaN" in text are not numbers here (issue 12).
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


LocalClockTime = Annotated[
    dt.time,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
            "description": "local (Europe/London) clock time, HH:MM[:SS[.ffffff]], no offset",
        }
    ),
]
"""A wall-clock time in the venue's own zone. JSON Schema's ``format: time`` is RFC 3339's
``full-time``, which requires an offset, so the schema says what is really written
(``10:00:00``) instead of promising a format the answers never had (issue 12)."""


class TimeRange(_Strict):
    """A half-open interval of local clock time within one day, ``H:MM-H:MM`` or ``HH:MM-HH:MM``.

    The hour may have one digit or two (``9:00-17:30`` and ``09:00-17:30`` are the same range);
    ``24:00`` may end a range. It is always written back with two digits.
    """

    start: LocalClockTime
    end: LocalClockTime

    @classmethod
    def parse(cls, text: str, *, overnight: bool = False) -> TimeRange:
        """Parse ``"10:00-18:00"`` or ``"9:00-17:30"``; ``ValueError`` naming what was expected.

        ``overnight``: an end at or before the start means the next day (a shift
        ``22:00-02:00``); opening hours keep to one day (a late night is written on each date).
        """
        match = _RANGE.match(text.strip())
        expected = _EXPECTED_SHIFT if overnight else _EXPECTED_RANGE
        bad = f"{text!r} is not a time range; {expected}"
        if not match:
            raise ValueError(bad)
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2 != 0):
            raise ValueError(bad)
        start = dt.time(h1, m1)
        end = dt.time.max if h2 == 24 else dt.time(h2, m2)
        if end == start or (end < start and (not overnight or h2 == 24)):
            raise ValueError(f"{text!r} ends before it starts; {expected}")
        return cls(start=start, end=end)

    @property
    def overnight(self) -> bool:
        """Whether the range ends on the next day (``22:00-02:00``; shifts only)."""
        return self.end < self.start

    def minutes(self) -> tuple[float, float]:
        """Start and end in minutes after the first day's midnight (an overnight end > 1440)."""
        start, end = _clock(self.start), _clock(self.end)
        return start, end + 24 * 60.0 if end < start else end

    def __str__(self) -> str:
        end = "24:00" if self.end == dt.time.max else self.end.strftime("%H:%M")
        return f"{self.start.strftime('%H:%M')}-{end}"


def _parse_ranges(value: object) -> object:
    """Accept ``"10:00-18:00"``, ``["10:00-13:00", "14:00-18:00"]``, ``"closed"`` or ``[]``."""
    if value is None or value == "closed":
        return []
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        return [TimeRange.parse(v) if isinstance(v, str) else v for v in value]
    return value


_Ranges = Annotated[list[TimeRange], BeforeValidator(_parse_ranges)]


def _expand_exceptions(value: object) -> object:
    """Expand ``"2026-12-14..2026-12-23"`` keys into one entry per date (ranges inclusive).

    A single date is kept as it is; a range names its first and last dates, at most
    :data:`MAX_EXCEPTION_DAYS` apart. A date named twice (alone, or by overlapping ranges) is
    refused, since one of the two hours would silently win.
    """
    if not isinstance(value, dict):
        return value
    out: dict[object, object] = {}
    seen: set[str] = set()
    for key, ranges in value.items():
        if isinstance(key, str) and ".." in key:
            first_text, _, last_text = key.partition("..")
            try:
                first = dt.date.fromisoformat(first_text.strip())
                last = dt.date.fromisoformat(last_text.strip())
            except ValueError:
                raise ValueError(
                    f"exceptions: {key!r} is not a date range; expected YYYY-MM-DD..YYYY-MM-DD, "
                    "e.g. 2026-12-14..2026-12-23"
                ) from None
            span = (last - first).days + 1
            if span < 1:
                raise ValueError(f"exceptions: {key!r} ends before it starts; expected FIRST..LAST")
            if span > MAX_EXCEPTION_DAYS:
                raise ValueError(
                    f"exceptions: {key!r} runs {span} days; expected at most {MAX_EXCEPTION_DAYS}"
                )
            dates: list[object] = [first + dt.timedelta(days=i) for i in range(span)]
        else:
            dates = [key]
        for day in dates:
            name = day.isoformat() if isinstance(day, dt.date) else str(day)
            if name in seen:
                raise ValueError(f"exceptions: {name} is named twice (key {key!r}); keep one")
            seen.add(name)
            if len(seen) > 4 * MAX_EXCEPTION_DAYS:
                raise ValueError(
                    f"exceptions: more than {4 * MAX_EXCEPTION_DAYS} dates; expected a season's"
                )
            out[day] = ranges
    return out


class OpeningHours(_Strict):
    """Opening hours: every day, by weekday, and on given dates (``[]`` or ``closed`` = closed).

    On a date the first of these that names it applies: ``exceptions`` (a date, or a range of
    dates ``YYYY-MM-DD..YYYY-MM-DD`` for a run of late nights), then ``weekly`` (by weekday),
    then ``daily`` (every day). A day none of them names is closed. Example YAML::

        opening_hours:
          daily: "10:00-18:00"
          weekly: {thu: "10:00-20:00", sun: "11:00-17:00"}
          exceptions:
            "2026-12-14..2026-12-23": "9:00-21:00"   # late nights before Christmas
            2026-12-24: "9:00-16:00"                 # Christmas Eve: early close
            2026-12-25: closed
            2026-12-26: "8:00-19:00"                 # Boxing Day sales
    """

    # The ranges are parsed per key (not per dict) so that an error is located at the
    # weekday or date that is wrong, e.g. ``opening_hours.weekly.fri``.
    daily: _Ranges | None = Field(
        default=None, description="hours on every day not named in weekly or exceptions"
    )
    weekly: dict[Weekday, _Ranges] = Field(
        default_factory=dict, description="hours by weekday (mon..sun); overrides daily"
    )
    exceptions: Annotated[dict[dt.date, _Ranges], BeforeValidator(_expand_exceptions)] = Field(
        default_factory=dict,
        description="hours on given dates or date ranges (YYYY-MM-DD..YYYY-MM-DD); "
        "override weekly and daily",
    )

    def on(self, day: dt.date) -> list[TimeRange]:
        """The opening ranges on a given date (exceptions, then the weekday, then daily)."""
        if day in self.exceptions:
            return list(self.exceptions[day])
        weekday = Weekday.of(day)
        if weekday in self.weekly:
            return list(self.weekly[weekday])
        return list(self.daily or [])


class Mitigations(_Strict):
    """Protective measures in place at a venue (see ``domain.md`` sections 3 and 5).

    ``hvm_rating`` is an impact-test rating string (ISO 22343-1 / PAS 68 / IWA 14-1, e.g.
    ``V/7500[N3]/48/90:28.1/18.0``); unrated blocks are not HVM, so ``hvm`` without a rating
    counts as partial at most.
    """

    hvm: Literal["none", "unrated", "rated"] = Field(
        default="none",
        description="hostile-vehicle mitigation: rated only with an impact-test certificate; "
        "unrated blocks count as partial",
    )
    hvm_rating: str | None = Field(
        default=None,
        description="the certificate's rating string, e.g. V/7500[N3]/48/90:28.1/18.0 "
        "(only with hvm: rated)",
    )
    cctv: bool = Field(default=False, description="CCTV covers the crowd")
    stewards: int = Field(default=0, ge=0, description="stewards or security officers on duty")
    entry_search: bool = Field(default=False, description="bags and people searched at entry")
    lockdown_procedure: bool = Field(
        default=False, description="a rehearsed lockdown / invacuation procedure"
    )

    @model_validator(mode="after")
    def _rating_needs_rated(self) -> Mitigations:
        if self.hvm_rating is not None and self.hvm != "rated":
            raise ValueError("hvm_rating given but hvm is not 'rated'; set hvm: rated")
        return self


class Venue(_Strict):
    """A crowded place. Footfall figures are usually estimates: say so in ``source``."""

    id: Slug = Field(description="unique among the venues, e.g. winchester-cathedral-market")
    name: str = Field(min_length=1, description="the name people know it by")
    kind: VenueKind = Field(
        description="what kind of crowded place: sets the default hourly profile, the "
        "vehicle's reach and the default footprint"
    )
    town: str = Field(default="", description="shown beside the name in tables and the report")
    lat: float = Field(description="latitude, degrees (WGS84), within the United Kingdom")
    lon: float = Field(description="longitude, degrees (WGS84), within the United Kingdom")
    opens: dt.date | None = Field(
        default=None, description="first date it trades (none: from the start of the period)"
    )
    closes: dt.date | None = Field(
        default=None, description="last date it trades (none: to the end of the period)"
    )
    opening_hours: OpeningHours = Field(description="when it is open, in local time")
    peak_occupancy: int = Field(gt=0, description="people present at once at the busiest hour")
    hourly_profile: dict[int, float] | None = Field(
        default=None,
        description="fraction of peak occupancy by hour of day (0..23); missing hours use the kind's default",
    )
    capacity: int | None = Field(
        default=None, gt=0, description="the most people the place holds at once"
    )
    area_m2: float | None = Field(
        default=None,
        gt=0,
        le=10_000_000,
        description=(
            "public ground the crowd stands on (streets, malls, aisles; not shops' floor "
            "space), square metres; without it (and without capacity) a default by kind is "
            "assumed and the venue is named in a warning (docs/theory/risk.md)"
        ),
    )
    attractiveness: float = Field(
        default=1.0,
        gt=0,
        le=5,
        description="symbolic value to an attacker, 1 ordinary to 5 iconic (a judgement: "
        "say why in source)",
    )
    mitigations: Mitigations = Field(
        default_factory=Mitigations, description="protective measures in place (none by default)"
    )
    island: bool = Field(
        default=False,
        description="on the Isle of Wight: armed response is slower (30 min, not 8)",
    )
    source: str = Field(default="", description="where the figures come from; [ESTIMATE] if ours")
    security_plan: str | None = Field(
        default=None,
        min_length=1,
        description=(
            "the organiser's security plan for this venue's event: a plan file (YAML or JSON) "
            "relative to the scenario file, or demo:<name> for a plan shipped with CrowdGuard; "
            "its review scales the venue's consequence (docs/theory/risk.md)"
        ),
    )

    @field_validator("lat", "lon")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number of degrees")
        return value

    @field_validator("hourly_profile")
    @classmethod
    def _profile(cls, value: dict[int, float] | None) -> dict[int, float] | None:
        if value is None:
            return value
        for hour, share in value.items():
            if not 0 <= hour <= 23:
                raise ValueError(f"hour {hour} is not in 0..23")
            if not (math.isfinite(share) and 0 <= share <= 1.5):
                raise ValueError(f"share {share} for hour {hour} is not in [0, 1.5]")
        return value

    @field_validator("security_plan")
    @classmethod
    def _plan_ref(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if value.startswith("demo:"):
            if not re.fullmatch(SLUG, value.removeprefix("demo:")):
                raise ValueError(
                    f"{value!r} is not a demo plan reference; expected demo:<name>, "
                    "e.g. demo:winchester-cathedral-market"
                )
            return value
        if not value.lower().endswith((".yaml", ".yml", ".json")):
            raise ValueError(
                f"{value!r} is not a plan file; expected a .yaml, .yml or .json path "
                "(relative to the scenario file) or demo:<name>"
            )
        return value

    @model_validator(mode="after")
    def _in_uk(self) -> Venue:
        if not (UK_LAT[0] <= self.lat <= UK_LAT[1] and UK_LON[0] <= self.lon <= UK_LON[1]):
            raise ValueError(
                f"lat/lon ({self.lat}, {self.lon}) is outside the United Kingdom; "
                "expected latitude 49.8..60.9 and longitude -8.7..1.8"
            )
        if self.opens and self.closes and self.closes < self.opens:
            raise ValueError(f"closes ({self.closes}) is before opens ({self.opens})")
        if self.capacity is not None and self.capacity < self.peak_occupancy:
            raise ValueError(
                f"capacity ({self.capacity}) is below peak_occupancy ({self.peak_occupancy})"
            )
        if self.area_m2 is not None:
            held = self.capacity if self.capacity is not None else self.peak_occupancy
            label = "capacity" if self.capacity is not None else "peak_occupancy"
            if held / self.area_m2 > MAX_DENSITY:
                raise ValueError(
                    f"{label} ({held}) on area_m2 ({self.area_m2:g}) is "
                    f"{held / self.area_m2:.1f} people per m^2, more than a crowd can stand "
                    f"at ({MAX_DENSITY:g}); check both figures"
                )
        return self

    def open_ranges(self, day: dt.date) -> list[TimeRange]:
        """Opening ranges on a date, empty outside ``opens``..``closes``."""
        if (self.opens and day < self.opens) or (self.closes and day > self.closes):
            return []
        return self.opening_hours.on(day)


class Base(_Strict):
    """A staging point teams start and end their shifts at.

    Demo bases are public police buildings or invented points, never real armed-unit bases.
    """

    id: Slug = Field(description="unique among the bases; teams name it in their base")
    name: str = Field(min_length=1, description="a public building or an invented point")
    lat: float = Field(description="latitude, degrees (WGS84), within the United Kingdom")
    lon: float = Field(description="longitude, degrees (WGS84), within the United Kingdom")
    island: bool = Field(default=False, description="on the Isle of Wight")
    note: str = Field(
        default="", description="e.g. that it is a stand-in, never a real armed-unit base"
    )
    sector: list[Slug] = Field(
        default_factory=list,
        description="venues its teams may patrol beyond patrol.home_radius_km (their home "
        "sector's outliers)",
    )

    @model_validator(mode="after")
    def _in_uk(self) -> Base:
        if not (UK_LAT[0] <= self.lat <= UK_LAT[1] and UK_LON[0] <= self.lon <= UK_LON[1]):
            raise ValueError(f"lat/lon ({self.lat}, {self.lon}) is outside the United Kingdom")
        return self


class Port(_Strict):
    """One end of a water crossing: where a team boards or leaves a ferry."""

    name: str = Field(min_length=1, description="the terminal, e.g. Portsmouth Gunwharf")
    lat: float = Field(description="latitude, degrees (WGS84), within the United Kingdom")
    lon: float = Field(description="longitude, degrees (WGS84), within the United Kingdom")

    @model_validator(mode="after")
    def _in_uk(self) -> Port:
        if not (UK_LAT[0] <= self.lat <= UK_LAT[1] and UK_LON[0] <= self.lon <= UK_LON[1]):
            raise ValueError(f"lat/lon ({self.lat}, {self.lon}) is outside the United Kingdom")
        return self


class Crossing(_Strict):
    """A ferry route between the mainland and the island (places marked ``island: true``).

    Travel between a place on the island and one on the mainland goes by road to a
    ``mainland`` port, waits, crosses, and goes by road from the ``island`` port (or the
    reverse), by whichever route is quickest for the team: a route with ``vehicles: false``
    carries foot passengers only. A straight line never crosses the water
    (:mod:`crowdguard.patrols.travel`). Without ``crossings`` a scenario gets the Solent
    routes of the demo.
    """

    id: Slug = Field(description="unique among the crossings, e.g. portsmouth-fishbourne")
    name: str = Field(min_length=1, description="the route as people know it")
    mainland: Port = Field(description="the terminal on the mainland")
    island: Port = Field(description="the terminal on the island")
    crossing_minutes: float = Field(
        gt=0, le=600, description="time on the water, terminal to terminal (the timetable's)"
    )
    wait_minutes: float = Field(
        ge=0,
        le=600,
        description="check-in, boarding and the wait for a sailing, added to each crossing",
    )
    vehicles: bool = Field(
        default=True, description="carries vehicles; `false`: foot passengers only"
    )
    source: str = Field(default="", description="where the figures come from; [ESTIMATE] if ours")


class Shift(_Strict):
    """A daily shift: ``"10:00-18:00"`` in YAML, on the given weekdays (default every day).

    A shift may cross midnight (``"22:00-02:00"``, the late economy around markets): it
    belongs to the date and weekday it starts on, and that date's plan and roster run on
    past midnight to its end (:meth:`Scenario.plan_window`).
    """

    hours: TimeRange = Field(
        description="start and end in local time; an end before the start is on the next "
        "day (22:00-02:00), the shift belonging to the day it starts"
    )
    days: list[Weekday] = Field(
        default_factory=lambda: list(Weekday), description="the weekdays the shift is worked"
    )

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: object) -> object:
        if isinstance(value, str):
            return {"hours": TimeRange.parse(value, overnight=True)}
        if isinstance(value, dict) and isinstance(value.get("hours"), str):
            return {**value, "hours": TimeRange.parse(value["hours"], overnight=True)}
        return value


def _hhmm(minutes: float) -> str:
    """``02:00`` for 120 (minutes after midnight, wrapped to the day)."""
    whole = int(minutes) % (24 * 60)
    return f"{whole // 60:02d}:{whole % 60:02d}"


def _clock(moment: dt.time) -> float:
    """Minutes after midnight (``dt.time.max``, written ``24:00``, is 1440)."""
    return 24 * 60.0 if moment == dt.time.max else moment.hour * 60.0 + moment.minute


class Team(_Strict):
    """An armed team (e.g. two authorised firearms officers on foot, or an ARV crew).

    ``kind`` names one of the scenario's team kinds (:attr:`PatrolPolicy.team_kinds`:
    ``foot`` and ``arv`` unless the scenario adds more), which set its speed and how much
    its presence counts. A team works one shift at a time: two of its shifts may not overlap
    on a weekday both apply to (a shift ending at 16:00 and one starting at 16:00 do not).
    """

    callsign: Slug = Field(description="unique among the teams, e.g. alpha-1")
    base: Slug = Field(description="the id of the base it starts and ends its shifts at")
    kind: Annotated[str, Field(pattern=SLUG, min_length=1, max_length=10)] = Field(
        default="foot",
        description="foot, arv or a kind added under patrol.team_kinds: sets its speed "
        "and how much its presence counts",
    )
    shifts: list[Shift] = Field(
        min_length=1, description="at least one; two may not overlap on a day both apply to"
    )

    @model_validator(mode="after")
    def _no_overlap(self) -> Team:
        week = list(Weekday)
        for i, day in enumerate(week):
            windows = sorted(
                (*s.hours.minutes(), str(s.hours)) for s in self.shifts if day in s.days
            )
            # the previous weekday's overnight shifts run on into this day
            before = week[i - 1]
            carried = [
                (start - 24 * 60, end - 24 * 60, f"{s.hours} from {before.value}")
                for s in self.shifts
                if before in s.days and s.hours.overnight
                for start, end in [s.hours.minutes()]
            ]
            for (_, end1, first), (start2, _, second) in itertools.pairwise(
                sorted(carried + windows)
            ):
                if start2 < end1:
                    raise ValueError(
                        f"team {self.callsign!r} has overlapping shifts on "
                        f"{day.value} ({first} and {second}); merge them into one shift or "
                        "give them different days"
                    )
        return self


class TeamKind(_Strict):
    """How a kind of team moves and how much its presence counts. [ESTIMATE]

    ``travel_multiplier`` scales the travel model's driving minutes (a foot team is dropped
    off and walks in from parking: 1.2); ``effectiveness`` weights its presence in the
    coverage (an ARV crew is partly in its vehicle, so less of a visible deterrent: 0.8).
    """

    travel_multiplier: float = Field(
        gt=0, le=10, description="x the travel model's driving minutes (foot 1.2, arv 1.0)"
    )
    effectiveness: float = Field(
        gt=0, le=1, description="how much its presence counts in coverage (foot 1.0, arv 0.8)"
    )
    crosses: Literal["vehicle", "foot"] = Field(
        default="vehicle",
        description="how it crosses water: `vehicle` takes its vehicle (vehicle ferries only); "
        "`foot` may also take foot-passenger craft (foot teams)",
    )


#: The team kinds every scenario has (a scenario may change their numbers or add kinds).
DEFAULT_TEAM_KINDS: dict[str, TeamKind] = {
    "foot": TeamKind(travel_multiplier=1.2, effectiveness=1.0, crosses="foot"),
    "arv": TeamKind(travel_multiplier=1.0, effectiveness=0.8),
}


class PatrolPolicy(_Strict):
    """How patrols work: effectiveness, the response-time target, dwell and team kinds.

    ``team_kinds`` adds kinds of team or changes the numbers of the defaults ``foot`` and
    ``arv`` (:data:`DEFAULT_TEAM_KINDS`), e.g.
    ``team_kinds: {dog: {travel_multiplier: 1.1, effectiveness: 0.9}}``.
    """

    effectiveness: float = Field(
        default=0.6,
        gt=0,
        le=1,
        description="share of an attack's harm prevented when a patrol is present [ESTIMATE]",
    )
    response_target_minutes: float = Field(
        default=10.0, gt=0, description="an armed team should reach a call within this"
    )
    min_dwell_minutes: float = Field(
        default=30.0, gt=0, description="the shortest patrol at a venue worth travelling for"
    )
    team_kinds: dict[Annotated[str, Field(pattern=SLUG, max_length=10)], TeamKind] = Field(
        default_factory=dict,
        description="speed and effectiveness per kind of team, added to or replacing the "
        "defaults foot (1.2, 1.0) and arv (1.0, 0.8) [ESTIMATE]",
    )

    # Operational limits (issue 11 s.2): each a constraint of the patrol-graph game, its
    # price reported beside the plan (``docs/theory/patrols.md``, "Operational limits").
    home_radius_km: float | None = Field(
        default=None,
        gt=0,
        le=500,
        description="operational limit: a team patrols only venues within this straight-line "
        "distance of its base, plus its base's sector; unset: anywhere",
    )
    max_transit_share: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="operational limit: the most of a shift a team may spend travelling, e.g. "
        "0.33 for a third (every drawn roster keeps it); unset: no cap",
    )
    min_stay_minutes: float | None = Field(
        default=None,
        gt=0,
        le=480,
        description="operational limit: once at a venue a team stays at least this long "
        "unless its shift ends (plans work in slots, so a visit may last longer); unset: "
        "one dwell",
    )

    def kinds(self) -> dict[str, TeamKind]:
        """Every kind of team: the defaults, then the scenario's own (which win)."""
        return {**DEFAULT_TEAM_KINDS, **self.team_kinds}

    def limits(self) -> dict[str, float]:
        """The operational limits set (name -> value); empty when none is."""
        named = {
            "home_radius_km": self.home_radius_km,
            "max_transit_share": self.max_transit_share,
            "min_stay_minutes": self.min_stay_minutes,
        }
        return {k: float(v) for k, v in named.items() if v is not None}


class Scenario(_Strict):
    """One planning season."""

    id: Slug = Field(description="names the season in plans and the store")
    name: str = Field(min_length=1, description="shown on every table and report")
    start: dt.date = Field(description="first date of the period")
    end: dt.date = Field(description="last date of the period (inclusive)")
    timezone: str = Field(
        default="Europe/London", description="every time in the file is local to it"
    )
    slot_minutes: int = Field(
        default=60,
        ge=15,
        le=240,
        description="the planning grain: must divide an hour or be whole hours",
    )
    threat_level: ThreatLevel = Field(description="the current JTAC national threat level")
    threat_source: str = Field(default="", description="who set the level and when")
    venues: list[Venue] = Field(min_length=1, description="the crowded places, at least one")
    bases: list[Base] = Field(default_factory=list, description="staging points teams start at")
    teams: list[Team] = Field(min_length=1, description="the armed teams, at least one")
    patrol: PatrolPolicy = Field(
        default_factory=PatrolPolicy, description="how patrols work (defaults below)"
    )
    crossings: list[Crossing] | None = Field(
        default=None,
        min_length=1,
        description="ferry routes to the island; none: the demo's Solent routes "
        "(Portsmouth-Ryde, Portsmouth-Fishbourne, Southampton-Cowes, Lymington-Yarmouth)",
    )
    martyns_law_commencement: dt.date | None = Field(
        default=None,
        description="the date the duties of the Terrorism (Protection of Premises) Act 2025 "
        "are commenced; unset: not yet known (as of the 2026 season only s.27 is), so linked "
        "security plans are reviewed as advice on duties that will apply",
    )
    notes: str = Field(default="", description="free text: what the data are and their labels")

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        if 60 % self.slot_minutes and self.slot_minutes % 60:
            raise ValueError(
                f"slot_minutes={self.slot_minutes} must divide an hour or be whole hours"
            )
        for label, ids in (
            ("venues", [v.id for v in self.venues]),
            ("bases", [b.id for b in self.bases]),
            ("teams", [t.callsign for t in self.teams]),
            ("crossings", [c.id for c in self.crossings or []]),
        ):
            seen: set[str] = set()
            for i, ident in enumerate(ids):
                if ident in seen:
                    raise ValueError(f"{label}[{i}]: duplicate id {ident!r}")
                seen.add(ident)
        base_ids = {b.id for b in self.bases}
        venue_ids = {v.id for v in self.venues}
        for i, base in enumerate(self.bases):
            for venue in base.sector:
                if venue not in venue_ids:
                    raise ValueError(
                        f"bases[{i}].sector: {venue!r} is not one of the scenario's venues; "
                        "fix the id or remove it"
                    )
        for i, team in enumerate(self.teams):
            if team.base not in base_ids:
                raise ValueError(
                    f"teams[{i}].base: team {team.callsign!r} names base {team.base!r}, "
                    f"which is not among the scenario's bases ({', '.join(sorted(base_ids)) or 'none'})"
                )
        kinds = self.patrol.kinds()
        for i, team in enumerate(self.teams):
            if team.kind not in kinds:
                raise ValueError(
                    f"teams[{i}].kind: team {team.callsign!r} has kind {team.kind!r}, which is "
                    f"not a team kind ({', '.join(sorted(kinds))}); fix the name or add it "
                    "under patrol.team_kinds with travel_multiplier and effectiveness"
                )
        dwell = self.patrol.min_dwell_minutes
        for i, team in enumerate(self.teams):
            for shift in team.shifts:
                start, end = shift.hours.minutes()
                if end - start < dwell:
                    raise ValueError(
                        f"teams[{i}].shifts: shift {shift.hours} of team {team.callsign!r} "
                        f"lasts {end - start:g} min, shorter than one dwell "
                        f"(patrol.min_dwell_minutes={dwell:g}); lengthen the shift or lower "
                        "patrol.min_dwell_minutes"
                    )
                first = math.ceil(start / self.slot_minutes)
                if (first + 1) * self.slot_minutes > end:
                    raise ValueError(
                        f"teams[{i}].shifts: shift {shift.hours} of team {team.callsign!r} "
                        f"holds no whole {self.slot_minutes}-minute slot (slots run every "
                        f"{self.slot_minutes} min from midnight); align the shift with the slots "
                        "or lower slot_minutes"
                    )
        self._nights_end_before_next_shifts()
        return self

    def _nights_end_before_next_shifts(self) -> None:
        """A night's venue-slots are planned with the shifts that start the evening before,
        so no shift of the next weekday may hold a slot starting before the night ends."""
        week = list(Weekday)
        for w, weekday in enumerate(week):
            night = self._overnight_on(weekday)
            if night is None:
                continue
            carry, who = night
            following = week[(w + 1) % 7]
            for i, team in enumerate(self.teams):
                for shift in team.shifts:
                    if following not in shift.days or shift.hours.overnight:
                        continue
                    start = shift.hours.minutes()[0]
                    first_slot = math.ceil(start / self.slot_minutes) * self.slot_minutes
                    if first_slot < carry:
                        raise ValueError(
                            f"teams[{i}].shifts: shift {shift.hours} of team "
                            f"{team.callsign!r} on {following.value} starts before "
                            f"{_hhmm(carry)}, when the overnight shift {who} from "
                            f"{weekday.value} ends; a night is planned with the shifts that "
                            f"start the evening before, so start it at {_hhmm(carry)} or "
                            "later, or end the overnight shift earlier"
                        )

    def _overnight_on(self, weekday: Weekday) -> tuple[float, str] | None:
        """How far past the next midnight the shifts worked on ``weekday`` run (minutes),
        with the shift that runs latest, or None when none crosses midnight."""
        latest: tuple[float, str] | None = None
        for team in self.teams:
            for shift in team.shifts:
                if weekday in shift.days and shift.hours.overnight:
                    past = shift.hours.minutes()[1] - 24 * 60
                    if latest is None or past > latest[0]:
                        latest = (past, f"{shift.hours} of team {team.callsign!r}")
        return latest

    def overnight_minutes(self, day: dt.date) -> float:
        """Minutes past the next midnight that the shifts starting on ``day`` run (0: none
        crosses midnight)."""
        night = self._overnight_on(Weekday.of(day))
        return 0.0 if night is None else night[0]

    def plan_window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """The local times the plan of ``day`` covers: from midnight, or from the end of the
        previous evening's overnight shifts (whose plan holds the early hours; on the
        period's first day, the night before the period, which is not planned), to the next
        midnight, or to the end of ``day``'s own overnight shifts. Venue-slots are given to
        the window their start falls in, so each belongs to exactly one day's plan and
        roster: a period is the shifts that start in it."""
        zone = ZoneInfo(self.timezone)
        carried = self.overnight_minutes(day - dt.timedelta(days=1))
        start = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
        return (
            start + dt.timedelta(minutes=carried),
            end + dt.timedelta(minutes=self.overnight_minutes(day)),
        )

    def plan_day_of(self, moment: dt.datetime) -> dt.date:
        """The date whose plan holds a venue-slot starting at ``moment`` (see
        :meth:`plan_window`): its local date, or the day before in the early hours of a
        night worked by overnight shifts."""
        local = moment.astimezone(ZoneInfo(self.timezone))
        day = local.date()
        if local < self.plan_window(day)[0]:
            return day - dt.timedelta(days=1)
        return day

    @property
    def days(self) -> list[dt.date]:
        """Every date of the period, inclusive."""
        n = (self.end - self.start).days + 1
        return [self.start + dt.timedelta(days=i) for i in range(n)]

    def without_limits(self) -> Scenario:
        """This scenario with its operational limits lifted (``patrol.limits()`` unset): the
        unconstrained plan the limits are priced against (``crowdguard plan --without-limits``)."""
        lifted = {name: None for name in self.patrol.limits()}
        if not lifted:
            return self
        return self.model_copy(update={"patrol": self.patrol.model_copy(update=lifted)})

    def venue(self, venue_id: str) -> Venue:
        """The venue with this id; ``KeyError`` naming the known ids otherwise."""
        for venue in self.venues:
            if venue.id == venue_id:
                return venue
        raise KeyError(f"no venue {venue_id!r}; known: {', '.join(v.id for v in self.venues)}")
