"""Open311 GeoReport v2: another system files a matter by form POST and follows it."""

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
import xmltodict
from fastapi.testclient import TestClient
from georeport import GeoReport

from api.main import create_app
from domain.vocabulary import Role
from infra.bootstrap import Services
from tests.helpers import visit_body
from tests.integration.conftest import Api, People

V2 = "/open311/v2"
PERSONAL = ("李秀英", "13812345678", "3号楼2单元301", "王强")


@pytest.fixture(scope="module")
def api_key(services: Services) -> str:
    _user, token = services.users.add("12345 热线平台", Role.CLIENT, "tiansheng")
    return token


def file(client: TestClient, api_key: str, suffix: str = ".json", **fields: str) -> Any:
    form = {
        "api_key": api_key,
        "service_code": "resident_request.help",
        "description": "3号楼2单元楼道灯不亮\n老人夜间上下楼不便",
        "first_name": "秀英",
        "last_name": "李",
        "phone": "13812345678",
        "address_string": "天胜社区3号楼2单元301",
        "attribute[grid_id]": "tiansheng-01",
        **fields,
    }
    return client.post(f"{V2}/requests{suffix}", data=form)


def no_personal_data(text: str) -> None:
    for value in PERSONAL:
        assert value not in text


def test_a_request_filed_by_form_is_a_case_and_reads_back_without_personal_data(
    client: TestClient, api_key: str, as_supervisor: Api
) -> None:
    filed = file(client, api_key)
    assert filed.status_code == 201, filed.text
    [answer] = filed.json()
    request_id = answer["service_request_id"]

    case = as_supervisor.get(f"/cases/{request_id}").json()
    assert case["channel"] == "api"
    assert case["title"] == "3号楼2单元楼道灯不亮"
    assert case["resident"]["name"] == "李秀英"

    one = client.get(f"{V2}/requests/{request_id}.json", params={"api_key": api_key})
    assert one.status_code == 200, one.text
    [read] = one.json()
    assert read["status"] == "open"
    assert read["service_code"] == "resident_request.help"
    assert read["service_name"] == "居民诉求·求助"
    assert read["agency_responsible"] == "天胜社区"
    assert read["expected_datetime"] == case["due_at"]
    no_personal_data(one.text)

    listed = client.get(
        f"{V2}/requests.json",
        params={"api_key": api_key},
        headers={"X-Min-Position": filed.headers["X-Position"]},
    )
    assert listed.status_code == 200, listed.text
    assert request_id in [r["service_request_id"] for r in listed.json()]
    no_personal_data(listed.text)


def test_a_closed_request_is_closed_with_the_handlers_summary(
    client: TestClient, api_key: str, as_clerk: Api, as_worker: Api, people: People
) -> None:
    request_id = file(client, api_key).json()[0]["service_request_id"]
    as_clerk.command(request_id, "assign", {"assignee": people.worker.id})
    as_worker.command(request_id, "visits", visit_body())
    closed = as_worker.command(request_id, "close", {"resolution": "resolved", "summary": "已修好"})
    assert closed.status_code == 200, closed.text

    [read] = client.get(f"{V2}/requests/{request_id}", params={"api_key": api_key}).json()
    assert read["status"] == "closed"
    assert read["status_notes"] == "已修好"
    listed = client.get(
        f"{V2}/requests.json",
        params={"api_key": api_key, "status": "closed"},
        headers={"X-Min-Position": str(closed.json()["position"])},
    ).json()
    assert [r["status_notes"] for r in listed if r["service_request_id"] == request_id] == [
        "已修好"
    ]
    assert all(r["status"] == "closed" for r in listed)


def test_a_dispute_takes_the_other_party_as_an_attribute(
    client: TestClient, api_key: str, as_supervisor: Api
) -> None:
    filed = file(
        client, api_key, service_code="dispute.neighbour", **{"attribute[other_party]": "王强"}
    )
    assert filed.status_code == 201, filed.text
    case = as_supervisor.get(f"/cases/{filed.json()[0]['service_request_id']}").json()
    assert [p["name"] for p in case["parties"]] == ["李秀英", "王强"]

    missing = file(client, api_key, service_code="dispute.neighbour")
    assert missing.status_code == 400
    assert "attribute[other_party]" in missing.json()[0]["description"]


