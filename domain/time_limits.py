"""Deadlines: how long each category of case may take, counted as the rules count it.

Counting follows published hotline rules and civil-law practice: the day of receipt is
not counted; a limit in working days ends at the end of the Nth working day after the
day of receipt; a limit in calendar days that ends on a non-working day moves to the
next working day; a limit in hours runs on the clock. Days are local days in the
service's time zone (Asia/Shanghai by default).

Which days are working days is not known here: a ``WorkingCalendar`` answers it and
says when it does not know a year, in which case the deadline is counted on weekends
only and marked provisional rather than guessed silently.

Time suspended waiting on the resident does not count: resumption moves the deadline by
the working time lost. A case keeps every move of its deadline, so the deadline can be
counted again from the case's own history once a missing year's calendar is loaded.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from domain.vocabulary import Kind


class Unit(StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    HOURS = "hours"


@dataclass(frozen=True)
class TimeLimit:
    amount: int
    unit: Unit

    def to_json(self) -> dict[str, Any]:
        """As events store it: plain JSON types."""
        return {"amount": self.amount, "unit": self.unit.value}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "TimeLimit":
        return cls(int(data["amount"]), Unit(data["unit"]))


# How far after its approval an extension may set a deadline: beyond it a deadline is a
# mistake (or an attack), and years past 9999 cannot even be represented.
LONGEST_EXTENSION = timedelta(days=731)

# The limit of every category of every kind. The defaults are data the administrator may
# edit (infra/time_limits.json), so the domain only names the shape.
TimeLimits = dict[tuple[Kind, str], TimeLimit]


class WorkingCalendar(Protocol):
    def is_working_day(self, day: date) -> bool | None:
        """True or False where the year's calendar is known; None where it is not.
        A calendar knows whole years: a year is known when its first day is."""


@runtime_checkable
class CountsWholeYears(Protocol):
    """A calendar that can say at once how many working days a year has (None: unknown)."""

    def working_days_in_year(self, year: int) -> int | None: ...


@dataclass(frozen=True)
class Deadline:
    due_at: datetime
    provisional: bool


def weekdays_after(first: date, last: date) -> int:
    """How many Monday-to-Friday days d there are with first < d <= last (0 if none)."""
    if last <= first:
        return 0
    days = (last - first).days
    weeks, rest = divmod(days, 7)
    start = (first.weekday() + 1) % 7  # weekday of first + 1 day
    return weeks * 5 + sum(1 for k in range(rest) if (start + k) % 7 < 5)


def nth_weekday_after(day: date, n: int) -> date:
    """The nth Monday-to-Friday day after ``day`` (n >= 1), without walking day by day."""
    # Step back to the last weekday on or before ``day``: the same count follows from it.
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    weeks, rest = divmod(n - 1, 5)
    day += timedelta(weeks=weeks)
    for _ in range(rest + 1):
        day += timedelta(days=3 if day.weekday() == 4 else 1)
    return day


class _Counter:
    """Counts working days on a calendar, remembering whether it had to guess any of them.

    Years the calendar does not know are counted on weekdays arithmetically, and known
    whole years by their total where the calendar gives it, so a count costs about the
    same however far apart its days are (a hostile date in year 1 or 9999 included).
    Counting stops at the last representable day rather than failing.
    """

    def __init__(self, calendar: WorkingCalendar):
        self.calendar = calendar
        self.guessed = False
        self._known_years: dict[int, bool] = {}

    def knows(self, year: int) -> bool:
        if year not in self._known_years:
            if isinstance(self.calendar, CountsWholeYears):
                known = self.calendar.working_days_in_year(year) is not None
            else:
                known = self.calendar.is_working_day(date(year, 1, 1)) is not None
            self._known_years[year] = known
        return self._known_years[year]

    def is_working_day(self, day: date) -> bool:
        known = self.calendar.is_working_day(day)
        if known is None:
            self.guessed = True
            return day.weekday() < 5
        return known

    def nth_working_day_after(self, day: date, n: int) -> date:
        while n > 0:
            if day == date.max:
                return day
            year_end = date(day.year, 12, 31)
            if day == year_end:
                year_end = date(day.year + 1, 12, 31)
            following = day + timedelta(days=1)
            if not self.knows(following.year):
                self.guessed = True
                available = weekdays_after(day, year_end)
                if available >= n:
                    return nth_weekday_after(day, n)
                n -= available
                day = year_end
                continue
            day = following
            if self.is_working_day(day):
                n -= 1
        return day

    def working_days_after(self, first: date, last: date) -> int:
        """How many working days d there are with first < d <= last."""
        count = 0
        while first < last:
            year_end = min(date(first.year, 12, 31), last)
            if first == year_end:  # first is Dec 31: the span starts next year
                year_end = min(date(first.year + 1, 12, 31), last)
            year = year_end.year
            if not self.knows(year):
                self.guessed = True
                count += weekdays_after(first, year_end)
            elif (
                first == date(year - 1, 12, 31)
                and year_end == date(year, 12, 31)
                and (whole := self._whole_year(year)) is not None
            ):
                count += whole
            else:
                count += sum(
                    self.is_working_day(first + timedelta(days=k))
                    for k in range(1, (year_end - first).days + 1)
                )
            first = year_end
        return count

    def _whole_year(self, year: int) -> int | None:
        if isinstance(self.calendar, CountsWholeYears):
            return self.calendar.working_days_in_year(year)
        return None

    def working_day_on_or_after(self, day: date) -> date:
        while not self.is_working_day(day):
            if day == date.max:
                return day
            day += timedelta(days=1)
        return day


def in_zone(moment: datetime, zone: tzinfo) -> datetime:
    """The moment in the zone's local time; in UTC for a moment whose local time would
    fall past year 9999 (a deadline like 9999-12-31T23:59:59Z, stored before dates were
    bounded), which Python cannot represent. Not as it came where UTC serves: the database
    hands moments in its session's zone, which on an embedded server is the machine's."""
    for target in (zone, UTC):
        try:
            return moment.astimezone(target)
        except OverflowError:
            continue
    return moment  # the first moments of year 1 have no UTC either


def local_day(moment: datetime, zone: tzinfo) -> date:
    return in_zone(moment, zone).date()


def end_of_day(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone)


def deadline_for(
    received_at: datetime, limit: TimeLimit, calendar: WorkingCalendar, zone: tzinfo
) -> Deadline:
    if limit.unit == Unit.HOURS:
        return Deadline(received_at + timedelta(hours=limit.amount), provisional=False)
    counter = _Counter(calendar)
    received_on = local_day(received_at, zone)
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
    last_day = counter.nth_working_day_after(local_day(due_at, zone), days)
    return Deadline(end_of_day(last_day, zone), provisional=counter.guessed)


def shifted_for_suspension(
    deadline: Deadline,
    limit: TimeLimit,
    suspended_at: datetime,
    resumed_at: datetime,
    calendar: WorkingCalendar,
    zone: tzinfo,
) -> Deadline:
    """The deadline after a suspension: the clock stood still while the case waited.

    It moves by the working time lost, in the limit's own unit. Hours: by the clock time
    suspended. Days: by the days d with suspended_on < d <= resumed_on (local dates), the
    working ones for a working-day limit, all of them for a calendar-day limit (then rolled
    to a working day, as the limit itself is). The day of suspension is not among them: it
    was already running, as the day of receipt is not counted; so a same-day suspension
    moves a day limit not at all.
    """
    if limit.unit == Unit.HOURS:
        return Deadline(
            deadline.due_at + max(resumed_at - suspended_at, timedelta(0)), deadline.provisional
        )
    counter = _Counter(calendar)
    suspended_on = local_day(suspended_at, zone)
    resumed_on = local_day(resumed_at, zone)
    due_on = local_day(deadline.due_at, zone)
    if limit.unit == Unit.WORKING_DAYS:
        lost = counter.working_days_after(suspended_on, resumed_on)
        if lost == 0:  # still provisional if the days it waited were guessed
            return Deadline(deadline.due_at, deadline.provisional or counter.guessed)
        last_day = counter.nth_working_day_after(due_on, lost)
    else:
        lost = (resumed_on - suspended_on).days
        if lost <= 0:
            return deadline
        last_day = counter.working_day_on_or_after(due_on + timedelta(days=lost))
    return Deadline(end_of_day(last_day, zone), deadline.provisional or counter.guessed)


def moved_deadline(
    deadline: Deadline,
    move: dict[str, Any],
    limit: TimeLimit,
    calendar: WorkingCalendar,
    zone: tzinfo,
) -> Deadline:
    """The deadline after one recorded move (as ``Case.deadline_moves`` keeps them).

    A move is a suspension {suspended_at, resumed_at}, an extension to a given moment
    {new_due_at} or an extension by {extra_working_days}. A deadline counted from a guessed
    one stays provisional; a given moment is not counted, so it is never provisional.
    """
    if "new_due_at" in move:
        return Deadline(move["new_due_at"], provisional=False)
    if "extra_working_days" in move:
        extended = extended_by_working_days(
            deadline.due_at, move["extra_working_days"], calendar, zone
        )
        return Deadline(extended.due_at, deadline.provisional or extended.provisional)
    return shifted_for_suspension(
        deadline, limit, move["suspended_at"], move["resumed_at"], calendar, zone
    )


def recounted_deadline(
    received_at: datetime,
    limit: TimeLimit,
    moves: list[dict[str, Any]],
    calendar: WorkingCalendar,
    zone: tzinfo,
) -> Deadline:
    """A case's deadline counted again from its own history, on the calendar known now."""
    deadline = deadline_for(received_at, limit, calendar, zone)
    for move in moves:
        deadline = moved_deadline(deadline, move, limit, calendar, zone)
    return deadline


