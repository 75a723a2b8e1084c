"""Webhooks: a receiver that was down gets every delivery afterwards, signed, each id once."""

import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from fastapi.testclient import TestClient

from infra.bootstrap import Services
from infra.supervision import Supervision
from infra.webhooks import Dispatcher
from tests.helpers import RESIDENT, Receiver, intake
from tests.integration.conftest import Api, Person

SECRET = "a-receivers-secret-of-32-chars!!"


def person(client: TestClient, services: Services, name: str, role: str, area: str | None) -> Api:
    user, token = services.users.add(name, role, area)
    return Api(client, Person(str(user.id), user.role, token))


def deliveries(admin: Api, webhook_id: str) -> list[dict[str, Any]]:
    answer = admin.get(f"/webhooks/{webhook_id}/deliveries", limit=500)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_a_receiver_that_was_down_gets_every_delivery_afterwards_signed_each_id_once(
    client: TestClient, services: Services
) -> None:
    admin = person(client, services, "钩子 管理员", "admin", None)
    boss = person(client, services, "钩子 书记", "supervisor", "tiansheng")
    worker = person(client, services, "钩子 网格员", "worker", "tiansheng-01")
    receiver = Receiver()
    registered = admin.post(
        "/webhooks",
        {
            "url": f"http://127.0.0.1:{receiver.port}/casework",
            "event_types": ["Assigned", "Urged", "Supervised", "PubliclyNoted"],
            "secret": SECRET,
        },
    )
    assert registered.status_code == 201, registered.text
    webhook = registered.json()
    assert webhook["secret"] == SECRET
    listed = admin.get("/webhooks").json()["items"]
    assert any(w["id"] == webhook["id"] and "secret" not in w for w in listed)

    received_at = (datetime.now(UTC) - timedelta(days=28)).isoformat()
    case = boss.new_case(intake(grid_id="tiansheng-01", received_at=received_at))
    boss.command(case["id"], "assign", {"assignee": worker.person.id})
    boss.command(case["id"], "urge", {"message": "请联系李秀英 13812345678"})
    signed = worker.command(case["id"], "sign", {})  # not a notification
    # The ladder's timer is the case list: let it have the case first.
    boss.get("/me/notifications", min_position=signed.json()["position"])
    Supervision(services.cases, services.connect).run_once()
    position = boss.get(f"/cases/{case['id']}").json()["position"]
    assert boss.get("/me/notifications", min_position=position).status_code == 200

    def dispatcher() -> Dispatcher:
        return Dispatcher(
            services.connect, services.settings.zone, retry_seconds=0.05, retry_max_seconds=0.2
        )

    # The receiver is down: every attempt fails, and the log shows it.
    assert dispatcher().run_once() >= 5
    failed = [d for d in deliveries(admin, webhook["id"]) if d["case_id"] == case["id"]]
    assert [d["type"] for d in failed] == [
        "PubliclyNoted",
        "Supervised",
        "Urged",
        "Urged",
        "Assigned",
    ]
    for delivery in failed:
        assert delivery["delivered_at"] is None and delivery["next_attempt_at"] is not None
        first = delivery["tries"][0]
        assert first["status_code"] is None and "refused" in first["error"].lower()

    # Up again: two dispatchers at once send what was waiting, each delivery by one of them.
    receiver.start()
    try:
        workers = [dispatcher() for _ in range(2)]

        def pending() -> list[dict[str, Any]]:
            return [d for d in deliveries(admin, webhook["id"]) if d["delivered_at"] is None]

        deadline = time.monotonic() + 30
        while pending() and time.monotonic() < deadline:
            threads = [threading.Thread(target=w.run_once) for w in workers]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            time.sleep(0.05)
    finally:
        receiver.stop()

    log = [d for d in deliveries(admin, webhook["id"]) if d["case_id"] == case["id"]]
    bodies = [json.loads(body) for _, body in receiver.received]
    ours = [b for b in bodies if b["case_id"] == case["id"]]
    assert Counter(b["id"] for b in ours) == Counter(d["notification_id"] for d in log)
    for headers, body in receiver.received:
        expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Casework-Signature"] == f"sha256={expected}"
    for delivery in log:
        assert delivery["delivered_at"] is not None and delivery["next_attempt_at"] is None
        assert delivery["tries"][-1]["status_code"] == 204
        assert [t["status_code"] for t in delivery["tries"][:-1]] == [None] * (
            delivery["attempts"] - 1
        )
    for body in ours:
        assert set(body) == {"id", "type", "occurred_at", "case_id", "data"}
        assert body["occurred_at"].endswith("+08:00")
        text = json.dumps(body, ensure_ascii=False)
        assert RESIDENT["name"] not in text and RESIDENT["phone"] not in text
    assert {b["data"]["assignee"] for b in ours} == {worker.person.id}

    # Registered now, a webhook gets only what happens from now on.
    later = admin.post(
        "/webhooks",
        {"url": f"http://127.0.0.1:{receiver.port}/late", "event_types": ["Urged"]},
    ).json()
    assert len(later["secret"]) >= 32
    urged = boss.command(case["id"], "urge", {"message": "再催"}).json()
    boss.get("/me/notifications", min_position=urged["position"])
    assert [d["type"] for d in deliveries(admin, later["id"])] == ["Urged"]

    for done in (webhook, later):
        deleted = admin.client.delete(f"/webhooks/{done['id']}", headers=admin.person.auth)
        assert deleted.status_code == 204
    gone = admin.get(f"/webhooks/{later['id']}/deliveries")
    assert gone.status_code == 404 and gone.json()["code"] == "webhook_not_found"
    wrong = admin.post("/webhooks", {"url": "ftp://example.org/x", "event_types": ["Nope"]})
    assert wrong.status_code == 422
    assert {tuple(e["loc"][:2]) for e in wrong.json()["errors"]} == {
        ("body", "url"),
        ("body", "event_types"),
    }
    uuid = str(uuid4())
    assert admin.client.delete(f"/webhooks/{uuid}", headers=admin.person.auth).status_code == 404