def test_errors_are_the_specs_list_of_code_and_description(
    client: TestClient, api_key: str, people: People
) -> None:
    bad_key = file(client, "not-a-token")
    assert bad_key.status_code == 403
    assert bad_key.json() == [{"code": 403, "description": bad_key.json()[0]["description"]}]
    assert file(client, people.clerk.token).status_code == 403  # staff are not client systems

    unknown = file(client, api_key, service_code="resident_request.nothing")
    assert unknown.status_code == 400
    [error] = unknown.json()
    assert error["code"] == 400
    assert "service_code" in error["description"]

    no_grid = file(client, api_key, **{"attribute[grid_id]": "nowhere-01"})
    assert no_grid.status_code == 400
    assert "nowhere-01" in no_grid.json()[0]["description"]

    unknown_id = client.get(
        f"{V2}/requests/00000000-0000-0000-0000-000000000000.json", params={"api_key": api_key}
    )
    assert unknown_id.status_code == 404
    assert unknown_id.json()[0]["code"] == 404

    xml = client.get(f"{V2}/requests.xml", params={"api_key": "nope"})
    assert xml.status_code == 403
    assert xmltodict.parse(xml.content)["errors"]["error"]["code"] == "403"

    # Elsewhere, problems stay problem details.
    assert client.get("/cases/nope", headers=people.clerk.auth).json()["code"] != 400


def test_another_systems_requests_are_not_disclosed(
    client: TestClient, api_key: str, services: Services
) -> None:
    request_id = file(client, api_key).json()[0]["service_request_id"]
    _user, other_key = services.users.add("别的系统", Role.CLIENT, "tiansheng")
    answer = client.get(f"{V2}/requests/{request_id}.json", params={"api_key": other_key})
    assert answer.status_code == 404
    listed = client.get(f"{V2}/requests.json", params={"api_key": other_key})
    assert listed.json() == []


def test_xml_answers_parse_with_the_specs_element_names(client: TestClient, api_key: str) -> None:
    services = xmltodict.parse(client.get(f"{V2}/services.xml").content)["services"]["service"]
    assert {"service_code": "dispute.neighbour", "group": "矛盾纠纷"}.items() <= {
        s["service_code"]: s for s in services
    }["dispute.neighbour"].items()
    definition = xmltodict.parse(client.get(f"{V2}/services/dispute.neighbour.xml").content)
    codes = [a["code"] for a in definition["service_definition"]["attributes"]["attribute"]]
    assert codes == ["grid_id", "other_party"]
    filed = xmltodict.parse(file(client, api_key, suffix=".xml").content)
    request_id = filed["service_requests"]["request"]["service_request_id"]
    read = client.get(f"{V2}/requests/{request_id}.xml", params={"api_key": api_key})
    assert xmltodict.parse(read.content)["service_requests"]["request"]["status"] == "open"
    discovery = xmltodict.parse(client.get(f"{V2}/discovery.xml").content)["discovery"]
    assert discovery["endpoints"]["endpoint"]["url"].endswith(V2)


@pytest.fixture(scope="module")
def served(services: Services) -> Iterator[str]:
    """The service on a real port, for a client library that makes its own HTTP requests."""
    server = uvicorn.Server(uvicorn.Config(create_app(services), port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    thread.join()


def test_the_georeport_client_library_reads_services_and_requests(
    client: TestClient, api_key: str, served: str
) -> None:
    request_id = file(client, api_key).json()[0]["service_request_id"]
    # georeport sends no api_key on reads: it goes in the URL, as HTTP Basic auth.
    for output_format in ("json", "xml"):
        library = GeoReport(f"http://client:{api_key}@{served}{V2}", output_format=output_format)
        codes = [s["service_code"] for s in library.get_service_list()]
        assert "resident_request.help" in codes
        definition = library.get_service_definition("dispute.family")
        assert definition["service_code"] == "dispute.family"
        read = library.get_service_request(request_id)
        assert read["service_request_id"] == request_id
        assert read["status"] == "open"
