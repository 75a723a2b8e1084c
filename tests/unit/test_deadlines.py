"""Deadlines through the service: recorded limits, suspensions, recounts, the time left."""

from datetime import date, datetime
from typing import Any

import pytest

from domain.application import Caller, CaseWork
from domain.time_limits import TimeLeft, TimeLimit, Unit
from domain.vocabulary import Kind
from infra.calendar import ChineseWorkingCalendar, YearCalendar
from infra.deadline_recount import (
    cases_with_provisional_deadlines,
    recount_provisional_deadlines,
)
from tests.helpers import CaseWorkWithVerbs
from tests.unit.conftest import TIME_LIMITS, ZONE, Cases, Clock

ADMIN = Caller("cli:root", "admin", "cli-recount")

# A made-up 2027 (the real one is published each November): New Year's Day and part of a
# Spring Festival off, a make-up Saturday.
YEAR_2027 = YearCalendar(
    year=2027,
    holidays=[date(2027, 1, 1), date(2027, 2, 8), date(2027, 2, 9), date(2027, 2, 10)],
    workdays=[date(2027, 2, 6)],
)


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZONE)


def end_of(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 23, 59, 59, tzinfo=ZONE)


class LoadedYears:
    """The years an administrator has loaded, as the calendar reads them."""

    def __init__(self) -> None:
        self.years: dict[int, YearCalendar] = {}

    def __call__(self) -> dict[int, YearCalendar]:
        return dict(self.years)


@pytest.fixture
def loaded() -> LoadedYears:
    return LoadedYears()


@pytest.fixture
def app(clock: Clock, loaded: LoadedYears) -> CaseWork:
    return CaseWorkWithVerbs(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
        calendar=ChineseWorkingCalendar(loaded),
        zone=ZONE,
        clock=clock,
        time_limits=TIME_LIMITS,
    )


def load(app: CaseWork, loaded: LoadedYears, year: YearCalendar) -> Any:
    """What `casework calendar load` does once the year is stored."""
    loaded.years[year.year] = year
    app.calendar.refresh()  # type: ignore[attr-defined]
    return recount_provisional_deadlines(app, f"the {year.year} calendar was loaded", ADMIN)


def deadline(cases: Cases, case_id: Any) -> tuple[datetime, bool]:
    case = cases.app.get_case(case_id)
    return case.due_at, case.due_at_provisional


# -- the limit a case was given is on record ---------------------------------------------


def test_the_received_event_records_the_time_limit(cases: Cases) -> None:
    case_id = cases.receive(category="complaint")

    received = cases.app.history(case_id)[0]

    assert received.data["time_limit"] == {"amount": 13, "unit": "working_days"}


def test_the_service_counts_on_the_catalogue_it_is_given(clock: Clock, people: Any) -> None:
    limits = {**TIME_LIMITS, (Kind.RESIDENT_REQUEST, "help"): TimeLimit(1, Unit.WORKING_DAYS)}
    app = CaseWorkWithVerbs(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
        calendar=ChineseWorkingCalendar(),
        zone=ZONE,
        clock=clock,
        time_limits=limits,
    )
    cases = Cases(app, people, clock)

    case_id = cases.receive(category="help")  # Mon 2025-11-03: one working day, Tue

    assert deadline(cases, case_id) == (end_of(2025, 11, 4), False)
    assert app.history(case_id)[0].data["time_limit"] == {"amount": 1, "unit": "working_days"}


# -- suspension through the service, one test per unit -----------------------------------


def test_resuming_an_urgent_matter_moves_it_by_the_hours_suspended(cases: Cases, clock) -> None:
    case_id = cases.assigned(category="urgent")  # Mon 2025-11-03 09:00, due Tue 09:00
    cases.app.suspend(case_id, "等居民回电", cases.people.worker)
    clock.advance(hours=5, minutes=30)

    cases.app.resume(case_id, "居民已回电", cases.people.worker)

    assert deadline(cases, case_id) == (local(2025, 11, 4, 14, 30), False)


def test_resuming_a_dispute_moves_it_by_the_calendar_days_suspended(cases: Cases, clock) -> None:
    case_id = cases.assigned(Kind.DISPUTE)  # Mon 2025-11-03 + 30 days: Wed Dec 3
    clock.now = local(2025, 11, 7, 16)  # suspended Fri
    cases.app.suspend(case_id, "当事人外出", cases.people.worker)
    clock.now = local(2025, 11, 10, 9)  # resumed Mon: Sat, Sun, Mon lost

    cases.app.resume(case_id, "当事人回来了", cases.people.worker)

    assert deadline(cases, case_id) == (end_of(2025, 12, 8), False)  # Sat Dec 6 -> Mon Dec 8


