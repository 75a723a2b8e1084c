"""People by name: who am I, who works in my area, and names beside every id in answers."""

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient

from infra.areas import AreaFile, Community, Grid, Street
from infra.bootstrap import Services
from tests.helpers import intake, visit_body


@pytest.fixture(scope="module")
def area(services: Services) -> None:
    """A street of its own, so that its directory holds only this module's people."""
    services.areas.load(
        AreaFile(
            streets=[Street(id="renmin", name="人民街道")],
            communities=[
                Community(id="hexie", name="和谐社区", street_id="renmin"),
                Community(id="xingfu", name="幸福社区", street_id="renmin"),
            ],
            grids=[
                Grid(id="hexie-01", name="和谐社区第一网格", community_id="hexie"),
                Grid(id="hexie-02", name="和谐社区第二网格", community_id="hexie"),
                Grid(id="xingfu-01", name="幸福社区第一网格", community_id="xingfu"),
            ],
        )
    )


@pytest.fixture(scope="module")
def staff(services: Services, area: None) -> dict[str, dict[str, str]]:
    """Name -> {id, auth}: who works where in street renmin (and one city-wide worker)."""
    made = {}
    for name, role, where in [
        ("窗口 周丽", "clerk", "hexie"),
        ("网格员 吴刚", "worker", "hexie-01"),
        ("网格员 郑洁", "worker", "hexie-02"),
        ("网格员 冯涛", "worker", "xingfu-01"),
        ("街道督导 何静", "supervisor", "renmin"),
        ("街道审计 罗军", "auditor", "renmin"),
        ("全市社工 韩梅", "worker", None),
        ("热线系统", "client", "hexie"),
    ]:
        user, token = services.users.add(name, role, where)
        made[name] = {"id": str(user.id), "auth": f"Bearer {token}"}
    return made


def auth(person: dict[str, str]) -> dict[str, str]:
    return {"Authorization": person["auth"]}


def test_me_says_who_the_caller_is(
    client: TestClient, services: Services, staff: dict[str, dict[str, str]]
) -> None:
    clerk = staff["窗口 周丽"]
    me = client.get("/me", headers=auth(clerk))
    assert me.status_code == 200, me.text
    assert me.json() == {
        "id": clerk["id"],
        "name": "窗口 周丽",
        "role": "clerk",
        "area": "hexie",
        "area_name": "和谐社区",
        "token_expires_at": None,
    }
    # Another system filing cases may ask who it is too.
    assert client.get("/me", headers=auth(staff["热线系统"])).json()["role"] == "client"

    expires = datetime.now(UTC) + timedelta(days=30)
    _, token = services.users.add("临时 钱", "worker", "hexie-01", expires_at=expires)
    mine = client.get("/me", headers={"Authorization": f"Bearer {token}"}).json()
    stated = datetime.fromisoformat(mine["token_expires_at"])
    assert abs(stated - expires) < timedelta(seconds=1)
    assert stated.utcoffset() == timedelta(hours=8)  # Asia/Shanghai, as every answer


def directory(client: TestClient, person: dict[str, str], **params: Any) -> dict[str, dict]:
    answer = client.get("/users", params=params, headers=auth(person))
    assert answer.status_code == 200, answer.text
    return {p["name"]: p for p in answer.json()["items"]}


def test_the_directory_lists_the_callers_area_and_who_can_handle_its_cases(
    client: TestClient, services: Services, staff: dict[str, dict[str, str]]
) -> None:
    clerk = staff["窗口 周丽"]
    leaver = staff["网格员 郑洁"]
    assert services.users.revoke(leaver["id"])  # type: ignore[arg-type]

    seen = directory(client, clerk)
    # Everyone of community hexie, and the handlers above it (street, city).
    expected = {"窗口 周丽", "网格员 吴刚", "网格员 郑洁", "热线系统", "街道督导 何静"}
    assert expected | {"全市社工 韩梅"} <= set(seen)
    # Not the next community's worker, nor the street's auditor (who handles no case).
    assert "网格员 冯涛" not in seen
    assert "街道审计 罗军" not in seen
    assert seen["网格员 吴刚"] == {
        "id": staff["网格员 吴刚"]["id"],
        "name": "网格员 吴刚",
        "role": "worker",
        "area": "hexie-01",
        "active": True,
    }
    assert seen["网格员 郑洁"]["active"] is False

    # Whom a case can be assigned to: working handlers only.
    assignable = directory(client, clerk, role=["worker", "supervisor"], active="true")
    assert {"网格员 吴刚", "街道督导 何静", "全市社工 韩梅"} <= set(assignable)
    assert {p["role"] for p in assignable.values()} <= {"worker", "supervisor"}
    assert "网格员 郑洁" not in assignable

    # The street's supervisor sees the whole street, both communities.
    street = directory(client, staff["街道督导 何静"])
    assert {"网格员 冯涛", "网格员 吴刚", "窗口 周丽", "街道审计 罗军"} <= set(street)


