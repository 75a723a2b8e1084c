"""Each kind of case from intake to the resident's verdict, over HTTP, on PostgreSQL."""

from datetime import datetime

from tests.helpers import intake, moments_ago, visit_body
from tests.integration.conftest import Api, People


def step(api: Api, case_id: str, action: str, body: dict, expected_status: str) -> dict:
    response = api.command(case_id, action, body)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == expected_status
    now = api.get(f"/cases/{case_id}").json()
    assert now["status"] == expected_status
    assert response.headers["ETag"] == f'"{now["version"]}"'
    return now


def test_a_resident_request_goes_from_intake_to_rating(
    as_clerk: Api, as_worker: Api, people: People
) -> None:
    case = as_clerk.new_case(intake("resident_request", category="consultation"))
    case_id = case["id"]
    assert case["status"] == "received"
    assert case["first_contact"] == people.clerk.id
    assert case["version"] == 1
    assert case["position"] >= 1

    step(as_clerk, case_id, "assign", {"assignee": people.worker.id}, "assigned")
    visited = step(as_worker, case_id, "visits", visit_body(), "in_progress")
    assert visited["visits"][0]["worker"] == people.worker.id
    step(as_worker, case_id, "close", {"resolution": "resolved", "summary": "已修好"}, "closed")
    rated = step(as_clerk, case_id, "rate", {"rating": "satisfied"}, "rated")
    assert rated["version"] == 7  # SignedFor (by the visit) and the closure's rating link
    assert rated["rating"] == "satisfied"
    assert rated["first_contact"] == people.clerk.id


def test_a_dispute_is_mediated_before_it_closes_resolved(
    as_clerk: Api, as_worker: Api, people: People
) -> None:
    case = as_clerk.new_case(intake("dispute"))
    case_id = case["id"]
    assert [p["name"] for p in case["parties"]] == ["李秀英", "王强"]
    step(as_clerk, case_id, "assign", {"assignee": people.worker.id}, "assigned")
    mediation = {
        "held_at": moments_ago(),
        "participants": ["李秀英", "王强"],
        "outcome": "agreement",
        "notes": "双方同意晚十点后不再装修",
    }
    mediated = step(as_worker, case_id, "mediations", mediation, "in_progress")
    assert mediated["mediations"][0]["outcome"] == "agreement"
    step(as_worker, case_id, "close", {"resolution": "resolved", "summary": "调解成功"}, "closed")
    step(as_clerk, case_id, "rate", {"rating": "basically_satisfied"}, "rated")


def test_a_micro_wish_is_claimed_fulfilled_closed_and_rated(
    as_clerk: Api, as_worker: Api, people: People
) -> None:
    case = as_clerk.new_case(intake("micro_wish", title="想要一台收音机"))
    case_id = case["id"]
    step(as_clerk, case_id, "assign", {"assignee": people.worker.id}, "assigned")
    claimed = step(
        as_worker,
        case_id,
        "claim",
        {"claimant": "党员 张建国", "claimant_type": "party_member"},
        "claimed",
    )
    assert claimed["claim"]["claimant"] == "党员 张建国"
    step(
        as_worker,
        case_id,
        "fulfil",
        {"fulfilled_at": moments_ago(), "notes": "已送到"},
        "fulfilled",
    )
    step(as_worker, case_id, "close", {"resolution": "resolved", "summary": "心愿达成"}, "closed")
    step(as_clerk, case_id, "rate", {"rating": "satisfied"}, "rated")


def test_reassignment_escalation_suspension_extension_and_reopening(
    as_clerk: Api, as_worker: Api, as_supervisor: Api, people: People
) -> None:
    case = as_clerk.new_case(intake("resident_request", category="complaint"))
    case_id = case["id"]
    step(as_clerk, case_id, "assign", {"assignee": people.worker.id}, "assigned")
    handed = step(
        as_supervisor,
        case_id,
        "reassign",
        {"assignee": people.other_worker.id, "reason": "原网格员休假"},
        "assigned",
    )
    assert handed["assignee"] == people.other_worker.id
    assert handed["first_contact"] == people.clerk.id

    escalated = step(
        as_worker,
        case_id,
        "escalate",
        {"level": "community", "reason": "需社区协调物业"},
        "assigned",
    )
    assert escalated["level"] == "community"

    due_before = datetime.fromisoformat(escalated["due_at"])
    step(as_worker, case_id, "suspend", {"reason": "等待居民提供材料"}, "suspended")
    resumed = step(as_worker, case_id, "resume", {"reason": "材料已交"}, "assigned")
    assert datetime.fromisoformat(resumed["due_at"]) >= due_before

    extended = step(
        as_supervisor,
        case_id,
        "extend",
        {"extra_working_days": 5, "reason": "需跨部门协调", "approved_by": people.supervisor.id},
        "assigned",
    )
    assert datetime.fromisoformat(extended["due_at"]) > datetime.fromisoformat(resumed["due_at"])

    step(as_worker, case_id, "visits", visit_body(), "in_progress")
    step(as_worker, case_id, "close", {"resolution": "resolved", "summary": "已处理"}, "closed")
    step(as_clerk, case_id, "rate", {"rating": "dissatisfied", "comment": "问题还在"}, "rated")
    reopened = step(as_supervisor, case_id, "reopen", {"reason": "居民不满意"}, "assigned")
    assert reopened["reopen_count"] == 1
    assert reopened["rating"] is None
    step(as_worker, case_id, "close", {"resolution": "resolved", "summary": "彻底解决"}, "closed")
    final = step(as_clerk, case_id, "rate", {"rating": "satisfied"}, "rated")

    history = as_worker.get(f"/cases/{case_id}/history").json()
    assert [e["type"] for e in history["events"]] == [
        "Received",
        "Assigned",
        "Reassigned",
        "Escalated",
        "Suspended",
        "Resumed",
        "Extended",
        "Visited",
        "Closed",
        "RatingLinkIssued",
        "Rated",
        "Reopened",
        "Closed",
        "RatingLinkIssued",
        "Rated",
    ]
    assert [e["version"] for e in history["events"]] == list(range(1, final["version"] + 1))


