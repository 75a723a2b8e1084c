"""Every rule of a case's life, as the people doing the work run into it."""

import copy
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from domain import errors
from domain.application import (
    Caller,
    CaseNotFound,
    IdempotencyKeyReused,
    StaleVersion,
    request_fingerprint,
)
from domain.case import Case
from domain.kinds import Dispute, MicroWish, ResidentRequest
from domain.matter import Matter
from domain.stamp import Stamp
from domain.time_limits import TimeLimit, Unit
from domain.vocabulary import Kind

ZONE = ZoneInfo("Asia/Shanghai")
REQUEST, DISPUTE, WISH = Kind.RESIDENT_REQUEST, Kind.DISPUTE, Kind.MICRO_WISH


def end_of(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 23, 59, 59, tzinfo=ZONE)


# The commands a case may be sent, by name, each as the right person sends it.
WORK: dict[str, Callable[[Any, UUID], Any]] = {
    "assign": lambda c, i: c.app.assign(i, "worker-liu", None, c.people.supervisor),
    "reassign": lambda c, i: c.app.reassign(i, "worker-liu", "工作调整", c.people.supervisor),
    "visit": lambda c, i: c.visit(i),
    "escalate": lambda c, i: c.app.escalate(i, "community", "需社区协调", c.people.worker),
    "suspend": lambda c, i: c.app.suspend(i, "等待居民提供材料", c.people.worker),
    "resume": lambda c, i: c.app.resume(i, "材料已收到", c.people.worker),
    "extend": lambda c, i: c.app.extend(
        i, "需协调物业", "secretary-zhao", c.people.supervisor, extra_working_days=3
    ),
    "close": lambda c, i: c.close(i, "resolved"),
    "rate": lambda c, i: c.app.rate(i, "satisfied", "很满意", c.people.clerk),
    "reopen": lambda c, i: c.app.reopen(i, "居民不满意", c.people.supervisor),
    "mediate": lambda c, i: c.mediate(i, "agreement"),
    "mediate without agreement": lambda c, i: c.mediate(i, "no_agreement"),
    "claim": lambda c, i: c.app.claim(i, "volunteer-sun", "volunteer", c.people.volunteer),
    "fulfil": lambda c, i: c.app.fulfil(i, c.clock(), "送去电暖器", c.people.volunteer),
}


# -- a closed case ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "command"),
    [
        (REQUEST, "assign"),
        (REQUEST, "reassign"),
        (REQUEST, "visit"),
        (REQUEST, "escalate"),
        (REQUEST, "suspend"),
        (REQUEST, "resume"),
        (REQUEST, "extend"),
        (REQUEST, "close"),
        (DISPUTE, "visit"),
        (DISPUTE, "mediate"),
        (DISPUTE, "close"),
        (WISH, "claim"),
        (WISH, "fulfil"),
        (WISH, "close"),
    ],
)
def test_a_closed_case_refuses_more_work(cases, refused, kind: Kind, command: str) -> None:
    case_id = cases.closed(kind)

    with refused(errors.CaseClosed, "case_closed"):
        WORK[command](cases, case_id)


@pytest.mark.parametrize("kind", list(Kind))
def test_a_closed_case_can_be_rated_and_reopened(cases, kind: Kind) -> None:
    case_id = cases.closed(kind)

    WORK["rate"](cases, case_id)
    assert cases.app.get_case(case_id).rating == "satisfied"

    WORK["reopen"](cases, case_id)
    case = cases.app.get_case(case_id)
    assert case.is_closed is False
    assert case.reopen_count == 1


def test_only_a_closed_case_can_be_rated(cases, refused) -> None:
    case_id = cases.assigned()

    with refused(errors.CaseNotClosed, "case_not_closed"):
        WORK["rate"](cases, case_id)


def test_a_closure_is_rated_only_once(cases, refused) -> None:
    case_id = cases.closed()
    WORK["rate"](cases, case_id)

    with refused(errors.AlreadyRated, "already_rated"):
        cases.app.rate(case_id, "dissatisfied", "改主意了", cases.people.clerk)


def test_a_reopened_case_is_rated_again_after_its_next_closure(cases, refused) -> None:
    case_id = cases.closed()
    cases.app.rate(case_id, "dissatisfied", "灯还是不亮", cases.people.clerk)
    WORK["reopen"](cases, case_id)

    with refused(errors.CaseNotClosed, "case_not_closed"):
        WORK["rate"](cases, case_id)

    WORK["close"](cases, case_id)
    WORK["rate"](cases, case_id)

    case = cases.app.get_case(case_id)
    assert (case.status, case.rating, case.closures) == ("rated", "satisfied", 2)
    assert [h.data["rating"] for h in cases.app.history(case_id) if h.type == "Rated"] == [
        "dissatisfied",
        "satisfied",
    ]


def test_only_a_closed_case_can_be_reopened(cases, refused) -> None:
    case_id = cases.assigned()

    with refused(errors.CaseNotClosed, "case_not_closed"):
        WORK["reopen"](cases, case_id)


