"""The workbench in a real Chromium: each role's working day, and what a reviewer would try."""

import re
from uuid import uuid4

import httpx2 as httpx
from selenium.common.exceptions import NoAlertPresentException

from tests.browser.conftest import Browser, Person


def file_case(clerk: Browser, kind_category: str, title: str, parties: int = 0) -> str:
    """File a matter through the intake form; returns the new case's id."""
    clerk.open("/app/intake")
    clerk.choose("#kind_category", kind_category)
    clerk.choose("#channel", "window")
    clerk.choose("#grid_id", "tiansheng-01")
    clerk.fill("#title", title)
    clerk.fill("#description", "3号楼2单元楼道灯不亮，老人夜间上下楼不便")
    clerk.fill("#resident_name", "李秀英")
    clerk.fill("#resident_phone", "13812345678")
    clerk.fill("#resident_address", "天胜社区3号楼2单元301")
    for row, (name, phone) in enumerate([("李秀英", ""), ("张伟", "13900001111")][:parties]):
        clerk.fill(f"#party_{row}_name", name)
        if phone:
            clerk.fill(f"#party_{row}_phone", phone)
    clerk.submit("#intake button[type=submit]")
    clerk.wait_for(lambda: "/app/cases/" in clerk.driver.current_url)
    found = re.search(r"/app/cases/([0-9a-f-]{36})", clerk.driver.current_url)
    assert found is not None
    return found.group(1)


def assign_from_dispatch(clerk: Browser, case_id: str, title: str, worker: Person) -> None:
    clerk.reload_until("/app/dispatch", title)
    clerk.choose(f"#assignee-{case_id}", worker.id)  # the grid's workers are in the list
    clerk.submit(f"form[action='/app/cases/{case_id}/assign'] button")
    clerk.wait_for(lambda: "已派单" in clerk.text())


def test_a_clerk_files_one_case_of_each_kind_through_the_form(browsers, token_for) -> None:
    clerk = browsers(1366, 900)
    clerk.sign_in(token_for("陈静", "clerk", "tiansheng"))

    file_case(clerk, "resident_request/help", "楼道灯坏了")
    assert "已受理" in clerk.text()
    assert "居民诉求 · 求助" in clerk.text()
    assert "待派单" in clerk.text()

    # The parties appear only once a dispute's category is chosen.
    clerk.open("/app/intake")
    assert not clerk.find("#party_0_name").is_displayed()
    clerk.choose("#kind_category", "dispute/neighbour")
    assert clerk.find("#party_0_name").is_displayed()
    clerk.choose("#grid_id", "tiansheng-01")
    clerk.fill("#title", "楼上漏水纠纷")
    clerk.fill("#description", "楼上卫生间漏水，双方协商不成")
    clerk.fill("#resident_name", "李秀英")
    clerk.fill("#resident_phone", "13812345678")
    clerk.fill("#party_0_name", "李秀英")
    clerk.choose("#party_0_role", "applicant")
    clerk.fill("#party_1_name", "张伟")
    clerk.fill("#party_1_phone", "139")  # too short: refused next to the field
    clerk.choose("#party_1_role", "respondent")
    clerk.submit("#intake button[type=submit]")
    assert "电话号码" in clerk.text("#party_1_phone-error")
    assert clerk.find("#party_1_name").get_attribute("value") == "张伟"  # what was typed stays
    clerk.screenshot("clerk-intake-1366.png")
    clerk.fill("#party_1_phone", "13900001111")
    clerk.submit("#intake button[type=submit]")
    clerk.wait_for(lambda: "/app/cases/" in clerk.driver.current_url)
    assert "矛盾纠纷 · 邻里" in clerk.text()
    assert "张伟 · 13900001111" in clerk.text()

    file_case(clerk, "micro_wish/goods", "想要一台收音机")
    assert "微心愿 · 物品" in clerk.text()


def test_a_retried_intake_records_one_case(browsers, token_for) -> None:
    clerk = browsers()
    clerk.sign_in(token_for("陈静", "clerk", "tiansheng"))
    first = file_case(clerk, "resident_request/complaint", "噪音扰民投诉")
    clerk.driver.back()  # the form again, with its key, as a double submit sends it
    clerk.submit("#intake button[type=submit]")
    clerk.wait_for(lambda: "/app/cases/" in clerk.driver.current_url)
    assert first in clerk.driver.current_url


