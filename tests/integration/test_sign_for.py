"""签收: the assignee signs for the case, once per assignment, and only the assignee."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from domain.vocabulary import Role
from infra.bootstrap import Services
from tests.helpers import intake, moments_ago
from tests.integration.conftest import Api, People

ZONE = ZoneInfo("Asia/Shanghai")


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


def test_the_assignees_first_action_signs_for_the_case_dated_at_that_action(
    client: TestClient, services: Services
) -> None:
    """assign -> visit -> close, with no explicit 签收: the visit records SignedFor first,
    dated at the visit, and the month's on-time sign-for rate counts it (one visit the
    same day, on time; one three working days after its assignment, late)."""
    worker, as_worker = _person(services, "网格员 先办后签", Role.WORKER)
    _, clerk = _person(services, "窗口 先办后签", Role.CLERK)
    _, city = _person(services, "督办 先办后签", Role.SUPERVISOR)
    monday = datetime(2026, 10, 12, 9, 0, tzinfo=ZONE)  # a working week after the holiday
    position = 0

    def send(who: dict[str, str], case_id: str, action: str, at: datetime, **body: Any) -> Any:
        nonlocal position
        answer = client.post(
            f"/cases/{case_id}/{action}", json={**body, "occurred_at": at.isoformat()}, headers=who
        )
        assert answer.status_code == 200, answer.text
        position = max(position, answer.json()["position"])
        return answer.json()

    case_ids = []
    for visited_after in (timedelta(hours=2), timedelta(days=3)):
        received = client.post(
            "/cases", json=intake(received_at=monday.isoformat()), headers=clerk
        ).json()
        case_id = received["id"]
        case_ids.append(case_id)
        send(clerk, case_id, "assign", monday + timedelta(minutes=10), assignee=worker)
        visited = monday + timedelta(minutes=10) + visited_after
        case = send(
            as_worker,
            case_id,
            "visits",
            visited,
            visited_at=visited.isoformat(),
            duration_minutes=20,
            notes="上门",
        )
        assert datetime.fromisoformat(case["signed_for_at"]) == visited
        send(
            as_worker,
            case_id,
            "close",
            visited + timedelta(hours=1),
            resolution="resolved",
            summary="办结",
        )

    history = client.get(f"/cases/{case_ids[0]}/history", headers=city).json()["events"]
    types = [e["type"] for e in history]
    assert types == ["Received", "Assigned", "SignedFor", "Visited", "Closed"]
    signed = history[2]
    assert signed["actor"]["id"] == worker
    assert signed["data"]["by_action"] == "visit"
    assert signed["occurred_at"] == history[3]["occurred_at"]
    late_again = client.post(f"/cases/{case_ids[1]}/sign", json={}, headers=as_worker)
    assert late_again.status_code == 409  # closed, and signed for anyway
    report = client.get(
        "/reports/compliance",
        params={
            "from": "2026-10-01",
            "to": "2026-10-31",
            "group_by": "worker",
            "min_position": position,
        },
        headers=city,
    ).json()
    (row,) = [r for r in report["rows"] if r["group"] == worker]
    assert (row["assigned"], row["signed_for"], row["signed_on_time"]) == (2, 2, 1)
    assert row["signed_on_time_rate"] == 0.5


def test_an_explicit_sign_after_acting_is_refused_and_others_acting_do_not_sign(
    as_clerk: Api, as_supervisor: Api, as_worker: Api, people: People
) -> None:
    case_id = as_clerk.new_case(intake(grid_id="tiansheng-01"))["id"]
    as_supervisor.command(case_id, "assign", {"assignee": people.worker.id})
    contact = {"contacted_at": moments_ago(), "channel": "phone", "notes": "电话联系"}

    by_the_supervisor = as_supervisor.command(case_id, "contact", contact)
    by_the_assignee = as_worker.command(case_id, "contact", contact)
    explicit = as_worker.command(case_id, "sign", {})

    assert by_the_supervisor.status_code == 200, by_the_supervisor.text
    assert by_the_supervisor.json()["signed_for_at"] is None
    assert by_the_assignee.json()["signed_for_at"] is not None
    assert explicit.status_code == 409 and explicit.json()["code"] == "already_signed"
    types = [e["type"] for e in as_worker.get(f"/cases/{case_id}/history").json()["events"]]
    assert types[-3:] == ["Contacted", "SignedFor", "Contacted"]


def _person(services: Services, name: str, role: Role) -> tuple[str, dict[str, str]]:
    user, secret = services.users.add(name, role, "tiansheng")
    return str(user.id), {"Authorization": f"Bearer {secret}"}
