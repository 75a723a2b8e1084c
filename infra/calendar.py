"""China's working-day calendar: statutory holidays off, make-up weekends (调休) on."""

from datetime import date

import chinese_calendar


class ChineseWorkingCalendar:
    """Working days from the State Council's yearly notices, as ``chinese-calendar`` knows them.

    Answers None for a year the package does not know, so that deadlines reaching
    into that year are marked provisional instead of guessed.
    """

    def is_working_day(self, day: date) -> bool | None:
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            return None
