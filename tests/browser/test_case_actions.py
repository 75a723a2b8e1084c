"""The case page's actions beyond field work, in a real Chromium: a supervisor's urging and
call-back, sending back, refusals next to their field, another grid's worker, and the
one-time sign-in link."""

import re
from datetime import datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import httpx2 as httpx

from tests.browser.conftest import Browser, Person
from tests.browser.test_workbench import assign_from_dispatch, file_case
from tests.e2e.conftest import casework


def filed_and_assigned(browsers, token_for, title: str) -> tuple[str, Person]:
    """A case filed and assigned through the pages; its id and its worker."""
    clerk = browsers()
    clerk.sign_in(token_for("陈静", "clerk", "tiansheng"))
    case_id = file_case(clerk, "resident_request/help", title)
    worker = token_for(f"王芳{uuid4().hex[:4]}", "worker", "tiansheng-01")
    assign_from_dispatch(clerk, case_id, title, worker)
    return case_id, worker


def act(browser: Browser, name: str, fields: dict[str, str]) -> None:
    """Open one of the case page's forms, fill it in and send it."""
    browser.find(f"#action-{name} summary").click()
    for css, value in fields.items():
        element = browser.find(css)
        if element.tag_name == "select":
            browser.choose(css, value)
        elif element.get_attribute("type") == "radio":
            element.click()
        elif element.get_attribute("type") == "datetime-local":
            set_value(browser, css, value)  # typed keys follow the locale's date format
        else:
            browser.fill(css, value)
    browser.submit(f"#action-{name} button")


def set_value(browser: Browser, css: str, value: str) -> None:
    browser.driver.execute_script(
        "document.querySelector(arguments[0]).value = arguments[1]", css, value
    )


def local_minute(moment: datetime) -> str:
    """A moment as a datetime-local field holds it: Asia/Shanghai's wall clock."""
    return moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")


def summaries(browser: Browser) -> list[str]:
    return [s.text for s in browser.driver.find_elements("css selector", "summary")]


def test_a_supervisor_urges_and_records_the_call_back(browsers, token_for) -> None:
    title = f"小区路灯不亮 {uuid4().hex[:6]}"
    case_id, worker = filed_and_assigned(browsers, token_for, title)

    boss = browsers()
    boss.sign_in(token_for("赵敏", "supervisor", "tiansheng"))
    boss.open(f"/app/cases/{case_id}")
    # A supervisor's own actions on an open case of another's (no signing for it).
    assert summaries(boss) == [
        "联系居民",
        "记录走访",
        "办结",
        "挂起",
        "上报",
        "催办",
        "批准延期",
        "转派",
    ]
    act(boss, "urge", {"#urge-message": "居民再次来电，请今天上门"})
    boss.wait_for(lambda: "已催办。" in boss.text())

    phone = browsers(360, 740)
    phone.sign_in(worker)
    phone.open(f"/app/cases/{case_id}")
    act(phone, "close", {"#resolution": "resolved", "#summary": "已更换灯泡"})
    phone.wait_for(lambda: "已办结。" in phone.text())

    boss.open(f"/app/cases/{case_id}")
    assert summaries(boss) == ["回访评价", "发回重办"]
    act(
        boss,
        "rate",
        {
            "input[name=rating][value=satisfied]": "",
            "#contacted": "true",
            "#solved": "solved",
            "#rate-comment": "很快就修好了",
        },
    )
    boss.wait_for(lambda: "已记录回访评价。" in boss.text())
    assert "已评价" in boss.text()
    assert "评价\n满意" in boss.text()
    assert summaries(boss) == ["发回重办"]  # a closure is rated once

    boss.open(f"/app/cases/{case_id}/history")
    timeline = boss.text()
    assert "催办" in timeline and "居民再次来电，请今天上门" in timeline
    assert "回访评价" in timeline and "解决情况\n已解决" in timeline


