"""Deadlines counted as the hotline rules count them, on China's real working-day calendar."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.time_limits import (
    Deadline,
    TimeLimit,
    Unit,
    _Counter,
    deadline_for,
    extended_by_working_days,
    shifted_for_suspension,
)
from domain.vocabulary import Kind
from infra.calendar import ChineseWorkingCalendar
from tests.unit.conftest import TIME_LIMITS

ZONE = ZoneInfo("Asia/Shanghai")
CALENDAR = ChineseWorkingCalendar()

CONSULTATION = TIME_LIMITS[(Kind.RESIDENT_REQUEST, "consultation")]
HELP = TIME_LIMITS[(Kind.RESIDENT_REQUEST, "help")]
COMPLAINT = TIME_LIMITS[(Kind.RESIDENT_REQUEST, "complaint")]
SUGGESTION = TIME_LIMITS[(Kind.RESIDENT_REQUEST, "suggestion")]
URGENT = TIME_LIMITS[(Kind.RESIDENT_REQUEST, "urgent")]
NEIGHBOUR_DISPUTE = TIME_LIMITS[(Kind.DISPUTE, "neighbour")]
GOODS_WISH = TIME_LIMITS[(Kind.MICRO_WISH, "goods")]


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZONE)


def end_of(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 23, 59, 59, tzinfo=ZONE)


def due(received_at: datetime, limit: TimeLimit, calendar: object = CALENDAR) -> Deadline:
    return deadline_for(received_at, limit, calendar, ZONE)  # type: ignore[arg-type]


# -- the default table -------------------------------------------------------------


def test_the_default_limits_are_the_published_ones() -> None:
    assert CONSULTATION == HELP == TimeLimit(3, Unit.WORKING_DAYS)
    assert COMPLAINT == SUGGESTION == TimeLimit(13, Unit.WORKING_DAYS)
    assert URGENT == TimeLimit(24, Unit.HOURS)
    for category in ("neighbour", "family", "property", "other"):
        assert TIME_LIMITS[(Kind.DISPUTE, category)] == TimeLimit(30, Unit.CALENDAR_DAYS)
    for category in ("goods", "service", "other"):
        assert TIME_LIMITS[(Kind.MICRO_WISH, category)] == TimeLimit(30, Unit.CALENDAR_DAYS)


# -- working days ------------------------------------------------------------------


def test_consultation_over_national_day_2025_ends_on_the_make_up_saturday() -> None:
    # Oct 1-8 off; Oct 9 (Thu), Oct 10 (Fri) and the make-up Saturday Oct 11 are working days.
    deadline = due(local(2025, 9, 30), CONSULTATION)

    assert deadline == Deadline(end_of(2025, 10, 11), provisional=False)


def test_help_request_skips_an_ordinary_weekend() -> None:
    # Received Thu 2025-11-13: Fri 14, Mon 17, Tue 18.
    assert due(local(2025, 11, 13), HELP) == Deadline(end_of(2025, 11, 18), provisional=False)


def test_complaint_takes_thirteen_working_days_over_ordinary_weeks() -> None:
    # Received Mon 2025-11-03: Nov 4-7 (4), Nov 10-14 (9), Nov 17-20 (13).
    assert due(local(2025, 11, 3), COMPLAINT) == Deadline(end_of(2025, 11, 20), provisional=False)


def test_suggestion_counts_like_a_complaint() -> None:
    assert due(local(2025, 11, 3), SUGGESTION).due_at == end_of(2025, 11, 20)


@pytest.mark.parametrize(
    "received_at",
    [
        local(2025, 11, 3, 0, 1),
        local(2025, 11, 3, 23, 59),
        # The same two moments written in UTC: Sunday 16:01 and Monday 15:59 there.
        datetime(2025, 11, 2, 16, 1, tzinfo=UTC),
        datetime(2025, 11, 3, 15, 59, tzinfo=UTC),
    ],
    ids=["00:01", "23:59", "00:01 given in UTC", "23:59 given in UTC"],
)
def test_the_day_of_receipt_is_the_local_day_and_is_not_counted(received_at: datetime) -> None:
    # Received on Mon 2025-11-03 in Shanghai, any time of day: Tue 4, Wed 5, Thu 6.
    assert due(received_at, HELP) == Deadline(end_of(2025, 11, 6), provisional=False)


def test_a_case_received_on_a_saturday_starts_counting_on_monday() -> None:
    # Sat 2025-11-15: Mon 17, Tue 18, Wed 19.
    assert due(local(2025, 11, 15), HELP).due_at == end_of(2025, 11, 19)


def test_a_case_received_on_a_holiday_starts_counting_after_the_holiday() -> None:
    # Tue 2026-02-17 is in the Spring Festival break (Feb 15-23): Feb 24, 25, 26.
    assert due(local(2026, 2, 17), HELP).due_at == end_of(2026, 2, 26)
    # Fri 2025-10-03, National Day: Oct 9, 10 and the make-up Saturday Oct 11.
    assert due(local(2025, 10, 3), HELP).due_at == end_of(2025, 10, 11)


def test_a_case_received_on_a_make_up_saturday_does_not_count_that_day() -> None:
    # Sat 2025-10-11 is a working day, but the day of receipt never counts: Oct 13, 14, 15.
    assert due(local(2025, 10, 11), HELP).due_at == end_of(2025, 10, 15)


def test_a_make_up_sunday_counts_as_a_working_day() -> None:
    # Received Thu 2025-09-25: Fri 26, the make-up Sunday 28, Mon 29.
    assert due(local(2025, 9, 25), HELP).due_at == end_of(2025, 9, 29)


# -- hours -------------------------------------------------------------------------


def test_urgent_matter_has_24_hours_on_the_clock() -> None:
    received_at = local(2025, 11, 3, 14, 25)

    assert due(received_at, URGENT) == Deadline(local(2025, 11, 4, 14, 25), provisional=False)


def test_urgent_matter_runs_through_a_holiday() -> None:
    # Received the evening before National Day: due the next evening, on the holiday itself.
    assert due(local(2025, 9, 30, 20, 0), URGENT) == Deadline(
        local(2025, 10, 1, 20, 0), provisional=False
    )


def test_urgent_matter_in_an_unknown_year_is_not_provisional() -> None:
    # Hours need no calendar at all.
    assert due(local(2027, 3, 1, 9, 0), URGENT) == Deadline(
        local(2027, 3, 2, 9, 0), provisional=False
    )


# -- calendar days -----------------------------------------------------------------

THIRTY_DAY_LIMITS = pytest.mark.parametrize(
    "limit", [NEIGHBOUR_DISPUTE, GOODS_WISH], ids=["dispute", "micro_wish"]
)


@THIRTY_DAY_LIMITS
def test_thirty_calendar_days_ending_on_a_working_day(limit: TimeLimit) -> None:
    # Mon 2025-11-03 + 30 days = Wed 2025-12-03.
    assert due(local(2025, 11, 3), limit) == Deadline(end_of(2025, 12, 3), provisional=False)


@THIRTY_DAY_LIMITS
def test_thirty_calendar_days_ending_on_a_weekend_move_to_monday(limit: TimeLimit) -> None:
    # Thu 2025-11-13 + 30 days = Sat 2025-12-13 -> Mon 2025-12-15.
    assert due(local(2025, 11, 13), limit).due_at == end_of(2025, 12, 15)


@THIRTY_DAY_LIMITS
def test_thirty_calendar_days_ending_in_spring_festival_2026(limit: TimeLimit) -> None:
    # Fri 2026-01-16 + 30 days = Sun 2026-02-15, first day of the Feb 15-23 break -> Tue Feb 24.
    assert due(local(2026, 1, 16), limit) == Deadline(end_of(2026, 2, 24), provisional=False)


@THIRTY_DAY_LIMITS
def test_thirty_calendar_days_ending_on_national_day_2026(limit: TimeLimit) -> None:
    # Tue 2026-09-01 + 30 days = Thu 2026-10-01; Oct 1-7 off -> Thu Oct 8.
    assert due(local(2026, 9, 1), limit).due_at == end_of(2026, 10, 8)


@THIRTY_DAY_LIMITS
def test_thirty_calendar_days_ending_on_a_make_up_saturday_stay_there(limit: TimeLimit) -> None:
    # Thu 2026-01-29 + 30 days = Sat 2026-02-28, a make-up working day after Spring Festival.
    assert due(local(2026, 1, 29), limit).due_at == end_of(2026, 2, 28)
    # Thu 2025-09-11 + 30 days = Sat 2025-10-11, the make-up day after National Day.
    assert due(local(2025, 9, 11), limit).due_at == end_of(2025, 10, 11)


# -- years the calendar does not know ------------------------------------------------


def test_complaint_reaching_into_2027_is_provisional_and_counted_on_weekends_only() -> None:
    # Received Mon 2026-12-28: Dec 29, 30, 31, then 2027 guessed as Mon-Fri working,
    # so New Year's Day (Fri Jan 1) counts: Jan 1 (4), Jan 4-8 (9), Jan 11-14 (13).
    deadline = due(local(2026, 12, 28), COMPLAINT)

    assert deadline == Deadline(end_of(2027, 1, 14), provisional=True)


def test_complaint_fully_inside_2026_is_not_provisional() -> None:
    # Received Tue 2026-12-01: Dec 2-4 (3), Dec 7-11 (8), Dec 14-18 (13).
    assert due(local(2026, 12, 1), COMPLAINT) == Deadline(end_of(2026, 12, 18), provisional=False)


def test_thirty_calendar_days_reaching_into_2027_are_provisional() -> None:
    # Thu 2026-12-31 + 30 days = Sat 2027-01-30, guessed a weekend -> Mon 2027-02-01.
    assert due(local(2026, 12, 31), NEIGHBOUR_DISPUTE) == Deadline(
        end_of(2027, 2, 1), provisional=True
    )


class KnowsOneYear:
    """A calendar that knows only 2030, whose working days are exactly the given set."""

    def __init__(self, working_days: set[date]):
        self.working_days = working_days
        self.asked: list[date] = []

    def is_working_day(self, day: date) -> bool | None:
        self.asked.append(day)
        if day.year != 2030:
            return None
        return day in self.working_days


def weekdays_of_2030(*, off: set[date] = frozenset(), on: set[date] = frozenset()) -> set[date]:
    days = {date(2030, 1, 1) + timedelta(days=n) for n in range(365)}
    return {d for d in days if d.weekday() < 5 and d not in off} | set(on)


def test_an_unknown_year_is_counted_on_weekends_only_and_marked_provisional() -> None:
    calendar = KnowsOneYear(weekdays_of_2030())

    # Fri 2031-01-03: Mon 6, Tue 7, Wed 8.
    deadline = due(local(2031, 1, 3), HELP, calendar)

    assert deadline == Deadline(end_of(2031, 1, 8), provisional=True)


def test_a_known_year_follows_the_calendar_and_is_not_provisional() -> None:
    # In 2030 this calendar takes Mon Jun 3 off and makes Sat Jun 8 a working day.
    calendar = KnowsOneYear(weekdays_of_2030(off={date(2030, 6, 3)}, on={date(2030, 6, 8)}))

    # Fri 2030-05-31: Tue Jun 4 ... Sat Jun 8 is the 5th working day.
    deadline = due(local(2030, 5, 31), TimeLimit(5, Unit.WORKING_DAYS), calendar)

    assert deadline == Deadline(end_of(2030, 6, 8), provisional=False)


def test_one_unknown_day_on_the_way_makes_the_deadline_provisional() -> None:
    calendar = KnowsOneYear(weekdays_of_2030())

    # Mon 2030-12-30: Tue Dec 31 (known), Wed 2031-01-01 (guessed a working day).
    deadline = due(local(2030, 12, 30), TimeLimit(2, Unit.WORKING_DAYS), calendar)

    assert deadline == Deadline(end_of(2031, 1, 1), provisional=True)


def test_unknown_days_after_the_deadline_do_not_make_it_provisional() -> None:
    calendar = KnowsOneYear(weekdays_of_2030())

    deadline = due(local(2030, 12, 27), TimeLimit(1, Unit.WORKING_DAYS), calendar)

    assert deadline == Deadline(end_of(2030, 12, 30), provisional=False)
    assert max(calendar.asked) == date(2030, 12, 30)


# -- extensions and suspensions ------------------------------------------------------


def test_extension_by_working_days_counts_from_the_current_deadline() -> None:
    # Due Thu 2025-09-25; 5 more working days: Fri 26, make-up Sun 28, Mon 29, Tue 30,
    # then the National Day break (Oct 1-8) is skipped: Thu Oct 9.
    deadline = extended_by_working_days(end_of(2025, 9, 25), 5, CALENDAR, ZONE)

    assert deadline == Deadline(end_of(2025, 10, 9), provisional=False)


def test_extension_of_a_mid_day_deadline_ends_at_the_end_of_a_working_day() -> None:
    # An urgent matter due Fri 2025-11-07 14:00, extended by 1 working day: Mon Nov 10.
    deadline = extended_by_working_days(local(2025, 11, 7, 14, 0), 1, CALENDAR, ZONE)

    assert deadline.due_at == end_of(2025, 11, 10)


def test_extension_reaching_into_2027_is_provisional() -> None:
    # Due Wed 2026-12-30: Thu Dec 31, Fri 2027-01-01 (guessed), Mon Jan 4.
    deadline = extended_by_working_days(end_of(2026, 12, 30), 3, CALENDAR, ZONE)

    assert deadline == Deadline(end_of(2027, 1, 4), provisional=True)


# -- suspension: the deadline moves by the working time lost, in the limit's unit -------------


def resumed(
    due_at: datetime,
    limit: TimeLimit,
    suspended_at: datetime,
    resumed_at: datetime,
    calendar: object = CALENDAR,
    provisional: bool = False,
) -> Deadline:
    return shifted_for_suspension(
        Deadline(due_at, provisional),
        limit,
        suspended_at,
        resumed_at,
        calendar,  # type: ignore[arg-type]
        ZONE,
    )


def test_an_hours_limit_moves_by_the_clock_time_suspended() -> None:
    # Due Tue 2025-11-04 14:25; suspended 2 days 6.5 hours, over nights and all.
    shifted = resumed(
        local(2025, 11, 4, 14, 25), URGENT, local(2025, 11, 4, 9, 0), local(2025, 11, 6, 15, 30)
    )

    assert shifted == Deadline(local(2025, 11, 6, 20, 55), provisional=False)


def test_an_hours_limit_moves_by_the_clock_over_a_holiday_too() -> None:
    # Suspended on the eve of National Day 2025 for 24 hours.
    shifted = resumed(
        local(2025, 10, 1, 20, 0), URGENT, local(2025, 9, 30, 21, 0), local(2025, 10, 1, 21, 0)
    )

    assert shifted.due_at == local(2025, 10, 2, 20, 0)


def test_a_resumption_dated_before_the_suspension_never_moves_the_deadline_earlier() -> None:
    for limit in (URGENT, HELP, NEIGHBOUR_DISPUTE):
        shifted = resumed(
            end_of(2025, 11, 6), limit, local(2025, 11, 5, 12, 0), local(2025, 11, 5, 11, 0)
        )
        assert shifted == Deadline(end_of(2025, 11, 6), provisional=False)


def test_a_working_day_limit_moves_by_the_working_days_suspended() -> None:
    # Suspended Tue 2025-11-04, resumed Thu Nov 6: Wed 5 and Thu 6 were lost.
    # Due Thu Nov 6 -> two working days later: Fri 7, Mon 10.
    shifted = resumed(
        end_of(2025, 11, 6), HELP, local(2025, 11, 4, 9, 0), local(2025, 11, 6, 15, 30)
    )

    assert shifted == Deadline(end_of(2025, 11, 10), provisional=False)


@pytest.mark.parametrize(
    "limit", [HELP, COMPLAINT, NEIGHBOUR_DISPUTE, GOODS_WISH], ids=lambda limit: limit.unit
)
def test_a_same_day_suspension_moves_a_day_limit_not_at_all(limit: TimeLimit) -> None:
    shifted = resumed(
        end_of(2025, 11, 6), limit, local(2025, 11, 4, 9, 0), local(2025, 11, 4, 17, 30)
    )

    assert shifted == Deadline(end_of(2025, 11, 6), provisional=False)


def test_a_suspension_over_a_weekend_loses_only_the_monday() -> None:
    # Suspended Fri 2025-11-07, resumed Mon Nov 10: Sat and Sun were not working days.
    # Due Tue Nov 11 -> Wed Nov 12.
    shifted = resumed(
        end_of(2025, 11, 11), HELP, local(2025, 11, 7, 16, 0), local(2025, 11, 10, 9, 0)
    )

    assert shifted.due_at == end_of(2025, 11, 12)


def test_a_suspension_over_national_day_2025_loses_one_working_day() -> None:
    # Suspended Tue Sep 30, resumed Thu Oct 9: of Oct 1-9 only Oct 9 is a working day.
    # Due on the make-up Saturday Oct 11 -> the next working day, Mon Oct 13.
    shifted = resumed(
        end_of(2025, 10, 11), CONSULTATION, local(2025, 9, 30, 10, 0), local(2025, 10, 9, 9, 0)
    )

    assert shifted.due_at == end_of(2025, 10, 13)


def test_a_suspension_over_a_make_up_sunday_loses_it() -> None:
    # Suspended Sat 2025-09-27, resumed the make-up working Sunday Sep 28: one working day.
    # Due Mon Sep 29 -> Tue Sep 30.
    shifted = resumed(
        end_of(2025, 9, 29), HELP, local(2025, 9, 27, 10, 0), local(2025, 9, 28, 10, 0)
    )

    assert shifted.due_at == end_of(2025, 9, 30)


def test_a_suspension_shift_into_spring_festival_2026_skips_the_break() -> None:
    # Due on the make-up Saturday 2026-02-14; suspended Wed Feb 11, resumed Fri Feb 13:
    # Feb 12 and 13 lost. After Feb 14: the break (15-23), then Tue 24, Wed 25.
    shifted = resumed(end_of(2026, 2, 14), HELP, local(2026, 2, 11, 9, 0), local(2026, 2, 13, 9, 0))

    assert shifted.due_at == end_of(2026, 2, 25)


def test_a_calendar_day_limit_moves_by_the_calendar_days_suspended() -> None:
    # A dispute due Wed 2025-12-03; suspended Mon Nov 10, resumed Wed Nov 12: 2 days -> Fri Dec 5.
    shifted = resumed(
        end_of(2025, 12, 3), NEIGHBOUR_DISPUTE, local(2025, 11, 10, 10), local(2025, 11, 12, 9)
    )

    assert shifted == Deadline(end_of(2025, 12, 5), provisional=False)


@THIRTY_DAY_LIMITS
def test_a_calendar_day_shift_landing_on_a_weekend_rolls_to_monday(limit: TimeLimit) -> None:
    # Due Wed 2025-12-03, 3 days suspended -> Sat Dec 6 -> Mon Dec 8.
    shifted = resumed(end_of(2025, 12, 3), limit, local(2025, 11, 10), local(2025, 11, 13))

    assert shifted.due_at == end_of(2025, 12, 8)


def test_a_calendar_day_shift_landing_in_spring_festival_2026_rolls_past_it() -> None:
    # Due Thu 2026-02-12, suspended a week (Jan 5 -> Jan 12) -> Thu Feb 19, in the break
    # (Feb 15-23) -> Tue Feb 24.
    shifted = resumed(end_of(2026, 2, 12), GOODS_WISH, local(2026, 1, 5), local(2026, 1, 12))

    assert shifted.due_at == end_of(2026, 2, 24)


def test_a_shift_reaching_into_2027_is_provisional() -> None:
    # Due Wed 2026-12-30; Dec 22 and 23 lost -> Thu Dec 31, then Fri 2027-01-01 (guessed).
    shifted = resumed(
        end_of(2026, 12, 30), COMPLAINT, local(2026, 12, 21, 9), local(2026, 12, 23, 9)
    )

    assert shifted == Deadline(end_of(2027, 1, 1), provisional=True)


def test_a_calendar_day_shift_reaching_into_2027_is_provisional() -> None:
    # Due Mon 2026-12-28, suspended 5 days -> Sat 2027-01-02, guessed a weekend -> Mon Jan 4.
    shifted = resumed(
        end_of(2026, 12, 28), NEIGHBOUR_DISPUTE, local(2026, 12, 1), local(2026, 12, 6)
    )

    assert shifted == Deadline(end_of(2027, 1, 4), provisional=True)


def test_a_provisional_deadline_stays_provisional_when_shifted_inside_a_known_year() -> None:
    shifted = resumed(
        end_of(2026, 11, 2),
        HELP,
        local(2026, 10, 12),
        local(2026, 10, 13),
        provisional=True,
    )

    assert shifted == Deadline(end_of(2026, 11, 3), provisional=True)


# -- more holiday and make-up edges of 2025 and 2026 ---------------------------------


@pytest.mark.parametrize(
    ("received_on", "due_on"),
    [
        # New Year 2025 (Wed Jan 1 off): Thu 2, Fri 3, Mon 6.
        (date(2024, 12, 31), date(2025, 1, 6)),
        # Spring Festival 2025 (Jan 28 - Feb 4 off; make-up Sun Jan 26 and Sat Feb 8):
        # Sun 26, Mon 27, then Wed Feb 5.
        (date(2025, 1, 24), date(2025, 2, 5)),
        # Fri Feb 7, make-up Sat Feb 8, Mon Feb 10.
        (date(2025, 2, 6), date(2025, 2, 10)),
        # Qingming 2025 (Fri Apr 4 off): Mon 7, Tue 8, Wed 9.
        (date(2025, 4, 3), date(2025, 4, 9)),
        # Labour Day 2025 (May 1-5 off; make-up Sun Apr 27): Sun 27, Mon 28, Tue 29.
        (date(2025, 4, 25), date(2025, 4, 29)),
        # Received Wed Apr 30, on the eve: Tue May 6, Wed 7, Thu 8.
        (date(2025, 4, 30), date(2025, 5, 8)),
        # Dragon Boat 2025 (Sat May 31 - Mon Jun 2 off): Tue 3, Wed 4, Thu 5.
        (date(2025, 5, 30), date(2025, 6, 5)),
        # New Year 2026 (Jan 1-3 off; make-up Sun Jan 4): Sun 4, Mon 5, Tue 6.
        (date(2025, 12, 31), date(2026, 1, 6)),
        # Spring Festival 2026 (Feb 15-23 off; make-up Sat Feb 14): Fri 13, Sat 14, Tue 24.
        (date(2026, 2, 12), date(2026, 2, 24)),
        # Labour Day 2026 (May 1-5 off; make-up Sat May 9): Wed 6, Thu 7, Fri 8.
        (date(2026, 4, 30), date(2026, 5, 8)),
        # Fri 8, make-up Sat 9, Mon 11.
        (date(2026, 5, 7), date(2026, 5, 11)),
        # Dragon Boat 2026 (Fri Jun 19 off): Mon 22, Tue 23, Wed 24.
        (date(2026, 6, 18), date(2026, 6, 24)),
        # Mid-Autumn 2026 (Sep 25-27 off; make-up Sun Sep 20): Sun 20, Mon 21, Tue 22.
        (date(2026, 9, 18), date(2026, 9, 22)),
        # National Day 2026 (Oct 1-7 off; make-up Sat Oct 10): Thu 8, Fri 9, Sat 10.
        (date(2026, 9, 30), date(2026, 10, 10)),
        # The year's last days: Tue 29, Wed 30, Thu Dec 31, all known, so not provisional.
        (date(2026, 12, 28), date(2026, 12, 31)),
    ],
    ids=lambda d: d.isoformat(),
)
def test_three_working_days_around_the_holidays_of_2025_and_2026(
    received_on: date, due_on: date
) -> None:
    received_at = datetime.combine(received_on, datetime.min.time(), ZONE).replace(hour=10)

    assert due(received_at, HELP) == Deadline(end_of(due_on.year, due_on.month, due_on.day), False)


def test_thirty_calendar_days_ending_on_the_dragon_boat_weekend_2025() -> None:
    # Thu 2025-05-01 + 30 = Sat May 31, then Jun 1 and Mon Jun 2 are off too -> Tue Jun 3.
    assert due(local(2025, 5, 1), NEIGHBOUR_DISPUTE).due_at == end_of(2025, 6, 3)


def test_thirteen_working_days_across_spring_festival_2025() -> None:
    # Mon 2025-01-20: Jan 21-24 (4), make-up Sun 26 (5), Mon 27 (6), Feb 5-7 (9),
    # make-up Sat Feb 8 (10), Feb 10-12 (13).
    assert due(local(2025, 1, 20), COMPLAINT).due_at == end_of(2025, 2, 12)


def _day_by_day_after(calendar: ChineseWorkingCalendar, first: date, last: date) -> int:
    days = (first + timedelta(days=k) for k in range(1, (last - first).days + 1))
    return sum(
        calendar.is_working_day(d) if calendar.is_working_day(d) is not None else d.weekday() < 5
        for d in days
    )


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (date(2001, 3, 7), date(2006, 2, 1)),  # unknown years, then the package's
        (date(2025, 12, 30), date(2028, 1, 3)),  # the package's, then unknown years
        (date(2026, 12, 31), date(2027, 12, 31)),  # exactly one unknown year
        (date(2010, 1, 1), date(2010, 1, 1)),
    ],
)
def test_working_days_are_counted_as_day_by_day_across_known_and_unknown_years(
    first: date, last: date
) -> None:
    calendar = ChineseWorkingCalendar()
    counter = _Counter(calendar)
    assert counter.working_days_after(first, last) == _day_by_day_after(calendar, first, last)


def test_counting_reaches_the_last_representable_day_without_failing() -> None:
    counter = _Counter(ChineseWorkingCalendar())
    assert counter.nth_working_day_after(date(9999, 12, 1), 250) == date.max
    assert counter.guessed
    # Years 1 to 9999: every year but the package's on weekdays.
    assert counter.working_days_after(date(1, 1, 1), date(9999, 12, 31)) > 2_600_000
