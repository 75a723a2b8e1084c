"""Many clients at once against a running service with two worker processes."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2 as httpx

from tests.e2e.conftest import Server, new_token
from tests.helpers import intake, visit_body


def send(
    server: Server,
    token: str,
    path: str,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        return client.post(
            path, json=body, headers={"Authorization": f"Bearer {token}", **(headers or {})}
        )


def test_twenty_simultaneous_intakes_with_one_key_make_one_case(
    server: Server, service_env: dict[str, str]
) -> None:
    _, token = new_token(service_env, "client", "12345热线")
    body = intake(channel="api", title="同一来电，重复推送")
    with ThreadPoolExecutor(20) as pool:
        responses = list(
            pool.map(
                lambda _: send(server, token, "/cases", body, {"Idempotency-Key": "12345-0001"}),
                range(20),
            )
        )
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 200: 19}
    assert len({r.json()["id"] for r in responses}) == 1
    case_id = responses[0].json()["id"]
    _, auditor = new_token(service_env, "auditor", "审计员")
    history = httpx.get(
        f"{server.url}/cases/{case_id}/history", headers={"Authorization": f"Bearer {auditor}"}
    ).json()
    assert [e["type"] for e in history["events"]] == ["Received"]


def test_fifty_concurrent_commands_on_one_case_land_once_each_or_are_stale(
    server: Server, service_env: dict[str, str]
) -> None:
    worker_id, token = new_token(service_env, "supervisor", "并发网格员")
    case = send(server, token, "/cases", intake()).json()
    send(server, token, f"/cases/{case['id']}/assign", {"assignee": worker_id})

    def command(n: int) -> tuple[int, httpx.Response]:
        # Half of them conditional on the version they saw, as a careful client sends them.
        headers = {"If-Match": '"2"'} if n % 2 else {}
        body = visit_body(notes=f"visit-{n}")
        return n, send(server, token, f"/cases/{case['id']}/visits", body, headers)

    with ThreadPoolExecutor(50) as pool:
        outcomes = list(pool.map(command, range(50)))

    assert {r.status_code for _, r in outcomes} <= {200, 412}
    landed = {n for n, r in outcomes if r.status_code == 200}
    refused = [r for _, r in outcomes if r.status_code != 200]
    assert all(r.json()["code"] == "stale_version" for r in refused)
    assert len([n for n in landed if n % 2]) <= 1  # only one can win at version 2
    # No rule was broken by the unconditional ones: every one of them lands.
    assert {n for n in range(50) if n % 2 == 0} <= landed

    history = httpx.get(
        f"{server.url}/cases/{case['id']}/history", headers={"Authorization": f"Bearer {token}"}
    ).json()["events"]
    assert [e["version"] for e in history] == list(range(1, len(history) + 1))
    notes = Counter(e["data"]["notes"] for e in history if e["type"] == "Visited")
    assert set(notes) == {f"visit-{n}" for n in landed}
    assert all(count == 1 for count in notes.values())


def assigned_case(server: Server, service_env: dict[str, str], name: str) -> tuple[str, str]:
    worker_id, token = new_token(service_env, "supervisor", name)
    case = send(server, token, "/cases", intake()).json()
    send(server, token, f"/cases/{case['id']}/assign", {"assignee": worker_id})
    return case["id"], token


def visits_of(server: Server, token: str, case_id: str) -> list[dict[str, Any]]:
    history = httpx.get(
        f"{server.url}/cases/{case_id}/history", headers={"Authorization": f"Bearer {token}"}
    ).json()["events"]
    return [e for e in history if e["type"] == "Visited"]


def test_fifty_visits_at_once_to_one_case_on_two_processes_all_land(
    server: Server, service_env: dict[str, str]
) -> None:
    case_id, token = assigned_case(server, service_env, "五十次走访")

    def visit(n: int) -> httpx.Response:
        return send(server, token, f"/cases/{case_id}/visits", visit_body(notes=f"visit-{n}"))

    with ThreadPoolExecutor(50) as pool:
        responses = list(pool.map(visit, range(50)))

    assert [r.json().get("code") for r in responses if r.status_code != 200] == []
    case = httpx.get(
        f"{server.url}/cases/{case_id}", headers={"Authorization": f"Bearer {token}"}
    ).json()
    # Received, Assigned, the SignedFor of the assignee's first visit, the 50 visits
    assert case["version"] == 3 + 50
    assert len(visits_of(server, token, case_id)) == 50


def test_one_keyed_visit_sent_twenty_times_at_once_to_two_processes_is_one_visit(
    server: Server, service_env: dict[str, str]
) -> None:
    case_id, token = assigned_case(server, service_env, "重发走访")
    body = visit_body(notes="网络重发")
    key = {"Idempotency-Key": "field-app-visit-0001"}

    with ThreadPoolExecutor(20) as pool:
        responses = list(
            pool.map(
                lambda _: send(server, token, f"/cases/{case_id}/visits", body, key), range(20)
            )
        )

    assert [r.status_code for r in responses] == [200] * 20
    assert {r.json()["version"] for r in responses} == {4}  # SignedFor, then the visit
    assert len(visits_of(server, token, case_id)) == 1
