"""Dates far outside any case's life: refused at the door, and harmless once stored."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from domain.vocabulary import Role
from infra.bootstrap import Services
from tests.helpers import intake
from tests.integration.conftest import Api, People

FAR_FUTURE = "9999-12-31T23:59:59Z"
YEAR_ONE = "0001-01-01T10:00:00+08:00"


def refused(response: Any, *loc: str) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["errors"][0]["loc"] == list(loc), problem
    assert "accepted window" in problem["errors"][0]["message"], problem
    return problem


@pytest.fixture
def assigned(as_clerk: Api, people: People) -> dict[str, Any]:
    case = as_clerk.new_case(intake())
    response = as_clerk.command(case["id"], "assign", {"assignee": people.worker.id})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("received_at", [YEAR_ONE, "1999-12-31T23:00:00+08:00", FAR_FUTURE])
def test_an_intake_received_outside_the_window_is_refused(as_clerk: Api, received_at: str) -> None:
    refused(
        as_clerk.post("/cases", intake(received_at=received_at)),
        "body",
        "resident_request",
        "received_at",
    )


@pytest.mark.parametrize("moment", [YEAR_ONE, FAR_FUTURE])
def test_work_dated_outside_the_window_is_refused(
    as_worker: Api, assigned: dict[str, Any], moment: str
) -> None:
    case_id = assigned["id"]
    refused(
        as_worker.command(
            case_id, "visits", {"visited_at": moment, "duration_minutes": 30, "notes": "上门"}
        ),
        "body",
        "visited_at",
    )
    refused(
        as_worker.command(case_id, "suspend", {"reason": "等待", "occurred_at": moment}),
        "body",
        "occurred_at",
    )


def test_an_extension_beyond_two_years_is_refused(
    as_supervisor: Api, assigned: dict[str, Any], people: People
) -> None:
    body = {"reason": "等待", "approved_by": people.supervisor.id}
    three_years = (datetime.now(UTC) + timedelta(days=3 * 365)).isoformat()
    for new_due_at in (FAR_FUTURE, "9000-01-01T00:00:00+08:00", three_years):
        response = as_supervisor.command(
            assigned["id"], "extend", {**body, "new_due_at": new_due_at}
        )
        refused(response, "body", "new_due_at")
    too_many = as_supervisor.command(assigned["id"], "extend", {**body, "extra_working_days": 251})
    assert too_many.status_code == 422, too_many.text
    # Nothing was stored: the case is as it was.
    assert as_supervisor.get(f"/cases/{assigned['id']}").json()["version"] == assigned["version"]


@pytest.mark.parametrize("as_of", ["9999-12-31T00:00:00+08:00", "0001-01-01T00:00:00+08:00"])
def test_a_case_as_of_a_moment_outside_the_window_is_refused(
    as_clerk: Api, assigned: dict[str, Any], as_of: str
) -> None:
    refused(as_clerk.get(f"/cases/{assigned['id']}", as_of=as_of), "query", "as_of")


def test_queries_about_dates_outside_the_window_are_refused(as_supervisor: Api) -> None:
    refused(as_supervisor.get("/cases", due_before=FAR_FUTURE), "query", "due_before")
    refused(
        as_supervisor.get("/reports/compliance", **{"from": "9999-12-01", "to": "9999-12-31"}),
        "query",
        "from",
    )
    refused(
        as_supervisor.get("/reports/compliance", **{"from": "2026-01-01", "to": "9999-12-31"}),
        "query",
        "to",
    )
    refused(
        as_supervisor.get("/reports/compliance", **{"from": "0001-01-01", "to": "0001-12-31"}),
        "query",
        "from",
    )


def test_a_deadline_stored_at_the_end_of_the_calendar_still_reads_for_every_role(
    services: Services, client: Any, people: People, as_clerk: Api, as_supervisor: Api
) -> None:
    """An extension to 9999-12-31T23:59:59Z stored before dates were bounded (in Shanghai that
    moment falls in year 10000): the case, its history and the case list still answer."""
    case = as_clerk.new_case(intake())
    stored = services.cases.get_case(UUID(case["id"]))
    stored._extend(  # the event as an unbounded earlier version stored it
        due_at=datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
        due_at_provisional=False,
        previous_due_at=stored.due_at,
        reason="延期",
        approved_by=people.supervisor.id,
        actor={"id": people.supervisor.id, "role": "supervisor"},
        occurred_at=datetime.now(UTC),
        correlation_id="stored-before-bounds",
    )
    position = services.cases.save(stored)[-1].notification.id

    _, admin_token = services.users.add("管理员 全市", Role.ADMIN, None)
    admin = {"Authorization": f"Bearer {admin_token}"}
    readers = [p.auth for p in (people.clerk, people.worker, people.supervisor, people.auditor)]
    for auth in [*readers, admin]:
        answer = client.get(f"/cases/{case['id']}", headers=auth)
        assert answer.status_code == 200, answer.text
        assert answer.json()["due_at"].startswith("9999-12-31T23:59:59"), answer.text
        assert answer.json()["overdue"] is False
        listed = client.get(
            "/cases",
            params={"grid_id": "tiansheng-01", "min_position": position, "limit": 500},
            headers=auth,
        )
        assert listed.status_code == 200, listed.text
        [item] = [i for i in listed.json()["items"] if i["id"] == case["id"]]
        assert item["due_at"].startswith("9999-12-31T23:59:59")
        summary = client.get("/dashboard/summary", params={"min_position": position}, headers=auth)
        assert summary.status_code == 200, summary.text
    for auth in [p.auth for p in (people.worker, people.supervisor, people.auditor)] + [admin]:
        history = client.get(f"/cases/{case['id']}/history", headers=auth)
        assert history.status_code == 200, history.text
        assert history.json()["events"][-1]["data"]["due_at"].startswith("9999-12-31")

    # A further extension cannot go anywhere from there: a named rule, not a failure.
    extended = as_supervisor.command(
        case["id"],
        "extend",
        {"reason": "再延期", "approved_by": people.supervisor.id, "extra_working_days": 5},
    )
    assert extended.status_code == 409, extended.text
    assert extended.json()["code"] == "extension_too_far"


def test_a_case_with_an_event_missing_from_the_store_answers_a_problem(
    services: Services, as_clerk: Api, as_worker: Api, assigned: dict[str, Any]
) -> None:
    case_id = assigned["id"]
    for reason in ("等待居民", "材料已补齐"):
        action = "suspend" if reason == "等待居民" else "resume"
        answer = as_worker.command(case_id, action, {"reason": reason})
        assert answer.status_code == 200, answer.text
    # Every read model applies the event first: one that met the gap would pass it for good,
    # and later tests compare read models with their rebuilds.
    settled = as_clerk.get("/dashboard/summary", min_position=answer.json()["position"])
    assert settled.status_code == 200, settled.text
    where = "originator_id = %s AND originator_version = 2"
    with services.pool.connection() as conn:
        cursor = conn.execute(f"SELECT * FROM casework_events WHERE {where}", (case_id,))
        columns = [c.name for c in cursor.description or []]
        row = cursor.fetchone()
        conn.execute(f"DELETE FROM casework_events WHERE {where}", (case_id,))
    try:
        answer = as_clerk.get(f"/cases/{case_id}")
        assert answer.status_code == 409, answer.text
        assert answer.json()["code"] == "case_history_broken"
        command = as_worker.command(case_id, "suspend", {"reason": "再次等待"})
        assert command.status_code == 409, command.text
        assert command.json()["code"] == "case_history_broken"
    finally:  # put the event back: later tests rebuild read models from this store
        with services.pool.connection() as conn:
            conn.execute(
                f"INSERT INTO casework_events ({', '.join(columns)})"
                f" VALUES ({', '.join(['%s'] * len(columns))})",
                row,
            )
    assert as_clerk.get(f"/cases/{case_id}").status_code == 200
