"""What the supervision chain adds to the compliance facts, with no database: sign-for on
time or late, and the steps counted by their event's name alone (SentBack, Urged,
Supervised, PubliclyNoted are not recorded by the service yet; these events stand in for
them by name, which is all the facts look at)."""

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import pytest

from infra.calendar import ChineseWorkingCalendar
from projections.compliance.facts import Batch, Facts
from projections.compliance.schema import DAILY_FIGURES
from tests.unit.conftest import MONDAY_MORNING

FRIDAY = MONDAY_MORNING + timedelta(days=4)  # 2025-11-07


def event(name: str, at: datetime, **fields: Any) -> Any:
    return type(name, (SimpleNamespace,), {})(occurred_at=at, **fields)


def case_received(facts: Facts, batch: Batch, category: str = "help") -> dict[str, Any]:
    received = SimpleNamespace(
        originator_id=uuid4(),
        originator_topic="casework:resident_request",
        category=category,
        grid_id="grid-07",
        occurred_at=MONDAY_MORNING,
        due_at=MONDAY_MORNING + timedelta(days=30),
    )
    return facts.received(batch, received)


def worker_totals(batch: Batch, day: datetime, worker: str = "worker-wang") -> dict[str, int]:
    figures = batch.daily[("worker", day.date(), worker)]
    return dict(zip(DAILY_FIGURES, figures, strict=True))


@pytest.mark.parametrize(
    ("category", "assigned", "signed", "on_time"),
    [
        # Within the first working day after the day of the assignment: Tuesday, all day.
        ("help", MONDAY_MORNING, MONDAY_MORNING + timedelta(days=1, hours=14), True),
        ("help", MONDAY_MORNING, MONDAY_MORNING + timedelta(days=2), False),
        # Assigned on a Friday: the next working day is Monday.
        ("help", FRIDAY, FRIDAY + timedelta(days=3, hours=14), True),
        ("help", FRIDAY, FRIDAY + timedelta(days=4), False),
        # Urgent: within the hour.
        ("urgent", MONDAY_MORNING, MONDAY_MORNING + timedelta(minutes=59), True),
        ("urgent", MONDAY_MORNING, MONDAY_MORNING + timedelta(minutes=61), False),
    ],
)
def test_a_sign_for_is_on_time_within_a_working_day_of_the_assignment_urgent_an_hour(
    category: str, assigned: datetime, signed: datetime, on_time: bool
) -> None:
    facts, batch = Facts(ChineseWorkingCalendar()), Batch()
    case = case_received(facts, batch, category)

    facts.apply(batch, case, event("Assigned", assigned, assignee="worker-wang"), 2)
    facts.apply(batch, case, event("SignedFor", signed, assignee="worker-wang"), 3)

    totals = worker_totals(batch, signed)
    assert (totals["signed_for"], totals["signed_on_time"]) == (1, int(on_time))
    assert [(s["step"], s["on_time"]) for s in batch.steps] == [
        ("assigned", False),
        ("signed_for", on_time),
    ]


def test_send_back_urge_supervision_and_notice_are_counted_by_their_names() -> None:
    facts, batch = Facts(ChineseWorkingCalendar()), Batch()
    case = case_received(facts, batch)
    at = MONDAY_MORNING + timedelta(hours=1)
    facts.apply(batch, case, event("Assigned", at, assignee="worker-wang"), 2)

    for position, name in enumerate(
        ["SentBack", "Urged", "Urged", "Supervised", "PubliclyNoted"], start=3
    ):
        facts.apply(batch, case, event(name, at), position)

    totals = worker_totals(batch, at)
    assert (totals["assigned"], totals["sent_back"]) == (1, 1)
    assert (totals["urged"], totals["supervised"], totals["publicly_noted"]) == (2, 1, 1)
    grid = dict(zip(DAILY_FIGURES, batch.daily[("grid", at.date(), "grid-07")], strict=True))
    assert grid["urged"] == 2


def test_call_back_answers_count_only_in_valid_call_backs() -> None:
    facts, batch = Facts(ChineseWorkingCalendar()), Batch()
    case = case_received(facts, batch)
    at = MONDAY_MORNING + timedelta(hours=1)
    facts.apply(batch, case, event("Assigned", at, assignee="worker-wang"), 2)
    for position, (rating, answers) in enumerate(
        [
            ("satisfied", {"contacted": True, "solved": "solved"}),
            ("basically_satisfied", {"contacted": False, "solved": "partly_solved"}),
            ("dissatisfied", {}),  # recorded before call-backs had answers
            ("unreachable", {}),
        ],
        start=3,
    ):
        facts.apply(
            batch, case, event("Rated", at, rating=rating, comment=None, **answers), position
        )

    totals = worker_totals(batch, at)
    assert (totals["ratings_valid"], totals["ratings_satisfied"], totals["ratings_basic"]) == (
        3,
        2,
        1,
    )
    assert (totals["callbacks_contact_answered"], totals["callbacks_contacted"]) == (2, 1)
    assert (totals["callbacks_solve_answered"], totals["callbacks_solved"]) == (2, 1)
    assert totals["callbacks_partly"] == 1
    assert [r["solved"] for r in batch.ratings] == ["solved", "partly_solved", None, None]
