"""Bad input gets a clear problem document, never a 500 and never a half-recorded change."""

from typing import Any

import pytest

from tests.helpers import intake, moments_ago, visit_body
from tests.integration.conftest import Api, People

PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["title"] and body["detail"] and body["type"].endswith(code)
    return body


def field_locations(body: dict[str, Any]) -> list[str]:
    return [".".join(str(part) for part in e["loc"]) for e in body["errors"]]


@pytest.mark.parametrize(
    ("body", "bad_field"),
    [
        (intake(category="haircut"), "body.resident_request.category"),
        ({**intake(), "kind": "parcel"}, "body"),
        (intake(channel="pigeon"), "body.resident_request.channel"),
        (intake(title=""), "body.resident_request.title"),
        (intake(title="x" * 201), "body.resident_request.title"),
        (
            intake(resident={"name": "李", "phone": "call me"}),
            "body.resident_request.resident.phone",
        ),
        (
            intake(resident={"name": "李", "id_number": "12345"}),
            "body.resident_request.resident.id_number",
        ),
        (intake(resident={}), "body.resident_request.resident.name"),
        (intake(grid_id="天胜 一"), "body.resident_request.grid_id"),
        (intake(received_at="2026-01-01T10:00:00"), "body.resident_request.received_at"),
        (intake(colour="red"), "body.resident_request.colour"),
        (intake("dispute", parties=[{"name": "李秀英"}]), "body.dispute.parties"),
        (intake("dispute", category="help"), "body.dispute.category"),
    ],
)
def test_a_bad_intake_is_422_naming_the_field(
    as_clerk: Api, body: dict[str, Any], bad_field: str
) -> None:
    problem = assert_problem(as_clerk.post("/cases", body), 422, "validation_error")
    assert bad_field in field_locations(problem)


def test_a_body_that_is_not_json_is_422(as_clerk: Api) -> None:
    response = as_clerk.client.post(
        "/cases",
        content=b"{not json",
        headers={**as_clerk.person.auth, "Content-Type": "application/json"},
    )
    assert_problem(response, 422, "validation_error")


def test_a_future_intake_is_refused(as_clerk: Api) -> None:
    problem = assert_problem(
        as_clerk.post("/cases", intake(received_at="2099-01-01T10:00:00+08:00")),
        422,
        "occurred_in_future",
    )
    assert "future" in problem["detail"]


@pytest.mark.parametrize(
    ("action", "body", "bad_field", "code"),
    [
        ("assign", {}, "body.assignee", "validation_error"),
        (
            "assign",
            {"assignee": "00000000-0000-0000-0000-000000000000"},
            "body.assignee",
            "unknown_user",
        ),
        ("assign", {"assignee": "not-a-user"}, "body.assignee", "unknown_user"),
        ("visits", visit_body(duration_minutes=0), "body.duration_minutes", "validation_error"),
        ("visits", visit_body(visited_at="yesterday"), "body.visited_at", "validation_error"),
        ("escalate", {"level": "grid", "reason": "x"}, "body.level", "validation_error"),
        ("close", {"resolution": "fixed", "summary": "x"}, "body.resolution", "validation_error"),
        ("rate", {"rating": "5 stars"}, "body.rating", "validation_error"),
        ("extend", {"reason": "x", "approved_by": "x"}, "body", "validation_error"),
        (
            "claim",
            {"claimant": "张", "claimant_type": "alien"},
            "body.claimant_type",
            "validation_error",
        ),
        (
            "suspend",
            {"reason": "x", "occurred_at": "2026-01-01T10:00:00"},
            "body.occurred_at",
            "validation_error",
        ),
    ],
)
def test_a_bad_command_is_422_naming_the_field_and_changes_nothing(
    as_supervisor: Api, action: str, body: dict[str, Any], bad_field: str, code: str
) -> None:
    case_id = as_supervisor.new_case(intake())["id"]
    problem = assert_problem(as_supervisor.command(case_id, action, body), 422, code)
    assert bad_field in field_locations(problem)
    assert as_supervisor.get(f"/cases/{case_id}").json()["version"] == 1


def test_only_a_worker_can_be_assigned(as_clerk: Api, people: People) -> None:
    case_id = as_clerk.new_case(intake())["id"]
    problem = assert_problem(
        as_clerk.command(case_id, "assign", {"assignee": people.auditor.id}), 422, "wrong_role"
    )
    assert field_locations(problem) == ["body.assignee"]


def test_an_unknown_case_is_404(as_clerk: Api, as_supervisor: Api) -> None:
    unknown = "0f0f0f0f-0000-4000-8000-000000000000"
    assert_problem(as_clerk.get(f"/cases/{unknown}"), 404, "case_not_found")
    assert_problem(as_supervisor.get(f"/cases/{unknown}/history"), 404, "case_not_found")
    assert_problem(
        as_supervisor.command(unknown, "suspend", {"reason": "x"}), 404, "case_not_found"
    )


def test_a_case_id_that_is_not_a_uuid_is_422(as_clerk: Api) -> None:
    problem = assert_problem(as_clerk.get("/cases/not-a-uuid"), 422, "validation_error")
    assert field_locations(problem) == ["path.case_id"]


