"""Lists and the dashboard, answered from read models the event log keeps up to date."""

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any
from uuid import uuid4

from fastapi.testclient import TestClient

from infra.bootstrap import Services
from tests.helpers import intake, visit_body
from tests.integration.conftest import Api, People


def fresh_grid_case(api: Api, **overrides: Any) -> dict[str, Any]:
    # A unique title lets each test find only its own cases in the shared database.
    return api.new_case(intake(**overrides))


def listed(api: Api, position: int, **params: Any) -> dict[str, Any]:
    response = api.get("/cases", min_position=position, **params)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_new_case_is_listed_once_the_read_model_has_its_event(
    as_clerk: Api, people: People
) -> None:
    title = f"列表测试 {uuid4()}"
    case = fresh_grid_case(as_clerk, title=title)
    page = listed(as_clerk, case["position"], first_contact=people.clerk.id, limit=500)
    mine = [item for item in page["items"] if item["id"] == case["id"]]
    assert len(mine) == 1
    assert mine[0]["title"] == title
    assert mine[0]["status"] == "received"
    assert mine[0]["due_at"] == case["due_at"]
    assert mine[0]["overdue"] is False
    assert mine[0]["time_left"]["working_days"] == case["time_left"]["working_days"]
    assert mine[0]["time_left"]["hours"] > 0


def test_the_list_follows_each_step_of_a_case(
    as_clerk: Api, as_worker: Api, people: People
) -> None:
    case_id = fresh_grid_case(as_clerk, grid_id="tiansheng-03")["id"]
    steps = [
        (as_clerk, "assign", {"assignee": people.worker.id}, "assigned"),
        (as_worker, "visits", visit_body(), "in_progress"),
        (as_worker, "suspend", {"reason": "等材料"}, "suspended"),
        (as_worker, "resume", {"reason": "材料到了"}, "in_progress"),
        (as_worker, "close", {"resolution": "resolved", "summary": "ok"}, "closed"),
        (as_clerk, "rate", {"rating": "satisfied"}, "rated"),
    ]
    for api, action, body, status in steps:
        answer = api.command(case_id, action, body).json()
        row = next(
            item
            for item in listed(api, answer["position"], grid_id="tiansheng-03", limit=500)["items"]
            if item["id"] == case_id
        )
        assert row["status"] == status
        assert row["version"] == answer["version"]


def test_filters_and_keyset_paging(as_clerk: Api, as_worker: Api, people: People) -> None:
    title = f"翻页 {uuid4()}"
    created = [fresh_grid_case(as_clerk, title=title, grid_id="tiansheng-02") for _ in range(5)]
    for case in created[:2]:
        last = as_clerk.command(case["id"], "assign", {"assignee": people.other_worker.id})
    position = last.json()["position"]

    assigned = listed(
        as_clerk, position, assignee=people.other_worker.id, status="assigned", limit=500
    )
    assert {c["id"] for c in created[:2]} <= {item["id"] for item in assigned["items"]}
    assert all(item["status"] == "assigned" for item in assigned["items"])

    seen: list[str] = []
    after = None
    while True:
        params: dict[str, Any] = {"grid_id": "tiansheng-02", "limit": 2}
        if after:
            params["after"] = after
        page = listed(as_clerk, position, **params)
        assert len(page["items"]) <= 2
        seen.extend(item["id"] for item in page["items"])
        after = page["next_cursor"]
        if after is None:
            break
    assert len(seen) == len(set(seen)) == page["total"]
    assert {c["id"] for c in created} <= set(seen)

    by_community = listed(as_clerk, position, community_id="tiansheng", limit=1)
    by_street = listed(as_clerk, position, street_id="wenmiao", limit=1)
    assert by_community["total"] == by_street["total"] >= 5
    assert listed(as_clerk, position, community_id="nowhere")["total"] == 0


def all_listed(api: Api, position: int, **params: Any) -> tuple[int, list[dict[str, Any]]]:
    """The total the first page states, and every case over all pages."""
    first = listed(api, position, limit=500, **params)
    items, after = first["items"], first["next_cursor"]
    while after:
        page = listed(api, position, limit=500, after=after, **params)
        items, after = items + page["items"], page["next_cursor"]
    return first["total"], items