def test_a_reopened_case_cannot_be_reopened_again_before_closing(cases, refused) -> None:
    case_id = cases.closed()
    WORK["reopen"](cases, case_id)

    with refused(errors.CaseNotClosed, "case_not_closed"):
        WORK["reopen"](cases, case_id)


def test_a_reopened_case_takes_work_again(cases) -> None:
    case_id = cases.closed()
    WORK["reopen"](cases, case_id)

    WORK["visit"](cases, case_id)

    assert cases.status(case_id) == "in_progress"
    assert len(cases.app.get_case(case_id).visits) == 1


# -- somebody must stand for the case ---------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "command"),
    [
        (REQUEST, "visit"),
        (REQUEST, "close"),
        (REQUEST, "reassign"),
        (DISPUTE, "mediate"),
        (DISPUTE, "visit"),
    ],
)
def test_field_work_and_closing_need_an_assignee(cases, refused, kind: Kind, command: str) -> None:
    case_id = cases.receive(kind)

    with refused(errors.NoAssignee, "no_assignee"):
        WORK[command](cases, case_id)


def test_a_dispute_closed_as_referred_still_needs_an_assignee(cases, refused) -> None:
    case_id = cases.receive(DISPUTE)

    with refused(errors.NoAssignee, "no_assignee"):
        cases.close(case_id, "referred")


def test_a_wish_with_neither_assignee_nor_claimant_cannot_be_closed(cases, refused) -> None:
    case_id = cases.receive(WISH)

    with refused(errors.NoAssignee, "no_assignee"):
        cases.close(case_id, "withdrawn")


def test_a_wish_must_be_claimed_before_it_is_fulfilled(cases, refused) -> None:
    case_id = cases.assigned(WISH)

    with refused(errors.NoClaimant, "no_claimant"):
        WORK["fulfil"](cases, case_id)


def test_a_wish_takes_only_one_claim(cases, refused) -> None:
    case_id = cases.assigned(WISH)
    WORK["claim"](cases, case_id)

    with refused(errors.AlreadyClaimed, "already_claimed"):
        cases.app.claim(case_id, "tiansheng-charity", "organisation", cases.people.clerk)

    assert cases.app.get_case(case_id).claim["claimant"] == "volunteer-sun"


def test_a_wish_is_fulfilled_only_once(cases, refused) -> None:
    case_id = cases.assigned(WISH)
    WORK["claim"](cases, case_id)
    WORK["fulfil"](cases, case_id)

    with refused(errors.AlreadyFulfilled, "already_fulfilled"):
        WORK["fulfil"](cases, case_id)


def test_a_wish_closes_as_resolved_only_once_fulfilled(cases, refused) -> None:
    case_id = cases.assigned(WISH)
    WORK["claim"](cases, case_id)

    with refused(errors.WishNotFulfilled, "wish_not_fulfilled"):
        cases.close(case_id, "resolved")

    WORK["fulfil"](cases, case_id)
    cases.close(case_id, "resolved")
    assert cases.app.get_case(case_id).resolution == "resolved"


def test_an_unfulfilled_wish_may_be_closed_as_withdrawn(cases) -> None:
    case_id = cases.assigned(WISH)
    WORK["claim"](cases, case_id)

    cases.close(case_id, "withdrawn")

    assert cases.app.get_case(case_id).resolution == "withdrawn"


def test_a_claimant_closes_a_wish_nobody_was_assigned_to(cases, people) -> None:
    case_id = cases.receive(WISH)
    WORK["claim"](cases, case_id)
    assert cases.status(case_id) == "claimed"
    WORK["fulfil"](cases, case_id)

    cases.app.close_case(case_id, "resolved", "心愿已实现", people.volunteer)

    case = cases.app.get_case(case_id)
    assert (case.status, case.assignee, case.resolution) == ("closed", None, "resolved")


def test_a_reopened_wish_must_be_fulfilled_again(cases, refused) -> None:
    case_id = cases.closed(WISH)
    WORK["reopen"](cases, case_id)

    with refused(errors.WishNotFulfilled, "wish_not_fulfilled"):
        cases.close(case_id, "resolved")


# -- disputes -------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 1])
def test_a_dispute_needs_two_parties(cases, refused, count: int) -> None:
    with refused(errors.DisputeNeedsTwoParties, "dispute_needs_two_parties"):
        cases.receive(DISPUTE, parties=cases.parties[:count])


def test_a_dispute_between_three_parties_is_received(cases) -> None:
    third = {"name": "物业公司 王经理", "phone": "13655556666"}

    case_id = cases.receive(DISPUTE, parties=[*cases.parties, third])

    assert len(cases.app.get_case(case_id).parties) == 3


def test_a_dispute_without_any_mediation_cannot_close_as_resolved(cases, refused) -> None:
    case_id = cases.assigned(DISPUTE)

    with refused(errors.NoMediatedAgreement, "no_mediated_agreement"):
        cases.close(case_id, "resolved")


