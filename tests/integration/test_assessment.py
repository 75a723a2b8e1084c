"""The 3456 assessment of a month built through HTTP (August 2026, back-dated, for workers
of its own), against a hand computation; the scores and who may give them."""

import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from domain.vocabulary import Role
from domain.worker_month import worker_month_id
from infra.areas import AreaFile, Community, Grid, Street
from infra.bootstrap import Services
from tests.helpers import intake

ZONE = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 8, 3, 9, 0, tzinfo=ZONE)
# August 2026 has no holiday: 21 working days (3-7, 10-14, 17-21, 24-28, 31), of 8 hours:
WORKING_MINUTES = 21 * 8 * 60  # = 10080


class Month:
    def __init__(self, client: TestClient, services: Services):
        self.client = client
        services.areas.load(
            AreaFile(
                streets=[Street(id="zhongshan", name="中山街道")],
                communities=[Community(id="yongan", name="永安社区", street_id="zhongshan")],
                grids=[Grid(id="yongan-01", name="永安社区第一网格", community_id="yongan")],
            )
        )

        def token(name: str, role: Role, area: str | None) -> tuple[str, dict[str, str]]:
            user, secret = services.users.add(name, role, area)
            return str(user.id), {"Authorization": f"Bearer {secret}"}

        self.a, self.as_a = token("网格员 考核甲", Role.WORKER, "tiansheng-01")
        self.b, self.as_b = token("网格员 考核乙", Role.WORKER, "tiansheng-02")
        self.clerk_user, self.clerk = token("窗口 考核月", Role.CLERK, "tiansheng")
        self.community_id, self.community = token("书记 考核月", Role.SUPERVISOR, "tiansheng")
        _, self.street = token("街道 考核月", Role.SUPERVISOR, "wenmiao")
        _, self.city = token("市级 考核月", Role.SUPERVISOR, None)
        _, self.elsewhere = token("书记 永安", Role.SUPERVISOR, "yongan")
        self.position = 0

    def send(self, who: dict[str, str], case_id: str, action: str, at: datetime, **body: Any):
        response = self.client.post(
            f"/cases/{case_id}/{action}", json={**body, "occurred_at": at.isoformat()}, headers=who
        )
        assert response.status_code == 200, (action, body, response.text)
        self.position = max(self.position, response.json()["position"])
        return response.json()

    def case(
        self,
        worker: str,
        as_worker: dict[str, str],
        grid: str,
        day: int,
        minutes: int,
        callback: dict[str, Any] | None,
    ) -> None:
        received = MONDAY + timedelta(days=day)
        answer = self.client.post(
            "/cases",
            json=intake(grid_id=grid, received_at=received.isoformat()),
            headers=self.clerk,
        )
        assert answer.status_code == 201, answer.text
        case_id = answer.json()["id"]
        self.send(self.clerk, case_id, "assign", received + timedelta(minutes=10), assignee=worker)
        visited = received + timedelta(hours=1)
        self.send(
            as_worker,
            case_id,
            "visits",
            visited,
            visited_at=visited.isoformat(),
            duration_minutes=minutes,
            notes="入户走访",
        )
        closed = visited + timedelta(hours=1)
        self.send(as_worker, case_id, "close", closed, resolution="resolved", summary="办结")
        if callback is not None:
            self.send(self.clerk, case_id, "rate", closed + timedelta(hours=2), **callback)

    def score(self, who: dict[str, str], worker: str, party: str, score: int) -> Any:
        return self.client.post(
            f"/workers/{worker}/scores",
            json={"month": "2026-08", "party": party, "score": score},
            headers=who,
        )

    def assessment(self, who: dict[str, str], **params: Any) -> Any:
        return self.client.get(
            "/reports/assessment",
            params={"month": "2026-08", "min_position": self.position, **params},
            headers=who,
        )


@pytest.fixture(scope="module")
def month(client: TestClient, services: Services) -> Iterator[Month]:
    month = Month(client, services)
    yes, no = True, False
    # Worker A (grid tiansheng-01): six cases, each with a visit of 900 minutes (5400 in
    # all), five valid call-backs and an unreachable resident.
    for day, callback in enumerate(
        [
            {"rating": "satisfied", "contacted": yes, "solved": "solved"},
            {"rating": "satisfied", "contacted": yes, "solved": "solved"},
            {"rating": "satisfied", "contacted": yes, "solved": "solved"},
            {"rating": "basically_satisfied", "contacted": yes, "solved": "partly_solved"},
            {"rating": "dissatisfied", "contacted": no, "solved": "solved"},
            {"rating": "unreachable"},
        ]
    ):
        month.case(month.a, month.as_a, "tiansheng-01", day, 900, callback)
    # Worker B (grid tiansheng-02): two cases with a visit of 1260 minutes each (2520), no
    # call-back.
    for day in (0, 1):
        month.case(month.b, month.as_b, "tiansheng-02", day, 1260, None)
    yield month


# By hand, worker A:
#   grid_time_share = 5400 / 10080 = 0.5357 >= 0.5: meets the floor, grid_time_score 100
#   valid call-backs 5 (the unreachable one is not valid); contacted 4 of 5: response 0.8;
#   solved 4 of 5 (partly solved counts 0): resolution 0.8; satisfied 3 + basically 1 of 5:
#   satisfaction 0.8; composite = 100 × (0.1 × 0.8 + 0.5 × 0.8 + 0.4 × 0.8) = 80
#   community 90, replaced by 85; street 70
#   total = 0.3 × 100 + 0.3 × 80 + 0.2 × 85 + 0.2 × 70 = 30 + 24 + 17 + 14 = 85
# Worker B: share 2520 / 10080 = 0.25 < 0.5: grid_time_score = 100 × 0.25 / 0.5 = 50; no
#   valid call-back: residents_score null, total null.


