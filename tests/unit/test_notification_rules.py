"""Who hears of what: the rules of notifications, as pure functions of an event and a case."""

from types import SimpleNamespace
from typing import Any

from projections.notifications.rules import Audience, CaseFacts, notices, track

SYSTEM = {"id": "system", "role": "system"}


def event(name: str, **fields: Any) -> Any:
    return type(name, (SimpleNamespace,), {})(**{"actor": SYSTEM, **fields})


def test_a_community_case_turning_red_is_supervised_by_the_streets_supervisors() -> None:
    case = CaseFacts("grid-07", level="community", assignee="w1")
    (notice,) = notices(event("Supervised", level="street", due_at=None), case)
    assert set(notice.audience) == {
        Audience(role="supervisor", grid_id="grid-07", level="street"),
        Audience(user="w1"),
    }
    assert notice.data["level"] == "street" and notice.data["assignee"] == "w1"


def test_an_urge_of_a_case_nobody_handles_goes_to_those_who_would_assign_it() -> None:
    case = CaseFacts("grid-07")
    urge = event("Urged", message="快", automatic=True, due_at=None)
    (notice,) = notices(urge, case)
    assert set(notice.audience) == {
        Audience(role="clerk", grid_id="grid-07", level="community"),
        Audience(role="supervisor", grid_id="grid-07", level="community"),
    }


def test_a_send_back_goes_to_whoever_assigned_the_case_and_names_who_sent_it() -> None:
    case = CaseFacts("grid-07")
    track(event("Assigned", assignee="w1", note=None, actor={"id": "c1", "role": "clerk"}), case)
    (notice,) = notices(event("SentBack", assignee="w1", reason="不归我管"), case)
    assert Audience(user="c1") in notice.audience
    assert notice.data["assignee"] == "w1" and notice.data["reason"] == "不归我管"
    track(event("SentBack", assignee="w1", reason="x"), case)
    assert case.assignee is None


def test_a_reassignment_notifies_the_new_assignee_only() -> None:
    case = CaseFacts("grid-07", assignee="w1")
    move = event("Reassigned", assignee="w2", previous_assignee="w1", reason="调岗")
    (notice,) = notices(move, case)
    assert notice.audience == (Audience(user="w2"),)
    assert notice.data["previous_assignee"] == "w1" and notice.data["assignee"] == "w2"


def test_events_without_a_rule_notify_nobody() -> None:
    assert notices(event("Visited", worker="w1"), CaseFacts("grid-07", assignee="w1")) == []