def test_history_lists_every_event_oldest_first_with_actor_and_times(
    as_clerk: Api, as_worker: Api, people: People
) -> None:
    case = as_clerk.new_case(intake())
    case_id = case["id"]
    as_clerk.command(case_id, "assign", {"assignee": people.worker.id})
    as_worker.command(case_id, "visits", visit_body(occurred_at=moments_ago(0)))

    history = as_worker.get(f"/cases/{case_id}/history").json()
    assert history["case_id"] == case_id
    events = history["events"]
    assert [(e["version"], e["type"]) for e in events] == [
        (1, "Received"),
        (2, "Assigned"),
        (3, "SignedFor"),  # the assignee's first action signs for the case
        (4, "Visited"),
    ]
    assert [e["actor"] for e in events] == [
        {"id": people.clerk.id, "role": "clerk", "name": "窗口 陈"},
        {"id": people.clerk.id, "role": "clerk", "name": "窗口 陈"},
        {"id": people.worker.id, "role": "worker", "name": "网格员 王芳"},
        {"id": people.worker.id, "role": "worker", "name": "网格员 王芳"},
    ]
    recorded = [datetime.fromisoformat(e["recorded_at"]) for e in events]
    occurred = [datetime.fromisoformat(e["occurred_at"]) for e in events]
    assert recorded == sorted(recorded)
    assert occurred == sorted(occurred)
    assert all(moment.tzinfo is not None for moment in recorded + occurred)
    assert events[2]["data"]["by_action"] == "visit"
    assert events[2]["occurred_at"] == events[3]["occurred_at"]
    assert events[3]["data"]["duration_minutes"] == 30
    assert all(e["correlation_id"] for e in events)


def test_a_case_as_it_stood_at_a_version_and_at_a_moment(
    as_clerk: Api, as_worker: Api, people: People
) -> None:
    case_id = as_clerk.new_case(intake())["id"]
    as_clerk.command(case_id, "assign", {"assignee": people.worker.id})
    as_worker.command(case_id, "visits", visit_body())
    as_worker.command(case_id, "close", {"resolution": "resolved", "summary": "ok"})

    at_two = as_worker.get(f"/cases/{case_id}", version=2)
    assert at_two.status_code == 200
    assert at_two.json()["version"] == 2
    assert at_two.json()["status"] == "assigned"
    assert at_two.headers["ETag"] == '"2"'
    assert as_worker.get(f"/cases/{case_id}", version=1).json()["status"] == "received"
    # 3: the SignedFor the visit recorded first, 4: the visit, 5: the closure
    assert as_worker.get(f"/cases/{case_id}", version=5).json()["status"] == "closed"

    history = as_worker.get(f"/cases/{case_id}/history").json()["events"]
    as_of_visit = as_worker.get(f"/cases/{case_id}", as_of=history[3]["recorded_at"]).json()
    assert as_of_visit["version"] == 4
    assert as_of_visit["status"] == "in_progress"


def test_a_version_the_case_never_had_is_not_found(as_clerk: Api) -> None:
    case_id = as_clerk.new_case(intake())["id"]
    response = as_clerk.get(f"/cases/{case_id}", version=7)
    assert response.status_code == 404
    assert "no version 7" in response.json()["detail"]


def test_the_actor_comes_from_the_token_not_from_the_body(
    as_clerk: Api, as_supervisor: Api, people: People
) -> None:
    response = as_clerk.post(
        "/cases", {**intake(), "actor": {"id": people.supervisor.id, "role": "supervisor"}}
    )
    assert response.status_code == 422
    case_id = as_clerk.new_case(intake())["id"]
    history = as_supervisor.get(f"/cases/{case_id}/history").json()
    assert history["events"][0]["actor"] == {
        "id": people.clerk.id,
        "role": "clerk",
        "name": "窗口 陈",
    }


def test_work_recorded_after_the_fact_keeps_when_it_happened(
    as_clerk: Api, as_worker: Api, people: People
) -> None:
    received_at = moments_ago(120)
    case = as_clerk.new_case(intake(received_at=received_at))
    assert datetime.fromisoformat(case["received_at"]) == datetime.fromisoformat(received_at)
    as_clerk.command(
        case["id"], "assign", {"assignee": people.worker.id, "occurred_at": moments_ago(100)}
    )
    visit = as_worker.command(
        case["id"],
        "visits",
        visit_body(visited_at=moments_ago(95), occurred_at=moments_ago(90)),
    )
    assert visit.status_code == 200
    events = as_worker.get(f"/cases/{case['id']}/history").json()["events"]
    occurred = datetime.fromisoformat(events[2]["occurred_at"])
    recorded = datetime.fromisoformat(events[2]["recorded_at"])
    assert (recorded - occurred).total_seconds() > 80 * 60