def test_the_directory_is_for_people_not_for_other_systems(
    client: TestClient, staff: dict[str, dict[str, str]]
) -> None:
    refused = client.get("/users", headers=auth(staff["热线系统"]))
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    bad = client.get("/users", params={"role": "boss"}, headers=auth(staff["窗口 周丽"]))
    assert bad.status_code == 422


def test_a_clerk_assigns_by_name_and_every_answer_names_the_people(
    client: TestClient, staff: dict[str, dict[str, str]]
) -> None:
    clerk, worker = auth(staff["窗口 周丽"]), auth(staff["网格员 吴刚"])
    supervisor = auth(staff["街道督导 何静"])
    case = client.post("/cases", json=intake(grid_id="hexie-01"), headers=clerk).json()
    assert case["first_contact_name"] == "窗口 周丽"
    assert case["assignee_name"] is None

    picked = directory(client, staff["窗口 周丽"], role="worker", active="true")["网格员 吴刚"]
    assigned = client.post(
        f"/cases/{case['id']}/assign", json={"assignee": picked["id"]}, headers=clerk
    )
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["assignee"] == picked["id"]
    assert assigned.json()["assignee_name"] == "网格员 吴刚"

    visited = client.post(f"/cases/{case['id']}/visits", json=visit_body(), headers=worker).json()
    assert visited["visits"][0]["worker_name"] == "网格员 吴刚"

    now = client.get(f"/cases/{case['id']}", headers=clerk).json()
    assert (now["first_contact_name"], now["assignee_name"]) == ("窗口 周丽", "网格员 吴刚")

    history = client.get(f"/cases/{case['id']}/history", headers=supervisor).json()["events"]
    # Received, Assigned, SignedFor (by the visit), Visited
    assert [e["actor"]["name"] for e in history] == ["窗口 周丽", "窗口 周丽", *["网格员 吴刚"] * 2]
    assert history[1]["data"]["assignee_name"] == "网格员 吴刚"
    assert history[3]["data"]["worker_name"] == "网格员 吴刚"

    position = visited["position"]
    listed = client.get(
        "/cases", params={"grid_id": "hexie-01", "min_position": position}, headers=clerk
    ).json()
    row = next(item for item in listed["items"] if item["id"] == case["id"])
    assert (row["first_contact_name"], row["assignee_name"]) == ("窗口 周丽", "网格员 吴刚")

    dashboard = client.get(
        "/dashboard/summary", params={"min_position": position}, headers=clerk
    ).json()
    load = {row["worker"]: row for row in dashboard["workload"]}
    assert load[picked["id"]]["name"] == "网格员 吴刚"


def test_a_wish_claimed_by_a_worker_names_the_claimant(
    client: TestClient, staff: dict[str, dict[str, str]]
) -> None:
    worker = staff["网格员 吴刚"]
    wish = client.post(
        "/cases", json=intake("micro_wish", grid_id="hexie-01"), headers=auth(worker)
    ).json()
    claimed = client.post(
        f"/cases/{wish['id']}/claim",
        json={"claimant": worker["id"], "claimant_type": "worker"},
        headers=auth(worker),
    )
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["claim"]["claimant_name"] == "网格员 吴刚"
    other = client.post(
        "/cases", json=intake("micro_wish", grid_id="hexie-01"), headers=auth(worker)
    ).json()
    by_volunteer = client.post(
        f"/cases/{other['id']}/claim",
        json={"claimant": "志愿者 孙丽", "claimant_type": "volunteer"},
        headers=auth(worker),
    ).json()
    assert by_volunteer["claim"]["claimant"] == "志愿者 孙丽"
    assert by_volunteer["claim"]["claimant_name"] is None


def test_a_rotated_token_replaces_the_old_one(
    client: TestClient, services: Services, area: None
) -> None:
    user, old = services.users.add("换证 林", "clerk", "hexie")
    assert client.get("/me", headers={"Authorization": f"Bearer {old}"}).status_code == 200
    new = services.users.rotate(user.id)
    assert new is not None and new != old
    assert client.get("/me", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    me = client.get("/me", headers={"Authorization": f"Bearer {new}"})
    assert me.status_code == 200
    assert me.json()["id"] == str(user.id)


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and found.get("src"):
            self.urls.append(found["src"])  # type: ignore[arg-type]
        if tag == "link" and found.get("href"):
            self.urls.append(found["href"])  # type: ignore[arg-type]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_api_docs_load_without_the_internet(client: TestClient, page: str) -> None:
    html = client.get(page)
    assert html.status_code == 200
    parser = _Assets()
    parser.feed(html.text)
    assert parser.urls, "the page loads no script or stylesheet"
    # Every script and stylesheet comes from the service itself, none from a CDN.
    assert [u for u in parser.urls if not u.startswith("/")] == []
    assert not re.search(r"https?://", html.text.split("<body", 1)[0])
    for url in parser.urls:
        assert client.get(url).status_code == 200, url