def test_a_call_back_that_found_nobody_takes_no_answers(browsers, token_for) -> None:
    title = f"咨询养老补贴 {uuid4().hex[:6]}"
    case_id, worker = filed_and_assigned(browsers, token_for, title)
    phone = browsers(360, 740)
    phone.sign_in(worker)
    phone.open(f"/app/cases/{case_id}")
    act(phone, "close", {"#resolution": "resolved", "#summary": "已电话答复"})
    phone.wait_for(lambda: "已办结。" in phone.text())

    boss = browsers()
    boss.sign_in(token_for("赵敏", "supervisor", "tiansheng"))
    boss.open(f"/app/cases/{case_id}")
    act(boss, "rate", {"input[name=rating][value=unreachable]": "", "#solved": "solved"})
    # The API's own refusal (answers without a call-back), in Chinese, above the form.
    assert "联系不上或拒绝评价时" in boss.text("#action-rate .error")
    assert boss.find("#solved").get_attribute("value") == "solved"  # what was chosen stays


def test_refusals_of_the_service_show_next_to_their_field(browsers, token_for) -> None:
    title = f"楼道堆放杂物 {uuid4().hex[:6]}"
    case_id, worker = filed_and_assigned(browsers, token_for, title)
    phone = browsers(360, 740)
    phone.sign_in(worker)
    phone.open(f"/app/cases/{case_id}")
    # A duplicate needs its original: the domain refuses, the page says so by the field.
    act(phone, "close", {"#resolution": "duplicate", "#summary": "重复来电"})
    assert phone.text("#duplicate_of-error") == "重复件须填写原件编号。"
    assert phone.find("#duplicate_of").get_attribute("aria-invalid") == "true"
    assert "已办结" not in phone.text()

    boss = browsers()
    boss.sign_in(token_for("赵敏", "supervisor", "tiansheng"))
    boss.open(f"/app/cases/{case_id}")
    # A "new" deadline before the one in force (the case is due in days).
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    yesterday, next_month = local_minute(now - timedelta(days=1)), local_minute(now + timedelta(30))
    act(boss, "extend", {"#new_due_at": yesterday, "#extend-reason": "等待物业答复"})
    assert boss.text("#new_due_at-error") == "新的期限须晚于现在的期限。"
    assert boss.find("#extend-reason").get_attribute("value") == "等待物业答复"
    # Both a deadline and days: the API's model refuses it, above the form.
    set_value(boss, "#new_due_at", next_month)
    boss.fill("#extra_working_days", "3")
    boss.submit("#action-extend button")
    assert "只填一项" in boss.text("#action-extend .error")
    set_value(boss, "#new_due_at", "")
    boss.submit("#action-extend button")
    boss.wait_for(lambda: "已延期。" in boss.text())


def test_a_worker_sends_back_a_case_that_is_not_theirs(browsers, token_for) -> None:
    title = f"外网格的事项 {uuid4().hex[:6]}"
    case_id, worker = filed_and_assigned(browsers, token_for, title)
    phone = browsers(360, 740)
    phone.sign_in(worker)
    phone.open(f"/app/cases/{case_id}")
    act(phone, "send_back", {"#send_back-reason": "不属于本网格，应由第二网格办理"})
    phone.wait_for(lambda: "已退回" in phone.text())
    assert "未派单" in phone.text()
    clerk = browsers()
    clerk.sign_in(token_for("陈静", "clerk", "tiansheng"))
    clerk.reload_until("/app/dispatch", title)  # back on the dispatch list


