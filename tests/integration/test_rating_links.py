"""Rating links (回访 without a call): staff issue one, the resident answers on /r/<token>
without signing in, once; an expired, tampered or used link is refused with a plain
Chinese page and records nothing; the answer counts in the rates like a phone call-back."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import time_machine
from fastapi.testclient import TestClient

from domain.vocabulary import Role
from infra.bootstrap import Services
from tests.helpers import RESIDENT, intake, visit_body
from tests.integration.conftest import Api, People

SUMMARY = "物业已更换声控灯"
PERSONAL = (RESIDENT["name"], RESIDENT["phone"], RESIDENT["address"], "138****5678", "5678")


def closed_case(as_clerk: Api, as_worker: Api, worker_id: str, title: str = "楼道灯坏了") -> str:
    case_id: str = as_clerk.new_case(intake(grid_id="tiansheng-01", title=title))["id"]
    as_clerk.command(case_id, "assign", {"assignee": worker_id})
    as_worker.command(case_id, "visits", visit_body())
    closed = as_worker.command(case_id, "close", {"resolution": "resolved", "summary": SUMMARY})
    assert closed.status_code == 200, closed.text
    return case_id


def issue(api: Api, case_id: str) -> dict[str, Any]:
    response = api.command(case_id, "rating-link", {})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def path_of(url: str) -> str:
    found = re.search(r"/r/[A-Za-z0-9_.-]+$", url)
    assert found is not None, url
    return found.group()


def nonce_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, page
    return found.group(1)


def events(api: Api, case_id: str) -> list[dict[str, Any]]:
    history: list[dict[str, Any]] = api.get(f"/cases/{case_id}/history").json()["events"]
    return history


ANSWERS = {"contacted": "yes", "solved": "solved", "rating": "satisfied"}


def answer_through(client: TestClient, path: str, **answers: str) -> Any:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return client.post(path, data={**ANSWERS, **answers, "csrf": nonce_of(page.text)})


def test_a_closure_issues_a_link_and_staff_may_ask_for_another(
    services: Services, as_clerk: Api, as_worker: Api, as_supervisor: Api, people: People
) -> None:
    case_id = closed_case(as_clerk, as_worker, people.worker.id)
    history = events(as_supervisor, case_id)
    assert [e["type"] for e in history[-2:]] == ["Closed", "RatingLinkIssued"]
    assert history[-1]["actor"]["role"] == "system"

    issued = issue(as_clerk, case_id)

    assert issued["url"].startswith("http://testserver/r/")
    assert issued["case"]["id"] == case_id
    expires = datetime.fromisoformat(issued["expires_at"])
    assert timedelta(days=6, hours=23) < expires - datetime.now(UTC) <= timedelta(days=7)
    last = events(as_supervisor, case_id)[-1]
    assert last["type"] == "RatingLinkIssued"
    assert last["data"]["link_id"] == issued["link_id"]
    assert issued["url"].split("/r/")[1] not in str(last)  # the token itself is not stored
    # The event alone makes the link again, as a delivery (the webhook) needs it.
    stored = list(services.cases.events.get(UUID(case_id)))[-1]
    assert services.rating_links.url_of_event(stored) == path_of(issued["url"])
    worker = as_worker.command(case_id, "rating-link", {})
    assert worker.status_code == 403


def test_a_link_is_refused_for_a_case_not_closed(as_clerk: Api) -> None:
    case_id = as_clerk.new_case(intake(grid_id="tiansheng-01"))["id"]
    refused = as_clerk.command(case_id, "rating-link", {})
    assert refused.status_code == 409
    assert refused.json()["code"] == "case_not_closed"


def test_the_resident_answers_once_and_the_page_shows_no_personal_data(
    client: TestClient, as_clerk: Api, as_worker: Api, as_supervisor: Api, people: People
) -> None:
    case_id = closed_case(as_clerk, as_worker, people.worker.id, title="楼道灯坏了（链接）")
    path = path_of(issue(as_clerk, case_id)["url"])

    page = client.get(path)
    assert page.status_code == 200
    assert "楼道灯坏了（链接）" in page.text and SUMMARY in page.text
    assert "承办的工作人员联系过您吗" in page.text and "解决了吗" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "same-origin"  # the token stays with us
    assert "<script" not in page.text
    assert not [value for value in PERSONAL if value in page.text]

    done = client.post(
        path,
        data={
            "contacted": "yes",
            "solved": "partly_solved",
            "rating": "basically_satisfied",
            "comment": "还算及时",
            "csrf": nonce_of(page.text),
        },
    )

    assert done.status_code == 200, done.text
    assert "感谢您的评价" in done.text
    assert not [value for value in PERSONAL if value in done.text]
    case = as_clerk.get(f"/cases/{case_id}").json()
    assert case["status"] == "rated"
    rated = events(as_supervisor, case_id)[-1]
    assert rated["type"] == "Rated"
    assert rated["actor"]["role"] == "resident"
    assert rated["data"]["contacted"] is True
    assert rated["data"]["solved"] == "partly_solved"
    assert rated["data"]["rating"] == "basically_satisfied"

    # A second use: the page refuses, and a post records nothing.
    count = len(events(as_supervisor, case_id))
    again = client.get(path)
    assert again.status_code == 410 and "已经评价过" in again.text
    assert "<form" not in again.text
    posted = client.post(path, data={**ANSWERS, "csrf": nonce_of(page.text)})
    assert posted.status_code == 410 and "已经评价过" in posted.text
    assert len(events(as_supervisor, case_id)) == count


def test_not_solved_and_dissatisfied_from_the_resident_sends_it_back_for_redo(
    client: TestClient, as_clerk: Api, as_worker: Api, as_supervisor: Api, people: People
) -> None:
    case_id = closed_case(as_clerk, as_worker, people.worker.id)
    path = path_of(issue(as_clerk, case_id)["url"])

    done = answer_through(client, path, contacted="no", solved="not_solved", rating="dissatisfied")

    assert done.status_code == 200 and "发回重新办理" in done.text
    rated, reopened = events(as_supervisor, case_id)[-2:]
    assert (rated["type"], reopened["type"]) == ("Rated", "Reopened")
    assert rated["actor"]["role"] == "resident" and reopened["actor"]["role"] == "system"


def test_an_unanswered_question_is_asked_again_and_nothing_is_recorded(
    client: TestClient, as_clerk: Api, as_worker: Api, as_supervisor: Api, people: People
) -> None:
    case_id = closed_case(as_clerk, as_worker, people.worker.id)
    path = path_of(issue(as_clerk, case_id)["url"])
    before = len(events(as_supervisor, case_id))

    page = client.get(path)
    missing = client.post(path, data={"contacted": "yes", "csrf": nonce_of(page.text)})

    assert missing.status_code == 422
    assert missing.text.count("请选择一项。") == 2
    assert re.search(r'id="contacted-yes"[^>]*value="yes"\s+checked', missing.text)
    assert len(events(as_supervisor, case_id)) == before


def test_an_expired_link_is_refused_and_nothing_is_recorded(
    client: TestClient, as_clerk: Api, as_worker: Api, as_supervisor: Api, people: People
) -> None:
    case_id = closed_case(as_clerk, as_worker, people.worker.id)
    path = path_of(issue(as_clerk, case_id)["url"])
    nonce = nonce_of(client.get(path).text)
    before = len(events(as_supervisor, case_id))

    with time_machine.travel(datetime.now(UTC) + timedelta(days=7, minutes=1)):
        page = client.get(path)
        posted = client.post(path, data={**ANSWERS, "csrf": nonce})

    for refused in (page, posted):
        assert refused.status_code == 410
        assert "链接已过期" in refused.text
        assert "楼道灯坏了" not in refused.text
    assert len(events(as_supervisor, case_id)) == before
    assert as_clerk.get(f"/cases/{case_id}").json()["status"] == "closed"


def test_a_tampered_link_is_refused_and_nothing_is_recorded(
    client: TestClient,
    as_clerk: Api,
    as_worker: Api,
    as_supervisor: Api,
    people: People,
    services: Services,
) -> None:
    case_id = closed_case(as_clerk, as_worker, people.worker.id)
    path = path_of(issue(as_clerk, case_id)["url"])
    nonce = nonce_of(client.get(path).text)
    payload, signature = path.removeprefix("/r/").split(".")
    flipped = "A" if signature[5] != "A" else "B"
    # Another case's id, a later expiry, or a changed signature: none of them signed by us.
    other = as_clerk.new_case(intake(grid_id="tiansheng-01"))["id"]
    link = services.rating_links.read(path.removeprefix("/r/"))
    forged_payload = services.rating_links.token(
        link.case_id, link.link_id, link.expires_at + timedelta(days=30)
    ).split(".")[0]
    tampered = [
        f"/r/{payload}.{signature[:5]}{flipped}{signature[6:]}",
        f"/r/{forged_payload}.{signature}",
        f"/r/{payload[:-4]}.{signature}",
        f"/r/{other}",
        "/r/not-a-token",
    ]
    before = len(events(as_supervisor, case_id))

    for bad in tampered:
        page = client.get(bad)
        posted = client.post(bad, data={**ANSWERS, "csrf": nonce})
        for refused in (page, posted):
            assert refused.status_code == 404, bad
            assert "链接无效" in refused.text
    assert len(events(as_supervisor, case_id)) == before


def test_a_post_without_the_pages_nonce_or_from_another_site_is_refused(
    client: TestClient, as_clerk: Api, as_worker: Api, as_supervisor: Api, people: People
) -> None:
    case_id = closed_case(as_clerk, as_worker, people.worker.id)
    path = path_of(issue(as_clerk, case_id)["url"])
    nonce = nonce_of(client.get(path).text)
    before = len(events(as_supervisor, case_id))

    no_nonce = client.post(path, data=ANSWERS)
    wrong_nonce = client.post(path, data={**ANSWERS, "csrf": nonce + "x"})
    elsewhere = client.post(
        path, data={**ANSWERS, "csrf": nonce}, headers={"Origin": "https://evil.example"}
    )

    for refused in (no_nonce, wrong_nonce, elsewhere):
        assert refused.status_code == 403 and "请求被拒绝" in refused.text
    assert len(events(as_supervisor, case_id)) == before
    assert answer_through(client, path).status_code == 200  # the resident's own page works


def test_the_residents_answer_counts_in_the_rates_like_a_phone_call_back(
    client: TestClient, services: Services, as_clerk: Api
) -> None:
    worker, token = services.users.add("网格员 链接回访", Role.WORKER, "tiansheng")
    _, boss = services.users.add("书记 链接回访", Role.SUPERVISOR, "tiansheng")
    as_worker = Api(client, as_clerk.person.__class__(str(worker.id), "worker", token))
    by_phone = closed_case(as_clerk, as_worker, str(worker.id))
    by_link = closed_case(as_clerk, as_worker, str(worker.id))
    phoned = as_clerk.command(
        by_phone, "rate", {"rating": "satisfied", "contacted": True, "solved": "solved"}
    )
    assert phoned.status_code == 200
    answered = answer_through(
        client,
        path_of(issue(as_clerk, by_link)["url"]),
        contacted="no",
        solved="partly_solved",
        rating="basically_satisfied",
    )
    assert answered.status_code == 200
    position = as_clerk.get(f"/cases/{by_link}").json()["position"]
    today = datetime.now(services.settings.zone).date().isoformat()

    report = client.get(
        "/reports/compliance",
        params={
            "from": today,
            "to": today,
            "group_by": "worker",
            "min_position": max(position, phoned.json()["position"]),
        },
        headers={"Authorization": f"Bearer {boss}"},
    )

    assert report.status_code == 200, report.text
    row = next(r for r in report.json()["rows"] if r["group"] == str(worker.id))
    assert row["valid_callbacks"] == 2
    assert row["response_rate"] == 0.5  # the phone's yes, the resident's no
    assert row["resolution_rate"] == 0.5  # partly solved counts 0 by default
    assert row["satisfaction_rate"] == 1.0  # basically satisfied counts 1 by default
