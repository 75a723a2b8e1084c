"""签收: the assignee signs for the case, once per assignment, and only the assignee."""

from tests.helpers import intake
from tests.integration.conftest import Api, People


def test_the_assignee_signs_for_the_case_once_per_assignment(
    as_clerk: Api, as_supervisor: Api, as_worker: Api, people: People
) -> None:
    case_id = as_clerk.new_case(intake(grid_id="tiansheng-01"))["id"]
    as_supervisor.command(case_id, "assign", {"assignee": people.worker.id})

    signed = as_worker.command(case_id, "sign", {})
    again = as_worker.command(case_id, "sign", {})

    assert signed.status_code == 200, signed.text
    assert again.status_code == 409 and again.json()["code"] == "already_signed"
    history = as_worker.get(f"/cases/{case_id}/history").json()
    assert [e["type"] for e in history["events"]][-1] == "SignedFor"


def test_only_the_assignee_may_sign_and_a_reassignment_needs_a_new_signature(
    as_clerk: Api, as_supervisor: Api, as_worker: Api, people: People
) -> None:
    case_id = as_clerk.new_case(intake(grid_id="tiansheng-01"))["id"]
    as_supervisor.command(case_id, "assign", {"assignee": people.worker.id})
    as_worker.command(case_id, "sign", {})
    as_supervisor.command(
        case_id, "reassign", {"assignee": people.supervisor.id, "reason": "王芳休假"}
    )

    by_the_old_assignee = as_worker.command(case_id, "sign", {})
    by_the_new_one = as_supervisor.command(case_id, "sign", {})

    assert by_the_old_assignee.status_code == 409
    assert by_the_old_assignee.json()["code"] == "not_the_assignee"
    assert by_the_new_one.status_code == 200, by_the_new_one.text
