"""Notifications: each person's inbox shows what concerns them, and only that."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from infra.areas import AreaFile, Community, Grid, Street
from infra.bootstrap import Services
from infra.supervision import Supervision
from tests.helpers import intake
from tests.integration.conftest import Api, Person


@pytest.fixture(scope="module")
def xinghua(services: Services) -> None:
    """A second community of the same street, outside tiansheng."""
    services.areas.load(
        AreaFile(
            streets=[Street(id="wenmiao", name="文庙街道")],
            communities=[Community(id="xinghua", name="兴华社区", street_id="wenmiao")],
            grids=[Grid(id="xinghua-01", name="兴华社区第一网格", community_id="xinghua")],
        )
    )


def someone(client: TestClient, services: Services, name: str, role: str, area: str) -> Api:
    user, token = services.users.add(name, role, area)
    return Api(client, Person(str(user.id), user.role, token))


def inbox(api: Api, case_id: str, position: int, **params: Any) -> list[dict[str, Any]]:
    answer = api.get("/me/notifications", min_position=position, limit=500, **params)
    assert answer.status_code == 200, answer.text
    return [n for n in answer.json()["items"] if n["case_id"] == case_id]


def position_of(api: Api, case_id: str) -> int:
    position: int = api.get(f"/cases/{case_id}").json()["position"]
    return position


def test_the_handler_and_the_supervisors_concerned_hear_of_urges_and_supervision(
    client: TestClient, services: Services, xinghua: None
) -> None:
    worker = someone(client, services, "通知 王芳", "worker", "tiansheng-01")
    community = someone(client, services, "通知 赵敏", "supervisor", "tiansheng")
    street = someone(client, services, "通知 街道督导", "supervisor", "wenmiao")
    elsewhere = someone(client, services, "通知 兴华网格员", "worker", "xinghua-01")
    other_boss = someone(client, services, "通知 兴华书记", "supervisor", "xinghua")
    clerk = someone(client, services, "通知 受理员", "clerk", "tiansheng")
    # A consultation (3 working days) received four weeks ago: the whole ladder is due.
    received = (datetime.now(UTC) - timedelta(days=28)).isoformat()
    title = f"通知 t{uuid4().hex[:12]}"
    case = clerk.new_case(intake(grid_id="tiansheng-01", title=title, received_at=received))
    assigned = community.command(case["id"], "assign", {"assignee": worker.person.id})
    assert assigned.status_code == 200, assigned.text
    urged = community.command(case["id"], "urge", {"message": "请今天联系居民"})
    assert urged.status_code == 200, urged.text
    # The ladder's timer is the case list: let it have the case first.
    community.get("/me/notifications", min_position=urged.json()["position"])
    Supervision(services.cases, services.connect).run_once()
    position = position_of(community, case["id"])

    mine = inbox(worker, case["id"], position)
    assert [n["type"] for n in mine] == [
        "PubliclyNoted",
        "Supervised",
        "Urged",  # the ladder's, on turning yellow
        "Urged",  # the supervisor's, by hand
        "Assigned",
    ]
    by_hand = mine[3]
    assert by_hand["data"]["message"] == "请今天联系居民"
    assert by_hand["actor"] == {
        "id": community.person.id,
        "role": "supervisor",
        "name": "通知 赵敏",
    }
    assert by_hand["case_title"] == title
    assert by_hand["data"]["assignee_name"] == "通知 王芳"
    assert by_hand["occurred_at"].endswith("+08:00") and by_hand["read_at"] is None
    assert mine[1]["data"]["level"] == "community"
    assert mine[0]["actor"] == {"id": "system", "role": "system", "name": None}

    # The community supervises its grids' red cases; it urged and assigned itself.
    assert [n["type"] for n in inbox(community, case["id"], position)] == [
        "PubliclyNoted",
        "Supervised",
    ]
    # The street hears of the public notice, not of the community's supervision.
    assert [n["type"] for n in inbox(street, case["id"], position)] == ["PubliclyNoted"]
    assert inbox(elsewhere, case["id"], position) == []
    assert inbox(other_boss, case["id"], position) == []
    assert inbox(clerk, case["id"], position) == []


def test_a_send_back_goes_to_whoever_assigned_it_and_the_communitys_dispatchers(
    client: TestClient, services: Services
) -> None:
    worker = someone(client, services, "退回 网格员", "worker", "tiansheng-01")
    boss = someone(client, services, "退回 书记", "supervisor", "tiansheng")
    clerk = someone(client, services, "退回 受理员", "clerk", "tiansheng")
    case = clerk.new_case(intake(grid_id="tiansheng-02", title=f"退回 t{uuid4().hex[:12]}"))
    clerk.command(case["id"], "assign", {"assignee": worker.person.id})
    sent = worker.command(case["id"], "send-back", {"reason": "不是本网格的事"})
    assert sent.status_code == 200, sent.text
    position = sent.json()["position"]

    for dispatcher in (clerk, boss):
        (notice,) = inbox(dispatcher, case["id"], position)
        assert notice["type"] == "SentBack" and notice["data"]["reason"] == "不是本网格的事"
        assert notice["data"]["assignee_name"] == "退回 网格员"
    assert [n["type"] for n in inbox(worker, case["id"], position)] == ["Assigned"]


def test_read_marks_are_each_readers_own(client: TestClient, services: Services) -> None:
    worker = someone(client, services, "已读 网格员", "worker", "tiansheng-01")
    colleague = someone(client, services, "已读 同事", "worker", "tiansheng-01")
    boss = someone(client, services, "已读 书记", "supervisor", "tiansheng")
    case = boss.new_case(intake(grid_id="tiansheng-01", title=f"已读 t{uuid4().hex[:12]}"))
    boss.command(case["id"], "assign", {"assignee": worker.person.id})
    boss.command(case["id"], "urge", {"message": "第一次"})
    last = boss.command(case["id"], "urge", {"message": "第二次"}).json()["position"]
    before = worker.get("/me/notifications", min_position=last).json()
    assert before["unread"] == 3

    first_page = worker.get("/me/notifications", limit=1).json()
    (newest,) = first_page["items"]
    assert newest["data"]["message"] == "第二次"
    (older,) = worker.get("/me/notifications", limit=1, after=first_page["next_cursor"]).json()[
        "items"
    ]
    assert older["data"]["message"] == "第一次"

    marked = worker.post(f"/me/notifications/{newest['id']}/read", {})
    assert marked.status_code == 200, marked.text
    assert marked.json()["read_at"].endswith("+08:00")
    again = worker.post(f"/me/notifications/{newest['id']}/read", {})
    assert again.json()["read_at"] == marked.json()["read_at"]
    unread = worker.get("/me/notifications", unread="true").json()
    assert unread["unread"] == 2
    assert newest["id"] not in {n["id"] for n in unread["items"]}
    assert older["id"] in {n["id"] for n in unread["items"]}

    # Not addressed to a colleague of the same grid: as if it did not exist.
    refused = colleague.post(f"/me/notifications/{newest['id']}/read", {})
    assert refused.status_code == 404
    assert refused.json()["code"] == "notification_not_found"
    assert colleague.post(f"/me/notifications/{uuid4()}/read", {}).status_code == 404
    bad = worker.get("/me/notifications", after="not-a-cursor")
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["query", "after"]
