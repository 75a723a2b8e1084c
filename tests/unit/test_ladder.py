"""The supervision ladder in the domain: each step once per deadline in force, dated at its
threshold; an approved extension starts a new ladder; lights by the calendar."""

from datetime import datetime, timedelta
from uuid import UUID

import pytest

from domain import errors
from domain.application import Caller, CaseWork
from domain.commands import ClimbLadder
from domain.time_limits import (
    LadderRules,
    Light,
    TimeLimit,
    Unit,
    ladder_thresholds,
    light,
    yellow_at,
)
from infra.calendar import ChineseWorkingCalendar
from infra.settings import Settings
from tests.unit.conftest import ZONE, Clock

SYSTEM = Caller("system", "system", "test-ladder")
CALENDAR = ChineseWorkingCalendar()


def steps(app: CaseWork, case_id: UUID) -> list[tuple[str, datetime]]:
    wanted = {"Urged", "Supervised", "PubliclyNoted"}
    return [(e.type, e.occurred_at) for e in app.history(case_id) if e.type in wanted]


def test_a_consultation_turns_yellow_at_the_start_of_its_last_working_day() -> None:
    # Received Tue 2025-09-30, due at the end of Sat 2025-10-11 (a make-up working day).
    due = datetime(2025, 10, 11, 23, 59, 59, tzinfo=ZONE)
    three_days = TimeLimit(3, Unit.WORKING_DAYS)
    assert yellow_at(due, three_days, CALENDAR, ZONE) == datetime(2025, 10, 11, tzinfo=ZONE)
    # Due on a Sunday: the Friday before is the last working day.
    sunday = datetime(2025, 11, 9, 23, 59, 59, tzinfo=ZONE)
    assert yellow_at(sunday, three_days, CALENDAR, ZONE) == datetime(2025, 11, 7, tzinfo=ZONE)
    # 24 hours: yellow with a quarter (6 hours) left.
    assert yellow_at(due, TimeLimit(24, Unit.HOURS), CALENDAR, ZONE) == due - timedelta(hours=6)
    assert light(due, due - timedelta(hours=6), due - timedelta(hours=7)) == Light.GREEN
    assert light(due, due - timedelta(hours=6), due) == Light.YELLOW
    assert light(due, due - timedelta(hours=6), due + timedelta(seconds=1)) == Light.RED


def test_the_ladder_is_climbed_once_each_step_dated_at_its_threshold(
    app: CaseWork, cases, clock: Clock
) -> None:
    case_id = cases.assigned()
    case = app.get_case(case_id)
    moments = ladder_thresholds(case.due_at, app.time_limit_of(case), CALENDAR, ZONE)
    clock.advance(days=30)

    app.handle(case_id, ClimbLadder(), SYSTEM)
    app.handle(case_id, ClimbLadder(), SYSTEM)

    assert steps(app, case_id) == [
        ("Urged", moments.urge),
        ("Supervised", moments.supervise),
        ("PubliclyNoted", moments.notice),
    ]
    case = app.get_case(case_id)
    assert case.supervised_by_level == "community" and case.publicly_noted


def test_the_case_refuses_a_step_taken_twice_or_not_yet_due(app: CaseWork, cases, stamp) -> None:
    case = app.get_case(cases.assigned())
    with pytest.raises(errors.ThresholdNotReached):
        case.take_step("supervise", case.due_at, stamp())
    now = stamp()
    case.take_step("urge", case.received_at, now)
    with pytest.raises(errors.AlreadyUrged):
        case.take_step("urge", case.received_at, now)


def test_an_approved_extension_starts_a_new_ladder(
    app: CaseWork, cases, clock: Clock, people, stamp
) -> None:
    case_id = cases.assigned()
    case = app.get_case(case_id)
    clock.now = ladder_thresholds(case.due_at, None, CALENDAR, ZONE).urge + timedelta(hours=1)
    app.handle(case_id, ClimbLadder(), SYSTEM)
    assert [s for s, _ in steps(app, case_id)] == ["Urged"]

    app.extend(case_id, "等待物业维修", "secretary-zhao", people.supervisor, extra_working_days=2)
    extended = app.get_case(case_id)
    clock.now = extended.due_at + timedelta(hours=1)
    app.handle(case_id, ClimbLadder(), SYSTEM)

    assert [s for s, _ in steps(app, case_id)] == ["Urged", "Urged", "Supervised"]
    with pytest.raises(errors.AlreadySupervised):
        app.get_case(case_id).take_step("supervise", extended.due_at, stamp())


def test_a_suspended_case_takes_no_step_after_its_suspension(
    app: CaseWork, cases, clock: Clock, people
) -> None:
    case_id = cases.assigned()
    app.suspend(case_id, "等居民回复", people.worker)
    clock.advance(days=30)
    app.handle(case_id, ClimbLadder(), SYSTEM)
    assert steps(app, case_id) == []
    assert app.light_of(app.get_case(case_id), clock()) == Light.GREEN


def test_the_ladders_thresholds_are_settings() -> None:
    settings = Settings(
        _env_file=None,
        ladder_yellow_working_days=2,
        ladder_yellow_hours_fraction=0.5,
        ladder_public_notice_working_days=3,
    )
    rules = settings.ladder_rules
    # Due at the end of Mon 2025-11-10: yellow two working days before, from Fri 11-07 (the
    # weekend between does not count); publicly noted at the end of Thu 11-13, 3 working
    # days after (not Mon 11-17, the default 5).
    monday = datetime(2025, 11, 10, 23, 59, 59, tzinfo=ZONE)
    days = TimeLimit(3, Unit.WORKING_DAYS)
    moments = ladder_thresholds(monday, days, CALENDAR, ZONE, rules)
    assert moments.urge == datetime(2025, 11, 7, tzinfo=ZONE)
    assert moments.notice == datetime(2025, 11, 13, 23, 59, 59, tzinfo=ZONE)
    assert ladder_thresholds(monday, days, CALENDAR, ZONE).notice == datetime(
        2025, 11, 17, 23, 59, 59, tzinfo=ZONE
    )
    # 24 hours: yellow with half of it (12 hours) left instead of a quarter.
    assert yellow_at(monday, TimeLimit(24, Unit.HOURS), CALENDAR, ZONE, rules) == (
        monday - timedelta(hours=12)
    )
    assert Settings(_env_file=None).ladder_rules == LadderRules()
