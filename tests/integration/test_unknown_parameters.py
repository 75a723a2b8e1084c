"""A query parameter a route does not know is refused, never silently ignored."""

import pytest

from tests.integration.conftest import Api
from tests.integration.test_errors import assert_problem


@pytest.mark.parametrize(
    ("path", "params", "unknown"),
    [
        ("/cases", {"phone": "13812345678"}, ["phone"]),
        ("/cases", {"search": "楼道灯", "grid_id": "tiansheng-01"}, ["search"]),
        ("/cases", {"gird_id": "tiansheng-01", "stauts": "closed"}, ["gird_id", "stauts"]),
        ("/dashboard/summary", {"grid": "tiansheng-01"}, ["grid"]),
        ("/reports/compliance", {"from": "2026-11-01", "to": "2026-11-30", "by": "x"}, ["by"]),
    ],
)
def test_an_unknown_query_parameter_is_422_naming_it(
    as_supervisor: Api, path: str, params: dict[str, str], unknown: list[str]
) -> None:
    body = assert_problem(as_supervisor.get(path, **params), 422, "unknown_parameter")
    assert [e["loc"] for e in body["errors"]] == [["query", name] for name in unknown]
    assert "grid_id" in body["errors"][0]["message"] or path != "/cases"


def test_known_parameters_still_filter(as_supervisor: Api) -> None:
    response = as_supervisor.get("/cases", grid_id="tiansheng-01", status="received", limit=5)
    assert response.status_code == 200, response.text
    assert all(row["grid_id"] == "tiansheng-01" for row in response.json()["items"])


def test_a_case_read_refuses_an_unknown_parameter(as_supervisor: Api) -> None:
    response = as_supervisor.get("/cases/7b0c1a56-3e51-4a8e-9b0a-6f6a3e2d9c10", versoin="2")
    assert_problem(response, 422, "unknown_parameter")
