"""The three rates (响应率, 解决率, 满意率), the composite score and the on-time sign-for rate
of a month built through HTTP, against a hand computation.

September 2026, back-dated, for a worker of its own (so no other test's cases mix into the
worker's row): ten cases, each assigned, signed for, visited, closed and called back, with
call-backs of every kind; one of them reopened by its call-back, closed and called back
again. Checked as a city-wide supervisor sees it (from the daily totals) and as the
community's supervisor sees it (counted from the facts of the area's grids)."""

import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from domain.vocabulary import Role
from infra.bootstrap import Services
from tests.helpers import intake

ZONE = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 9, 7, 9, 0, tzinfo=ZONE)  # a working week, no holiday near


class Month:
    def __init__(self, client: TestClient, services: Services):
        self.client = client

        def token(name: str, role: Role, area: str | None) -> tuple[str, dict[str, str]]:
            user, secret = services.users.add(name, role, area)
            return str(user.id), {"Authorization": f"Bearer {secret}"}

        self.token = token
        self.worker_id, self.worker = token("网格员 回访月", Role.WORKER, "tiansheng")
        _, self.clerk = token("窗口 回访月", Role.CLERK, "tiansheng")
        _, self.city = token("市级督办 回访月", Role.SUPERVISOR, None)
        _, self.community = token("书记 回访月", Role.SUPERVISOR, "tiansheng")
        self.position = 0
        self.best: tuple[str, dict[str, str]] = ("", {})
        self.few: tuple[str, dict[str, str]] = ("", {})

    def send(self, who: dict[str, str], case_id: str, action: str, at: datetime, **body: Any):
        response = self.client.post(
            f"/cases/{case_id}/{action}", json={**body, "occurred_at": at.isoformat()}, headers=who
        )
        assert response.status_code == 200, (action, body, response.text)
        self.position = max(self.position, response.json()["position"])
        return response.json()

    def case(
        self,
        callback: dict[str, Any],
        *,
        category: str = "help",
        day: int = 0,
        sign_after: timedelta = timedelta(minutes=30),
        worker: tuple[str, dict[str, str]] | None = None,
    ) -> str:
        worker_id, as_worker = worker or (self.worker_id, self.worker)
        received = MONDAY + timedelta(days=day)
        answer = self.client.post(
            "/cases",
            json=intake(category=category, received_at=received.isoformat()),
            headers=self.clerk,
        )
        assert answer.status_code == 201, answer.text
        case_id: str = answer.json()["id"]
        assigned = received + timedelta(minutes=30)
        self.send(self.clerk, case_id, "assign", assigned, assignee=worker_id)
        signed = assigned + sign_after
        self.send(as_worker, case_id, "sign", signed)
        self.close(case_id, signed + timedelta(hours=1), as_worker)
        self.send(self.clerk, case_id, "rate", signed + timedelta(hours=3), **callback)
        return case_id

    def close(self, case_id: str, at: datetime, worker: dict[str, str] | None = None) -> None:
        self.send(
            worker or self.worker,
            case_id,
            "visits",
            at,
            visited_at=at.isoformat(),
            duration_minutes=30,
            notes="上门",
        )
        self.send(
            worker or self.worker, case_id, "close", at, resolution="resolved", summary="办结"
        )

    def row(self, who: dict[str, str]) -> dict[str, Any]:
        response = self.client.get(
            "/reports/compliance",
            params={
                "from": "2026-09-01",
                "to": "2026-09-30",
                "group_by": "worker",
                "min_position": self.position,
            },
            headers=who,
        )
        assert response.status_code == 200, response.text
        rows = [r for r in response.json()["rows"] if r["group"] == self.worker_id]
        assert len(rows) == 1
        return rows[0]


@pytest.fixture(scope="module")
def month(client: TestClient, services: Services) -> Iterator[Month]:
    month = Month(client, services)
    yes, no = True, False
    # 1, 2: satisfied, contacted, solved
    month.case({"rating": "satisfied", "contacted": yes, "solved": "solved"})
    month.case(
        {"rating": "satisfied", "contacted": yes, "solved": "solved"},
        category="urgent",  # signed 30 minutes after assignment: within its hour
    )
    # 3: basically satisfied, contacted, partly solved; signed two working days late
    month.case(
        {"rating": "basically_satisfied", "contacted": yes, "solved": "partly_solved"},
        sign_after=timedelta(days=2),
    )
    # 4: basically satisfied, not contacted, solved
    month.case({"rating": "basically_satisfied", "contacted": no, "solved": "solved"})
    # 5: dissatisfied, contacted, partly solved
    month.case({"rating": "dissatisfied", "contacted": yes, "solved": "partly_solved"})
    # 6: dissatisfied, not contacted, not solved: reopened for redo by the call-back, done
    # again and called back again (7): satisfied, contacted, solved
    redo = month.case({"rating": "dissatisfied", "contacted": no, "solved": "not_solved"}, day=1)
    later = MONDAY + timedelta(days=7)
    month.close(redo, later)
    month.send(
        month.clerk,
        redo,
        "rate",
        later + timedelta(hours=1),
        rating="satisfied",
        contacted=yes,
        solved="solved",
    )
    # 8: an old-style rating, without the new answers: basically satisfied
    month.case({"rating": "basically_satisfied"})
    # 9: unreachable (an urgent case signed 2 hours after assignment: late); 10: refused
    month.case({"rating": "unreachable"}, category="urgent", sign_after=timedelta(hours=2))
    month.case({"rating": "refused"})
    # 11: satisfied, contacted, but not solved (not dissatisfied: no redo)
    month.case({"rating": "satisfied", "contacted": yes, "solved": "not_solved"}, day=2)
    # For the league table: a worker with 5 perfect call-backs (composite 100), and one
    # with only 4 valid call-backs (and an unreachable resident), who is not ranked.
    month.best = month.token("网格员 满分", Role.WORKER, "tiansheng")
    for _ in range(5):
        perfect = {"rating": "satisfied", "contacted": yes, "solved": "solved"}
        month.case(perfect, worker=month.best)
    month.few = month.token("网格员 回访少", Role.WORKER, "tiansheng")
    for rating in ("satisfied", "satisfied", "dissatisfied", "satisfied", "unreachable"):
        month.case({"rating": rating}, worker=month.few)
    yield month


