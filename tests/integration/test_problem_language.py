"""Problems read as plain Chinese for a caller who prefers it, as plain English otherwise, and
each problem's ``type`` is a page of the service that explains it."""

import re
from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from tests.helpers import intake
from tests.integration.conftest import People

CHINESE = re.compile(r"[\u4e00-\u9fff]")
# What a person must never be shown: pydantic's wording, an enum's repr, a regex.
DEVELOPER_TEXT = re.compile(r"Input should|Value error|<[A-Z]\w*\.|Level\.|\[0-9|\\d|\{\d+,|\^|\$'")
ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}

Send = Callable[[dict[str, str]], Any]


@pytest.fixture(scope="module")
def hostile(client: TestClient, people: People) -> dict[str, tuple[Send, str]]:
    """Each hostile request, sent with the given headers, and a hint of the valid form its
    Chinese problem must give."""
    clerk, worker = people.clerk.auth, people.worker.auth

    def post(path: str, body: Any, auth: dict[str, str]) -> Send:
        return lambda headers: client.post(path, json=body, headers={**auth, **headers})

    def get(path: str, auth: dict[str, str]) -> Send:
        return lambda headers: client.get(path, headers={**auth, **headers})

    filed = client.post("/cases", json=intake(), headers=clerk).json()
    assigned = client.post("/cases", json=intake(), headers=clerk).json()
    answer = client.post(
        f"/cases/{assigned['id']}/assign", json={"assignee": people.worker.id}, headers=clerk
    )
    assert answer.status_code == 200, answer.text
    resident = {"name": "李秀英", "phone": "12 34"}
    return {
        "NUL in a title": (post("/cases", intake(title="楼道\x00灯"), clerk), "控制字符"),
        "a 10 MB title": (post("/cases", intake(title="灯" * 10_000_000), clerk), "200"),
        "a 4-digit phone": (post("/cases", intake(resident=resident), clerk), "13812345678"),
        "received in year 1": (
            post("/cases", intake(received_at="0001-01-01T10:00:00+08:00"), clerk),
            "2000-01-01",
        ),
        "received in year 9999": (
            post("/cases", intake(received_at="9999-12-31T23:59:59Z"), clerk),
            "2000-01-01",
        ),
        "an unknown level": (
            post(f"/cases/{assigned['id']}/escalate", {"level": "county", "reason": "x"}, worker),
            "community, street",
        ),
        "an unknown channel": (post("/cases", intake(channel="pigeon"), clerk), "hotline"),
        "a huge min_position": (get("/cases?min_position=" + "9" * 30, clerk), "9"),
        "an unknown query parameter": (get("/cases?colour=red", clerk), "grid_id"),
        "an unknown case": (get(f"/cases/{uuid4()}", clerk), "编号"),
        "closing without assignee": (
            post(
                f"/cases/{filed['id']}/close", {"resolution": "resolved", "summary": "好"}, worker
            ),
            "指派",
        ),
        "a stale If-Match": (
            post(f"/cases/{assigned['id']}/visits", _visit(), {**worker, "If-Match": '"1"'}),
            "If-Match",
        ),
        "no token": (get("/cases", {}), "Authorization"),
        "a grid id with spaces": (post("/cases", intake(grid_id="天胜 一"), clerk), "tiansheng-01"),
    }


def _visit() -> dict[str, Any]:
    return {"visited_at": "2026-01-05T10:00:00+08:00", "duration_minutes": 30, "notes": "上门"}


CASES = [
    "NUL in a title",
    "a 10 MB title",
    "a 4-digit phone",
    "received in year 1",
    "received in year 9999",
    "an unknown level",
    "an unknown channel",
    "a huge min_position",
    "an unknown query parameter",
    "an unknown case",
    "closing without assignee",
    "a stale If-Match",
    "no token",
    "a grid id with spaces",
]


def _texts(problem: dict[str, Any]) -> list[str]:
    return [problem["title"], problem["detail"], *(e["message"] for e in problem.get("errors", []))]