def test_mediations_without_agreement_are_not_enough_to_close_as_resolved(cases, refused) -> None:
    case_id = cases.assigned(DISPUTE)
    cases.mediate(case_id, "no_agreement")
    cases.mediate(case_id, "adjourned")

    with refused(errors.NoMediatedAgreement, "no_mediated_agreement"):
        cases.close(case_id, "resolved")

    cases.mediate(case_id, "agreement")
    cases.close(case_id, "resolved")
    assert cases.status(case_id) == "closed"


def test_a_reopened_dispute_needs_a_new_agreement(cases, refused) -> None:
    case_id = cases.closed(DISPUTE)
    WORK["reopen"](cases, case_id)

    with refused(errors.NoMediatedAgreement, "no_mediated_agreement"):
        cases.close(case_id, "resolved")

    cases.mediate(case_id, "agreement")
    cases.close(case_id, "resolved")
    assert cases.app.get_case(case_id).closures == 2


def test_a_dispute_may_be_referred_without_agreement(cases) -> None:
    case_id = cases.assigned(DISPUTE)
    cases.mediate(case_id, "no_agreement")

    cases.close(case_id, "referred")

    case = cases.app.get_case(case_id)
    assert (case.status, case.resolution) == ("closed", "referred")


# -- first contact and assignment --------------------------------------------------------


def test_the_first_contact_stays_the_receiver_through_assign_and_reassign(cases, people) -> None:
    case_id = cases.receive()
    cases.app.assign(case_id, "worker-wang", None, people.supervisor)
    cases.app.reassign(case_id, "worker-liu", "王芳休假", people.supervisor)

    case = cases.app.get_case(case_id)
    assert case.first_contact == "clerk-chen"
    assert case.assignee == "worker-liu"
    reassigned = cases.app.history(case_id)[-1]
    assert reassigned.data["previous_assignee"] == "worker-wang"


def test_a_first_contact_named_at_intake_is_kept(cases, people) -> None:
    # An API client pushes a matter that a grid worker heard on a home visit.
    case_id = cases.receive(first_contact="worker-wang", channel="api")
    cases.app.assign(case_id, "worker-liu", None, people.supervisor)

    assert cases.app.get_case(case_id).first_contact == "worker-wang"


def test_reassigning_to_the_same_worker_is_refused(cases, refused, people) -> None:
    case_id = cases.assigned()

    with refused(errors.SameAssignee, "same_assignee"):
        cases.app.reassign(case_id, "worker-wang", "重复", people.supervisor)


def test_assigning_an_assigned_case_is_refused(cases, refused) -> None:
    case_id = cases.assigned()

    with refused(errors.AlreadyAssigned, "already_assigned"):
        WORK["assign"](cases, case_id)

    assert cases.app.get_case(case_id).assignee == "worker-wang"


# -- suspension -----------------------------------------------------------------------


def test_a_suspended_case_cannot_be_suspended_again(cases, refused) -> None:
    case_id = cases.assigned()
    WORK["suspend"](cases, case_id)

    with refused(errors.CaseSuspended, "case_suspended"):
        WORK["suspend"](cases, case_id)


def test_an_active_case_cannot_be_resumed(cases, refused) -> None:
    case_id = cases.assigned()

    with refused(errors.NotSuspended, "not_suspended"):
        WORK["resume"](cases, case_id)


@pytest.mark.parametrize(
    ("kind", "command"),
    [
        (REQUEST, "visit"),
        (REQUEST, "close"),
        (REQUEST, "escalate"),
        (REQUEST, "extend"),
        (DISPUTE, "mediate"),
        (WISH, "claim"),
    ],
)
def test_a_suspended_case_waits(cases, refused, kind: Kind, command: str) -> None:
    case_id = cases.assigned(kind)
    WORK["suspend"](cases, case_id)

    with refused(errors.CaseSuspended, "case_suspended"):
        WORK[command](cases, case_id)


def test_resuming_moves_the_deadline_by_the_working_days_suspended(cases, clock) -> None:
    case_id = cases.assigned()  # a consultation received Mon 2025-11-03 09:00, due Thu Nov 6
    WORK["suspend"](cases, case_id)
    clock.advance(days=2, hours=3)  # resumed Wed Nov 5 12:00: Nov 4 and 5 were lost

    WORK["resume"](cases, case_id)

    case = cases.app.get_case(case_id)
    assert case.due_at == end_of(2025, 11, 10)  # Fri 7, Mon 10
    assert (case.status, case.is_suspended) == ("assigned", False)
    resumed = cases.app.history(case_id)[-1]
    assert (resumed.type, resumed.data["due_at"], resumed.data["due_at_provisional"]) == (
        "Resumed",
        end_of(2025, 11, 10),
        False,
    )


def test_a_case_resumed_after_the_suspension_and_visited_is_worked_again(cases, clock) -> None:
    case_id = cases.assigned()
    WORK["suspend"](cases, case_id)
    clock.advance(hours=5)
    WORK["resume"](cases, case_id)

    WORK["visit"](cases, case_id)

    assert cases.status(case_id) == "in_progress"


