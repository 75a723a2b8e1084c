"""Working time: the part of a span of time that falls on working days.

A working day counts whole (24 hours, midnight to midnight local time) and any other day
not at all; which days are working days the ``WorkingCalendar`` says, and a day of a year
it does not know counts if it is a weekday (Monday to Friday).
"""

from datetime import date, datetime, time, timedelta, tzinfo

from domain.time_limits import WorkingCalendar


def is_working_day(calendar: WorkingCalendar, day: date) -> bool:
    known = calendar.is_working_day(day)
    return day.weekday() < 5 if known is None else known


def working_seconds(
    start: datetime, end: datetime, calendar: WorkingCalendar, zone: tzinfo
) -> float:
    """Seconds of [start, end) that fall on local working days; 0 when end <= start."""
    if end <= start:
        return 0.0
    total = 0.0
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    while day <= last:
        if is_working_day(calendar, day):
            day_start = datetime.combine(day, time(), tzinfo=zone)
            day_end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
            overlap = (min(end, day_end) - max(start, day_start)).total_seconds()
            total += max(overlap, 0.0)
        day += timedelta(days=1)
    return total
