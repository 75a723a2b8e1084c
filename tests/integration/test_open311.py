"""Open311 GeoReport v2: another system files a matter by form POST and follows it."""

import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
import uvicorn
import xmltodict
from fastapi.testclient import TestClient
from georeport import GeoReport
from jsonschema import Draft202012Validator

from api.main import create_app
from domain.vocabulary import Role
from infra.bootstrap import Services
from infra.places import SAMPLE_FILE as SAMPLE_PLACES
from infra.places import read_places_file
from tests.helpers import visit_body
from tests.integration.conftest import Api, People

V2 = "/open311/v2"
PERSONAL = ("李秀英", "13812345678", "3号楼2单元301", "王强")
SCHEMAS = Path(__file__).parents[1] / "open311_schemas"  # our own; see its README.md
VALIDATORS = {
    path.stem: Draft202012Validator(json.loads(path.read_text(encoding="utf-8")))
    for path in SCHEMAS.glob("*.json")
}


def schema_of(method: str, path: str, status: int) -> str:
    """The schema an answer of the Open311 paths must meet, by its path and status."""
    if status >= 400:
        return "errors"
    name = path.removeprefix(V2 + "/").removesuffix(".json")
    if name == "requests":
        return "posted" if method == "POST" else "requests"
    if name.startswith("requests/"):
        return "requests"
    if name.startswith("services/"):
        return "service-definition"
    return {"servicerequestupdates": "updates"}.get(name, name)


def validate_answer(response: httpx2.Response) -> None:
    path = response.request.url.path
    if not path.startswith(V2) or not response.headers.get("content-type", "").startswith(
        "application/json"
    ):
        return  # XML answers: checked for the spec's element names below
    response.read()
    schema = schema_of(response.request.method, path, response.status_code)
    VALIDATORS[schema].validate(response.json())


@pytest.fixture(scope="module", autouse=True)
def every_answer_is_validated(client: TestClient) -> Iterator[None]:
    """Every JSON answer of /open311/v2 in this module meets its JSON Schema."""
    hooks = client.event_hooks
    client.event_hooks = {**hooks, "response": [*hooks["response"], validate_answer]}
    yield
    client.event_hooks = hooks


@pytest.fixture(scope="module")
def places(services: Services) -> None:
    """The sample grids' places (infra/sample_places.json), as an administrator loads them."""
    services.places.load(read_places_file(SAMPLE_PLACES))


def new_client_system(services: Services, name: str) -> tuple[str, str]:
    """(user id, api_key) of a client system of its own, whose requests no other test files."""
    user, token = services.users.add(name, Role.CLIENT, "tiansheng")
    return str(user.id), token


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


def test_discovery_services_and_every_definition_answer_json(client: TestClient) -> None:
    discovery = client.get(f"{V2}/discovery.json")
    assert discovery.json()["endpoints"][0]["formats"] == ["application/json", "text/xml"]
    services = client.get(f"{V2}/services.json").json()
    assert len(services) == 12
    for service in services:
        code = service["service_code"]
        definition = client.get(f"{V2}/services/{code}.json")
        assert definition.status_code == 200, definition.text
        assert definition.json()["service_code"] == code


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


def test_requests_come_newest_first_a_page_at_a_time(
    client: TestClient, services: Services
) -> None:
    _user_id, key = new_client_system(services, "分页的系统")
    filed = [file(client, key) for _ in range(3)]
    ids = [answer.json()[0]["service_request_id"] for answer in filed]
    caught_up = {"X-Min-Position": filed[-1].headers["X-Position"]}

    def page(number: int) -> list[str]:
        answer = client.get(
            f"{V2}/requests.json",
            params={"api_key": key, "page_size": 2, "page": number},
            headers=caught_up,
        )
        assert answer.status_code == 200, answer.text
        return [r["service_request_id"] for r in answer.json()]

    assert (page(1), page(2), page(3)) == (ids[::-1][:2], [ids[0]], [])
    too_far = client.get(
        f"{V2}/requests.json", params={"api_key": key, "page": 11, "page_size": 1000}
    )
    assert too_far.status_code == 400
    assert "page" in too_far.json()[0]["description"]


def test_the_feed_tells_each_status_change_of_the_clients_requests(
    client: TestClient,
    services: Services,
    as_clerk: Api,
    as_worker: Api,
    as_supervisor: Api,
    people: People,
) -> None:
    _user_id, key = new_client_system(services, "跟进的系统")
    request_id = file(client, key).json()[0]["service_request_id"]
    as_clerk.command(request_id, "assign", {"assignee": people.worker.id})
    as_worker.command(request_id, "visits", visit_body())
    as_worker.command(request_id, "close", {"resolution": "resolved", "summary": "已修好"})
    reopened = as_supervisor.command(request_id, "reopen", {"reason": "居民说灯又坏了"})
    assert reopened.status_code == 200, reopened.text
    caught_up = {"X-Min-Position": str(reopened.json()["position"])}

    feed = client.get(
        f"{V2}/servicerequestupdates.json", params={"api_key": key}, headers=caught_up
    )
    assert feed.status_code == 200, feed.text
    updates = feed.json()
    assert [(u["service_request_id"], u["status"], u["description"]) for u in updates] == [
        (request_id, "open", "已派单，待网格员办理"),
        (request_id, "open", "正在办理"),
        (request_id, "closed", "已办结：已修好"),
        (request_id, "open", "重新办理：已派单，待网格员办理"),
    ]
    assert [u["external_status_code"] for u in updates] == [
        "assigned",
        "in_progress",
        "closed",
        "assigned",
    ]
    assert len({u["update_id"] for u in updates}) == 4
    times = [datetime.fromisoformat(u["updated_datetime"]) for u in updates]
    assert times == sorted(times)
    no_personal_data(feed.text)
    assert "居民说灯又坏了" not in feed.text  # a supervisor's reason is not a status note

    since_closure = client.get(
        f"{V2}/servicerequestupdates.json",
        params={"api_key": key, "start_date": updates[2]["updated_datetime"]},
    ).json()
    assert [u["update_id"] for u in since_closure] == [u["update_id"] for u in updates[2:]]
    second_page = client.get(
        f"{V2}/servicerequestupdates.json", params={"api_key": key, "page_size": 3, "page": 2}
    ).json()
    assert [u["update_id"] for u in second_page] == [updates[3]["update_id"]]

    xml = xmltodict.parse(
        client.get(f"{V2}/servicerequestupdates.xml", params={"api_key": key}).content,
        force_list=("request_update",),
    )
    assert [u["update_id"] for u in xml["service_request_updates"]["request_update"]] == [
        u["update_id"] for u in updates
    ]
    _other, other_key = new_client_system(services, "别人的系统")
    assert client.get(f"{V2}/servicerequestupdates", params={"api_key": other_key}).json() == []
    no_key = client.get(f"{V2}/servicerequestupdates.json")
    assert no_key.status_code == 403