def test_assigning_a_suspended_case_shows_as_assigned_once_resumed(cases, clock) -> None:
    # Assignment is allowed while the case waits on the resident (it is only "open").
    case_id = cases.receive()
    WORK["suspend"](cases, case_id)
    cases.app.assign(case_id, "worker-wang", None, cases.people.supervisor)
    clock.advance(hours=2)

    WORK["resume"](cases, case_id)

    case = cases.app.get_case(case_id)
    assert case.assignee == "worker-wang"
    assert case.status == "assigned"


# -- escalation -----------------------------------------------------------------------


def test_escalation_goes_grid_then_community_then_street(cases, people) -> None:
    case_id = cases.assigned()
    assert cases.app.get_case(case_id).level == "grid"

    cases.app.escalate(case_id, "community", "网格解决不了", people.worker)
    assert cases.app.get_case(case_id).level == "community"

    cases.app.escalate(case_id, "street", "社区解决不了", people.supervisor)
    assert cases.app.get_case(case_id).level == "street"


@pytest.mark.parametrize(
    ("path", "refused_level"),
    [
        ([], "grid"),
        (["community"], "community"),
        (["community"], "grid"),
        (["community", "street"], "community"),
        (["community", "street"], "street"),
    ],
)
def test_escalation_never_goes_sideways_or_down(
    cases, refused, people, path: list[str], refused_level: str
) -> None:
    case_id = cases.assigned()
    for level in path:
        cases.app.escalate(case_id, level, "上报", people.supervisor)

    with refused(errors.EscalationNotUpward, "escalation_not_upward"):
        cases.app.escalate(case_id, refused_level, "再上报", people.supervisor)


# -- extension ------------------------------------------------------------------------


def test_an_extension_sets_a_new_deadline(cases, people) -> None:
    case_id = cases.assigned()  # a consultation received Mon 2025-11-03, due Thu Nov 6

    cases.app.extend(
        case_id, "需协调物业", "secretary-zhao", people.supervisor, new_due_at=end_of(2025, 11, 14)
    )

    assert cases.app.get_case(case_id).due_at == end_of(2025, 11, 14)
    extended = cases.app.history(case_id)[-1]
    assert (extended.type, extended.data["previous_due_at"]) == ("Extended", end_of(2025, 11, 6))
    assert extended.data["approved_by"] == "secretary-zhao"


def test_an_extension_by_working_days_counts_from_the_current_deadline(cases) -> None:
    case_id = cases.assigned()  # due Thu 2025-11-06

    WORK["extend"](cases, case_id)  # 3 working days: Fri 7, Mon 10, Tue 11

    assert cases.app.get_case(case_id).due_at == end_of(2025, 11, 11)


def test_an_extension_after_the_deadline_is_refused(cases, refused, clock) -> None:
    case_id = cases.assigned()  # due Thu 2025-11-06 23:59:59
    clock.now = datetime(2025, 11, 7, 0, 0, tzinfo=ZONE)

    with refused(errors.ExtensionAfterDeadline, "extension_after_deadline"):
        WORK["extend"](cases, case_id)


@pytest.mark.parametrize("moved_by", [timedelta(0), timedelta(days=-1)], ids=["same", "earlier"])
def test_an_extension_must_move_the_deadline_later(
    cases, refused, people, moved_by: timedelta
) -> None:
    case_id = cases.assigned()
    due_at = cases.app.get_case(case_id).due_at

    with refused(errors.ExtensionNotLater, "extension_not_later"):
        cases.app.extend(case_id, "延期", "secretary-zhao", people.supervisor, due_at + moved_by)


def test_an_extension_needs_a_date_or_a_number_of_days(cases, refused, people) -> None:
    case_id = cases.assigned()

    with refused(errors.ExtensionNeedsDeadline, "extension_needs_deadline"):
        cases.app.extend(case_id, "延期", "secretary-zhao", people.supervisor)


def test_an_extension_into_an_unknown_year_marks_the_deadline_provisional(
    cases, clock, people
) -> None:
    clock.now = datetime(2026, 12, 1, 9, 0, tzinfo=ZONE)
    case_id = cases.assigned(category="complaint")  # due Fri 2026-12-18, fully known
    assert cases.app.get_case(case_id).due_at_provisional is False

    # 13 more working days: Dec 21-25, Dec 28-31, then 2027 is guessed Mon-Fri: Jan 1, 4, 5, 6.
    cases.app.extend(
        case_id, "需街道协调", "secretary-zhao", people.supervisor, extra_working_days=13
    )

    case = cases.app.get_case(case_id)
    assert case.due_at == end_of(2027, 1, 6)
    assert case.due_at_provisional is True


# -- when a command says it happened ------------------------------------------------------


def test_a_command_dated_in_the_future_is_refused(cases, refused, clock, people) -> None:
    case_id = cases.receive()

    with refused(errors.OccurredInFuture, "occurred_in_future"):
        cases.app.assign(
            case_id,
            "worker-wang",
            None,
            people.supervisor,
            occurred_at=clock() + timedelta(minutes=1),
        )


