"""A repeat matter (重复件) closed as a duplicate names its original, on both cases."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from infra.bootstrap import Services
from tests.helpers import intake
from tests.integration.conftest import Api, People, Person

SUMMARY = {"summary": "同一居民重复来电反映楼道灯"}


def assigned_case(as_clerk: Api, people: People, **overrides: Any) -> str:
    case_id = as_clerk.new_case(intake(**overrides))["id"]
    assert as_clerk.command(case_id, "assign", {"assignee": people.worker.id}).status_code == 200
    return case_id


def close_as_duplicate(api: Api, case_id: str, original: Any, **extra: Any) -> Any:
    body = {"resolution": "duplicate", **SUMMARY, "duplicate_of": original, **extra}
    return api.command(case_id, "close", body)


def test_a_duplicate_names_its_original_and_the_original_lists_it(
    as_clerk: Api, as_worker: Api, as_supervisor: Api, people: People
) -> None:
    original = assigned_case(as_clerk, people)
    repeat = assigned_case(as_clerk, people)

    closed = close_as_duplicate(as_worker, repeat, original)

    assert closed.status_code == 200, closed.text
    assert closed.json()["resolution"] == "duplicate"
    assert closed.json()["duplicate_of"] == original
    assert as_clerk.get(f"/cases/{repeat}").json()["duplicate_of"] == original
    now = as_clerk.get(f"/cases/{original}").json()
    assert now["duplicates"] == [repeat]
    assert now["duplicate_of"] is None
    # Both histories show it, as an auditor replaying either case reads it.
    repeat_events = as_supervisor.get(f"/cases/{repeat}/history").json()["events"]
    assert repeat_events[-1]["type"] == "Closed"
    assert repeat_events[-1]["data"]["duplicate_of"] == original
    original_events = as_supervisor.get(f"/cases/{original}/history").json()["events"]
    assert original_events[-1]["type"] == "DuplicateLinked"
    assert original_events[-1]["data"]["duplicate"] == repeat
    assert original_events[-1]["actor"]["id"] == people.worker.id


def test_the_case_list_keeps_up_with_a_linked_original(
    as_clerk: Api, as_worker: Api, people: People
) -> None:
    original = assigned_case(as_clerk, people, title="原件-列表")
    repeat = assigned_case(as_clerk, people)
    closed = close_as_duplicate(as_worker, repeat, original).json()
    listed = as_clerk.get(
        "/cases", min_position=closed["position"], grid_id="tiansheng-01", limit=200
    )
    assert listed.status_code == 200, listed.text
    row = next(item for item in listed.json()["items"] if item["id"] == original)
    assert row["version"] == as_clerk.get(f"/cases/{original}").json()["version"]


def test_a_reopened_duplicate_leaves_its_originals_list(
    as_clerk: Api, as_worker: Api, as_supervisor: Api, people: People
) -> None:
    original = assigned_case(as_clerk, people)
    repeat = assigned_case(as_clerk, people)
    close_as_duplicate(as_worker, repeat, original)

    reopened = as_supervisor.command(repeat, "reopen", {"reason": "并非同一事项"})

    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["duplicate_of"] is None
    assert as_clerk.get(f"/cases/{original}").json()["duplicates"] == []
    events = as_supervisor.get(f"/cases/{original}/history").json()["events"]
    assert [e["type"] for e in events][-2:] == ["DuplicateLinked", "DuplicateUnlinked"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"resolution": "duplicate"}, "duplicate_of_required"),
        ({"resolution": "withdrawn", "duplicate_of": "ORIGINAL"}, "duplicate_of_not_applicable"),
        ({"resolution": "duplicate", "duplicate_of": "SELF"}, "duplicate_of_itself"),
        (
            {"resolution": "duplicate", "duplicate_of": "6c1f6a47-1111-4d6e-9b0e-0123456789ab"},
            "unknown_original",
        ),
    ],
)
def test_a_closure_that_cannot_name_its_original_is_422_and_changes_nothing(
    as_clerk: Api, as_worker: Api, people: People, body: dict[str, Any], code: str
) -> None:
    original = assigned_case(as_clerk, people)
    repeat = assigned_case(as_clerk, people)
    named = {"ORIGINAL": original, "SELF": repeat}
    body = {**SUMMARY, **{k: named.get(v, v) for k, v in body.items()}}

    refused = as_worker.command(repeat, "close", body)

    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == code
    assert as_clerk.get(f"/cases/{repeat}").json()["version"] == 2
    assert as_clerk.get(f"/cases/{original}").json()["duplicates"] == []


def test_an_original_outside_the_callers_area_is_answered_as_unknown(
    client: TestClient, services: Services, as_clerk: Api, people: People
) -> None:
    user, token = services.users.add("网格员 二网格", "worker", "tiansheng-02")
    grid_two = Api(client, Person(str(user.id), user.role, token))
    elsewhere = assigned_case(as_clerk, people, grid_id="tiansheng-01")
    repeat = as_clerk.new_case(intake(grid_id="tiansheng-02"))["id"]
    as_clerk.command(repeat, "assign", {"assignee": grid_two.person.id})
    assert grid_two.get(f"/cases/{elsewhere}").status_code == 404

    refused = close_as_duplicate(grid_two, repeat, elsewhere)

    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "unknown_original"
    assert as_clerk.get(f"/cases/{elsewhere}").json()["duplicates"] == []


def test_a_duplicate_cannot_be_named_as_an_original(
    as_clerk: Api, as_worker: Api, people: People
) -> None:
    root = assigned_case(as_clerk, people)
    first_repeat = assigned_case(as_clerk, people)
    close_as_duplicate(as_worker, first_repeat, root)
    second_repeat = assigned_case(as_clerk, people)

    chained = close_as_duplicate(as_worker, second_repeat, first_repeat)
    assert chained.status_code == 409, chained.text
    assert chained.json()["code"] == "original_is_duplicate"
    assert root in chained.json()["detail"]  # it names the root to point at instead

    # and so no two cases can point at each other
    back = close_as_duplicate(as_worker, root, first_repeat)
    assert back.status_code == 409
    assert back.json()["code"] == "original_is_duplicate"
    assert as_clerk.get(f"/cases/{root}").json()["duplicates"] == [first_repeat]
