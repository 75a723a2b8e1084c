"""Yearly calendars an administrator loads for the years chinese-calendar does not know."""

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from infra.calendar import (
    PACKAGE_YEARS,
    CalendarFileError,
    ChineseWorkingCalendar,
    YearCalendar,
    read_year_file,
)

# A made-up 2027 for the tests (the State Council publishes the real one each November).
YEAR_2027: dict[str, Any] = {
    "year": 2027,
    "holidays": ["2027-01-01", "2027-02-08", "2027-02-09", "2027-02-10"],
    "workdays": ["2027-02-06"],
}


def written(tmp_path: Path, content: Any) -> Path:
    path = tmp_path / "2027.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_a_year_file_reads_holidays_and_make_up_days(tmp_path: Path) -> None:
    year = read_year_file(written(tmp_path, YEAR_2027))

    assert year.year == 2027
    assert year.is_working_day(date(2027, 1, 1)) is False  # Fri, New Year's Day
    assert year.is_working_day(date(2027, 1, 4)) is True  # an ordinary Monday
    assert year.is_working_day(date(2027, 1, 2)) is False  # an ordinary Saturday
    assert year.is_working_day(date(2027, 2, 6)) is True  # a make-up Saturday


def test_holidays_on_a_weekend_are_accepted(tmp_path: Path) -> None:
    # Notices list whole breaks, weekends included: harmless, they are off either way.
    year = read_year_file(
        written(tmp_path, {**YEAR_2027, "holidays": ["2027-10-01", "2027-10-02", "2027-10-03"]})
    )

    assert not any(year.is_working_day(date(2027, 10, d)) for d in (1, 2, 3))


BROKEN = {
    "date outside the year": (
        {**YEAR_2027, "holidays": ["2026-12-31", "2027-01-01"]},
        "holidays: 2026-12-31 is not in 2027",
    ),
    "make-up day outside the year": (
        {**YEAR_2027, "workdays": ["2028-01-08"]},
        "workdays: 2028-01-08 is not in 2027",
    ),
    "both holiday and workday": (
        {**YEAR_2027, "workdays": ["2027-02-06", "2027-02-09"]},
        "2027-02-09 is listed both as a holiday and as a workday",
    ),
    "make-up day on a weekday": (
        {**YEAR_2027, "workdays": ["2027-02-05"]},
        "workdays: 2027-02-05 is a Friday; workdays lists only the make-up working weekend",
    ),
    "no holidays": ({**YEAR_2027, "holidays": []}, "holidays: "),
    "not a date": ({**YEAR_2027, "holidays": ["2027-13-01"]}, "holidays.0: "),
    "misspelt field": (
        {"year": 2027, "holidays": ["2027-01-01"], "workday": []},
        "workday: Extra inputs are not permitted",
    ),
    "no year": ({"holidays": ["2027-01-01"]}, "year: Field required"),
    "not JSON": ("{year: 2027}", "not valid JSON"),
}


@pytest.mark.parametrize(("content", "message"), BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_year_file_is_refused_in_one_line(
    tmp_path: Path, content: Any, message: str
) -> None:
    path = written(tmp_path, content)

    with pytest.raises(CalendarFileError) as raised:
        read_year_file(path)

    assert str(raised.value).startswith(f"calendar file {path}: ")
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_the_package_knows_2004_to_2026_and_not_2027() -> None:
    calendar = ChineseWorkingCalendar()

    assert PACKAGE_YEARS[0] == 2004
    assert 2026 in PACKAGE_YEARS
    assert calendar.is_working_day(date(2026, 10, 10)) is True  # make-up Saturday
    if 2027 in PACKAGE_YEARS:
        pytest.skip("this chinese-calendar already knows 2027")
    assert calendar.is_working_day(date(2027, 1, 4)) is None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class LoadedYears:
    """What the store holds, and how often the calendar asked for it."""

    def __init__(self) -> None:
        self.years: dict[int, YearCalendar] = {}
        self.reads = 0

    def __call__(self) -> dict[int, YearCalendar]:
        self.reads += 1
        return dict(self.years)


def test_a_loaded_year_is_seen_once_the_refresh_interval_has_passed() -> None:
    loaded, clock = LoadedYears(), Clock()
    calendar = ChineseWorkingCalendar(loaded, refresh_seconds=30, monotonic=clock)
    assert calendar.is_working_day(date(2031, 1, 1)) is None

    loaded.years[2031] = YearCalendar(year=2031, holidays=[date(2031, 1, 1)])
    clock.now += 29
    assert calendar.is_working_day(date(2031, 1, 1)) is None  # read less than 30 s ago
    clock.now += 1

    assert calendar.is_working_day(date(2031, 1, 1)) is False
    assert calendar.is_working_day(date(2031, 1, 2)) is True
    assert loaded.reads == 2  # one small read per interval, not one per question


def test_a_loaded_year_overrides_the_package() -> None:
    # An administrator corrects 2026: Thu Dec 31 off, Sat Dec 26 a make-up working day.
    loaded = LoadedYears()
    loaded.years[2026] = YearCalendar(
        year=2026, holidays=[date(2026, 12, 31)], workdays=[date(2026, 12, 26)]
    )
    calendar = ChineseWorkingCalendar(loaded)

    assert calendar.is_working_day(date(2026, 12, 31)) is False
    assert calendar.is_working_day(date(2026, 12, 26)) is True
    assert calendar.is_working_day(date(2026, 10, 1)) is True  # the loaded file says so


def test_a_failed_read_keeps_counting_on_the_last_one() -> None:
    loaded, clock = LoadedYears(), Clock()
    loaded.years[2031] = YearCalendar(year=2031, holidays=[date(2031, 1, 1)])
    calendar = ChineseWorkingCalendar(loaded, refresh_seconds=30, monotonic=clock)
    assert calendar.is_working_day(date(2031, 1, 1)) is False

    def unreachable() -> dict[int, YearCalendar]:
        raise OSError("database down")

    calendar.loaded_years = unreachable
    clock.now += 60

    assert calendar.is_working_day(date(2031, 1, 1)) is False