@dataclass(frozen=True)
class TimeLeft:
    hours: float
    working_days: int | None


def time_left(
    due_at: datetime, limit: TimeLimit, now: datetime, calendar: WorkingCalendar, zone: tzinfo
) -> TimeLeft:
    """How much of the limit is left at ``now``; negative (or zero) once overdue.

    ``hours``: clock hours until due_at. ``working_days`` (day limits only): the working
    days after today up to and including due_at's day, 0 when due today; once that day has
    passed, minus the working days after it up to and including today.
    """
    hours = round((due_at - now).total_seconds() / 3600, 2)
    if limit.unit == Unit.HOURS:
        return TimeLeft(hours, None)
    counter = _Counter(calendar)
    today = local_day(now, zone)
    due_on = local_day(due_at, zone)
    if due_on >= today:
        return TimeLeft(hours, counter.working_days_after(today, due_on))
    return TimeLeft(hours, -counter.working_days_after(due_on, today))


# -- lights and the supervision ladder (DOMAIN.md, "Supervision") -----------------------


@dataclass(frozen=True)
class LadderRules:
    """When the ladder's steps fall due (settings CASEWORK_LADDER_*; defaults as DOMAIN.md).

    ``yellow_working_days``: a case with a limit in days turns yellow (and is urged) at the
    start of the last this-many working days up to its deadline's day;
    ``yellow_hours_fraction``: a case with a limit in hours, once this share of the limit is
    left; ``public_notice_working_days``: a case still open at the end of the this-many-th
    working day after its deadline's day is publicly noted (通报)."""

    yellow_working_days: int = 1
    yellow_hours_fraction: float = 0.25
    public_notice_working_days: int = 5