def test_a_case_received_in_the_future_is_refused(cases, refused, clock) -> None:
    with refused(errors.OccurredInFuture, "occurred_in_future"):
        cases.receive(received_at=clock() + timedelta(hours=1))


def test_a_command_dated_without_a_timezone_is_refused(cases, refused, clock, people) -> None:
    case_id = cases.receive()
    clock.advance(hours=1)

    with refused(errors.NaiveTimestamp, "naive_timestamp"):
        cases.app.assign(
            case_id,
            "worker-wang",
            None,
            people.supervisor,
            occurred_at=datetime(2025, 11, 3, 9, 30),
        )


def test_a_command_dated_before_the_case_last_event_is_refused(
    cases, refused, clock, people
) -> None:
    case_id = cases.receive()  # Mon 09:00
    clock.advance(hours=2)
    cases.app.assign(case_id, "worker-wang", None, people.supervisor)  # Mon 11:00

    with refused(errors.OccurredOutOfOrder, "occurred_out_of_order"):
        cases.app.record_visit(
            case_id,
            datetime(2025, 11, 3, 10, 0, tzinfo=ZONE),
            30,
            "补录走访",
            None,
            people.worker,
            occurred_at=datetime(2025, 11, 3, 10, 30, tzinfo=ZONE),
        )


def test_a_command_may_be_dated_earlier_than_now_but_after_the_last_event(
    cases, clock, people
) -> None:
    case_id = cases.receive()  # Mon 09:00
    clock.advance(days=1)
    visited_at = datetime(2025, 11, 3, 15, 0, tzinfo=ZONE)
    cases.app.assign(
        case_id, "worker-wang", None, people.supervisor, occurred_at=visited_at - timedelta(hours=1)
    )

    cases.app.record_visit(
        case_id, visited_at, 30, "补录走访", None, people.worker, occurred_at=visited_at
    )

    assert [h.occurred_at for h in cases.app.history(case_id)] == [
        datetime(2025, 11, 3, 9, 0, tzinfo=ZONE),
        datetime(2025, 11, 3, 14, 0, tzinfo=ZONE),
        visited_at,  # SignedFor: the assignee's first action signs for the case
        visited_at,
    ]


def test_a_visit_cannot_happen_after_it_is_recorded(cases, refused, clock, people) -> None:
    case_id = cases.assigned()

    with refused(errors.OccurredInFuture, "occurred_in_future"):
        cases.app.record_visit(
            case_id, clock() + timedelta(hours=1), 30, "走访", None, people.worker
        )


def test_a_stamp_needs_a_timezone_and_a_moment_not_in_the_future(clock) -> None:
    def stamp(occurred_at: datetime) -> Stamp:
        return Stamp.create(
            actor_id="worker-wang",
            actor_role="worker",
            correlation_id="req-1",
            now=clock(),
            occurred_at=occurred_at,
        )

    with pytest.raises(errors.NaiveTimestamp) as naive:
        stamp(datetime(2025, 11, 3, 8, 0))
    with pytest.raises(errors.OccurredInFuture) as future:
        stamp(clock() + timedelta(seconds=1))
    assert (naive.value.code, future.value.code) == ("naive_timestamp", "occurred_in_future")
    assert stamp(clock()).occurred_at == clock()


# -- commands that belong to one kind ------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "command"),
    [(REQUEST, "mediate"), (WISH, "mediate"), (DISPUTE, "claim"), (REQUEST, "fulfil")],
)
def test_commands_of_another_kind_are_refused(cases, refused, kind: Kind, command: str) -> None:
    case_id = cases.assigned(kind)

    with refused(errors.NotApplicableToKind, "not_applicable_to_kind"):
        WORK[command](cases, case_id)


# -- categories -----------------------------------------------------------------------


def receive_directly(case_class: type[Case], stamp, **overrides: Any) -> Case:
    fields: dict[str, Any] = {
        "case_id": uuid4(),
        "matter": Matter(
            category=overrides.pop(
                "category",
                {ResidentRequest: "help", Dispute: "family", MicroWish: "service"}[case_class],
            ),
            channel="hotline",
            title="独居老人需要帮助",
            description="老人行动不便",
            grid_id="grid-03",
        ),
        "first_contact": "clerk-chen",
        "time_limit": TimeLimit(3, Unit.WORKING_DAYS),
        "due_at": datetime(2025, 11, 6, 23, 59, 59, tzinfo=ZONE),
        "due_at_provisional": False,
        "resident": {"name": "赵桂兰", "phone": "13512345678"},
        "parties": [{"name": "甲"}, {"name": "乙"}] if case_class is Dispute else [],
        "intake": {"idempotency_key": None, "request_hash": None},
        "stamp": stamp("clerk-chen", "clerk"),
    }
    fields.update(overrides)
    return case_class.receive(**fields)


@pytest.mark.parametrize(
    ("kind", "category"),
    [(REQUEST, "neighbour"), (REQUEST, "咨询"), (DISPUTE, "complaint"), (WISH, "urgent")],
)
def test_the_service_refuses_a_category_of_another_kind(
    cases, refused, kind: Kind, category: str
) -> None:
    with refused(errors.UnknownCategory, "unknown_category"):
        cases.receive(kind, category=category)


