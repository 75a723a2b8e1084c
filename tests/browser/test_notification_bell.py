"""The notification bell in a real Chromium: an urge reaches the handler's bell without a
reload, opens on the notifications page, and is marked read there."""

from uuid import uuid4

from tests.browser.conftest import Browser
from tests.browser.test_dashboard import Office


def test_an_urge_rings_the_handlers_bell_without_a_reload(workbench, browsers, token_for) -> None:
    clerk = token_for("铃 受理员", "clerk", "tiansheng")
    worker = token_for("铃 网格员", "worker", "tiansheng-02")
    boss = token_for("铃 书记", "supervisor", "tiansheng")
    stranger = token_for("铃 别的网格员", "worker", "tiansheng-04")
    office = Office(workbench.url, clerk)
    title = f"楼道堆物 {uuid4().hex[:6]}"
    case = office.file(title, "tiansheng-02")
    office.post(f"/cases/{case['id']}/assign", {"assignee": worker.id})

    phone: Browser = browsers(360, 740)
    phone.sign_in(worker)
    phone.open("/app/queue")
    phone.wait_for(lambda b: b.find("#bell") is not None)
    before = phone.find("#bell").get_attribute("aria-label") or ""
    phone.driver.execute_script("window.__still_here = true;")

    office.post(f"/cases/{case['id']}/urge", {"message": "请今天联系居民"}, person=boss)

    def news(b: Browser) -> str:
        return b.find("#bell-news").get_attribute("textContent") or ""

    phone.wait_for(lambda b: "新通知：催办" in news(b), 30)
    assert phone.driver.execute_script("return window.__still_here === true;"), "page reloaded"
    assert title in news(phone)
    after = phone.find("#bell").get_attribute("aria-label")
    assert after != before and "1 条未读" in after

    phone.find("#bell").click()
    phone.wait_for(lambda b: "1 条未读" in b.text("h1"))
    assert f"催办 · {title}" in phone.text() and "请今天联系居民" in phone.text()
    phone.submit(".unread form button")
    phone.wait_for(lambda b: "0 条未读" in b.text("h1"))
    phone.screenshot("notifications-360")

    other = browsers(360, 740)
    other.sign_in(stranger)
    other.open("/app/notifications")
    assert title not in other.text()