@pytest.mark.parametrize(
    ("prepare", "action", "body", "code"),
    [
        ([], "visits", visit_body(), "no_assignee"),
        ([], "close", {"resolution": "resolved", "summary": "x"}, "no_assignee"),
        ([], "rate", {"rating": "satisfied"}, "case_not_closed"),
        ([], "reopen", {"reason": "x"}, "case_not_closed"),
        ([], "resume", {"reason": "x"}, "not_suspended"),
        ([("suspend", {"reason": "等材料"})], "suspend", {"reason": "x"}, "case_suspended"),
        (
            [("suspend", {"reason": "等材料"})],
            "escalate",
            {"level": "street", "reason": "x"},
            "case_suspended",
        ),
        (
            [("escalate", {"level": "street", "reason": "x"})],
            "escalate",
            {"level": "community", "reason": "x"},
            "escalation_not_upward",
        ),
        (
            [],
            "mediations",
            {"held_at": moments_ago(), "participants": ["a"], "outcome": "agreement", "notes": "x"},
            "not_applicable_to_kind",
        ),
        ([], "claim", {"claimant": "张", "claimant_type": "volunteer"}, "not_applicable_to_kind"),
        (
            [],
            "extend",
            {"new_due_at": "2020-01-01T00:00:00+08:00", "reason": "x", "approved_by": "SUPERVISOR"},
            "extension_not_later",
        ),
    ],
)
def test_a_broken_rule_is_409_with_its_code_and_changes_nothing(
    as_supervisor: Api, people: People, prepare: list, action: str, body: dict, code: str
) -> None:
    case_id = as_supervisor.new_case(intake())["id"]
    for earlier_action, earlier_body in prepare:
        assert as_supervisor.command(case_id, earlier_action, earlier_body).status_code == 200
    before = as_supervisor.get(f"/cases/{case_id}").json()
    if body.get("approved_by") == "SUPERVISOR":
        body = {**body, "approved_by": people.supervisor.id}
    assert_problem(as_supervisor.command(case_id, action, body), 409, code)
    assert as_supervisor.get(f"/cases/{case_id}").json() == before


def test_a_closed_case_takes_only_rating_and_reopening(
    as_clerk: Api, as_worker: Api, people: People
) -> None:
    case_id = as_clerk.new_case(intake())["id"]
    as_clerk.command(case_id, "assign", {"assignee": people.worker.id})
    as_worker.command(case_id, "close", {"resolution": "withdrawn", "summary": "居民撤回"})
    assert_problem(as_worker.command(case_id, "visits", visit_body()), 409, "case_closed")
    assert_problem(
        as_worker.command(case_id, "close", {"resolution": "resolved", "summary": "x"}),
        409,
        "case_closed",
    )
    assert as_clerk.command(case_id, "rate", {"rating": "refused"}).status_code == 200
    assert_problem(as_clerk.command(case_id, "rate", {"rating": "satisfied"}), 409, "already_rated")


def test_dated_before_the_last_event_is_409(as_supervisor: Api, people: People) -> None:
    case_id = as_supervisor.new_case(intake())["id"]
    assert_problem(
        as_supervisor.command(
            case_id, "assign", {"assignee": people.worker.id, "occurred_at": moments_ago(60)}
        ),
        409,
        "occurred_out_of_order",
    )


def test_a_stale_if_match_is_412_and_changes_nothing(as_supervisor: Api, people: People) -> None:
    case = as_supervisor.new_case(intake())
    case_id = case["id"]
    ok = as_supervisor.command(
        case_id, "assign", {"assignee": people.worker.id}, **{"If-Match": '"1"'}
    )
    assert ok.status_code == 200
    assert ok.headers["ETag"] == '"2"'
    stale = as_supervisor.command(case_id, "suspend", {"reason": "x"}, **{"If-Match": '"1"'})
    problem = assert_problem(stale, 412, "stale_version")
    assert "version 2" in problem["detail"]
    assert stale.headers["ETag"] == '"2"'
    assert as_supervisor.get(f"/cases/{case_id}").json()["version"] == 2


def test_a_malformed_if_match_is_422(as_supervisor: Api) -> None:
    case_id = as_supervisor.new_case(intake())["id"]
    problem = assert_problem(
        as_supervisor.command(case_id, "suspend", {"reason": "x"}, **{"If-Match": "yesterday"}),
        422,
        "validation_error",
    )
    assert field_locations(problem) == ["header.If-Match"]


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic dXNlcjpwYXNz", "Bearer "])
def test_without_a_valid_token_it_is_401(as_clerk: Api, header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = as_clerk.client.post("/cases", json=intake(), headers=headers)
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_health_and_docs_need_no_token(as_clerk: Api) -> None:
    assert as_clerk.client.get("/health").json() == {"status": "ok", "database": "ok"}
    assert as_clerk.client.get("/openapi.json").status_code == 200
    assert as_clerk.client.get("/docs").status_code == 200


def test_an_unknown_route_is_a_problem_too(as_clerk: Api) -> None:
    assert_problem(as_clerk.get("/nowhere"), 404, "not_found")
