"""Text that PostgreSQL or the resident lookup cannot take is refused at the door, with 422."""

import json
from typing import Any

import pytest

from tests.helpers import intake, visit_body
from tests.integration.conftest import Api, People
from tests.integration.test_errors import assert_problem, field_locations


def post_raw(api: Api, path: str, raw: str) -> Any:
    """A body as a client may write it by hand: JSON escapes such as \\ud800 kept as sent."""
    return api.client.post(
        path, content=raw.encode(), headers={**api.person.auth, "Content-Type": "application/json"}
    )


@pytest.mark.parametrize(
    ("overrides", "bad_field"),
    [
        ({"title": "楼道灯坏了\x00"}, "title"),
        ({"description": "灯\x07不亮"}, "description"),
        ({"resident": {"name": "李\x1bx"}}, "resident.name"),
        ({"resident": {"name": "李", "address": "3号楼\x0c2单元"}}, "resident.address"),
        ({"first_contact": "\x00"}, "first_contact"),
    ],
)
def test_control_characters_in_an_intake_are_422_naming_the_field(
    as_clerk: Api, overrides: dict[str, Any], bad_field: str
) -> None:
    problem = assert_problem(as_clerk.post("/cases", intake(**overrides)), 422, "validation_error")
    assert field_locations(problem) == [f"body.resident_request.{bad_field}"]
    assert "control characters" in problem["detail"]


def test_a_lone_surrogate_is_422(as_clerk: Api) -> None:
    raw = json.dumps(intake(title="TITLE")).replace("TITLE", "楼道\\ud800灯")
    problem = assert_problem(post_raw(as_clerk, "/cases", raw), 422, "validation_error")
    assert field_locations(problem) == ["body.resident_request.title"]


def test_tabs_and_line_breaks_are_text(as_clerk: Api) -> None:
    case = as_clerk.new_case(intake(description="第一行\r\n第二行\t完"))
    assert case["description"] == "第一行\r\n第二行\t完"


def test_control_characters_in_a_command_are_422_and_record_nothing(
    as_supervisor: Api, people: People
) -> None:
    case = as_supervisor.new_case(intake())
    as_supervisor.command(case["id"], "assign", {"assignee": people.worker.id})
    response = as_supervisor.command(case["id"], "visits", visit_body(notes="已上门\x00"))
    problem = assert_problem(response, 422, "validation_error")
    assert field_locations(problem) == ["body.notes"]
    history = as_supervisor.get(f"/cases/{case['id']}/history").json()["events"]
    assert [e["type"] for e in history] == ["Received", "Assigned"]


def test_a_ten_megabyte_field_is_422_too_long(as_clerk: Api) -> None:
    problem = assert_problem(
        as_clerk.post("/cases", intake(description="长" * 10_000_000)), 422, "validation_error"
    )
    assert field_locations(problem) == ["body.resident_request.description"]
    assert problem["errors"][0]["type"] == "string_too_long"


@pytest.mark.parametrize(
    "name", ["category", "street_id", "community_id", "grid_id", "assignee", "first_contact"]
)
def test_a_nul_in_a_list_filter_is_422_naming_it(as_clerk: Api, name: str) -> None:
    problem = assert_problem(as_clerk.get("/cases", **{name: "a\x00b"}), 422, "validation_error")
    assert field_locations(problem) == [f"query.{name}"]


@pytest.mark.parametrize("phone", ["49 00", "12 34", "0086-1234"])
def test_a_phone_with_too_few_digits_is_422_at_intake_and_lookup(as_clerk: Api, phone: str) -> None:
    intake_problem = assert_problem(
        as_clerk.post("/cases", intake(resident={"name": "李秀英", "phone": phone})),
        422,
        "validation_error",
    )
    assert field_locations(intake_problem) == ["body.resident_request.resident.phone"]
    lookup_problem = assert_problem(
        as_clerk.post("/residents/lookup", {"phone": phone}), 422, "validation_error"
    )
    assert field_locations(lookup_problem) == ["body.phone"]


def test_a_body_that_is_not_utf8_is_422_like_any_bad_body(as_clerk: Api) -> None:
    response = as_clerk.client.post(
        "/cases",
        content=b'{"title": "\xff\xfe\x12"}',
        headers={**as_clerk.person.auth, "Content-Type": "application/json"},
    )
    problem = assert_problem(response, 422, "validation_error")
    assert field_locations(problem) == ["body"]


def test_every_route_documents_the_403_it_may_answer(as_clerk: Api) -> None:
    paths = as_clerk.client.get("/openapi.json").json()["paths"]
    undocumented = [
        f"{method.upper()} {path}"
        for path, operations in paths.items()
        for method, operation in operations.items()
        if path not in ("/health",) and "403" not in operation["responses"]
    ]
    assert undocumented == []


def test_a_method_not_allowed_names_every_method_of_the_path(as_clerk: Api) -> None:
    response = as_clerk.client.request("PATCH", "/cases", headers=as_clerk.person.auth)
    assert_problem(response, 405, "method_not_allowed")
    assert set(response.headers["allow"].split(", ")) >= {"GET", "POST"}


def test_query_parameters_of_the_erasure_and_the_read_log_are_checked_too(
    client: Any, services: Any
) -> None:
    """Found by schemathesis: a NUL in an erasure's reference, a number as a moment."""
    _, token = services.users.add("管理员 输入", "admin", None)
    auth = {"Authorization": f"Bearer {token}"}
    erase = client.delete(
        "/residents/6a4b1c1e-0000-4000-8000-000000000001/personal-data",
        params={"reference": "工单\x00"},
        headers=auth,
    )
    problem = assert_problem(erase, 422, "validation_error")
    assert field_locations(problem) == ["query.reference"]
    reads = client.get("/audit/reads", params={"until": "0.5"}, headers=auth)
    problem = assert_problem(reads, 422, "validation_error")
    assert field_locations(problem) == ["query.until"]
