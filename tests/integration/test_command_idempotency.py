"""A command retried with its Idempotency-Key is recorded once, whatever happened to the answer."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.helpers import intake, visit_body
from tests.integration.conftest import Api, People


def assigned_case(as_clerk: Api, people: People) -> str:
    case_id = as_clerk.new_case(intake())["id"]
    assert as_clerk.command(case_id, "assign", {"assignee": people.worker.id}).status_code == 200
    return case_id


def visits(as_supervisor: Api, case_id: str) -> list[dict[str, Any]]:
    events = as_supervisor.get(f"/cases/{case_id}/history").json()["events"]
    return [e for e in events if e["type"] == "Visited"]


def test_a_visit_sent_twice_with_one_key_is_recorded_once_and_answered_alike(
    as_clerk: Api, as_worker: Api, as_supervisor: Api, people: People
) -> None:
    case_id = assigned_case(as_clerk, people)
    body = visit_body(notes="入户走访")
    first = as_worker.command(case_id, "visits", body, **{"Idempotency-Key": "visit-0001"})
    assert first.status_code == 200, first.text
    # Another command lands meanwhile; the retry still gets the first answer.
    as_worker.command(case_id, "escalate", {"level": "community", "reason": "需社区协调"})

    again = as_worker.command(case_id, "visits", body, **{"Idempotency-Key": "visit-0001"})

    assert again.status_code == 200, again.text
    # Received, Assigned, SignedFor (the assignee's first action signs), Visited
    assert again.json()["version"] == first.json()["version"] == 4
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.json()["visits"] == first.json()["visits"]
    assert len(visits(as_supervisor, case_id)) == 1
    assert as_clerk.get(f"/cases/{case_id}").json()["version"] == 5


def test_the_same_key_with_another_body_is_422(
    as_clerk: Api, as_worker: Api, as_supervisor: Api, people: People
) -> None:
    case_id = assigned_case(as_clerk, people)
    key = {"Idempotency-Key": "visit-0002"}
    as_worker.command(case_id, "visits", visit_body(notes="第一次"), **key)

    other = as_worker.command(case_id, "visits", visit_body(notes="另一次"), **key)

    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert other.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    # The same key on another command of the case is another body too.
    closing = {"resolution": "resolved", "summary": "已处理"}
    assert as_worker.command(case_id, "close", closing, **key).status_code == 422
    assert len(visits(as_supervisor, case_id)) == 1


def test_a_retry_after_the_case_moved_on_is_not_refused_by_its_if_match(
    as_clerk: Api, as_worker: Api, people: People
) -> None:
    case_id = assigned_case(as_clerk, people)
    headers = {"Idempotency-Key": "close-0001", "If-Match": '"2"'}
    body = {"resolution": "resolved", "summary": "已修好"}
    first = as_worker.command(case_id, "close", body, **headers)
    assert first.status_code == 200, first.text

    again = as_worker.command(case_id, "close", body, **headers)

    assert again.status_code == 200, again.text
    assert again.json()["version"] == 5  # SignedFor (by closing), Closed, its rating link


def test_keys_belong_to_their_caller(
    as_clerk: Api, as_worker: Api, as_supervisor: Api, people: People
) -> None:
    case_id = assigned_case(as_clerk, people)
    body = visit_body(notes="同一钥匙")
    as_worker.command(case_id, "visits", body, **{"Idempotency-Key": "visit-shared"})
    theirs = as_supervisor.command(case_id, "visits", body, **{"Idempotency-Key": "visit-shared"})
    assert theirs.status_code == 200
    assert theirs.json()["version"] == 5  # after the worker's SignedFor and Visited
    assert len(visits(as_supervisor, case_id)) == 2


def test_the_key_is_in_the_history(
    as_clerk: Api, as_worker: Api, as_supervisor: Api, people: People
) -> None:
    case_id = assigned_case(as_clerk, people)
    as_worker.command(case_id, "visits", visit_body(), **{"Idempotency-Key": "visit-history"})
    (visited,) = visits(as_supervisor, case_id)
    assert visited["data"]["idempotency_key"] == "visit-history"


def test_twenty_identical_keyed_visits_at_once_record_one_visit(
    as_clerk: Api, as_worker: Api, as_supervisor: Api, people: People
) -> None:
    case_id = assigned_case(as_clerk, people)
    body = visit_body(notes="同时重发")

    def send(_n: int) -> Any:
        return as_worker.command(case_id, "visits", body, **{"Idempotency-Key": "visit-burst"})

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(send, range(20)))

    assert [a.status_code for a in answers] == [200] * 20
    assert {a.json()["version"] for a in answers} == {4}  # SignedFor, then the visit
    assert len(visits(as_supervisor, case_id)) == 1


def test_fifty_visits_at_once_all_land(
    as_clerk: Api, as_worker: Api, as_supervisor: Api, people: People
) -> None:
    case_id = assigned_case(as_clerk, people)

    def send(n: int) -> Any:
        return as_worker.command(case_id, "visits", visit_body(notes=f"visit-{n}"))

    with ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(send, range(50)))

    refused = [a.json() for a in answers if a.status_code != 200]
    assert refused == []
    # Received, Assigned, the SignedFor of the first visit, and the 50 visits
    assert as_clerk.get(f"/cases/{case_id}").json()["version"] == 3 + 50
    assert len(visits(as_supervisor, case_id)) == 50