def test_a_supervisor_reassigns_only_to_the_grids_workers(browsers, token_for) -> None:
    title = f"转派测试 {uuid4().hex[:6]}"
    case_id, _worker = filed_and_assigned(browsers, token_for, title)
    other = token_for(f"刘洋{uuid4().hex[:4]}", "worker", "tiansheng-01")
    stranger = token_for(f"外网格{uuid4().hex[:4]}", "worker", "tiansheng-02")
    boss = browsers()
    boss.sign_in(token_for("赵敏", "supervisor", "tiansheng"))
    boss.open(f"/app/cases/{case_id}")
    offered = [
        o.get_attribute("value")
        for o in boss.driver.find_elements("css selector", "#reassign-assignee option")
    ]
    assert other.id in offered
    assert stranger.id not in offered
    act(boss, "reassign", {"#reassign-assignee": other.id, "#reassign-reason": "原承办人休假"})
    boss.wait_for(lambda: "已转派。" in boss.text())


def test_another_grids_worker_can_neither_see_nor_act_on_the_case(
    browsers, token_for, workbench
) -> None:
    title = f"低保咨询 {uuid4().hex[:6]}"
    case_id, _worker = filed_and_assigned(browsers, token_for, title)
    stranger = browsers(360, 740)
    stranger.sign_in(token_for("赵强", "worker", "tiansheng-02"))
    stranger.open(f"/app/cases/{case_id}")
    assert stranger.text("h1") == "找不到此事项"
    assert title not in stranger.driver.page_source
    stranger.open("/app/queue")  # a page of theirs, for their session's CSRF token
    csrf = stranger.find("input[name=csrf]").get_attribute("value")
    cookies = {c["name"]: c["value"] for c in stranger.driver.get_cookies()}
    for name, body in (
        (
            "visit",
            {
                "visited_at": local_minute(datetime.now(ZoneInfo("UTC"))),
                "duration_minutes": "5",
                "notes": "x",
            },
        ),
        ("sign", {}),
        ("close", {"resolution": "resolved", "summary": "x"}),
    ):
        answer = httpx.post(
            f"{workbench.url}/app/cases/{case_id}/{name}",
            data={"csrf": csrf, **body},
            cookies=cookies,
            headers={"Origin": workbench.url},
        )
        assert answer.status_code == 404, name
        assert "找不到此事项" in answer.text
        assert title not in answer.text


def test_a_one_time_link_signs_in_once(browsers, token_for, workbench) -> None:
    worker = token_for("李娜", "worker", "tiansheng-01")
    printed = casework(
        "users",
        "link",
        worker.id,
        "--expires-in-minutes",
        "10",
        env={**workbench.env, "CASEWORK_PUBLIC_URL": workbench.url},
    )
    assert printed.returncode == 0, printed.stderr
    url = printed.stdout.strip()
    assert re.fullmatch(re.escape(workbench.url) + r"/app/sign-in/link/[\w-]{40,}", url)
    path = url.removeprefix(workbench.url)

    phone = browsers(360, 740)
    phone.open(path)
    phone.submit("main form button")
    phone.wait_for(lambda: phone.driver.current_url.endswith("/app/queue"))
    assert "李娜（网格员）" in phone.text("header")

    again = browsers(360, 740)
    again.open(path)
    assert again.text("h1") == "登录链接已失效"
    assert "只能登录一次" in again.text()
    tampered = path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")
    again.open(tampered)
    assert again.text("h1") == "登录链接已失效"
    again.open("/app/queue")
    assert "/app/login" in again.driver.current_url  # none of it signed anyone in

    # A link the browser had open before another used it is refused when clicked, too.
    second = casework("users", "link", worker.id, env=workbench.env).stdout.strip()
    first_tab, second_tab = browsers(), browsers()
    for tab in (first_tab, second_tab):
        tab.open(second[second.index("/app/") :])
    first_tab.submit("main form button")
    second_tab.submit("main form button")
    assert second_tab.text("h1") == "登录链接已失效"
    answer = httpx.get(f"{workbench.url}{second[second.index('/app/') :]}")
    assert answer.status_code == 410


def test_a_link_for_no_such_user_is_not_printed(workbench) -> None:
    printed = casework("users", "link", str(uuid4()), env=workbench.env)
    assert printed.returncode == 1
    assert "no user with id" in printed.stderr
    assert printed.stdout == ""
