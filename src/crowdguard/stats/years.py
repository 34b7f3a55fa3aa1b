"""Financial years and reporting periods, in Europe/London.

The Home Office publishes police use of firearms statistics by **financial year**, 1 April
to 31 March, labelled "year ending 31 March YYYY" and written ``2017/18`` (gov.uk, *Police
use of firearms statistics, England and Wales: April 2023 to March 2024*, published 11 July
2024; ``domain.md`` section 6). One function, :func:`financial_year`, maps a moment or a
date to its year ([DESIGN], ``domain.md`` section 6): every count, table and plot uses it.

A moment is placed by its **local date in Europe/London**: 23:59 BST on 31 March is in the
year ending that 31 March, 00:30 BST on 1 April (23:30 UTC on 31 March) in the next.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from crowdguard.errors import InputError

__all__ = [
    "LONDON",
    "FinancialYear",
    "Period",
    "financial_year",
    "local_date",
    "parse_financial_year",
    "parse_period",
]

LONDON = ZoneInfo("Europe/London")


@dataclass(frozen=True, slots=True, order=True)
class FinancialYear:
    """The year 1 April (``ending`` - 1) to 31 March ``ending``."""

    ending: int

    @property
    def label(self) -> str:
        """The short label the Home Office tables use: ``2017/18``."""
        return f"{self.ending - 1}/{self.ending % 100:02d}"

    @property
    def long(self) -> str:
        """The release wording: ``year ending 31 March 2018``."""
        return f"year ending 31 March {self.ending}"

    @property
    def first_day(self) -> dt.date:
        """1 April of the year before ``ending``."""
        return dt.date(self.ending - 1, 4, 1)

    @property
    def last_day(self) -> dt.date:
        """31 March of ``ending``."""
        return dt.date(self.ending, 3, 31)

    def __str__(self) -> str:
        return self.label


def local_date(moment: dt.datetime | dt.date) -> dt.date:
    """The calendar date of ``moment`` in Europe/London (a date is returned as it is).

    A naive datetime is refused: the log stores aware UTC instants, and guessing a zone
    would move incidents near midnight between days (and years).
    """
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is None:
            raise InputError(f"time: {moment.isoformat()} has no time zone; expected UTC or +01:00")
        return moment.astimezone(LONDON).date()
    return moment


def financial_year(moment: dt.datetime | dt.date) -> FinancialYear:
    """The financial year (year ending 31 March) of a moment's London date, or of a date."""
    day = local_date(moment)
    return FinancialYear(day.year if day.month <= 3 else day.year + 1)


_FY = re.compile(
    r"^(?:(\d{4})\s*[/-]\s*(\d{2}|\d{4})|(?:year ending (?:31 )?march )?(\d{4}))$", re.I
)


def parse_financial_year(text: str) -> FinancialYear:
    """``2017/18``, ``2017-18``, ``2017/2018``, ``year ending 31 March 2018`` or ``2018``
    (the year ending) as a :class:`FinancialYear`; anything else is an :class:`InputError`."""
    match = _FY.match(text.strip())
    if match is None:
        raise InputError(
            f"year: {text!r} is not a financial year; expected e.g. 2017/18 or "
            "'year ending 31 March 2018'"
        )
    if match.group(3):
        return _checked(FinancialYear(int(match.group(3))), text)
    first, second = int(match.group(1)), match.group(2)
    ending = int(second) if len(second) == 4 else (first // 100) * 100 + int(second)
    if ending <= first and len(second) == 2:
        ending += 100
    if ending != first + 1:
        raise InputError(f"year: {text!r} does not span one year (expected e.g. 2017/18)")
    return _checked(FinancialYear(ending), text)


FIRST_YEAR, LAST_YEAR = 1900, 2999
"""Dates the statistics accept: the Home Office series starts in the 2000s; anything far
outside is a typo, and year 0 or 9999 would overflow the calendar arithmetic."""


def _checked(year: FinancialYear, text: str) -> FinancialYear:
    if not FIRST_YEAR < year.ending <= LAST_YEAR:
        raise InputError(
            f"year: {text!r} is outside {FIRST_YEAR + 1}..{LAST_YEAR}; expected e.g. 2017/18"
        )
    return year


@dataclass(frozen=True, slots=True)
class Period:
    """Calendar dates ``first`` to ``last`` inclusive, in Europe/London."""

    first: dt.date
    last: dt.date

    @property
    def start(self) -> dt.datetime:
        """The first instant of the period (local midnight)."""
        return dt.datetime.combine(self.first, dt.time(), tzinfo=LONDON)

    @property
    def end(self) -> dt.datetime:
        """The instant just after the period (local midnight after ``last``)."""
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), tzinfo=LONDON)

    def contains(self, moment: dt.datetime | dt.date) -> bool:
        """True when the moment's London date is within the period."""
        return self.first <= local_date(moment) <= self.last

    def days(self) -> list[dt.date]:
        """Every date of the period, in order."""
        return [self.first + dt.timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def months(self) -> list[str]:
        """Every month the period touches, as ``YYYY-MM``."""
        seen: list[str] = []
        for day in self.days():
            key = f"{day:%Y-%m}"
            if not seen or seen[-1] != key:
                seen.append(key)
        return seen

    def __str__(self) -> str:
        return f"{self.first.isoformat()}:{self.last.isoformat()}"


MAX_PERIOD_DAYS = 3660
"""Longest period accepted (ten years): a typo such as 2026:20260 should not read forever."""


def parse_period(text: str, *, option: str = "--period") -> Period:
    """``FROM:TO`` (ISO dates, inclusive) or a financial year (``2017/18``) as a
    :class:`Period`; a clear :class:`InputError` naming ``option`` otherwise."""
    raw = text.strip()
    if ":" not in raw:
        try:
            year = parse_financial_year(raw)
        except InputError:
            raise InputError(
                f"{option}: {text!r} is not a period; expected FROM:TO as YYYY-MM-DD:YYYY-MM-DD "
                "or a financial year such as 2026/27"
            ) from None
        return Period(year.first_day, year.last_day)
    left, _, right = raw.partition(":")
    try:
        first, last = dt.date.fromisoformat(left.strip()), dt.date.fromisoformat(right.strip())
    except ValueError:
        raise InputError(
            f"{option}: {text!r} is not a period; expected FROM:TO as YYYY-MM-DD:YYYY-MM-DD "
            "(real dates)"
        ) from None
    if not (first.year >= FIRST_YEAR and last.year <= LAST_YEAR):
        raise InputError(
            f"{option}: {text!r} is outside the years {FIRST_YEAR}..{LAST_YEAR}; expected "
            "FROM:TO as YYYY-MM-DD:YYYY-MM-DD"
        )
    if last < first:
        raise InputError(f"{option}: {text!r} ends before it starts")
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise InputError(f"{option}: {text!r} is longer than ten years")
    return Period(first, last)