@pytest.mark.parametrize(
    ("case_class", "category"),
    [(ResidentRequest, "goods"), (Dispute, "help"), (MicroWish, "neighbour")],
)
def test_a_case_refuses_a_category_of_another_kind(
    stamp, case_class: type[Case], category: str
) -> None:
    with pytest.raises(errors.UnknownCategory) as raised:
        receive_directly(case_class, stamp, category=category)

    assert raised.value.code == "unknown_category"


# -- status along the way ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "steps"),
    [
        (
            REQUEST,
            [
                ("assign", "assigned"),
                ("visit", "in_progress"),
                ("suspend", "suspended"),
                ("resume", "in_progress"),
                ("close", "closed"),
                ("rate", "rated"),
                ("reopen", "assigned"),
                ("visit", "in_progress"),
            ],
        ),
        (
            DISPUTE,
            [
                ("assign", "assigned"),
                ("suspend", "suspended"),
                ("resume", "assigned"),
                ("mediate without agreement", "in_progress"),
                ("mediate", "in_progress"),
                ("close", "closed"),
                ("rate", "rated"),
                ("reopen", "assigned"),
            ],
        ),
        (
            WISH,
            [
                ("assign", "assigned"),
                ("claim", "claimed"),
                ("visit", "claimed"),
                ("fulfil", "fulfilled"),
                ("suspend", "suspended"),
                ("resume", "fulfilled"),
                ("close", "closed"),
                ("rate", "rated"),
                ("reopen", "claimed"),
            ],
        ),
    ],
    ids=["resident_request", "dispute", "micro_wish"],
)
def test_status_after_each_step(cases, clock, kind: Kind, steps: list[tuple[str, str]]) -> None:
    case_id = cases.receive(kind)
    seen = [cases.status(case_id)]

    for command, _ in steps:
        clock.advance(minutes=30)
        WORK[command](cases, case_id)
        seen.append(cases.status(case_id))

    assert seen == ["received", *(status for _, status in steps)]


# -- intake through the service ------------------------------------------------------------


def test_the_service_sets_the_deadline_from_the_time_of_receipt(cases, clock) -> None:
    clock.now = datetime(2025, 9, 30, 10, 0, tzinfo=ZONE)

    case = cases.app.get_case(cases.receive(category="consultation"))

    assert (case.due_at, case.due_at_provisional) == (end_of(2025, 10, 11), False)
    assert case.received_at == clock.now


def test_the_service_marks_a_deadline_in_an_unknown_year_provisional(cases, clock) -> None:
    clock.now = datetime(2026, 12, 28, 10, 0, tzinfo=ZONE)

    case = cases.app.get_case(cases.receive(category="complaint"))

    assert (case.due_at, case.due_at_provisional) == (end_of(2027, 1, 14), True)


def intake(cases, caller) -> dict[str, Any]:
    return {
        "kind": REQUEST,
        "matter": Matter("help", "api", "需要帮助", "老人摔倒后行动不便", "grid-07"),
        "resident": dict(cases.resident),
        "parties": [],
        "caller": caller,
    }


def test_a_retried_intake_returns_the_same_case_without_a_new_event(cases, people) -> None:
    body = {"kind": "resident_request", "title": "楼道灯不亮"}
    key, fingerprint = "intake-0001", request_fingerprint(body)
    first = cases.app.receive(
        **intake(cases, people.clerk), idempotency_key=key, request_hash=fingerprint
    )
    recorded = cases.app.recorder.max_notification_id()

    again = cases.app.receive(
        **intake(cases, people.clerk), idempotency_key=key, request_hash=fingerprint
    )

    assert (first.created, again.created) == (True, False)
    assert again.case.id == first.case.id
    assert cases.app.recorder.max_notification_id() == recorded
    assert cases.event_count(first.case.id) == 1


def test_an_idempotency_key_reused_for_another_request_is_refused(cases, people) -> None:
    first = cases.app.receive(
        **intake(cases, people.clerk), idempotency_key="intake-0002", request_hash="hash-a"
    )
    recorded = cases.app.recorder.max_notification_id()

    with pytest.raises(IdempotencyKeyReused):
        cases.app.receive(
            **intake(cases, people.clerk), idempotency_key="intake-0002", request_hash="hash-b"
        )

    assert cases.app.recorder.max_notification_id() == recorded
    assert cases.event_count(first.case.id) == 1


def test_the_same_key_from_two_senders_makes_two_cases(cases, people) -> None:
    hotline = people.clerk
    city_app = Caller("client-12345", "client", "req-12345")

    one = cases.app.receive(**intake(cases, hotline), idempotency_key="k-1", request_hash="h")
    two = cases.app.receive(**intake(cases, city_app), idempotency_key="k-1", request_hash="h")

    assert (one.created, two.created) == (True, True)
    assert one.case.id != two.case.id


def test_intakes_without_a_key_are_never_merged(cases) -> None:
    assert cases.receive() != cases.receive()


