"""Text search over titles and descriptions, and the list exported as a file, in the area only."""

import csv
import io
import uuid
from datetime import UTC, datetime
from urllib.parse import quote
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from infra.areas import AreaFile, Community, Grid, Street
from infra.bootstrap import Services
from projections.case_list.queries import CaseFilter, list_cases
from projections.case_list.search import query_terms
from tests.helpers import intake
from tests.integration.conftest import Api
from tests.integration.test_errors import assert_problem


@pytest.fixture(scope="module")
def tag() -> str:
    """A word no other test writes, so that searches see this module's cases only."""
    return f"tag{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def filed(client: TestClient, services: Services, tag: str) -> dict[str, str]:
    services.areas.load(
        AreaFile(
            streets=[Street(id="wenmiao", name="文庙街道")],
            communities=[Community(id="xinghua", name="兴华社区", street_id="wenmiao")],
            grids=[Grid(id="xinghua-01", name="兴华社区第一网格", community_id="xinghua")],
        )
    )
    _, token = services.users.add("全市受理 搜索", "clerk", None)
    auth = {"Authorization": f"Bearer {token}"}
    bodies = {
        "lift": intake(title=f"电梯异响 {tag}", description="5号楼电梯运行时有异响，居民担心安全"),
        "lamp": intake(title=f"楼道灯坏了 {tag}", description="3号楼2单元楼道灯不亮"),
        "far": intake(
            grid_id="xinghua-01", title=f"电梯停运 {tag}", description="兴华小区电梯停运三天"
        ),
    }
    ids = {}
    for name, body in bodies.items():
        response = client.post("/cases", json=body, headers=auth)
        assert response.status_code == 201, response.text
        ids[name] = response.json()["id"]
        position = response.json()["position"]
    assert client.get(f"/cases?min_position={position}&limit=1", headers=auth).status_code == 200
    return ids


def found(api: Api, **params: str) -> set[str]:
    response = api.get("/cases", **params)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == len(page["items"])
    return {item["id"] for item in page["items"]}


def test_search_finds_chinese_words_in_titles_and_descriptions_within_the_area(
    as_supervisor: Api, filed: dict[str, str], tag: str
) -> None:
    # The supervisor's area is community tiansheng: the case in xinghua is never found.
    assert found(as_supervisor, q=f"电梯 {tag}") == {filed["lift"]}
    assert found(as_supervisor, q=f"异响 {tag}") == {filed["lift"]}
    assert found(as_supervisor, q=f"居民担心安全 {tag}") == {filed["lift"]}  # description
    assert found(as_supervisor, q=f"楼道灯 {tag}") == {filed["lamp"]}
    assert found(as_supervisor, q=f"楼 {tag}") == {filed["lift"], filed["lamp"]}
    assert found(as_supervisor, q=tag[:6]) >= {filed["lift"], filed["lamp"]}  # a prefix
    assert found(as_supervisor, q=f"停运 {tag}") == set()
    assert found(as_supervisor, q=f"电灯 {tag}") == set()  # both characters, not the pair


def test_search_combines_with_the_other_filters(
    as_supervisor: Api, filed: dict[str, str], tag: str
) -> None:
    assert found(as_supervisor, q=tag, grid_id="tiansheng-01", status="received") == {
        filed["lift"],
        filed["lamp"],
    }
    assert found(as_supervisor, q=tag, grid_id="tiansheng-02") == set()


def test_a_query_without_a_character_to_search_is_422(as_supervisor: Api) -> None:
    body = assert_problem(as_supervisor.get("/cases", q="，。！"), 422, "empty_query")
    assert body["errors"][0]["loc"] == ["query", "q"]
    assert_problem(as_supervisor.get("/cases", q="字" * 101), 422, "validation_error")


def test_the_filtered_list_exports_as_csv_and_xlsx_with_chinese_headings(
    as_supervisor: Api, filed: dict[str, str], tag: str
) -> None:
    response = as_supervisor.get("/cases", q=tag, sort="received_at", format="csv")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert quote("案件列表_") in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["案件编号", "类型", "类别", "渠道", "标题"]
    assert [row[0] for row in rows[1:]] == [filed["lift"], filed["lamp"]]  # not the far one
    assert rows[1][4] == f"电梯异响 {tag}"

    response = as_supervisor.client.get(
        "/cases",
        params={"q": tag},
        headers={
            **as_supervisor.person.auth,
            "Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        },
    )
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "案件列表"
    assert sheet["A1"].value == "案件编号"
    assert {sheet.cell(row, 1).value for row in range(2, sheet.max_row + 1)} == {
        filed["lift"],
        filed["lamp"],
    }


def test_a_text_search_pages_through_every_match_once(
    as_supervisor: Api, filed: dict[str, str], tag: str
) -> None:
    first = as_supervisor.get("/cases", q=tag, limit=1).json()
    assert first["total"] == 2 and not first["total_capped"]
    second = as_supervisor.get("/cases", q=tag, limit=1, after=first["next_cursor"]).json()
    assert second["next_cursor"] is None
    assert {first["items"][0]["id"], second["items"][0]["id"]} == {filed["lift"], filed["lamp"]}


@pytest.mark.parametrize("window", [1, 2, 4000])
def test_common_and_rare_words_find_the_same_page_whichever_way_is_taken(
    services: Services, filed: dict[str, str], tag: str, window: int
) -> None:
    """A window of the newest cases answers common words; rarer ones go to the text index
    (a window of 1 or 2 holds no page of this module's cases among all the suite's)."""
    reach = CaseFilter(within_grids=["tiansheng-01"], text=query_terms(f"楼 {tag}"))
    with services.pool.connection() as conn:
        page = list_cases(conn, reach, now=datetime.now(UTC), limit=5, text_window=window)
    assert [row["id"] for row in page.items] == [UUID(filed["lamp"]), UUID(filed["lift"])]
    assert page.total == 2
