"""China's working-day calendar: statutory holidays off, make-up weekends (调休) on.

``chinese-calendar`` knows the State Council's yearly notices for 2004-2026. For later
years (and to correct a year it has wrong) an administrator loads a yearly calendar file
(``casework calendar load FILE``), kept in PostgreSQL. The file, in JSON:

    {"year": 2027,
     "holidays": ["2027-01-01", ...],    # days off, weekdays or (harmlessly) weekends
     "workdays": ["2027-02-20", ...]}    # the make-up working weekend days (调休)

Every other weekday is a working day, every other weekend day is not. A loaded year
overrides the package; a year neither knows is answered None, never guessed here.
"""

import functools
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import chinese_calendar
from psycopg.rows import class_row
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from infra.tables import Tables

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS casework_calendar_years (
    year integer PRIMARY KEY,
    holidays date[] NOT NULL,
    workdays date[] NOT NULL,
    source text NOT NULL,
    loaded_by text NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now()
)
"""

# The years the installed package has notices for.
PACKAGE_YEARS = sorted({day.year for day in chinese_calendar.constants.holidays})
_PACKAGE_YEAR_SET = frozenset(PACKAGE_YEARS)


class CalendarFileError(Exception):
    """A yearly calendar file cannot be loaded; the message is one line."""


class YearCalendar(BaseModel):
    """One year's working days as the State Council's notice sets them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    year: int = Field(ge=2000, le=2200)
    holidays: frozenset[date] = Field(min_length=1)
    workdays: frozenset[date] = frozenset()

    @model_validator(mode="after")
    def _consistent(self) -> "YearCalendar":
        for field, days in (("holidays", self.holidays), ("workdays", self.workdays)):
            outside = sorted(d for d in days if d.year != self.year)
            if outside:
                raise ValueError(f"{field}: {outside[0]} is not in {self.year}")
        both = sorted(self.holidays & self.workdays)
        if both:
            raise ValueError(f"{both[0]} is listed both as a holiday and as a workday")
        weekdays = sorted(d for d in self.workdays if d.weekday() < 5)
        if weekdays:
            # Weekdays work anyway: a weekday here is almost surely a wrong date.
            raise ValueError(
                f"workdays: {weekdays[0]} is a {weekdays[0]:%A}; workdays lists only the "
                "make-up working weekend days (调休)"
            )
        return self

    def is_working_day(self, day: date) -> bool:
        return day in self.workdays or (day.weekday() < 5 and day not in self.holidays)


def read_year_file(path: Path) -> YearCalendar:
    """The year in a calendar file, or a CalendarFileError naming the file and the fault."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise CalendarFileError(f"calendar file {path}: cannot be read: {error}") from None
    try:
        return YearCalendar.model_validate(json.loads(text))
    except ValueError as error:  # JSONDecodeError and ValidationError are ValueErrors
        raise CalendarFileError(f"calendar file {path}: {_one_line(error)}") from None


def _one_line(error: ValueError) -> str:
    if not isinstance(error, ValidationError):
        return f"not valid JSON: {error}"
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{where + ': ' if where else ''}{message}{more}"


@dataclass(frozen=True)
class LoadedYear:
    year: int
    holidays: list[date]
    workdays: list[date]
    source: str
    loaded_by: str
    loaded_at: datetime

    @property
    def calendar(self) -> YearCalendar:
        return YearCalendar(year=self.year, holidays=self.holidays, workdays=self.workdays)


class CalendarYears(Tables):
    """The yearly calendars administrators loaded, one row a year."""

    SCHEMA = SCHEMA

    def save(self, year: YearCalendar, source: str, loaded_by: str) -> None:
        """Store the year, replacing any earlier load of it."""
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO casework_calendar_years"
                " (year, holidays, workdays, source, loaded_by) VALUES (%s, %s, %s, %s, %s)"
                " ON CONFLICT (year) DO UPDATE SET holidays = excluded.holidays,"
                " workdays = excluded.workdays, source = excluded.source,"
                " loaded_by = excluded.loaded_by, loaded_at = now()",
                (year.year, sorted(year.holidays), sorted(year.workdays), source, loaded_by),
            )

    def all(self) -> list[LoadedYear]:
        with self.pool.connection() as conn:
            cursor = conn.cursor(row_factory=class_row(LoadedYear))
            return cursor.execute(
                "SELECT year, holidays, workdays, source, loaded_by, loaded_at"
                " FROM casework_calendar_years ORDER BY year"
            ).fetchall()

    def calendars(self) -> dict[int, YearCalendar]:
        return {row.year: row.calendar for row in self.all()}


@functools.lru_cache(maxsize=16384)
def _library_is_workday(day: date) -> bool | None:
    # The library's data is fixed per release, and each of its answers scans its whole table:
    # a list of cases asks about the same few hundred days thousands of times.
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


class ChineseWorkingCalendar:
    """Working days from the loaded yearly calendars, else from ``chinese-calendar``.

    Answers None for a year neither knows, so that deadlines reaching into it are marked
    provisional instead of guessed. Server processes keep the loaded years in memory and
    read them again at most every ``refresh_seconds``: a year an administrator loads while
    they run is seen within that time, at the cost of one small query per interval.
    """

    def __init__(
        self,
        loaded_years: Callable[[], dict[int, YearCalendar]] | None = None,
        refresh_seconds: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.loaded_years = loaded_years
        self.refresh_seconds = refresh_seconds
        self.monotonic = monotonic
        self._years: dict[int, YearCalendar] = {}
        # Every answer given since the loaded years last changed: a page of cases asks about
        # the same few hundred days once per case.
        self._answers: dict[date, bool | None] = {}
        # Each known year's count of working days, so that long spans cost a lookup a year.
        self._year_counts: dict[int, int] = {}
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def is_working_day(self, day: date) -> bool | None:
        years = self._current_years()
        answers = self._answers
        if day in answers:
            return answers[day]
        year = years.get(day.year)
        answer = year.is_working_day(day) if year is not None else _library_is_workday(day)
        answers[day] = answer
        return answer

    def working_days_in_year(self, year: int) -> int | None:
        """How many working days the year has; None for a year neither source knows."""
        years = self._current_years()
        if year not in years and year not in _PACKAGE_YEAR_SET:
            return None
        counts = self._year_counts
        if year not in counts:
            first, days = date(year, 1, 1), (date(year, 12, 31) - date(year, 1, 1)).days + 1
            counts[year] = sum(
                bool(self.is_working_day(first + timedelta(days=k))) for k in range(days)
            )
        return counts[year]

    def refresh(self) -> None:
        """Read the loaded years now."""
        with self._lock:
            self._read()

    def _current_years(self) -> dict[int, YearCalendar]:
        if self._stale():
            with self._lock:
                if self._stale():  # another thread may have just read them
                    self._read()
        return self._years

    def _stale(self) -> bool:
        return self.loaded_years is not None and (
            self._read_at is None or self.monotonic() - self._read_at >= self.refresh_seconds
        )

    def _read(self) -> None:
        if self.loaded_years is None:
            return
        self._read_at = self.monotonic()
        try:
            years = self.loaded_years()
            if years != self._years:
                self._years, self._answers, self._year_counts = years, {}, {}
        except Exception:  # keep counting on what was read last (and logged)
            log.exception("cannot read the loaded calendar years; keeping the last read")
