"""The micro-wish board on a phone: a volunteer signs in, claims a wish, releases it, claims
it again and fulfils it; the public board never shows the resident; axe finds no critical or
serious violation on the board's pages."""

from uuid import uuid4

from tests.browser.conftest import Browser, Person
from tests.browser.test_accessibility import violations
from tests.browser.test_workbench import file_case
from tests.e2e.conftest import Server, casework


def add_claimant(server: Server, name: str, kind: str) -> Person:
    """A claimant made with the real CLI (its claimant type is part of the account)."""
    result = casework(
        "users", "add", "--name", name, "--role", "claimant", "--area", "tiansheng",
        "--claimant-type", kind, env=server.env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    fields = dict(line.split(":", 1) for line in result.stdout.splitlines())
    assert fields["claimant type"].strip() == kind
    return Person(fields["id"].strip(), fields["token"].strip())


def claim(phone: Browser, case_id: str) -> None:
    phone.submit(f"form[action='/app/board/{case_id}/claim'] button")
    phone.wait_for(lambda: "已认领" in phone.text())


def test_a_volunteer_claims_releases_claims_again_and_fulfils_a_wish_on_a_phone(
    browsers, token_for, workbench: Server
) -> None:
    title = f"为独居老人买电暖器{uuid4().hex[:4]}"
    clerk = browsers()
    clerk.sign_in(token_for("陈静", "clerk", "tiansheng"))
    case_id = file_case(clerk, "micro_wish/goods", title)
    volunteer = add_claimant(workbench, "志愿者 周红", "volunteer")

    phone = browsers(360, 740)
    phone.reload_until("/board?area=tiansheng", title)
    public = phone.text()
    assert "物品 · 天胜社区第一网格" in public and "已等待 0 天" in public
    for personal in ("李秀英", "13812345678", "3号楼2单元301", "老人夜间上下楼不便"):
        assert personal not in phone.driver.page_source
    board_violations = violations(phone)
    phone.screenshot("board-360.png")

    phone.submit("a[href='/app/login']")
    phone.find("#token").send_keys(volunteer.token)
    phone.submit("form button[type=submit]")
    phone.wait_for(lambda: phone.driver.current_url.endswith("/app/board"))
    phone.reload_until("/app/board", title)
    claim(phone, case_id)
    assert title in phone.text("ul.rows")  # the first list: the wishes they hold

    phone.find(f"form[action='/app/board/{case_id}/release']").find_element(
        "xpath", "./.."
    ).click()  # open its <details>
    phone.fill(f"#reason-{case_id}", "临时出差")
    phone.submit(f"form[action='/app/board/{case_id}/release'] button")
    phone.wait_for(lambda: "已取消认领" in phone.text())
    assert "您还没有认领心愿" in phone.text()

    claim(phone, case_id)
    phone.find(f"form[action='/app/board/{case_id}/fulfil']").find_element("xpath", "./..").click()
    phone.fill(f"#notes-{case_id}", "电暖器已送到老人家中")
    phone.fill(f"#photo-{case_id}", "https://example.org/heater.jpg")
    mine_violations = violations(phone)
    phone.screenshot("board-claimant-360.png")
    phone.submit(f"form[action='/app/board/{case_id}/fulfil'] button")
    phone.wait_for(lambda: "已记录心愿实现" in phone.text())
    assert "已实现" in phone.text("ul.rows")

    # The community sees who claimed it when, the release and why, and the wish's history.
    boss = browsers()
    boss.sign_in(token_for("赵敏", "supervisor", "tiansheng"))
    boss.submit("a[href='/app/board/claims']")
    boss.reload_until("/app/board/claims", "已实现")
    claims = boss.text()
    assert claims.count("志愿者 周红（志愿者）认领于") == 2
    assert "原因：临时出差" in claims
    record = boss.text("table.cases tbody")
    assert record.split() == [
        "志愿者",
        "周红（志愿者）",
        "2",
        "1",
        "0",
        "1",
        "0",
        "0",
        "0",
        "0",
        "–",
    ]
    claims_violations = violations(boss)
    boss.open(f"/app/cases/{case_id}/history")
    steps = boss.text()
    assert steps.count("认领") >= 3 and "取消认领" in steps and "心愿实现" in steps
    assert board_violations == mine_violations == claims_violations == []
