"""Supervision as Chinese practice runs it: send-back, contact, urge, lights, the ladder."""

import csv
import io
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from fastapi.testclient import TestClient

from domain.time_limits import ladder_thresholds
from infra.bootstrap import Services
from infra.supervision import Supervision
from tests.helpers import intake, moments_ago
from tests.integration.conftest import Api, People, Person


def assigned_case(as_clerk: Api, as_supervisor: Api, people: People, **intake_fields: Any) -> str:
    case_id: str = as_clerk.new_case(fresh(**intake_fields))["id"]
    assigned = as_supervisor.command(case_id, "assign", {"assignee": people.worker.id})
    assert assigned.status_code == 200, assigned.text
    return case_id


def fresh(**fields: Any) -> dict[str, Any]:
    """An intake whose title finds it alone among the suite's cases."""
    return intake(grid_id="tiansheng-01", title=f"督办 t{uuid4().hex[:12]}", **fields)


def listed(api: Api, case_id: str, position: int, **filters: Any) -> dict[str, Any] | None:
    tag = api.get(f"/cases/{case_id}").json()["title"].split()[-1]
    page = api.get("/cases", min_position=position, limit=500, q=tag, **filters).json()
    return next((row for row in page["items"] if row["id"] == case_id), None)


def events_of(api: Api, case_id: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = api.get(f"/cases/{case_id}/history").json()["events"]
    return events


# -- send-back (退回) -------------------------------------------------------------------


def test_the_assignee_sends_a_case_back_before_signing_and_not_after(
    as_clerk: Api, as_supervisor: Api, as_worker: Api, people: People
) -> None:
    case_id = assigned_case(as_clerk, as_supervisor, people)
    sent_back = as_worker.command(case_id, "send-back", {"reason": "不是本网格的事"})
    assert sent_back.status_code == 200, sent_back.text
    assert sent_back.json()["assignee"] is None
    assert events_of(as_worker, case_id)[-1]["type"] == "SentBack"

    as_supervisor.command(case_id, "assign", {"assignee": people.worker.id})
    as_worker.command(case_id, "sign", {})
    after_signing = as_worker.command(case_id, "send-back", {"reason": "不想办"})
    assert after_signing.status_code == 409
    assert after_signing.json()["code"] == "send_back_after_signing"


def test_only_the_assignee_sends_a_case_back(
    as_clerk: Api, as_supervisor: Api, people: People, client: Any
) -> None:
    case_id = assigned_case(as_clerk, as_supervisor, people)
    other = Api(client, people.other_worker)
    refused = other.command(case_id, "send-back", {"reason": "不是我的"})
    assert refused.status_code == 409 and refused.json()["code"] == "not_the_assignee"
    unassigned = as_clerk.new_case(fresh())["id"]
    nobody = as_supervisor.command(unassigned, "send-back", {"reason": "x"})
    assert nobody.status_code == 409 and nobody.json()["code"] == "no_assignee"


# -- first contact (响应) ---------------------------------------------------------------


def test_first_contact_is_the_first_contacted_or_visited(
    as_clerk: Api, as_supervisor: Api, as_worker: Api, people: People
) -> None:
    case_id = assigned_case(as_clerk, as_supervisor, people)
    first = moments_ago(30)
    visited = as_worker.command(
        case_id, "visits", {"visited_at": first, "duration_minutes": 20, "notes": "上门"}
    )
    assert visited.json()["first_contacted_at"] is not None
    called = as_worker.command(
        case_id, "contact", {"contacted_at": moments_ago(5), "channel": "phone", "notes": "电话"}
    )
    assert called.status_code == 200, called.text
    assert datetime.fromisoformat(called.json()["first_contacted_at"]) == datetime.fromisoformat(
        first
    )
    row = listed(as_worker, case_id, called.json()["position"])
    assert row is not None
    assert datetime.fromisoformat(row["first_contacted_at"]) == datetime.fromisoformat(first)
    assert events_of(as_worker, case_id)[-1]["data"]["channel"] == "phone"


def test_a_contact_by_an_unknown_channel_is_refused(
    as_clerk: Api, as_supervisor: Api, as_worker: Api, people: People
) -> None:
    case_id = assigned_case(as_clerk, as_supervisor, people)
    bad = as_worker.command(
        case_id, "contact", {"contacted_at": moments_ago(), "channel": "pigeon", "notes": "x"}
    )
    assert bad.status_code == 422


# -- urging by hand (催办) --------------------------------------------------------------


def test_a_supervisor_urges_by_hand_and_a_worker_may_not(
    as_clerk: Api, as_supervisor: Api, as_worker: Api, people: People
) -> None:
    case_id = assigned_case(as_clerk, as_supervisor, people)
    urged = as_supervisor.command(case_id, "urge", {"message": "请尽快处理"})
    again = as_supervisor.command(case_id, "urge", {"message": "再催一次"})
    by_worker = as_worker.command(case_id, "urge", {"message": "x"})
    assert urged.status_code == 200 and again.status_code == 200, again.text
    assert by_worker.status_code == 403
    urges = [e for e in events_of(as_supervisor, case_id) if e["type"] == "Urged"]
    assert [u["data"]["message"] for u in urges] == ["请尽快处理", "再催一次"]
    assert all(u["data"]["automatic"] is False for u in urges)


# -- lights (红黄灯) ---------------------------------------------------------------------


def test_lights_on_the_case_and_the_list_and_the_filter(
    as_clerk: Api, as_supervisor: Api, people: People
) -> None:
    def urgent(hours_ago: float) -> dict[str, Any]:
        received = (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat()
        return as_clerk.new_case(fresh(category="urgent", received_at=received))

    green, yellow, red = urgent(1), urgent(20), urgent(25)  # a 24-hour limit
    assert [c["light"] for c in (green, yellow, red)] == ["green", "yellow", "red"]
    position = red["position"]
    for case, light in ((green, "green"), (yellow, "yellow"), (red, "red")):
        row = listed(as_supervisor, case["id"], position)
        assert row is not None and row["light"] == light
        assert listed(as_supervisor, case["id"], position, light=light) is not None
        other = "green" if light != "green" else "red"
        assert listed(as_supervisor, case["id"], position, light=other) is None


def test_a_suspended_case_keeps_its_light(
    as_clerk: Api, as_supervisor: Api, as_worker: Api, people: People
) -> None:
    received = (datetime.now(UTC) - timedelta(hours=10)).isoformat()
    case_id = as_clerk.new_case(fresh(category="urgent", received_at=received))["id"]
    suspended = as_supervisor.command(
        case_id,
        "suspend",
        {"reason": "等居民回复", "occurred_at": moments_ago(9 * 60)},
    )
    assert suspended.status_code == 200, suspended.text
    # 25 hours after receipt it would be red; suspended 1 hour in, it is still green.
    assert suspended.json()["light"] == "green"
    row = listed(as_supervisor, case_id, suspended.json()["position"], light="green")
    assert row is not None


# -- the ladder (催办 -> 督办 -> 通报) -------------------------------------------------------


def overdue_case(as_clerk: Api, as_supervisor: Api, people: People) -> dict[str, Any]:
    """A consultation (3 working days) received about 20 working days ago."""
    received = (datetime.now(UTC) - timedelta(days=28)).isoformat()
    case_id = assigned_case(as_clerk, as_supervisor, people, received_at=received)
    case: dict[str, Any] = as_supervisor.get(f"/cases/{case_id}").json()
    listed(as_supervisor, case_id, case["position"])  # the read models have it
    return case


STEPS = ("Urged", "Supervised", "PubliclyNoted")


def ladder(api: Api, case_id: str) -> list[dict[str, Any]]:
    return [e for e in events_of(api, case_id) if e["type"] in STEPS]


def expected_moments(services: Services, case: dict[str, Any]) -> list[datetime]:
    found = services.cases.get_case(UUID(case["id"]))
    moments = ladder_thresholds(
        found.due_at,
        services.cases.time_limit_of(found),
        services.cases.calendar,
        services.cases.zone,
    )
    return [moments.urge, moments.supervise, moments.notice]


def test_a_case_received_weeks_ago_climbs_the_whole_ladder_once_dated_at_its_thresholds(
    services: Services, as_clerk: Api, as_supervisor: Api, people: People
) -> None:
    case = overdue_case(as_clerk, as_supervisor, people)
    manager = Supervision(services.cases, services.connect)

    manager.run_once()
    steps = ladder(as_supervisor, case["id"])
    manager.run_once()  # again, as after a restart: nothing more

    assert ladder(as_supervisor, case["id"]) == steps
    assert [s["type"] for s in steps] == ["Urged", "Supervised", "PubliclyNoted"]
    assert all((s["actor"]["id"], s["actor"]["role"]) == ("system", "system") for s in steps)
    occurred = [datetime.fromisoformat(s["occurred_at"]) for s in steps]
    assert occurred == expected_moments(services, case)
    assert steps[0]["data"]["automatic"] is True
    assert steps[1]["data"]["level"] == "community"
    now = as_supervisor.get(f"/cases/{case['id']}").json()
    assert now["light"] == "red"
    assert now["supervised_by_level"] == "community" and now["publicly_noted"] is True


def test_two_managers_at_once_record_each_step_once(
    services: Services, as_clerk: Api, as_supervisor: Api, people: People
) -> None:
    cases = [overdue_case(as_clerk, as_supervisor, people) for _ in range(3)]
    managers = [Supervision(services.cases, services.connect) for _ in range(2)]
    start = threading.Barrier(2)

    def run(manager: Supervision) -> None:
        start.wait()
        manager.run_once()

    threads = [threading.Thread(target=run, args=(m,)) for m in managers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    for case in cases:
        types = [s["type"] for s in ladder(as_supervisor, case["id"])]
        assert types == ["Urged", "Supervised", "PubliclyNoted"]


def test_the_supervision_list_and_filter_show_the_supervised_case(
    services: Services, as_clerk: Api, as_supervisor: Api, as_worker: Api, people: People
) -> None:
    case = overdue_case(as_clerk, as_supervisor, people)
    Supervision(services.cases, services.connect).run_once()
    position = as_supervisor.get(f"/cases/{case['id']}").json()["position"]
    row = listed(as_supervisor, case["id"], position, supervised="true")
    assert row is not None and row["supervised_by_level"] == "community"
    assert listed(as_supervisor, case["id"], position, supervised="false") is None

    answer = as_supervisor.get("/supervision")
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    mine = next(item for item in items if item["id"] == case["id"])
    assert mine["overdue_hours"] > 24 * 20
    dues = [item["due_at"] for item in items]
    assert dues == sorted(dues, key=datetime.fromisoformat)
    assert as_worker.get("/supervision").status_code == 403


def test_a_suspended_or_closed_case_is_not_urged(
    services: Services, as_clerk: Api, as_supervisor: Api, as_worker: Api, people: People
) -> None:
    case = overdue_case(as_clerk, as_supervisor, people)
    closed = as_worker.command(case["id"], "close", {"resolution": "resolved", "summary": "修好了"})
    assert closed.status_code == 200, closed.text
    listed(as_supervisor, case["id"], closed.json()["position"])
    Supervision(services.cases, services.connect).run_once()
    assert ladder(as_supervisor, case["id"]) == []


def test_the_exported_list_carries_the_light_and_the_ladder(
    services: Services, as_clerk: Api, as_supervisor: Api, people: People
) -> None:
    case = overdue_case(as_clerk, as_supervisor, people)
    Supervision(services.cases, services.connect).run_once()
    position = as_supervisor.get(f"/cases/{case['id']}").json()["position"]
    response = as_supervisor.get(
        "/cases", format="csv", supervised="true", min_position=position, grid_id="tiansheng-01"
    )
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    mine = next(row for row in rows if row["案件编号"] == case["id"])
    assert (mine["红黄灯"], mine["督办层级"], mine["已通报"]) == ("red", "community", "是")


def test_the_dashboard_counts_yellow_red_and_supervised_cases(
    services: Services, as_clerk: Api, as_supervisor: Api, people: People
) -> None:
    before = as_supervisor.get("/dashboard/summary").json()
    received = (datetime.now(UTC) - timedelta(hours=20)).isoformat()
    yellow = as_clerk.new_case(fresh(category="urgent", received_at=received))
    case = overdue_case(as_clerk, as_supervisor, people)
    Supervision(services.cases, services.connect).run_once()
    position = as_supervisor.get(f"/cases/{case['id']}").json()["position"]
    after = as_supervisor.get("/dashboard/summary", min_position=max(position, yellow["position"]))
    counts = after.json()
    assert counts["open_yellow"] == before["open_yellow"] + 1
    assert counts["open_red"] == before["open_red"] + 1
    assert counts["under_supervision"] == before["under_supervision"] + 1


def test_a_case_with_nothing_to_record_does_not_hold_up_the_others(
    services: Services, as_clerk: Api, as_supervisor: Api, people: People
) -> None:
    # The read model says a step is long due on a fresh case (as when it lags behind it).
    stuck = as_clerk.new_case(fresh())
    listed(as_supervisor, stuck["id"], stuck["position"])
    with services.connect() as conn:
        conn.execute(
            "UPDATE rm_next_thresholds SET due_at = '2001-01-01T00:00:00Z' WHERE case_id = %s",
            (stuck["id"],),
        )
    case = overdue_case(as_clerk, as_supervisor, people)
    manager = Supervision(services.cases, services.connect, batch_size=1)

    with services.connect() as conn:
        row = conn.execute("SELECT count(*) FROM rm_next_thresholds WHERE due_at <= now()")
        due = row.fetchone()[0]  # type: ignore[index]
    # One case a round, the oldest moment first: the stuck case, which records nothing,
    # then each other one in turn.
    for _ in range(due + 1):
        manager.run_once()
        if len(ladder(as_supervisor, case["id"])) == 3:
            break

    assert ladder(as_supervisor, stuck["id"]) == []
    assert [s["type"] for s in ladder(as_supervisor, case["id"])] == list(STEPS)


def test_the_report_counts_the_steps_the_ladder_took(
    services: Services, client: TestClient, as_clerk: Api, as_supervisor: Api, people: People
) -> None:
    """For a worker of its own: a case weeks overdue climbs the whole ladder (urged,
    supervised, publicly noted, by the service); a fresh one is urged by hand; one as old
    but closed before the ladder ran takes no step. The report over the days of the steps
    counts 2 urged, 1 supervised, 1 publicly noted for that worker."""
    user, token = services.users.add("网格员 督办计数", "worker", "tiansheng-01")
    worker = Person(str(user.id), user.role, token)
    as_worker = Api(client, worker)
    people = replace(people, worker=worker)
    old = overdue_case(as_clerk, as_supervisor, people)
    fresh_case = assigned_case(as_clerk, as_supervisor, people)
    closed = overdue_case(as_clerk, as_supervisor, people)
    visit = {"visited_at": moments_ago(), "duration_minutes": 20, "notes": "上门"}
    as_worker.command(closed["id"], "visits", visit)
    shut = as_worker.command(closed["id"], "close", {"resolution": "resolved", "summary": "办结"})
    assert shut.status_code == 200, shut.text
    urged = as_supervisor.command(fresh_case, "urge", {"message": "请尽快处理"})
    assert urged.status_code == 200, urged.text
    listed(as_supervisor, old["id"], urged.json()["position"])

    Supervision(services.cases, services.connect).run_once()

    assert [s["type"] for s in ladder(as_supervisor, old["id"])] == list(STEPS)
    assert ladder(as_supervisor, closed["id"]) == []
    first = expected_moments(services, old)[0].astimezone(services.cases.zone).date()
    today = datetime.now(services.cases.zone).date()
    head = as_supervisor.get(f"/cases/{old['id']}").json()["position"]
    report = as_supervisor.get(
        "/reports/compliance",
        **{"from": first.isoformat(), "to": today.isoformat()},
        group_by="worker",
        min_position=head,
    ).json()
    (row,) = [r for r in report["rows"] if r["group"] == worker.id]
    assert (row["urged"], row["supervised"], row["publicly_noted"]) == (2, 1, 1)
    assert row["assigned"] == 3