def test_the_month_of_each_worker_equals_the_hand_computation(month: Month) -> None:
    community_first = month.score(month.community, month.a, "community", 90)
    community_again = month.score(month.community, month.a, "community", 85)
    street = month.score(month.street, month.a, "street", 70)
    for_b = month.score(month.community, month.b, "community", 60)
    for answer in (community_first, community_again, street, for_b):
        assert answer.status_code == 201, answer.text
    month.position = max(month.position, for_b.json()["position"])

    response = month.assessment(month.city)

    assert response.status_code == 200, response.text
    table = response.json()
    assert (table["working_days"], table["working_minutes"]) == (21, WORKING_MINUTES)
    assert table["floor"] == 0.5
    rows = {row["worker"]: row for row in table["rows"]}
    a, b = rows[month.a], rows[month.b]
    assert (a["name"], a["visit_count"], a["visit_minutes"]) == ("网格员 考核甲", 6, 5400)
    assert a["grid_time_share"] == pytest.approx(5400 / 10080)
    assert (a["meets_floor"], a["grid_time_score"]) == (True, 100)
    assert a["valid_callbacks"] == 5
    assert (a["response_rate"], a["resolution_rate"], a["satisfaction_rate"]) == (
        pytest.approx(0.8),
        pytest.approx(0.8),
        pytest.approx(0.8),
    )
    assert a["residents_score"] == pytest.approx(80)
    assert (a["community_score"], a["street_score"]) == (85, 70)
    assert a["community_scored_by"] == month.community_id
    assert a["total"] == pytest.approx(85)
    assert (b["visit_minutes"], b["grid_time_share"], b["meets_floor"]) == (2520, 0.25, False)
    assert b["grid_time_score"] == pytest.approx(50)
    assert (b["residents_score"], b["community_score"], b["street_score"]) == (None, 60, None)
    assert b["total"] is None
    only_a = month.assessment(month.community, worker=month.a).json()["rows"]
    assert [row["worker"] for row in only_a] == [month.a]
    assert only_a[0]["total"] == pytest.approx(85)


def test_a_later_score_replaces_the_earlier_and_both_stay_in_the_history(month: Month) -> None:
    month.score(month.community, month.a, "community", 90)

    answer = month.score(month.community, month.a, "community", 85)

    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["scores"]["community"]["score"] == 85
    assert body["scores"]["community"]["scored_by"] == month.community_id
    scored = [e for e in body["history"] if e["type"] == "Scored"]
    assert [(e["data"]["party"], e["data"]["score"]) for e in scored][-2:] == [
        ("community", 90),
        ("community", 85),
    ]
    assert scored[-1]["data"]["previous_score"] == 90
    assert scored[-1]["actor"] == {
        "id": month.community_id,
        "role": "supervisor",
        "name": "书记 考核月",
    }


def test_only_a_supervisor_of_the_partys_level_and_the_workers_area_scores(
    month: Month,
) -> None:
    by_the_worker = month.score(month.as_a, month.a, "community", 100)
    community_as_street = month.score(month.community, month.a, "street", 80)
    street_as_community = month.score(month.street, month.a, "community", 80)
    city_wide = month.score(month.city, month.a, "community", 80)
    another_community = month.score(month.elsewhere, month.a, "community", 80)
    too_high = month.score(month.community, month.a, "community", 101)
    not_a_worker = month.score(month.community, month.clerk_user, "community", 80)

    assert by_the_worker.status_code == 403
    assert by_the_worker.json()["code"] == "forbidden"
    for refused in (community_as_street, street_as_community, city_wide, another_community):
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "not_the_scoring_level"
    assert too_high.status_code == 422
    assert not_a_worker.status_code == 404
    assert not_a_worker.json()["code"] == "unknown_worker"


def test_a_supervisor_of_another_area_sees_none_of_these_workers(month: Month) -> None:
    rows = month.assessment(month.elsewhere).json()["rows"]
    assert {month.a, month.b}.isdisjoint(row["worker"] for row in rows)
    street_rows = month.assessment(month.street).json()["rows"]
    assert {month.a, month.b} <= {row["worker"] for row in street_rows}


@pytest.mark.parametrize("ask", ["format", "accept"])
def test_the_assessment_opens_as_a_workbook_with_chinese_headings(month: Month, ask: str) -> None:
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    params = {"month": "2026-08", "worker": month.a}
    headers = dict(month.city)
    if ask == "format":
        params["format"] = "xlsx"
    else:
        headers["Accept"] = xlsx
    response = month.client.get("/reports/assessment", params=params, headers=headers)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == xlsx
    assert "3456" in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["3456考核"]
    headings, line = list(book["3456考核"].iter_rows(values_only=True))
    assert headings[:8] == (
        "社工代码",
        "姓名",
        "走访次数",
        "走访时长（分钟）",
        "工作时长（分钟）",
        "在格时间占比",
        "达到下限",
        "在格得分",
    )
    assert headings[-4:] == ("群众评价得分", "社区评分", "街道评分", "总分")
    assert line[:3] == (month.a, "网格员 考核甲", 6)
    assert line[6] == "是"


def test_a_workers_month_is_no_case(month: Month) -> None:
    month_id = worker_month_id(month.a, "2026-08")
    month.score(month.community, month.a, "community", 85)

    assert month.client.get(f"/cases/{month_id}", headers=month.city).status_code == 404
    history = month.client.get(f"/cases/{month_id}/history", headers=month.city)
    assert history.status_code == 404
    visit = month.client.post(
        f"/cases/{month_id}/urge", json={"message": "催办"}, headers=month.city
    )
    assert visit.status_code == 404