@pytest.mark.parametrize("name", CASES)
def test_a_hostile_request_gets_a_chinese_problem_with_the_valid_form(
    hostile: dict[str, tuple[Send, str]], name: str
) -> None:
    send, hint = hostile[name]
    response = send(ZH)
    assert response.status_code >= 400, response.text
    assert response.headers["content-language"] == "zh-CN"
    problem = response.json()
    for text in _texts(problem):
        assert CHINESE.search(text), (name, text)
        assert not DEVELOPER_TEXT.search(text), (name, text)
        assert "<" not in text, (name, text)
    told = " ".join([problem["detail"], *(e["message"] for e in problem.get("errors", []))])
    assert hint in told, (name, problem)


@pytest.mark.parametrize("name", CASES)
def test_the_same_request_reads_as_plain_english_by_default(
    hostile: dict[str, tuple[Send, str]], name: str
) -> None:
    send, _hint = hostile[name]
    for headers in ({}, EN, {"Accept-Language": "fr-FR"}):
        response = send(headers)
        assert response.headers["content-language"] == "en"
        problem = response.json()
        assert not CHINESE.search(problem["title"]), (name, problem)
        for text in _texts(problem):
            assert not DEVELOPER_TEXT.search(text), (name, text)


@pytest.mark.parametrize("name", CASES)
def test_each_problem_type_is_a_page_that_explains_it(
    client: TestClient, hostile: dict[str, tuple[Send, str]], name: str
) -> None:
    send, _hint = hostile[name]
    problem = send(ZH).json()
    assert problem["type"] == f"/problems/{problem['code']}"
    page = client.get(problem["type"], headers=ZH)  # no token: anyone may read it
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "如何解决" in page.text and problem["title"] in page.text
    english = client.get(problem["type"], headers=EN)
    assert "How to fix it" in english.text and f"HTTP {problem['status']}" in english.text


def test_a_clerk_refused_reports_reads_as_a_sentence(client: TestClient, people: People) -> None:
    params = {"from": "2026-11-01", "to": "2026-11-30"}
    english = client.get("/reports/compliance", params=params, headers=people.clerk.auth)
    assert english.status_code == 403
    assert english.json()["detail"] == "the role clerk may not read reports"
    chinese = client.get(
        "/reports/compliance", params=params, headers={**people.clerk.auth, **ZH}
    ).json()
    assert chinese["detail"] == "窗口受理员无权查看统计报表"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("zh", "zh-CN"),
        ("zh-Hans-CN", "zh-CN"),
        ("zh-TW", "zh-CN"),
        ("fr, zh;q=0.5", "zh-CN"),
        ("en, zh;q=0.5", "en"),
        ("zh;q=0.1, en;q=0.9", "en"),
        ("de", "en"),
        ("", "en"),
        ("zh;q=nonsense, en", "en"),
    ],
)
def test_the_language_follows_accept_language(
    client: TestClient, header: str, language: str
) -> None:
    response = client.get("/cases", headers={"Accept-Language": header})
    assert response.status_code == 401
    assert response.headers["content-language"] == language


def test_the_pages_answer_in_the_language_asked_for(client: TestClient) -> None:
    assert "How to fix it" in client.get("/problems/no_assignee?lang=en").text
    assert "如何解决" in client.get("/problems/no_assignee?lang=zh-CN").text
    # A page is for a person at the service: Chinese unless asked otherwise.
    assert "如何解决" in client.get("/problems/no_assignee").text
    index = client.get("/problems", headers=EN)
    assert index.status_code == 200 and 'href="/problems/no_assignee"' in index.text


def test_an_unknown_problem_code_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/problems/no_such_thing", headers=ZH)
    assert response.status_code == 404
    problem = response.json()
    assert problem["code"] == "not_found" and CHINESE.search(problem["detail"])


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_every_code_the_service_may_answer_has_its_page(client: TestClient, lang: str) -> None:
    from api.i18n.problem_types import problem_types

    codes = list(problem_types())
    assert {"validation_error", "no_assignee", "concurrent_modification"} <= set(codes)
    index = client.get("/problems", params={"lang": lang})
    for code in codes:
        assert f'href="/problems/{code}"' in index.text
        page = client.get(f"/problems/{code}", params={"lang": lang})
        assert page.status_code == 200, code
        assert page.headers["content-language"] == lang
