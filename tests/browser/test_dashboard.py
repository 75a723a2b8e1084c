"""The supervisor's dashboard in a real Chromium: its ECharts charts drawn from the read
models with no console error, and a case filed meanwhile shown without a reload."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import httpx2 as httpx

from tests.browser.conftest import Browser, Person

CHARTS = (
    "chart-lights",
    "chart-grids",
    "chart-days",
    "chart-community",
    "chart-grid-rates",
    "chart-workload",
)


class Office:
    """The API as the people's systems send it (Bearer tokens), to fill the dashboard."""

    def __init__(self, base: str, clerk: Person):
        self.base = base
        self.clerk = clerk

    def post(self, path: str, body: dict, person: Person | None = None) -> dict:
        headers = {"Authorization": f"Bearer {(person or self.clerk).token}"}
        answer = httpx.post(self.base + path, json=body, headers=headers, timeout=20)
        assert answer.status_code in (200, 201), answer.text
        return answer.json()

    def file(self, title: str, grid: str, received_at: datetime | None = None) -> dict:
        body = {
            "kind": "resident_request",
            "category": "help",
            "channel": "hotline",
            "title": title,
            "description": "楼道灯不亮，老人夜间上下楼不便",
            "grid_id": grid,
            "resident": {"name": "李秀英", "phone": "13812345678"},
        }
        if received_at is not None:
            body["received_at"] = received_at.isoformat()
        return self.post("/cases", body)


def fill_the_month(office: Office, workers: dict[str, Person]) -> None:
    """Cases over the last weeks in four grids: some waiting, some late, some closed and
    called back."""
    now = datetime.now(UTC)
    ratings = ["satisfied", "basically_satisfied", "dissatisfied", "satisfied"]
    for n in range(16):
        grid = f"tiansheng-0{n % 4 + 1}"
        received = now - timedelta(days=(n * 5) % 24, hours=n % 5 + 1)
        path = "/cases/" + office.file(f"楼道灯坏了 第{n + 1}件", grid, received)["id"]
        if n % 5 == 4:
            continue  # waiting to be dispatched
        assigned = received + timedelta(minutes=30)
        office.post(
            f"{path}/assign", {"assignee": workers[grid].id, "occurred_at": assigned.isoformat()}
        )
        closed = received + timedelta(hours=6 + n * 3)
        if n % 3 == 0 or closed > now - timedelta(minutes=5):
            continue  # still open
        close = {"resolution": "resolved", "summary": "已修复", "occurred_at": closed.isoformat()}
        office.post(f"{path}/close", close, workers[grid])
        rated = closed + timedelta(minutes=30)
        if rated < now:
            rating = {"rating": ratings[n % 4], "contacted": n % 7 != 0, "solved": "solved"}
            office.post(f"{path}/rate", {**rating, "occurred_at": rated.isoformat()})


def console_errors(browser: Browser) -> list[str]:
    return [e["message"] for e in browser.driver.get_log("browser") if e["level"] == "SEVERE"]


def drawn(browser: Browser) -> dict[str, int]:
    """Each chart's number of data points, as its ECharts instance holds them."""
    return browser.driver.execute_script(
        "const counts = {};"
        "for (const id of arguments[0]) {"
        "  const el = document.getElementById(id);"
        "  const chart = el && window.echarts && echarts.getInstanceByDom(el);"
        "  if (!chart || !el.querySelector('canvas')) { continue; }"
        "  counts[id] = chart.getOption().series"
        "    .reduce((n, s) => n + s.data.filter(v => v !== null && v !== undefined).length, 0);"
        "}"
        "return counts;",
        list(CHARTS),
    )


def test_the_dashboard_draws_its_charts_and_shows_a_case_filed_meanwhile(
    browsers, token_for, workbench
) -> None:
    office = Office(workbench.url, token_for("陈静", "clerk", "tiansheng"))
    workers = {
        f"tiansheng-0{g}": token_for(name, "worker", f"tiansheng-0{g}")
        for g, name in ((1, "王芳"), (2, "刘洋"), (3, "张丽"), (4, "李强"))
    }
    fill_the_month(office, workers)

    boss = browsers(1366, 900)
    boss.sign_in(token_for("赵敏", "supervisor", "tiansheng"))
    boss.reload_until("/app/dashboard", "天胜社区第四网格")
    boss.wait_for(lambda: len(drawn(boss)) == len(CHARTS))
    points = drawn(boss)
    assert all(points[chart] > 0 for chart in CHARTS), points
    assert console_errors(boss) == []

    # A case filed through the API meanwhile: the page counts it without being reloaded.
    boss.driver.execute_script("window.notReloaded = true")
    before = int(boss.text("[data-count=received_today]"))
    office.file(f"新受理 {uuid4().hex[:6]}", "tiansheng-02")
    boss.wait_for(lambda: int(boss.text("[data-count=received_today]")) == before + 1, 30)
    assert boss.driver.execute_script("return window.notReloaded") is True
    assert "已更新" in boss.text("#live-state")
    assert console_errors(boss) == []
    boss.screenshot("dashboard-1366.png")  # the README shows it

    # A chart's element leads to the cases behind it.
    boss.open("/app/dashboard")
    boss.wait_for(lambda: len(drawn(boss)) == len(CHARTS))
    target = boss.driver.execute_script(
        "const chart = echarts.getInstanceByDom(document.getElementById('chart-lights'));"
        "return chart.__link({data: chart.getOption().series[0].data[0]});"
    )
    assert target == "/app/cases?open=true&light=green"


def test_the_report_page_shows_the_period_and_the_league_table(browsers, token_for) -> None:
    boss = browsers(1366, 900)
    boss.sign_in(token_for("赵敏", "supervisor", "tiansheng"))
    boss.open("/app/reports?group_by=grid")
    assert "合规报表" in boss.text() and "红黑榜" in boss.text()
    assert "合计" in boss.text("#report")
    link = boss.find("a[href^='/app/reports/compliance.xlsx']").get_attribute("href")
    cookies = {c["name"]: c["value"] for c in boss.driver.get_cookies()}
    workbook = httpx.get(link, cookies=cookies)
    assert workbook.status_code == 200
    assert workbook.content[:2] == b"PK"  # an xlsx is a zip
    boss.screenshot("dashboard-reports-1366.png")