def test_a_same_day_suspension_leaves_a_day_deadline_alone(cases: Cases, clock) -> None:
    case_id = cases.assigned()  # due Thu 2025-11-06
    cases.app.suspend(case_id, "等材料", cases.people.worker)
    clock.advance(hours=6)

    cases.app.resume(case_id, "材料已到", cases.people.worker)

    assert deadline(cases, case_id) == (end_of(2025, 11, 6), False)


def test_a_resumption_shifting_into_an_unknown_year_is_provisional(cases: Cases, clock) -> None:
    clock.now = local(2026, 12, 14, 9)
    case_id = cases.assigned(category="complaint")  # due Thu 2026-12-31, fully known
    assert deadline(cases, case_id) == (end_of(2026, 12, 31), False)
    cases.app.suspend(case_id, "等材料", cases.people.worker)
    clock.now = local(2026, 12, 16, 9)  # Dec 15 and 16 lost: Fri 2027-01-01 (guessed), Mon 4

    cases.app.resume(case_id, "材料已到", cases.people.worker)

    assert deadline(cases, case_id) == (end_of(2027, 1, 4), True)
    resumed = cases.app.history(case_id)[-1]
    assert (resumed.type, resumed.data["due_at_provisional"]) == ("Resumed", True)


def test_extending_a_provisional_deadline_keeps_it_provisional(cases: Cases, clock) -> None:
    clock.now = local(2026, 12, 28)
    case_id = cases.assigned(category="complaint")  # provisional: Thu 2027-01-14

    cases.app.extend(
        case_id, "需协调", "secretary-zhao", cases.people.supervisor, extra_working_days=1
    )

    assert deadline(cases, case_id) == (end_of(2027, 1, 15), True)


# -- loading a missing year counts provisional deadlines again -----------------------------


def test_a_complaint_of_2026_12_28_is_recounted_once_2027_is_loaded(
    cases: Cases, clock, loaded: LoadedYears
) -> None:
    clock.now = local(2026, 12, 28)
    case_id = cases.receive(category="complaint")
    # Dec 29-31 (3), then 2027 guessed Mon-Fri: Jan 1 (4), Jan 4-8 (9), Jan 11-14 (13).
    assert deadline(cases, case_id) == (end_of(2027, 1, 14), True)
    clock.now = local(2026, 12, 29)

    result = load(cases.app, loaded, YEAR_2027)

    # New Year's Day is off: Dec 29-31 (3), Jan 4-8 (8), Jan 11-15 (13).
    assert result.recounted == [case_id]
    assert result.still_provisional == []
    assert deadline(cases, case_id) == (end_of(2027, 1, 15), False)
    recounted = cases.app.history(case_id)[-1]
    assert recounted.type == "DeadlineRecounted"
    assert recounted.actor == {"id": "cli:root", "role": "admin"}
    assert recounted.occurred_at == local(2026, 12, 29)
    assert recounted.data == {
        "due_at": end_of(2027, 1, 15),
        "due_at_provisional": False,
        "previous_due_at": end_of(2027, 1, 14),
        "previous_due_at_provisional": True,
        "reason": "the 2027 calendar was loaded",
    }


def test_a_recount_replays_suspensions_and_counted_extensions(
    cases: Cases, clock, loaded: LoadedYears
) -> None:
    clock.now = local(2026, 12, 28)
    case_id = cases.assigned(category="complaint")  # provisional: Thu 2027-01-14
    clock.now = local(2026, 12, 29, 9)
    cases.app.suspend(case_id, "等材料", cases.people.worker)
    clock.now = local(2026, 12, 30, 9)  # Dec 30 lost: Fri Jan 15 (guessed)
    cases.app.resume(case_id, "材料已到", cases.people.worker)
    cases.app.extend(
        case_id, "需协调", "secretary-zhao", cases.people.supervisor, extra_working_days=2
    )
    assert deadline(cases, case_id) == (end_of(2027, 1, 19), True)  # Mon 18, Tue 19

    load(cases.app, loaded, YEAR_2027)

    # Received: Fri Jan 15; the suspension: Mon Jan 18; the extension: Tue 19, Wed 20.
    assert deadline(cases, case_id) == (end_of(2027, 1, 20), False)


