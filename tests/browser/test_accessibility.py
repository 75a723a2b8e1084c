"""axe-core in every page of the workbench: no critical or serious accessibility violation."""

import re
from pathlib import Path
from typing import Any

from tests.browser.conftest import Browser
from tests.browser.test_workbench import assign_from_dispatch, file_case

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()


def violations(browser: Browser) -> list[dict[str, Any]]:
    """The page's critical and serious violations of WCAG 2 A and AA, as axe names them."""
    browser.driver.execute_script(AXE)
    found = browser.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'best-practice']})"
        ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact,"
        " help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))));"
    )
    return [v for v in found if v["impact"] in ("critical", "serious")]


def test_no_page_has_a_critical_or_serious_accessibility_violation(browsers, token_for) -> None:
    pages: dict[str, list[dict[str, Any]]] = {}
    visitor = browsers()
    visitor.open("/app/login")
    pages["login"] = violations(visitor)

    clerk = browsers()
    clerk.sign_in(token_for("陈静", "clerk", "tiansheng"))
    case_id = file_case(clerk, "dispute/neighbour", "楼上漏水", parties=2)
    pages["case (clerk)"] = violations(clerk)
    clerk.open("/app/intake")
    pages["intake"] = violations(clerk)
    clerk.reload_until("/app/dispatch", "楼上漏水")
    pages["dispatch"] = violations(clerk)
    worker = token_for("王芳", "worker", "tiansheng-01")
    assign_from_dispatch(clerk, case_id, "楼上漏水", worker)

    phone = browsers(360, 740)
    phone.sign_in(worker)
    phone.reload_until("/app/queue", "楼上漏水")
    pages["queue (phone)"] = violations(phone)
    phone.open(f"/app/cases/{case_id}")
    pages["case (phone)"] = violations(phone)
    phone.open("/app/notifications")  # the assignment rang the worker's bell
    pages["notifications (phone)"] = violations(phone)

    boss = browsers()
    boss.sign_in(token_for("赵敏", "supervisor", "tiansheng"))
    boss.wait_for(lambda: boss.driver.find_elements("css selector", "#chart-days canvas"))
    pages["dashboard"] = violations(boss)
    boss.open("/app/reports?group_by=grid")
    pages["reports"] = violations(boss)
    boss.open("/app/cases?grid_id=tiansheng-01")
    pages["case list"] = violations(boss)

    auditor = browsers()
    auditor.sign_in(token_for("孙丽", "auditor", "tiansheng"))
    auditor.open(f"/app/cases/{case_id}/history")
    pages["history"] = violations(auditor)
    auditor.open(f"/app/cases/{case_id}/versions/1")
    pages["version"] = violations(auditor)

    assert {page: found for page, found in pages.items() if found} == {}
    assert re.fullmatch(r"[0-9a-f-]{36}", case_id)


def with_forms_open(browser: Browser) -> list[dict[str, Any]]:
    """The page's violations with every action's form open (axe passes over what is hidden)."""
    browser.driver.execute_script(
        "document.querySelectorAll('details').forEach(d => d.open = true)"
    )
    return violations(browser)


def test_the_case_pages_forms_and_the_sign_in_link_have_no_serious_violation(
    browsers, token_for, workbench
) -> None:
    from tests.browser.test_case_actions import act, filed_and_assigned
    from tests.e2e.conftest import casework

    pages: dict[str, list[dict[str, Any]]] = {}
    case_id, worker = filed_and_assigned(browsers, token_for, "楼道灯不亮（无障碍）")
    phone = browsers(360, 740)
    link = casework("users", "link", worker.id, env=workbench.env).stdout.strip()
    phone.open(link[link.index("/app/") :])
    pages["sign-in link"] = violations(phone)
    phone.submit("main form button")
    phone.open(f"/app/cases/{case_id}")
    pages["case, unsigned (phone)"] = with_forms_open(phone)
    phone.open(f"/app/cases/{case_id}")
    act(phone, "close", {"#resolution": "duplicate", "#summary": "重复来电"})
    pages["case, a refusal by its field (phone)"] = violations(phone)
    phone.open(link[link.index("/app/") :])  # spent by now
    pages["spent sign-in link"] = violations(phone)

    boss = browsers()
    boss.sign_in(token_for("赵敏", "supervisor", "tiansheng"))
    boss.open(f"/app/cases/{case_id}")
    pages["case (supervisor)"] = with_forms_open(boss)
    boss.open(f"/app/cases/{case_id}")
    act(boss, "close", {"#resolution": "resolved", "#summary": "已处理"})
    boss.wait_for(lambda: "已办结。" in boss.text())
    pages["closed case, call-back (supervisor)"] = with_forms_open(boss)
    boss.open("/app/cases")
    pages["case list with lights"] = violations(boss)

    assert {page: found for page, found in pages.items() if found} == {}