def test_totals_stay_exact_as_cases_move_between_statuses(
    as_clerk: Api, as_worker: Api, as_supervisor: Api, people: People
) -> None:
    created = [
        fresh_grid_case(as_clerk, grid_id=f"tiansheng-0{n % 4 + 1}", **extra)
        for n, extra in enumerate([{}, {}, {}, {"category": "complaint"}, {"kind": "dispute"}])
    ]
    steps = [
        *[(as_clerk, case, "assign", {"assignee": people.worker.id}) for case in created[:3]],
        (as_worker, created[0], "visits", visit_body()),
        (as_worker, created[0], "close", {"resolution": "resolved", "summary": "ok"}),
        (as_clerk, created[0], "rate", {"rating": "satisfied"}),
        (as_worker, created[1], "close", {"resolution": "unresolvable", "summary": "x"}),
        (as_supervisor, created[1], "reopen", {"reason": "居民不满意"}),
    ]
    for api, case, action, body in steps:
        answer = api.command(case["id"], action, body)
        assert answer.status_code == 200, answer.text
    position = answer.json()["position"]

    filter_sets: list[dict[str, Any]] = [
        {},
        {"status": "assigned"},
        {"status": ["rated", "closed"]},
        {"kind": "resident_request", "category": "help"},
        {"community_id": "tiansheng", "status": "received"},
        {"street_id": "wenmiao", "kind": "dispute"},
        {"grid_id": "tiansheng-02", "status": ["assigned", "received"]},
        {"assignee": people.worker.id, "status": "assigned"},
    ]
    for filters in filter_sets:
        total, items = all_listed(as_clerk, position, **filters)
        assert total == len(items), filters
    rated = {item["id"] for item in all_listed(as_clerk, position, status="rated")[1]}
    reopened = {item["id"] for item in all_listed(as_clerk, position, status="assigned")[1]}
    assert created[0]["id"] in rated
    assert created[1]["id"] in reopened


def test_overdue_and_due_before(as_clerk: Api, people: People) -> None:
    late = fresh_grid_case(
        as_clerk,
        category="urgent",
        received_at="2026-01-05T09:00:00+08:00",
        grid_id="tiansheng-04",
    )
    page = listed(as_clerk, late["position"], overdue="true", grid_id="tiansheng-04", limit=500)
    assert late["id"] in {item["id"] for item in page["items"]}
    assert all(item["overdue"] for item in page["items"])
    due_soon = listed(as_clerk, late["position"], due_before="2026-01-07T00:00:00+08:00", limit=500)
    assert late["id"] in {item["id"] for item in due_soon["items"]}


def test_a_bad_cursor_or_filter_is_422(as_clerk: Api) -> None:
    response = as_clerk.get("/cases", after="bm90LWEtY3Vyc29y")
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "after"]
    assert as_clerk.get("/cases", status="lost").status_code == 422
    assert as_clerk.get("/cases", sort="colour").status_code == 422


def test_an_unknown_grid_at_intake_is_422(as_clerk: Api) -> None:
    response = as_clerk.post("/cases", intake(grid_id="mars-01"))
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "unknown_grid"
    assert problem["errors"][0]["loc"] == ["body", "resident_request", "grid_id"]


def test_the_dashboard_counts_open_overdue_and_unclaimed_work(
    as_clerk: Api, people: People
) -> None:
    wish = fresh_grid_case(as_clerk, kind="micro_wish")
    late = fresh_grid_case(as_clerk, category="urgent", received_at="2026-01-05T09:00:00+08:00")
    position = late["position"]
    before = as_clerk.get("/dashboard/summary", min_position=position).json()
    assigned = as_clerk.command(late["id"], "assign", {"assignee": people.worker.id}).json()
    after = as_clerk.get("/dashboard/summary", min_position=assigned["position"]).json()
    assert before["unclaimed_micro_wishes"] >= 1
    assert before["overdue_now"] >= 1
    assert before["received_today"] >= 1
    assert after["open_by_status"]["assigned"] == before["open_by_status"].get("assigned", 0) + 1
    worker_load = {row["worker"]: row for row in after["workload"]}
    assert worker_load[people.worker.id]["overdue"] >= 1
    assert any(
        row["grid_id"] == "tiansheng-01" and row["name"] == "天胜社区第一网格"
        for row in after["open_by_grid"]
    )
    assert wish["id"]


