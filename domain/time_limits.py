"""Deadlines: how long each category of case may take, counted as the rules count it.

Counting follows published hotline rules and civil-law practice: the day of receipt is
not counted; a limit in working days ends at the end of the Nth working day after the
day of receipt; a limit in calendar days that ends on a non-working day moves to the
next working day; a limit in hours runs on the clock. Days are local days in the
service's time zone (Asia/Shanghai by default).

Which days are working days is not known here: a ``WorkingCalendar`` answers it and
says when it does not know a year, in which case the deadline is counted on weekends
only and marked provisional rather than guessed silently.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Protocol

from domain.vocabulary import DisputeCategory, Kind, RequestCategory, WishCategory


class Unit(StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    HOURS = "hours"


@dataclass(frozen=True)
class TimeLimit:
    amount: int
    unit: Unit


DEFAULT_TIME_LIMITS: dict[tuple[Kind, str], TimeLimit] = {
    (Kind.RESIDENT_REQUEST, RequestCategory.CONSULTATION): TimeLimit(3, Unit.WORKING_DAYS),
    (Kind.RESIDENT_REQUEST, RequestCategory.HELP): TimeLimit(3, Unit.WORKING_DAYS),
    (Kind.RESIDENT_REQUEST, RequestCategory.COMPLAINT): TimeLimit(13, Unit.WORKING_DAYS),
    (Kind.RESIDENT_REQUEST, RequestCategory.SUGGESTION): TimeLimit(13, Unit.WORKING_DAYS),
    (Kind.RESIDENT_REQUEST, RequestCategory.URGENT): TimeLimit(24, Unit.HOURS),
    **{(Kind.DISPUTE, c): TimeLimit(30, Unit.CALENDAR_DAYS) for c in DisputeCategory},
    **{(Kind.MICRO_WISH, c): TimeLimit(30, Unit.CALENDAR_DAYS) for c in WishCategory},
}


class WorkingCalendar(Protocol):
    def is_working_day(self, day: date) -> bool | None:
        """True or False where the year's calendar is known; None where it is not."""


@dataclass(frozen=True)
class Deadline:
    due_at: datetime
    provisional: bool


class _Counter:
    """Walks days on a calendar, remembering whether it had to guess any of them."""

    def __init__(self, calendar: WorkingCalendar):
        self.calendar = calendar
        self.guessed = False

    def is_working_day(self, day: date) -> bool:
        known = self.calendar.is_working_day(day)
        if known is None:
            self.guessed = True
            return day.weekday() < 5
        return known

    def nth_working_day_after(self, day: date, n: int) -> date:
        while n > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day

    def working_day_on_or_after(self, day: date) -> date:
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day


def end_of_day(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone)


def deadline_for(
    received_at: datetime, limit: TimeLimit, calendar: WorkingCalendar, zone: tzinfo
) -> Deadline:
    if limit.unit == Unit.HOURS:
        return Deadline(received_at + timedelta(hours=limit.amount), provisional=False)
    counter = _Counter(calendar)
    received_on = received_at.astimezone(zone).date()
    if limit.unit == Unit.WORKING_DAYS:
        last_day = counter.nth_working_day_after(received_on, limit.amount)
    else:
        last_day = counter.working_day_on_or_after(received_on + timedelta(days=limit.amount))
    return Deadline(end_of_day(last_day, zone), provisional=counter.guessed)


def extended_by_working_days(
    due_at: datetime, days: int, calendar: WorkingCalendar, zone: tzinfo
) -> Deadline:
    """A deadline moved to the end of the Nth working day after the current one's day."""
    counter = _Counter(calendar)
    last_day = counter.nth_working_day_after(due_at.astimezone(zone).date(), days)
    return Deadline(end_of_day(last_day, zone), provisional=counter.guessed)


def shifted_for_suspension(
    due_at: datetime, suspended_at: datetime, resumed_at: datetime
) -> datetime:
    """The deadline after a suspension: the clock stood still while the case waited."""
    return due_at + max(resumed_at - suspended_at, timedelta(0))