def test_a_worker_on_a_phone_signs_for_visits_and_closes(browsers, token_for) -> None:
    clerk = browsers()
    clerk.sign_in(token_for("陈静", "clerk", "tiansheng"))
    case_id = file_case(clerk, "resident_request/help", "独居老人家中水管破裂")
    worker = token_for("王芳", "worker", "tiansheng-01")
    assign_from_dispatch(clerk, case_id, "独居老人家中水管破裂", worker)

    phone = browsers(360, 740)
    phone.sign_in(worker)
    phone.reload_until("/app/queue", "独居老人家中水管破裂")
    assert "还剩" in phone.text()
    assert "绿灯 · 时间充裕" in phone.text()  # the light, in words as well as colour
    phone.submit(f"a[href='/app/cases/{case_id}']")
    # Only what the state and the role allow: nothing a clerk or a supervisor does.
    summaries = [s.text for s in phone.driver.find_elements("css selector", "summary")]
    assert summaries == ["退回", "联系居民", "记录走访", "办结", "挂起", "上报"]
    assert "未签收" in phone.text()
    phone.submit("#action-sign button")
    phone.wait_for(lambda: "已签收。" in phone.text())
    assert "（已签收）" in phone.text()
    summaries = [s.text for s in phone.driver.find_elements("css selector", "summary")]
    assert summaries == ["联系居民", "记录走访", "办结", "挂起", "上报"]  # no sending back now
    assert phone.driver.find_elements("css selector", "#action-sign") == []

    phone.find("#action-visit summary").click()
    phone.fill("#duration_minutes", "40")
    phone.find("#action-visit button").click()  # the notes are missing: the browser says so
    assert phone.find("#visit-notes").get_attribute("required") == "true"
    phone.driver.execute_script(
        "document.querySelector('#visit-notes').removeAttribute('required')"
    )
    phone.submit("#action-visit button")
    assert "请填写此项" in phone.text("#notes-error")
    phone.fill("#visit-notes", "已联系物业关闭总阀，约好明天维修")
    phone.submit("#action-visit button")
    phone.wait_for(lambda: "已记录走访" in phone.text())
    assert "办理中" in phone.text()
    assert "王芳 · 40 分钟" in phone.text()
    wide = phone.driver.execute_script(
        "return [...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > 361)"
        ".map(e => e.tagName + '.' + e.className)"
    )
    assert wide == []  # nothing wider than the phone
    phone.find("#action-close summary").click()
    phone.choose("#resolution", "resolved")
    phone.fill("#summary", "物业已更换水管")
    phone.screenshot("worker-case-360.png")
    phone.submit("#action-close button")
    phone.wait_for(lambda: "已办结" in phone.text())
    assert phone.driver.find_elements("css selector", "summary") == []


def test_an_auditor_steps_back_through_versions(browsers, token_for) -> None:
    clerk = browsers()
    clerk.sign_in(token_for("陈静", "clerk", "tiansheng"))
    case_id = file_case(clerk, "micro_wish/service", "希望有人陪同就医")
    assign_from_dispatch(
        clerk, case_id, "希望有人陪同就医", token_for("刘洋", "worker", "tiansheng-01")
    )

    auditor = browsers()
    auditor.sign_in(token_for("孙丽", "auditor", "tiansheng"))
    auditor.open(f"/app/cases/{case_id}/history")
    timeline = auditor.text()
    assert "第 1 版 受理" in timeline
    assert "第 2 版 派单" in timeline
    assert "承办人\n刘洋" in timeline
    assert "陈静（受理员）" in timeline
    assert re.search(r"发生于 \d{4}年\d{1,2}月\d{1,2}日 星期. \d\d:\d\d", timeline)

    auditor.open(f"/app/cases/{case_id}/versions/2")
    assert "已派单" in auditor.text()
    assert "刘洋" in auditor.text()
    auditor.submit("a[href$='/versions/1']")
    assert "第 1 版" in auditor.text()
    assert "待派单" in auditor.text()
    assert "未派单" in auditor.text()
    assert "138****5678" in auditor.text()  # as the API masks it for an auditor
    assert "13812345678" not in auditor.text()


def test_a_worker_of_another_grid_is_refused_the_case(browsers, token_for, workbench) -> None:
    clerk = browsers()
    clerk.sign_in(token_for("陈静", "clerk", "tiansheng"))
    case_id = file_case(clerk, "resident_request/consultation", "咨询低保办理")

    stranger = browsers(360, 740)
    stranger.sign_in(token_for("赵强", "worker", "tiansheng-02"))
    for path in (
        f"/app/cases/{case_id}",
        f"/app/cases/{case_id}/history",
        f"/app/cases/{case_id}/versions/1",
    ):
        stranger.open(path)
        assert "找不到此事项" in stranger.text()
        assert "咨询低保办理" not in stranger.driver.page_source
    answer = httpx.get(
        f"{workbench.url}/app/cases/{case_id}",
        cookies={c["name"]: c["value"] for c in stranger.driver.get_cookies()},
    )
    assert answer.status_code == 404