# -- If-Match ---------------------------------------------------------------------------


def test_a_command_for_an_old_version_is_stale_and_records_nothing(cases, people) -> None:
    case_id = cases.receive()
    cases.app.assign(case_id, "worker-wang", None, people.supervisor, expected_version=1)
    recorded = cases.app.recorder.max_notification_id()

    with pytest.raises(StaleVersion) as raised:
        cases.app.record_visit(
            case_id, cases.clock(), 30, "走访", None, people.worker, expected_version=1
        )

    assert (raised.value.expected, raised.value.actual) == (1, 2)
    assert cases.app.recorder.max_notification_id() == recorded
    assert cases.app.get_case(case_id).version == 2


def test_a_command_for_a_future_version_is_stale_too(cases, people) -> None:
    case_id = cases.receive()

    with pytest.raises(StaleVersion):
        cases.app.assign(case_id, "worker-wang", None, people.supervisor, expected_version=5)

    assert cases.event_count(case_id) == 1


# -- replay and history -------------------------------------------------------------------


LIVES: dict[type[Case], list[Callable[[Any, Stamp, datetime], None]]] = {
    ResidentRequest: [
        lambda c, s, now: c.assign("worker-wang", "请跟进", s),
        lambda c, s, now: c.visit(now, 40, "入户", "已核实", s),
        lambda c, s, now: c.escalate("community", "需社区协调", s),
        lambda c, s, now: c.suspend("等待材料", s),
        lambda c, s, now: c.resume("材料已到", c.due_at + timedelta(hours=1), s),
        lambda c, s, now: c.extend(c.due_at + timedelta(days=2), "协调", "secretary-zhao", s),
        lambda c, s, now: c.reassign("worker-liu", "工作调整", s),
        lambda c, s, now: c.close("resolved", "已解决", s),
        lambda c, s, now: c.rate("dissatisfied", "不满意", s),
        lambda c, s, now: c.reopen("重办", s),
        lambda c, s, now: c.close("resolved", "已解决", s),
        lambda c, s, now: c.rate("satisfied", None, s),
    ],
    Dispute: [
        lambda c, s, now: c.assign("worker-wang", None, s),
        lambda c, s, now: c.hold_mediation(now, ["甲", "乙"], "no_agreement", "僵持", s),
        lambda c, s, now: c.hold_mediation(now, ["甲", "乙"], "agreement", "和解", s),
        lambda c, s, now: c.close("resolved", "达成协议", s),
        lambda c, s, now: c.reopen("协议未履行", s),
    ],
    MicroWish: [
        lambda c, s, now: c.claim_wish("party-member-he", "party_member", s),
        lambda c, s, now: c.release_claim("联系不上", replace(s, actor_role="supervisor")),
        lambda c, s, now: c.claim_wish("volunteer-sun", "volunteer", s),
        lambda c, s, now: c.fulfil(
            now, "已送达", replace(s, actor_id="volunteer-sun"), "https://x.cn/1.jpg"
        ),
        lambda c, s, now: c.close("resolved", "心愿实现", s),
        lambda c, s, now: c.rate("satisfied", None, s),
        lambda c, s, now: c.reopen("物品损坏", s),
    ],
}


def state_of(case: Case) -> dict[str, Any]:
    public = {k: v for k, v in vars(case).items() if not k.startswith("_")}
    identity = {
        "id": case.id,
        "version": case.version,
        "created_on": case.created_on,
        "modified_on": case.modified_on,
    }
    return copy.deepcopy({**public, **identity})


@pytest.mark.parametrize("case_class", list(LIVES), ids=lambda c: c.__name__)
def test_replaying_the_store_rebuilds_the_case_at_every_version(
    app, stamp, clock, case_class: type[Case]
) -> None:
    case = receive_directly(case_class, stamp)
    # The state after each step, by the version it left (a step may record two events: the
    # assignee's first action signs for the case first).
    states = {case.version: state_of(case)}
    for step in LIVES[case_class]:
        clock.advance(hours=1)
        step(case, stamp(), clock())
        states[case.version] = state_of(case)
    app.save(case)

    assert state_of(app.get_case(case.id)) == states[case.version]
    for version, expected in states.items():
        assert state_of(app.get_case(case.id, version=version)) == expected


@pytest.mark.parametrize("kind", list(Kind))
def test_history_lists_every_event_oldest_first(cases, kind: Kind) -> None:
    case_id, expected = cases.full_life(kind)

    history = cases.app.history(case_id)

    assert [h.version for h in history] == list(range(1, len(expected) + 1))
    assert [h.type for h in history] == [event_type for event_type, _, _ in expected]
    assert [h.actor for h in history] == [
        {"id": caller.actor_id, "role": caller.role} for _, caller, _ in expected
    ]
    assert [h.occurred_at for h in history] == [when for _, _, when in expected]
    assert [h.correlation_id for h in history] == [c.correlation_id for _, c, _ in expected]