# By hand, call-backs 1-11 (7 is case 6's second call-back; 9 and 10 are not valid):
#   valid call-backs: 1 2 3 4 5 6 7 8 11                                    = 9
#   answered `contacted`: the valid ones but 8 (old-style)                   = 8
#     contacted: 1 2 3 5 7 11                                                = 6
#   answered `solved`: the valid ones but 8                                  = 8
#     solved: 1 2 4 7 = 4;  partly solved: 3 5 = 2;  not solved: 6 11 = 2
#   satisfied: 1 2 7 11 = 4;  basically satisfied: 3 4 8 = 3;  dissatisfied: 5 6 = 2
RESPONSE = 6 / 8  # = 0.75
RESOLUTION = (4 + 2 * 0.0) / 8  # partly solved weighs 0: = 0.5
SATISFACTION = (4 + 3 * 1.0) / 9  # basically satisfied weighs 1: = 7/9 = 0.7778
# 100 × (0.1 × 0.75 + 0.5 × 0.5 + 0.4 × 7/9) = 7.5 + 25 + 31.111 = 63.611
COMPOSITE = 100 * (0.1 * RESPONSE + 0.5 * RESOLUTION + 0.4 * SATISFACTION)
# Sign-for: 10 assignments, 10 signatures; late: 3 (two working days after) and 9 (urgent,
# 2 hours after): 8 / 10.


@pytest.mark.parametrize("seen_by", ["city", "community"])
def test_the_three_rates_and_the_composite_score_equal_the_hand_computation(
    month: Month, seen_by: str
) -> None:
    row = month.row(month.city if seen_by == "city" else month.community)

    assert row["valid_callbacks"] == row["ratings_valid"] == 9
    assert row["callbacks_contacted"] == 6
    assert (row["callbacks_solved"], row["callbacks_partly_solved"]) == (4, 2)
    assert row["response_rate"] == pytest.approx(0.75)
    assert row["resolution_rate"] == pytest.approx(0.5)
    assert row["satisfaction_rate"] == pytest.approx(7 / 9)
    assert row["composite_score"] == pytest.approx(COMPOSITE)
    assert row["composite_score"] == pytest.approx(63.6111, abs=1e-4)
    assert row["reopened"] == 1
    assert (row["signed_for"], row["signed_on_time"]) == (10, 8)
    assert row["signed_on_time_rate"] == pytest.approx(0.8)
    # No case of the month was sent back or went late enough for the ladder (its counts:
    # test_supervision.py, test_the_report_counts_the_steps_the_ladder_took).
    assert row["assigned"] == 10
    assert (row["sent_back"], row["send_back_rate"]) == (0, 0.0)
    assert (row["urged"], row["supervised"], row["publicly_noted"]) == (0, 0, 0)


def test_the_league_table_ranks_workers_with_at_least_five_valid_call_backs(
    month: Month,
) -> None:
    response = month.client.get(
        "/reports/league",
        params={"month": "2026-09", "group_by": "worker", "min_position": month.position},
        headers=month.city,
    )

    assert response.status_code == 200, response.text
    table = response.json()
    assert (table["month"], table["group_by"]) == ("2026-09", "worker")
    ranked = [(row["rank"], row["group"]) for row in table["rows"]]
    assert ranked == [(1, month.best[0]), (2, month.worker_id)]  # month.few: 4 valid only
    assert table["red"] == table["rows"]
    assert table["black"] == []  # two ranked: both are on the red list
    first, second = table["rows"]
    assert (first["name"], first["composite_score"]) == ("网格员 满分", pytest.approx(100))
    assert first["valid_callbacks"] == 5
    assert second["composite_score"] == pytest.approx(COMPOSITE)
    assert second["response_rate"] == pytest.approx(RESPONSE)
    assert second["resolution_rate"] == pytest.approx(RESOLUTION)
    assert second["satisfaction_rate"] == pytest.approx(SATISFACTION)


@pytest.mark.parametrize("ask", ["format", "accept"])
def test_the_league_table_opens_as_a_workbook_with_chinese_headings(month: Month, ask: str) -> None:
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    params = {"month": "2026-09", "group_by": "worker"}
    headers = dict(month.city)
    if ask == "format":
        params["format"] = "xlsx"
    else:
        headers["Accept"] = xlsx
    response = month.client.get("/reports/league", params=params, headers=headers)
    bad_month = month.client.get("/reports/league", params={"month": "2026-13"}, headers=month.city)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == xlsx
    assert "attachment" in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["红榜", "黑榜", "排名"]
    rows = list(book["排名"].iter_rows(values_only=True))
    assert rows[0][:4] == ("名次", "代码", "名称", "综合得分")
    assert [row[:3] for row in rows[1:]] == [
        (1, month.best[0], "网格员 满分"),
        (2, month.worker_id, "网格员 回访月"),
    ]
    assert rows[2][3] == pytest.approx(COMPOSITE)
    assert bad_month.status_code == 422
