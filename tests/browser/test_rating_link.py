"""A resident answers the call-back through a rating link on a phone, in a real Chromium."""

from datetime import UTC, datetime, timedelta

import httpx2 as httpx

from tests.browser.conftest import Person
from tests.browser.test_accessibility import violations
from tests.helpers import RESIDENT, intake


def closed_with_link(base: str, clerk: Person, worker: Person, title: str) -> tuple[str, str]:
    """A case filed, assigned, visited and closed through the API; its id and a new link."""

    def post(who: Person, path: str, body: dict) -> dict:
        answer = httpx.post(
            base + path, json=body, headers={"Authorization": f"Bearer {who.token}"}, timeout=15
        )
        assert answer.status_code in (200, 201), answer.text
        return answer.json()

    case_id = post(clerk, "/cases", intake(grid_id="tiansheng-01", title=title))["id"]
    post(clerk, f"/cases/{case_id}/assign", {"assignee": worker.id})
    visited = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    post(
        worker,
        f"/cases/{case_id}/visits",
        {"visited_at": visited, "duration_minutes": 20, "notes": "上门"},
    )
    post(
        worker,
        f"/cases/{case_id}/close",
        {"resolution": "resolved", "summary": "物业已更换声控灯"},
    )
    link = post(clerk, f"/cases/{case_id}/rating-link", {})
    return case_id, link["url"]


def test_a_resident_answers_on_a_phone_and_a_second_visit_is_refused(
    browsers, token_for, workbench
) -> None:
    clerk = token_for("陈静", "clerk", "tiansheng")
    worker = token_for("王芳", "worker", "tiansheng-01")
    case_id, url = closed_with_link(workbench.url, clerk, worker, "楼道灯坏了（居民评价）")
    assert url.startswith(workbench.url + "/r/")

    phone = browsers(360, 740)
    phone.driver.get(url)
    text = phone.text()
    assert "楼道灯坏了（居民评价）" in text and "物业已更换声控灯" in text
    html = phone.driver.page_source
    assert not [v for v in (RESIDENT["name"], RESIDENT["phone"], RESIDENT["address"]) if v in html]
    # The page fits the phone: nothing wider than its 360 px.
    width = phone.driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 360
    assert violations(phone) == []
    phone.screenshot("resident-rating-360.png")

    phone.find("label[for=contacted-yes]").click()
    phone.find("label[for=solved-solved]").click()
    phone.find("label[for=rating-basically_satisfied]").click()
    phone.submit("#rating button[type=submit]")

    assert "感谢您的评价" in phone.text()
    answered = httpx.get(
        f"{workbench.url}/cases/{case_id}/history",
        headers={"Authorization": f"Bearer {worker.token}"},
        timeout=15,
    ).json()["events"][-1]
    assert answered["type"] == "Rated" and answered["actor"]["role"] == "resident"
    assert answered["data"]["rating"] == "basically_satisfied"

    phone.driver.get(url)
    assert "已经评价过" in phone.text()
    assert phone.driver.find_elements("css selector", "form") == []
    assert violations(phone) == []
