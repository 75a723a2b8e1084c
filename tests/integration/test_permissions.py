"""The README's permission table, walked: every role against every route, in and out of area."""

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.vocabulary import ClaimantType
from infra.areas import AreaFile, Community, Grid, Street
from infra.bootstrap import Services
from tests.helpers import intake

README = Path(__file__).resolve().parents[2] / "README.md"
ROLES = ("clerk", "worker", "supervisor", "auditor", "admin", "client", "claimant")


def readme_table() -> dict[tuple[str, str], set[str]]:
    """{(method, path): roles allowed}, as the README's "Who may do what" table says."""
    section = README.read_text().split("## Who may do what", 1)[1].split("\n## ", 1)[0]
    table = {}
    for line in section.splitlines():
        match = re.match(r"\| `(GET|POST|DELETE) (\S+)` \|(.*)\|$", line)
        if match:
            marks = [cell.strip() for cell in match.group(3).split("|")]
            table[(match.group(1), match.group(2))] = {
                role for role, mark in zip(ROLES, marks, strict=True) if mark == "✓"
            }
    return table


def test_the_readme_table_covers_every_route_of_the_service(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    routes = {(method.upper(), path) for path, item in paths.items() for method in item}
    assert routes - {("GET", "/health")} == set(readme_table())


@pytest.fixture(scope="module")
def city(services: Services) -> None:
    """A second community, outside every test user's area."""
    services.areas.load(
        AreaFile(
            streets=[Street(id="wenmiao", name="文庙街道")],
            communities=[Community(id="xinghua", name="兴华社区", street_id="wenmiao")],
            grids=[Grid(id="xinghua-01", name="兴华社区第一网格", community_id="xinghua")],
        )
    )


@pytest.fixture(scope="module")
def users(services: Services, city: None) -> dict[str, dict[str, str]]:
    """One user of each role, all in community tiansheng (a worker: grid tiansheng-01)."""
    made = {}
    for role in ROLES:
        area = "tiansheng-01" if role == "worker" else "tiansheng"
        kind = ClaimantType.VOLUNTEER if role == "claimant" else None
        user, token = services.users.add(f"权限 {role}", role, area, claimant_type=kind)
        made[role] = {"id": str(user.id), "auth": f"Bearer {token}"}
    return made


@pytest.fixture(scope="module")
def cases(
    client: TestClient, users: dict[str, dict[str, str]], services: Services
) -> dict[str, str]:
    """A case in the users' area and one outside it, filed by a city-wide clerk."""
    _, token = services.users.add("全市受理", "clerk", None)
    auth = {"Authorization": f"Bearer {token}"}
    inside = client.post("/cases", json=intake(grid_id="tiansheng-01"), headers=auth)
    outside = client.post("/cases", json=intake(grid_id="xinghua-01"), headers=auth)
    assert inside.status_code == outside.status_code == 201
    return {"inside": inside.json()["id"], "outside": outside.json()["id"]}


def call(client: TestClient, method: str, path: str, auth: str, case_id: str, grid: str) -> Any:
    url = path.replace("{case_id}", case_id).replace("{resident_id}", "r-unknown")
    if method == "GET":
        params: dict[str, str] = {"from": "2026-11-01", "to": "2026-11-30", "group_by": "grid"}
        if url == "/reports/league":
            params = {"month": "2026-11", "group_by": "grid"}
        if url == "/reports/assessment":
            params = {"month": "2026-11"}
        return client.get(
            url, params=params if "reports" in url else None, headers={"Authorization": auth}
        )
    if method == "DELETE":
        return client.delete(url, headers={"Authorization": auth})
    body = intake(grid_id=grid) if url == "/cases" else {"phone": "13812345678"}
    return client.post(url, json=body, headers={"Authorization": auth})


@pytest.mark.parametrize("role", ROLES)
def test_every_role_gets_exactly_the_tables_answer_inside_and_outside_its_area(
    client: TestClient, users: dict[str, dict[str, str]], cases: dict[str, str], role: str
) -> None:
    auth = users[role]["auth"]
    wrong = []
    for (method, path), allowed in readme_table().items():
        for where, grid in (("inside", "tiansheng-01"), ("outside", "xinghua-01")):
            status = call(client, method, path, auth, cases[where], grid).status_code
            case_scoped = "{case_id}" in path
            if role not in allowed:
                expected = {403}
            elif where == "outside" and case_scoped:
                expected = {404}
            elif where == "outside" and (method, path) == ("POST", "/cases"):
                expected = {403}
            else:
                expected = "anything but 401, 403 and 404"
            ok = (
                (status in expected)
                if isinstance(expected, set)
                else (status not in (401, 403, 404))
            )
            if not ok:
                wrong.append(f"{method} {path} {where}: {status}, expected {expected}")
    assert not wrong, "\n".join(wrong)


def test_a_worker_never_sees_another_grids_case_in_lists_or_counts(
    client: TestClient, users: dict[str, dict[str, str]], cases: dict[str, str]
) -> None:
    worker = {"Authorization": users["worker"]["auth"]}
    supervisor = {"Authorization": users["supervisor"]["auth"]}
    listed = client.get("/cases", params={"limit": 500}, headers=worker).json()
    assert all(
        item["grid_id"] == "tiansheng-01" or item["assignee"] == users["worker"]["id"]
        for item in listed["items"]
    )
    assert cases["outside"] not in {item["id"] for item in listed["items"]}
    assert client.get(f"/cases/{cases['outside']}", headers=worker).status_code == 404
    dashboard = client.get("/dashboard/summary", headers=supervisor).json()
    assert {row["grid_id"] for row in dashboard["open_by_grid"]} <= {
        f"tiansheng-0{n}" for n in range(1, 5)
    }


def test_a_case_assigned_to_a_worker_is_theirs_wherever_it_is(
    client: TestClient, users: dict[str, dict[str, str]], services: Services
) -> None:
    _, token = services.users.add("全市派单", "supervisor", None)
    boss = {"Authorization": f"Bearer {token}"}
    far = client.post("/cases", json=intake(grid_id="xinghua-01"), headers=boss).json()
    worker = {"Authorization": users["worker"]["auth"]}
    assert client.get(f"/cases/{far['id']}", headers=worker).status_code == 404
    client.post(
        f"/cases/{far['id']}/assign", json={"assignee": users["worker"]["id"]}, headers=boss
    )
    assert client.get(f"/cases/{far['id']}", headers=worker).status_code == 200


def test_reads_of_cases_and_histories_are_recorded_for_auditors(
    client: TestClient, users: dict[str, dict[str, str]], cases: dict[str, str]
) -> None:
    supervisor = {"Authorization": users["supervisor"]["auth"]}
    client.get(f"/cases/{cases['inside']}/history", headers=supervisor)
    client.get(f"/cases/{cases['inside']}", headers=supervisor)
    reads = client.get(
        "/audit/reads",
        params={"case_id": cases["inside"], "user_id": users["supervisor"]["id"]},
        headers={"Authorization": users["auditor"]["auth"]},
    ).json()
    assert [r["what"] for r in reads][:2] == ["case", "history"]
    assert all(r["role"] == "supervisor" for r in reads)
    assert all(r["user_name"] == "权限 supervisor" for r in reads)


def test_a_revoked_or_expired_token_stops_working(client: TestClient, services: Services) -> None:
    from datetime import UTC, datetime, timedelta

    user, token = services.users.add("将离职", "clerk", "tiansheng")
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/dashboard/summary", headers=auth).status_code == 200
    assert services.users.revoke(user.id)
    assert client.get("/dashboard/summary", headers=auth).status_code == 401
    _, stale = services.users.add(
        "过期", "clerk", "tiansheng", expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    assert (
        client.get("/dashboard/summary", headers={"Authorization": f"Bearer {stale}"}).status_code
        == 401
    )


def test_a_supervisors_report_counts_only_their_area(
    client: TestClient,
    users: dict[str, dict[str, str]],
    cases: dict[str, str],
    services: Services,
) -> None:
    from datetime import datetime

    # The service's day (Asia/Shanghai), not the machine's: they differ 8 hours a day.
    today = datetime.now(services.settings.zone).date().isoformat()
    params = {"from": today, "to": today, "group_by": "grid"}
    _, token = services.users.add("全市督导", "supervisor", None)
    city = client.get(
        "/reports/compliance", params=params, headers={"Authorization": f"Bearer {token}"}
    ).json()
    mine = client.get(
        "/reports/compliance", params=params, headers={"Authorization": users["supervisor"]["auth"]}
    ).json()
    assert "xinghua-01" in {row["group"] for row in city["rows"]}
    assert {row["group"] for row in mine["rows"]} <= {f"tiansheng-0{n}" for n in range(1, 5)}
    assert mine["totals"]["received"] < city["totals"]["received"]
    by_worker = client.get(
        "/reports/compliance",
        params={**params, "group_by": "worker"},
        headers={"Authorization": users["supervisor"]["auth"]},
    )
    # By worker or category too: only the cases of their area, so the same totals.
    assert by_worker.status_code == 200
    assert by_worker.json()["totals"] == mine["totals"]