def grid_of(as_supervisor: Api, filed: Any) -> str:
    assert filed.status_code == 201, filed.text
    case = as_supervisor.get(f"/cases/{filed.json()[0]['service_request_id']}").json()
    grid: str = case["grid_id"]
    return grid


@pytest.mark.usefixtures("places")
def test_without_a_grid_the_address_or_the_point_gives_it(
    client: TestClient, api_key: str, as_supervisor: Api
) -> None:
    no_grid = {"attribute[grid_id]": ""}
    by_address = file(client, api_key, **no_grid, address_string="天胜社区5号楼2单元301")
    assert grid_of(as_supervisor, by_address) == "tiansheng-02"
    # The point wins over an address that names no grid.
    by_point = file(
        client, api_key, **no_grid, address_string="天胜社区", lat="30.657", long="104.068"
    )
    assert grid_of(as_supervisor, by_point) == "tiansheng-04"
    # A point outside every boundary falls back on the address.
    outside = file(client, api_key, **no_grid, lat="31.2", long="121.5")
    assert grid_of(as_supervisor, outside) == "tiansheng-01"  # 天胜社区3号楼...
    given = file(client, api_key, address_string="天胜社区5号楼")  # attribute[grid_id] wins
    assert grid_of(as_supervisor, given) == "tiansheng-01"

    definition = client.get(f"{V2}/services/resident_request.help.json").json()
    assert [a["required"] for a in definition["attributes"] if a["code"] == "grid_id"] == [False]


@pytest.mark.usefixtures("places")
def test_an_address_or_point_that_names_no_single_grid_is_the_specs_400(
    client: TestClient, api_key: str
) -> None:
    no_grid = {"attribute[grid_id]": ""}
    nowhere = file(client, api_key, **no_grid, address_string="天胜社区13号楼")
    assert nowhere.status_code == 400
    [error] = nowhere.json()
    assert error["description"] == (
        "no grid for this request: address_string matches no grid; send attribute[grid_id]"
    )
    both = file(client, api_key, **no_grid, address_string="文庙西街天胜小学旁")
    assert both.status_code == 400
    assert "tiansheng-01, tiansheng-02 equally" in both.json()[0]["description"]
    half = file(client, api_key, **no_grid, lat="30.657")
    assert half.status_code == 400
    assert "lat and long" in half.json()[0]["description"]
    off_the_map = file(client, api_key, **no_grid, lat="130", long="104.068")
    assert off_the_map.status_code == 400
    assert "lat" in off_the_map.json()[0]["description"]


def report_row(as_supervisor: Api, day: str, position: int) -> dict[str, Any]:
    report = as_supervisor.get(
        "/reports/compliance",
        **{"from": day, "to": day, "group_by": "grid", "min_position": position},
    )
    assert report.status_code == 200, report.text
    rows = [row for row in report.json()["rows"] if row["group"] == "tiansheng-03"]
    return rows[0] if rows else {"received": 0, "closed": 0}


def test_a_request_filed_over_open311_is_listed_and_counted_like_any_other(
    client: TestClient,
    services: Services,
    as_supervisor: Api,
    as_clerk: Api,
    as_worker: Api,
    people: People,
) -> None:
    user_id, key = new_client_system(services, "12345 另一条线")
    day = datetime.now(services.settings.zone).date().isoformat()
    before = report_row(as_supervisor, day, services.cases.recorder.max_notification_id() or 0)
    filed = file(client, key, **{"attribute[grid_id]": "tiansheng-03"})
    request_id = filed.json()[0]["service_request_id"]
    assert as_supervisor.get(f"/cases/{request_id}").json()["received_at"][:10] == day

    listed = as_supervisor.get(
        "/cases", first_contact=user_id, min_position=filed.headers["X-Position"]
    ).json()["items"]
    assert [(c["id"], c["channel"], c["grid_id"]) for c in listed] == [
        (request_id, "api", "tiansheng-03")
    ]
    received = report_row(as_supervisor, day, int(filed.headers["X-Position"]))
    assert received["received"] == before["received"] + 1

    as_clerk.command(request_id, "assign", {"assignee": people.worker.id})
    as_worker.command(request_id, "visits", visit_body())
    closed = as_worker.command(request_id, "close", {"resolution": "resolved", "summary": "好了"})
    after = report_row(as_supervisor, day, closed.json()["position"])
    assert after["closed"] == received["closed"] + 1
