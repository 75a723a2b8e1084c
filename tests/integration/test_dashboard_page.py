"""The workbench's dashboard data (/app/dashboard/data), over HTTP with a signed-in session:
only the caller's area, every figure from the read models."""

import json
import re
import time
from uuid import uuid4

from fastapi.testclient import TestClient

from domain.vocabulary import Role
from infra.bootstrap import Services
from tests.helpers import intake
from tests.integration.conftest import Api


def signed_in(client: TestClient, services: Services, role: Role, area: str) -> TestClient:
    """A browser of its own (cookies) on the suite's service: the sign-in form with its
    CSRF value, then the session cookie."""
    _user, token = services.users.add(f"督办 {area}", role, area)
    browser = TestClient(client.app)
    form = browser.get("/app/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    answer = browser.post(
        "/app/login", data={"csrf": csrf.group(1), "token": token}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    return browser


def data_at(browser: TestClient, position: int) -> dict:
    """The dashboard's data once the read models have the event at ``position``."""
    deadline = time.monotonic() + 10
    while True:
        answer = browser.get("/app/dashboard/data")
        assert answer.status_code == 200, answer.text
        data = answer.json()
        if data["position"] >= position or time.monotonic() > deadline:
            return data
        time.sleep(0.05)


def test_the_dashboard_data_holds_only_the_callers_area(
    client: TestClient, services: Services, as_clerk: Api
) -> None:
    title = f"第二网格的逾期事项 {uuid4().hex[:8]}"
    elsewhere = as_clerk.new_case(
        intake(title=title, grid_id="tiansheng-02", received_at="2026-01-05T09:00:00+08:00")
    )
    today_elsewhere = as_clerk.new_case(intake(title=title + " 今日", grid_id="tiansheng-02"))
    mine = as_clerk.new_case(intake(title=f"第一网格 {uuid4().hex[:8]}"))
    position = max(c["position"] for c in (elsewhere, today_elsewhere, mine))

    community = data_at(signed_in(client, services, Role.SUPERVISOR, "tiansheng"), position)
    grid = data_at(signed_in(client, services, Role.SUPERVISOR, "tiansheng-01"), position)

    assert {"tiansheng-01", "tiansheng-02"} <= {r["grid_id"] for r in community["open_by_grid"]}
    assert {r["grid_id"] for r in grid["open_by_grid"]} == {"tiansheng-01"}
    assert {r["group"] for r in grid["rates_by_grid"]} == {"tiansheng-01"}
    assert title not in json.dumps(grid, ensure_ascii=False)
    assert all(row["grid_id"] == "tiansheng-01" for row in grid["overdue"] + grid["supervised"])
    # The grid's supervisor counts the grid's cases only: fewer open and fewer received.
    assert grid["counts"]["open"] == grid["open_by_grid"][0]["open"]
    assert grid["counts"]["open"] < community["counts"]["open"]
    assert sum(d["received"] for d in grid["days"]) < sum(d["received"] for d in community["days"])
    # The month's figures by community, for the grid's supervisor, are those of its grid.
    (own,) = grid["rates_by_community"]
    assert own["closed"] == grid["rates_by_grid"][0]["closed"]


def test_the_dashboard_data_needs_a_session_and_a_role_that_reads_it(
    client: TestClient, services: Services
) -> None:
    stranger = TestClient(client.app)
    answer = stranger.get("/app/dashboard/data", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/app/login"
    # A client system (another program filing cases) reads no dashboard.
    machine = signed_in(client, services, Role.CLIENT, "tiansheng")
    assert machine.get("/app/dashboard/data").status_code == 403
    assert machine.get("/app/dashboard/events").status_code == 403