def test_a_closures_rating_link_reaches_the_gateway_by_webhook_and_opens_the_residents_page(
    client: TestClient, services: Services
) -> None:
    admin = person(client, services, "短信网关 管理员", "admin", None)
    boss = person(client, services, "短信网关 书记", "supervisor", "tiansheng")
    worker = person(client, services, "短信网关 网格员", "worker", "tiansheng-02")
    receiver = Receiver()
    registered = admin.post(
        "/webhooks",
        {
            "url": f"http://127.0.0.1:{receiver.port}/sms",
            "event_types": ["RatingLinkIssued"],
            "secret": SECRET,
        },
    )
    assert registered.status_code == 201, registered.text
    case = boss.new_case(intake(grid_id="tiansheng-02"))
    boss.command(case["id"], "assign", {"assignee": worker.person.id})
    closed = worker.command(case["id"], "close", {"resolution": "resolved", "summary": "已修好"})
    assert closed.status_code == 200, closed.text
    boss.get("/me/notifications", min_position=closed.json()["position"])

    receiver.start()
    try:
        Dispatcher(
            services.connect,
            services.settings.zone,
            link_of=services.rating_links.url_of_notification,
        ).run_once()
    finally:
        receiver.stop()

    [(_, body)] = [r for r in receiver.received if json.loads(r[1])["case_id"] == case["id"]]
    delivery = json.loads(body)
    assert delivery["type"] == "RatingLinkIssued"
    text = json.dumps(delivery, ensure_ascii=False)
    assert RESIDENT["name"] not in text and RESIDENT["phone"] not in text
    assert delivery["data"]["resident_id"]  # whom the gateway sends it to
    page = client.get(delivery["data"]["url"])
    assert page.status_code == 200, page.text
    assert "是否解决" in page.text or "满意" in page.text