def test_a_recount_keeps_an_extension_to_a_given_moment_as_given(
    cases: Cases, clock, loaded: LoadedYears
) -> None:
    clock.now = local(2026, 12, 28)
    case_id = cases.assigned(category="complaint")
    cases.app.extend(
        case_id, "需协调", "secretary-zhao", cases.people.supervisor, local(2027, 2, 5, 12)
    )
    clock.now = local(2026, 12, 29, 9)
    cases.app.suspend(case_id, "等材料", cases.people.worker)
    clock.now = local(2026, 12, 31, 9)  # Dec 30 and 31 lost
    cases.app.resume(case_id, "材料已到", cases.people.worker)
    # After Fri Feb 5, guessed: Mon Feb 8, Tue Feb 9.
    assert deadline(cases, case_id) == (end_of(2027, 2, 9), True)

    load(cases.app, loaded, YEAR_2027)

    # Still from Feb 5 as given; then the make-up Sat Feb 6 and, after the break, Thu Feb 11.
    assert deadline(cases, case_id) == (end_of(2027, 2, 11), False)


def test_a_closed_case_keeps_its_deadline(cases: Cases, clock, loaded: LoadedYears) -> None:
    clock.now = local(2026, 12, 28)
    case_id = cases.assigned(category="complaint")
    cases.close(case_id)
    versions = cases.event_count(case_id)

    result = load(cases.app, loaded, YEAR_2027)

    assert result.closed == [case_id]
    assert result.recounted == []
    assert cases.event_count(case_id) == versions
    assert deadline(cases, case_id) == (end_of(2027, 1, 14), True)


def test_a_deadline_still_reaching_into_an_unknown_year_is_left_as_it_is(
    cases: Cases, clock, loaded: LoadedYears
) -> None:
    clock.now = local(2027, 12, 27)  # 13 working days reach into 2028, still unknown
    case_id = cases.receive(category="complaint")
    before = deadline(cases, case_id)
    assert before[1] is True

    result = load(cases.app, loaded, YEAR_2027)

    assert (result.recounted, result.still_provisional) == ([], [case_id])
    assert deadline(cases, case_id) == before
    assert cases.event_count(case_id) == 1


def test_only_provisional_deadlines_are_candidates(cases: Cases, clock) -> None:
    known = cases.receive(category="complaint")  # 2025: fully known
    clock.now = local(2026, 12, 28)
    provisional = cases.receive(category="complaint")
    urgent = cases.receive(category="urgent")  # hours: never provisional

    assert cases_with_provisional_deadlines(cases.app) == [provisional]
    assert known not in cases_with_provisional_deadlines(cases.app)
    assert urgent not in cases_with_provisional_deadlines(cases.app)


def test_a_recount_that_changes_nothing_records_nothing(cases: Cases) -> None:
    case_id = cases.receive(category="complaint")

    assert cases.app.recount_deadline(case_id, "再算一次", ADMIN) is None
    assert cases.event_count(case_id) == 1


# -- the working time left -------------------------------------------------------------------


def test_time_left_counts_working_days_and_hours(cases: Cases, clock) -> None:
    case = cases.app.get_case(cases.receive(category="help"))  # Mon 2025-11-03 09:00, due Thu

    # Tue, Wed, Thu; 3 days 14:59:59 on the clock.
    assert cases.app.time_left(case, clock()) == TimeLeft(hours=87.0, working_days=3)
    assert cases.app.time_left(case, local(2025, 11, 6, 12)) == TimeLeft(12.0, 0)


def test_time_left_is_negative_once_overdue(cases: Cases, clock) -> None:
    case = cases.app.get_case(cases.receive(category="help"))  # due Thu 2025-11-06

    # Monday 00:00: Fri 7 and Mon 10 are working days gone; 72 hours past.
    assert cases.app.time_left(case, local(2025, 11, 10, 0)) == TimeLeft(-72.0, -2)
    # Saturday noon: only Friday gone.
    assert cases.app.time_left(case, local(2025, 11, 8, 12)) == TimeLeft(-36.0, -1)
    # Friday 00:00: overdue by a second, no working day gone yet.
    assert cases.app.time_left(case, local(2025, 11, 7, 0)) == TimeLeft(-0.0, -1)


def test_time_left_of_an_urgent_matter_is_in_hours_only(cases: Cases, clock) -> None:
    case = cases.app.get_case(cases.receive(category="urgent"))

    assert cases.app.time_left(case, clock.advance(hours=30)) == TimeLeft(-6.0, None)


def test_time_left_stands_still_while_suspended_and_is_none_once_closed(
    cases: Cases, clock
) -> None:
    case_id = cases.assigned(category="help")
    cases.app.suspend(case_id, "等材料", cases.people.worker)
    suspended = cases.app.time_left(cases.app.get_case(case_id), clock())

    later = cases.app.time_left(cases.app.get_case(case_id), clock.advance(days=10))

    assert later == suspended
    cases.app.resume(case_id, "材料已到", cases.people.worker)
    cases.close(case_id)
    assert cases.app.time_left(cases.app.get_case(case_id), clock()) is None