def test_a_full_history_names_every_kind_of_event(cases) -> None:
    names = set()
    for kind in Kind:
        case_id, _ = cases.full_life(kind)
        names |= {h.type for h in cases.app.history(case_id)}

    assert names == {
        "Received",
        "Assigned",
        "SignedFor",
        "Visited",
        "Closed",
        "Rated",
        "Reassigned",
        "Escalated",
        "Suspended",
        "Resumed",
        "Extended",
        "Reopened",
        "MediationHeld",
        "Claimed",
        "Fulfilled",
    }


def test_every_event_carries_who_when_and_which_request(cases) -> None:
    for kind in Kind:
        case_id, _ = cases.full_life(kind)
        for event in cases.app.events.get(case_id):
            assert set(event.actor) == {"id", "role"}
            assert event.actor["id"] and event.actor["role"]
            assert isinstance(event.occurred_at, datetime)
            assert event.occurred_at.utcoffset() is not None
            assert isinstance(event.correlation_id, str) and event.correlation_id


def test_personal_data_lives_only_in_the_personal_part_of_events(cases) -> None:
    personal_values = {
        *cases.resident.values(),
        *(value for party in cases.parties for value in party.values()),
        *cases.participants,
    }
    with_personal = {}
    for kind in Kind:
        case_id, _ = cases.full_life(kind)
        for entry in cases.app.history(case_id):
            data = dict(entry.data)
            personal = data.pop("personal", None)
            if personal is not None:
                with_personal.setdefault(entry.type, []).append(personal)
            leaked = [value for value in personal_values if value in repr(data)]
            assert not leaked, f"{kind} {entry.type} carries {leaked} outside 'personal'"
            assert not [value for value in personal_values if value in repr(entry.actor)]

    assert set(with_personal) == {"Received", "MediationHeld"}
    assert {"resident": cases.resident, "parties": []} in with_personal["Received"]
    assert {"resident": cases.resident, "parties": cases.parties} in with_personal["Received"]
    assert with_personal["MediationHeld"] == [{"participants": cases.participants}] * 3


def test_an_unknown_case_is_not_found(app) -> None:
    with pytest.raises(CaseNotFound):
        app.get_case(uuid4())


# -- values the HTTP layer would normally catch first, refused by the domain too -----------


def test_a_naive_visit_time_is_a_named_error(cases, refused, clock, people) -> None:
    case_id = cases.assigned()
    with refused(errors.NaiveTimestamp, "naive_timestamp"):
        cases.app.record_visit(
            case_id, datetime(2025, 11, 3, 8, 0), 30, "上门", None, people.worker
        )


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (lambda app, case_id, who: app.close_case(case_id, "fixed", "x", who), "resolution"),
        (lambda app, case_id, who: app.escalate(case_id, "province", "x", who), "level"),
    ],
)
def test_an_unknown_code_is_a_named_error(cases, refused, people, command, field) -> None:
    case_id = cases.assigned()
    with refused(errors.InvalidValue, "invalid_value") as raised:
        command(cases.app, case_id, people.worker)
    assert str(raised.value).startswith(field)


def test_a_failed_call_back_reopens_the_case_only_when_the_service_is_set_so(cases) -> None:
    redo, kept = cases.closed(), cases.closed()

    cases.app.rate(redo, "dissatisfied", None, cases.people.clerk, solved="not_solved")
    cases.app.redo_on_not_solved = False
    cases.app.rate(kept, "dissatisfied", None, cases.people.clerk, solved="not_solved")

    assert cases.app.get_case(redo).is_closed is False
    assert cases.app.get_case(redo).reopen_count == 1
    assert cases.app.get_case(kept).is_closed is True
    assert cases.app.get_case(kept).rating == "dissatisfied"


# -- a micro-wish's claim released -------------------------------------------------------


def test_only_the_holder_or_a_supervisor_releases_a_claim_and_not_once_fulfilled(stamp) -> None:
    wish = receive_directly(MicroWish, stamp)
    with pytest.raises(errors.NoClaimant):
        wish.release_claim(None, stamp("volunteer-sun", "claimant"))
    wish.claim_wish("volunteer-sun", "volunteer", stamp("volunteer-sun", "claimant"))

    with pytest.raises(errors.NotTheClaimant):
        wish.release_claim("换人", stamp("volunteer-qian", "claimant"))
    with pytest.raises(errors.NotTheClaimant):
        wish.release_claim("换人", stamp("worker-wang", "worker"))
    with pytest.raises(errors.NotTheClaimant):  # a claimant fulfils only what they hold
        wish.fulfil(wish.received_at, "已送达", stamp("volunteer-qian", "claimant"))
    wish.release_claim("出差", stamp("volunteer-sun", "claimant"))
    assert wish.claim is None and wish.status == "received"

    wish.claim_wish("volunteer-qian", "volunteer", stamp("volunteer-qian", "claimant"))
    wish.fulfil(wish.received_at, "已送达", stamp("volunteer-qian", "claimant"))
    with pytest.raises(errors.ReleaseAfterFulfilment):
        wish.release_claim(None, stamp("secretary-zhao", "supervisor"))
