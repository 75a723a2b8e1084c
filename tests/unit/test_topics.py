"""Stored events are named by stable topics, so history outlives any reshuffle of the code."""

import json
import re

import pytest
from eventsourcing.domain import CanMutateAggregate
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic, register_topic, resolve_topic

from domain.application import CaseWork
from domain.case import Case
from domain.kinds import CASE_CLASSES, Dispute, MicroWish, ResidentRequest
from domain.vocabulary import Kind
from infra.calendar import ChineseWorkingCalendar
from tests.helpers import CaseWorkWithVerbs
from tests.unit.conftest import TIME_LIMITS

STABLE_TOPIC = re.compile(r"^casework:(case|resident_request|dispute|micro_wish)\.([A-Za-z]+)$")
AGGREGATE_TOPICS = {
    Case: "casework:case",
    ResidentRequest: "casework:resident_request",
    Dispute: "casework:dispute",
    MicroWish: "casework:micro_wish",
}


def stored_events(app: CaseWork) -> list[StoredEvent]:
    return list(app.recorder.select_notifications(start=1, limit=10_000))


def test_every_stored_event_is_named_by_a_stable_topic(cases) -> None:
    steps = sum(len(cases.full_life(kind)[1]) for kind in Kind)

    stored = stored_events(cases.app)

    assert len(stored) == steps
    for record in stored:
        match = STABLE_TOPIC.match(record.topic)
        assert match, f"{record.topic} is not a stable casework topic"
        assert "domain" not in record.topic


def test_every_stored_topic_resolves_to_the_class_of_its_event(cases) -> None:
    case_ids = [cases.full_life(kind)[0] for kind in Kind]

    for case_id in case_ids:
        stored = cases.app.recorder.select_events(case_id)
        loaded = list(cases.app.events.get(case_id))
        assert len(stored) == len(loaded)
        for record, event in zip(stored, loaded, strict=True):
            event_class = resolve_topic(record.topic)
            assert event_class is type(event)
            assert record.topic.endswith("." + event_class.__name__)
            assert issubclass(event_class, CanMutateAggregate)


@pytest.mark.parametrize("kind", list(Kind))
def test_the_received_event_names_the_kind_of_case(cases, kind: Kind) -> None:
    case_id = cases.receive(kind)

    [received] = cases.app.recorder.select_events(case_id)

    assert received.topic == f"casework:{kind.value}.Received"
    assert json.loads(received.state)["originator_topic"] == f"casework:{kind.value}"
    assert resolve_topic(f"casework:{kind.value}") is CASE_CLASSES[kind]


def test_every_aggregate_and_event_class_has_a_registered_casework_topic() -> None:
    for aggregate_class, topic in AGGREGATE_TOPICS.items():
        assert get_topic(aggregate_class) == topic
        assert resolve_topic(topic) is aggregate_class
        event_classes = [
            member
            for member in vars(aggregate_class).values()
            if isinstance(member, type) and issubclass(member, CanMutateAggregate)
        ]
        assert {"Received", "Assigned", "Closed", "Rated", "Reopened"} <= {
            c.__name__ for c in event_classes
        }
        for event_class in event_classes:
            event_topic = get_topic(event_class)
            assert event_topic == f"{topic}.{event_class.__name__}"
            assert resolve_topic(event_topic) is event_class


def test_events_stored_under_an_old_topic_still_load(cases, clock) -> None:
    # A wish recorded back when its classes had other names.
    register_topic("casework_v0.wishes:WishRaised", MicroWish.Received)
    register_topic("casework_v0.wishes:Wish", MicroWish)
    case_id = cases.closed(Kind.MICRO_WISH)
    current = cases.app.get_case(case_id)

    old_style = []
    for record in cases.app.recorder.select_events(case_id):
        topic, state = record.topic, record.state
        if topic == "casework:micro_wish.Received":
            data = json.loads(state)
            data["originator_topic"] = "casework_v0.wishes:Wish"
            topic, state = "casework_v0.wishes:WishRaised", json.dumps(data).encode()
        old_style.append(StoredEvent(case_id, record.originator_version, topic, state))
    assert old_style[0].topic == "casework_v0.wishes:WishRaised"

    archive = CaseWorkWithVerbs(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
        calendar=ChineseWorkingCalendar(),
        zone=current.received_at.tzinfo,
        clock=clock,
        time_limits=TIME_LIMITS,
    )
    archive.recorder.insert_events(old_style)

    loaded = archive.get_case(case_id)
    assert type(loaded) is MicroWish
    assert (loaded.version, loaded.status, loaded.resident) == (
        current.version,
        "closed",
        current.resident,
    )
    assert [h.type for h in archive.history(case_id)] == [
        "Received",
        "Assigned",
        "Claimed",
        "Fulfilled",
        "SignedFor",  # the assignee's closure signs for the case first
        "Closed",
    ]
