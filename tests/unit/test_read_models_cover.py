"""Every read model knows every event of a case's life: it applies it, or it says it
passes it by. A new event that a model does not know fails here, not in production (where
the model would stop on it)."""

from collections.abc import Iterable
from datetime import datetime
from types import SimpleNamespace
from uuid import uuid4

import pytest
from eventsourcing.domain import Aggregate, CanMutateAggregate

from domain.case import Case
from domain.kinds import CASE_CLASSES
from infra.calendar import ChineseWorkingCalendar
from projections.case_list.model import CaseList
from projections.compliance.facts import Batch, Facts
from projections.compliance.model import ComplianceFacts
from projections.runner import ReadModel, UnknownEvent
from projections.wish_claims.model import WishClaims
from tests.unit.conftest import MONDAY_MORNING


def event_types(aggregates: Iterable[type[Aggregate]] = (Case,)) -> set[str]:
    """The events the aggregates record (not the library's base classes Event and
    Created): by default, a case's, of every kind."""
    classes = [
        *(CASE_CLASSES.values() if Case in aggregates else ()),
        *(a for a in aggregates if a is not Case),
    ]
    return {
        name
        for cls in classes
        for name, member in vars(cls).items()
        if isinstance(member, type) and issubclass(member, CanMutateAggregate)
    } - {"Event", "Created"}


READ_MODELS: list[ReadModel] = [
    CaseList(),
    ComplianceFacts(ChineseWorkingCalendar()),
    WishClaims(),
]


@pytest.mark.parametrize("model", READ_MODELS, ids=lambda model: model.name)
def test_every_read_model_handles_or_ignores_every_event(model: ReadModel) -> None:
    assert Case in model.aggregates  # every read model reads the cases
    assert event_types(model.aggregates) - model.handled - model.ignored == set()
    assert model.handled & model.ignored == set()
    assert model.handled | model.ignored <= event_types(model.aggregates)  # no stale names


def test_the_projector_passes_over_events_of_aggregates_a_model_does_not_read() -> None:
    case_list, compliance = READ_MODELS
    assert case_list.reads("casework:dispute.Received")
    assert not case_list.reads("casework:worker_month.Scored")
    assert compliance.reads("casework:worker_month.Scored")
    assert compliance.reads("casework:micro_wish.Closed")


def test_the_compliance_facts_stop_on_an_event_they_do_not_know() -> None:
    Unheard = type("Unheard", (), {})
    event = Unheard()
    event.originator_id, event.originator_version = uuid4(), 2

    with pytest.raises(UnknownEvent, match="compliance neither handles nor ignores Unheard"):
        Facts(ChineseWorkingCalendar()).apply(Batch(), {}, event, 2)


def test_a_closure_after_the_deadline_is_a_late_closure_in_its_days_totals() -> None:
    facts, batch = Facts(ChineseWorkingCalendar()), Batch()
    received = SimpleNamespace(
        originator_id=uuid4(),
        originator_topic="casework:resident_request",
        category="help",
        grid_id="grid-07",
        occurred_at=MONDAY_MORNING,
        due_at=datetime(2025, 11, 6, 23, 59, 59, tzinfo=MONDAY_MORNING.tzinfo),
    )
    case = facts.received(batch, received)
    Closed = type("Closed", (SimpleNamespace,), {})
    facts.apply(
        batch, case, Closed(occurred_at=datetime(2025, 11, 10, 9, tzinfo=MONDAY_MORNING.tzinfo)), 5
    )

    (closure,) = batch.closures
    assert (closure["on_time"], closure["position"]) == (False, 5)
    assert batch.daily[("grid", datetime(2025, 11, 10).date(), "grid-07")][1:3] == [1, 0]