def test_projections_report_their_position_and_lag(
    client: TestClient, as_clerk: Api, as_supervisor: Api
) -> None:
    case = fresh_grid_case(as_clerk)
    listed(as_clerk, case["position"])
    statuses = as_supervisor.get("/projections").json()
    case_list = next(s for s in statuses if s["name"] == "case_list" and s["active"])
    assert case_list["position"] >= case["position"]
    assert case_list["head"] >= case_list["position"]
    assert case_list["lag_events"] == case_list["head"] - case_list["position"]
    assert case_list["error"] is None


@contextmanager
def case_list_held_back(services: Services) -> Iterator[None]:
    """The case-list projector cannot record progress while this lasts: a read model that is
    really behind the log, as after a burst of commands."""
    with services.connect() as conn, conn.transaction():
        conn.execute(
            "SELECT 1 FROM casework_projections WHERE name = 'case_list' AND active FOR UPDATE"
        )
        yield


@contextmanager
def read_wait(services: Services, seconds: float) -> Iterator[None]:
    services.settings.read_wait_seconds = seconds
    try:
        yield
    finally:
        services.settings.read_wait_seconds = 5.0


def test_a_position_beyond_the_log_head_is_refused_at_once_naming_the_head(
    as_clerk: Api, services: Services
) -> None:
    case = fresh_grid_case(as_clerk)
    # Long enough that a query that waited would be seen as waiting.
    with read_wait(services, 60):
        by_query = as_clerk.get("/cases", min_position=case["position"] + 10**9)
        by_header = as_clerk.client.get(
            "/dashboard/summary",
            headers={**as_clerk.person.auth, "X-Min-Position": str(10**12)},
        )
    assert by_query.status_code == 422, by_query.text
    problem = by_query.json()
    assert problem["code"] == "position_beyond_head"
    assert problem["errors"][0]["loc"] == ["query", "min_position"]
    head = int(problem["errors"][0]["message"].rsplit(" ", 1)[-1].rstrip(")"))
    assert head >= case["position"]
    assert by_header.status_code == 422, by_header.text
    assert by_header.json()["errors"][0]["loc"] == ["header", "X-Min-Position"]


def test_a_position_too_large_for_any_log_is_a_bad_field(as_clerk: Api) -> None:
    by_query = as_clerk.get("/cases", min_position=10**30)
    by_header = as_clerk.client.post(
        "/residents/lookup",
        json={"phone": "13812345678"},
        headers={**as_clerk.person.auth, "X-Min-Position": str(10**30)},
    )
    assert by_query.status_code == 422, by_query.text
    assert by_query.json()["errors"][0]["loc"] == ["query", "min_position"]
    assert by_header.status_code == 422, by_header.text
    assert by_header.json()["errors"][0]["loc"] == ["header", "x-min-position"]


def test_a_read_model_behind_a_position_the_log_has_answers_a_bounded_503(
    as_clerk: Api, services: Services
) -> None:
    with case_list_held_back(services):
        case = fresh_grid_case(as_clerk)
        with read_wait(services, 0.2):
            response = as_clerk.get("/cases", min_position=case["position"])
    assert response.status_code == 503
    assert response.json()["code"] == "read_model_behind"
    assert listed(as_clerk, case["position"])["total"] >= 1  # and it catches up after


def test_queries_waiting_for_a_read_model_leave_the_database_to_everyone_else(
    client: TestClient, as_clerk: Api, services: Services
) -> None:
    waiting = 3 * services.settings.pool_size
    with ThreadPoolExecutor(waiting) as threads, case_list_held_back(services):
        behind = fresh_grid_case(as_clerk)
        with read_wait(services, 60):
            reads = [
                threads.submit(as_clerk.get, "/cases", min_position=behind["position"])
                for _ in range(waiting)
            ]
            time.sleep(0.5)  # let them all start waiting
            # Writes and queries without min_position go on meanwhile.
            written = as_clerk.post("/cases", intake())
            dashboard = as_clerk.get("/dashboard/summary")
            all_waiting = not any(read.done() for read in reads)
    assert written.status_code == 201, written.text
    assert dashboard.status_code == 200, dashboard.text
    assert all_waiting
    assert [read.result().status_code for read in reads] == [200] * waiting
