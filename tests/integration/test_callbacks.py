"""回访: the call-back's answers, and the redo (重办) a failed one sets off by itself."""

from typing import Any

from tests.helpers import intake, visit_body
from tests.integration.conftest import Api, People


def closed_case(as_clerk: Api, as_worker: Api, people: People) -> str:
    case_id: str = as_clerk.new_case(intake(grid_id="tiansheng-01"))["id"]
    as_clerk.command(case_id, "assign", {"assignee": people.worker.id})
    as_worker.command(case_id, "visits", visit_body())
    closed = as_worker.command(case_id, "close", {"resolution": "resolved", "summary": "已修好"})
    assert closed.status_code == 200, closed.text
    return case_id


def events(api: Api, case_id: str) -> list[dict[str, Any]]:
    history: list[dict[str, Any]] = api.get(f"/cases/{case_id}/history").json()["events"]
    return history


def test_a_call_back_records_contact_and_solution_beside_the_verdict(
    as_clerk: Api, as_worker: Api, as_supervisor: Api, people: People
) -> None:
    case_id = closed_case(as_clerk, as_worker, people)

    rated = as_clerk.command(
        case_id,
        "rate",
        {"rating": "basically_satisfied", "contacted": True, "solved": "partly_solved"},
    )

    assert rated.status_code == 200, rated.text
    assert rated.json()["status"] == "rated"
    assert rated.json()["callback"] == {
        "satisfaction": "basically_satisfied",
        "valid": True,
        "contacted": True,
        "solved": "partly_solved",
    }
    read = as_supervisor.get(f"/cases/{case_id}").json()
    assert read["callback"] == rated.json()["callback"]
    last = events(as_supervisor, case_id)[-1]
    assert last["type"] == "Rated"
    assert last["data"]["contacted"] is True
    assert last["data"]["solved"] == "partly_solved"


def test_a_rating_without_the_new_answers_is_still_taken(
    as_clerk: Api, as_worker: Api, as_supervisor: Api, people: People
) -> None:
    case_id = closed_case(as_clerk, as_worker, people)

    rated = as_clerk.command(case_id, "rate", {"rating": "dissatisfied"})

    assert rated.status_code == 200, rated.text
    assert rated.json()["status"] == "rated"  # dissatisfied alone reopens nothing
    assert rated.json()["callback"] == {
        "satisfaction": "dissatisfied",
        "valid": True,
        "contacted": None,
        "solved": None,
    }
    assert events(as_supervisor, case_id)[-1]["data"].get("solved") is None


def test_not_solved_and_dissatisfied_reopens_the_case_for_redo_in_the_same_save(
    as_clerk: Api, as_worker: Api, as_supervisor: Api, people: People
) -> None:
    case_id = closed_case(as_clerk, as_worker, people)

    rated = as_clerk.command(
        case_id,
        "rate",
        {
            "rating": "dissatisfied",
            "contacted": False,
            "solved": "not_solved",
            "comment": "灯还是不亮",
        },
    )

    assert rated.status_code == 200, rated.text
    assert rated.json()["status"] != "rated"
    assert rated.json()["closed_at"] is None
    history = events(as_supervisor, case_id)
    rating, reopening = history[-2], history[-1]
    assert (rating["type"], reopening["type"]) == ("Rated", "Reopened")
    assert rating["actor"]["id"] == people.clerk.id
    assert reopening["actor"]["id"] == "system" and reopening["actor"]["role"] == "system"
    assert reopening["correlation_id"] == rating["correlation_id"]
    assert reopening["occurred_at"] == rating["occurred_at"]
    assert "未解决且不满意" in reopening["data"]["reason"]
    assert "灯还是不亮" in reopening["data"]["reason"]
    # The redo is the handler's work again, and is rated again after its closure.
    as_worker.command(case_id, "close", {"resolution": "resolved", "summary": "换了灯"})
    again = as_clerk.command(case_id, "rate", {"rating": "satisfied", "solved": "solved"})
    assert again.status_code == 200 and again.json()["status"] == "rated"


def test_only_not_solved_with_dissatisfied_sets_off_a_redo(
    as_clerk: Api, as_worker: Api, people: People
) -> None:
    for answers in (
        {"rating": "dissatisfied", "solved": "partly_solved"},
        {"rating": "basically_satisfied", "solved": "not_solved"},
    ):
        case_id = closed_case(as_clerk, as_worker, people)
        rated = as_clerk.command(case_id, "rate", answers)
        assert rated.status_code == 200 and rated.json()["status"] == "rated", answers


def test_an_unreachable_resident_gives_no_answers(
    as_clerk: Api, as_worker: Api, people: People
) -> None:
    case_id = closed_case(as_clerk, as_worker, people)

    refused = as_clerk.command(case_id, "rate", {"rating": "unreachable", "solved": "not_solved"})
    bad_answer = as_clerk.command(case_id, "rate", {"rating": "satisfied", "solved": "mostly"})

    assert refused.status_code == 422
    assert refused.json()["errors"][0]["type"] == "answers_without_callback"
    assert bad_answer.status_code == 422
    taken = as_clerk.command(case_id, "rate", {"rating": "unreachable"})
    assert taken.status_code == 200 and taken.json()["status"] == "rated"
    assert taken.json()["callback"] == {
        "satisfaction": "unreachable",
        "valid": False,
        "contacted": None,
        "solved": None,
    }


def test_a_failed_call_back_retried_with_its_key_is_answered_alike_and_recorded_once(
    as_clerk: Api, as_worker: Api, as_supervisor: Api, people: People
) -> None:
    case_id = closed_case(as_clerk, as_worker, people)
    body = {"rating": "dissatisfied", "contacted": True, "solved": "not_solved"}

    first = as_clerk.command(case_id, "rate", body, **{"Idempotency-Key": "callback-0001"})
    again = as_clerk.command(case_id, "rate", body, **{"Idempotency-Key": "callback-0001"})

    assert first.status_code == again.status_code == 200, again.text
    assert again.json()["version"] == first.json()["version"]
    assert again.json()["status"] == first.json()["status"] != "rated"
    types = [e["type"] for e in events(as_supervisor, case_id)]
    assert (types.count("Rated"), types.count("Reopened")) == (1, 1)