DEFAULT_LADDER = LadderRules()


class Light(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


def yellow_at(
    due_at: datetime,
    limit: TimeLimit | None,
    calendar: WorkingCalendar,
    zone: tzinfo,
    rules: LadderRules = DEFAULT_LADDER,
) -> datetime:
    """When a case turns yellow: by default once no more than 1 working day is left.

    Hour limits: when ``yellow_hours_fraction`` of the limit is left (a quarter). Day
    limits: at the start of the ``yellow_working_days``-th last working day on or before the
    deadline's day (with 1: that day; before it, that day and more are left). ``limit``
    None (cases from before limits were recorded, read without the catalogue): counted as
    a day limit."""
    if limit is not None and limit.unit == Unit.HOURS:
        return due_at - timedelta(hours=limit.amount) * rules.yellow_hours_fraction
    counter = _Counter(calendar)
    day = local_day(due_at, zone)
    found = 0
    # Holidays last at most a few weeks: the bound only guards against a broken calendar.
    for _ in range(366 * max(rules.yellow_working_days, 1)):
        if day == date.min:
            break
        if counter.is_working_day(day):
            found += 1
            if found >= rules.yellow_working_days:
                break
        day -= timedelta(days=1)
    start = datetime.combine(day, time(0, 0), tzinfo=zone)
    return min(start, due_at)


def public_notice_at(
    due_at: datetime,
    calendar: WorkingCalendar,
    zone: tzinfo,
    rules: LadderRules = DEFAULT_LADDER,
) -> datetime:
    """When a case still open is publicly noted: the end of the
    ``public_notice_working_days``-th (5th) working day after the deadline's day."""
    days = rules.public_notice_working_days
    return extended_by_working_days(due_at, days, calendar, zone).due_at


def light(due_at: datetime, yellow: datetime, clock: datetime) -> Light:
    """The light at ``clock``: the moment the case's clock stands at (now; the suspension
    while suspended; the closure once closed)."""
    if clock > due_at:
        return Light.RED
    if clock >= yellow:
        return Light.YELLOW
    return Light.GREEN


@dataclass(frozen=True)
class Thresholds:
    """The ladder's steps of one deadline, each with the moment it is due."""

    urge: datetime
    supervise: datetime
    notice: datetime

    def steps(self) -> list[tuple[str, datetime]]:
        return [("urge", self.urge), ("supervise", self.supervise), ("notice", self.notice)]


def ladder_thresholds(
    due_at: datetime,
    limit: TimeLimit | None,
    calendar: WorkingCalendar,
    zone: tzinfo,
    rules: LadderRules = DEFAULT_LADDER,
) -> Thresholds:
    return Thresholds(
        urge=yellow_at(due_at, limit, calendar, zone, rules),
        supervise=due_at,
        notice=public_notice_at(due_at, calendar, zone, rules),
    )


def working_days_after(first: date, last: date, calendar: WorkingCalendar) -> int:
    """How many working days d there are with first < d <= last (how long a thing has
    waited, as a deadline would count it: the day it came is not counted)."""
    return _Counter(calendar).working_days_after(first, last)