def test_a_title_with_a_script_shows_as_text(browsers, token_for) -> None:
    clerk = browsers()
    clerk.sign_in(token_for("陈静", "clerk", "tiansheng"))
    title = "<script>document.title='hacked'</script><b>粗体</b>"
    file_case(clerk, "resident_request/suggestion", title)
    assert clerk.text("h1") == title
    assert clerk.driver.title != "hacked"
    assert clerk.driver.find_elements("css selector", "main b") == []
    try:
        clerk.driver.switch_to.alert
        raise AssertionError("an alert opened")
    except NoAlertPresentException:
        pass


def test_a_form_without_its_csrf_token_or_from_another_origin_is_refused(
    browsers, token_for, workbench
) -> None:
    clerk = browsers()
    clerk.sign_in(token_for("陈静", "clerk", "tiansheng"))
    refused, cross_site = f"无令牌的表单{uuid4().hex[:6]}", f"跨站提交{uuid4().hex[:6]}"
    clerk.open("/app/intake")
    clerk.driver.execute_script("document.querySelector('#intake input[name=csrf]').remove()")
    clerk.choose("#kind_category", "resident_request/help")
    clerk.choose("#grid_id", "tiansheng-01")
    for field, value in (
        ("#title", refused),
        ("#description", "x"),
        ("#resident_name", "李"),
    ):
        clerk.fill(field, value)
    clerk.submit("#intake button[type=submit]")
    assert "请求被拒绝" in clerk.text()

    # The same session's cookie and even its token, posted from another site's page.
    cookies = {c["name"]: c["value"] for c in clerk.driver.get_cookies()}
    clerk.open("/app/intake")
    csrf = clerk.find("input[name=csrf]").get_attribute("value")
    body = {
        "csrf": csrf,
        "kind_category": "resident_request/help",
        "channel": "window",
        "grid_id": "tiansheng-01",
        "title": cross_site,
        "description": "x",
        "resident_name": "李",
    }
    answer = httpx.post(
        f"{workbench.url}/app/intake",
        data=body,
        cookies=cookies,
        headers={"Origin": "http://evil.example"},
    )
    assert answer.status_code == 403
    assert "请求被拒绝" in answer.text
    clerk.open("/app/cases")
    assert cross_site not in clerk.text()
    assert refused not in clerk.text()


def test_signing_out_ends_the_session(browsers, token_for, workbench) -> None:
    clerk = browsers()
    clerk.sign_in(token_for("陈静", "clerk", "tiansheng"))
    cookies = {c["name"]: c["value"] for c in clerk.driver.get_cookies()}
    session = next(c for c in clerk.driver.get_cookies() if c["name"] == "cw_session")
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Lax"
    clerk.submit(".who button")
    clerk.wait_for(lambda: "/app/login" in clerk.driver.current_url)
    answer = httpx.get(f"{workbench.url}/app/intake", cookies=cookies)
    assert answer.status_code == 303  # the old cookie no longer opens a page
    assert answer.headers["location"] == "/app/login"


def test_a_supervisor_sees_the_overview_and_follows_a_count_to_its_cases(
    browsers, token_for
) -> None:
    clerk = browsers()
    clerk.sign_in(token_for("陈静", "clerk", "tiansheng"))
    title = f"电梯异响 {uuid4().hex[:6]}"
    case_id = file_case(clerk, "resident_request/complaint", title)
    clerk.reload_until("/app/dispatch", title)

    boss = browsers()
    boss.sign_in(token_for("赵敏", "supervisor", "tiansheng"))
    assert boss.driver.current_url.endswith("/app/dashboard")  # where a supervisor starts
    boss.reload_until("/app/dashboard", "天胜社区第一网格")
    overview = boss.text()
    assert "已逾期" in overview and "今日受理" in overview and "待派单" in overview
    boss.submit("a[href='/app/cases?open=true&grid_id=tiansheng-01']")
    assert "网格 tiansheng-01" in boss.text()
    assert "在办" in boss.text(".filters")
    assert title in boss.text()
    boss.fill("#q", title.split()[1])  # the search finds it by the word in its title
    boss.submit("#filters button")
    assert f"/app/cases/{case_id}" in boss.driver.page_source
    assert "符合条件的 1 件" in boss.text()
