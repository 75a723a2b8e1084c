"""Residents and reads within the caller's area: lookup, erasure, the erasure list and the read
log answer only about residents named in a case of the caller's area (as the one who came or
as a party), as if the others did not exist. And a retried intake brings no erased data back."""

from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from domain.vocabulary import Role
from infra.areas import AreaFile, Community, Grid, Street
from infra.bootstrap import Services
from infra.personal.crypto import phone_hash
from tests.helpers import intake
from tests.integration.conftest import Api, People, Person
from tests.integration.test_personal_data import new_person

FAR = "xinghua-01"  # a grid of another street, outside every tiansheng user's area


@pytest.fixture(scope="module")
def someone(services: Services, client: TestClient) -> Any:
    """A new user of a role and an area (None: the whole city), as an Api."""
    services.areas.load(
        AreaFile(
            streets=[Street(id="wenmiao", name="文庙街道")],
            communities=[Community(id="xinghua", name="兴华社区", street_id="wenmiao")],
            grids=[Grid(id=FAR, name="兴华社区第一网格", community_id="xinghua")],
        )
    )

    def make(role: Role, area: str | None) -> Api:
        user, token = services.users.add(f"范围 {role} {area}", role, area)
        return Api(client, Person(str(user.id), user.role, token))

    return make


def erase(api: Api, resident_id: str, position: int) -> Any:
    return api.client.delete(
        f"/residents/{resident_id}/personal-data",
        params={"min_position": position},
        headers=api.person.auth,
    )


def lookup(api: Api, phone: str, position: int) -> Any:
    answer = api.post("/residents/lookup", {"phone": phone}, **{"X-Min-Position": str(position)})
    assert answer.status_code == 200, answer.text
    return answer.json()


def far_resident(someone: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A person known only from a case in another street, filed by a city-wide clerk."""
    person = new_person()
    case = someone(Role.CLERK, None).new_case(intake(resident=person, grid_id=FAR))
    return person, case


def test_an_admin_erases_only_residents_named_in_a_case_of_their_area(
    someone: Any, as_clerk: Api
) -> None:
    person, far = far_resident(someone)
    rid = far["resident"]["resident_id"]
    here, there = someone(Role.ADMIN, "tiansheng"), someone(Role.ADMIN, "xinghua")

    refused = erase(here, rid, far["position"])
    assert refused.status_code == 404, refused.text
    assert refused.json()["code"] == "resident_not_found"
    city_clerk = someone(Role.CLERK, None)
    assert city_clerk.get(f"/cases/{far['id']}").json()["resident"]["name"] == person["name"]

    # A respondent named only as a party of a dispute here is a resident of this area.
    neighbour = new_person()
    dispute = as_clerk.new_case(
        intake(
            "dispute",
            resident=new_person(),
            parties=[
                {"name": "申请人", "phone": new_person()["phone"], "role": "applicant"},
                {"name": neighbour["name"], "phone": neighbour["phone"], "role": "respondent"},
            ],
        )
    )
    party = dispute["parties"][1]["resident_id"]
    assert erase(there, party, dispute["position"]).status_code == 404
    assert erase(here, party, dispute["position"]).status_code == 200
    assert erase(there, rid, far["position"]).status_code == 200


def test_a_lookup_finds_only_residents_named_in_a_case_of_the_callers_area(
    someone: Any, as_clerk: Api
) -> None:
    person, far = far_resident(someone)
    rid = far["resident"]["resident_id"]
    nobody = {"resident_id": None, "cases": [], "total": 0}

    for outsider in (
        as_clerk,
        someone(Role.ADMIN, "tiansheng"),
        someone(Role.WORKER, "tiansheng-01"),
    ):
        assert lookup(outsider, person["phone"], far["position"]) == nobody
    for insider in (someone(Role.CLERK, "xinghua"), someone(Role.SUPERVISOR, None)):
        found = lookup(insider, person["phone"], far["position"])
        assert found["resident_id"] == rid
        assert [c["id"] for c in found["cases"]] == [far["id"]]

    # Once they come to this area's window too, the clerk finds them and this area's case.
    here = as_clerk.new_case(intake(resident=person))
    found = lookup(as_clerk, person["phone"], here["position"])
    assert found["resident_id"] == rid
    assert [c["id"] for c in found["cases"]] == [here["id"]]


def test_auditors_read_the_read_log_and_erasures_of_their_own_area_only(
    someone: Any, people: People, as_clerk: Api
) -> None:
    person, far = far_resident(someone)
    rid = far["resident"]["resident_id"]
    city_clerk = someone(Role.CLERK, None)
    assert city_clerk.get(f"/cases/{far['id']}").status_code == 200
    assert lookup(city_clerk, person["phone"], far["position"])["resident_id"] == rid
    near = as_clerk.new_case(intake(resident=new_person()))
    assert as_clerk.get(f"/cases/{near['id']}").status_code == 200
    prober = someone(Role.CLERK, "tiansheng")
    assert lookup(prober, "13700000001", near["position"])["resident_id"] is None
    erased = erase(someone(Role.ADMIN, None), rid, far["position"])
    assert erased.status_code == 200

    def reads(auditor: Api) -> list[dict[str, Any]]:
        answer = auditor.get("/audit/reads", limit=1000)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def about(rows: list[dict[str, Any]]) -> set[str]:
        return {row["case_id"] or row["resident_id"] or row["user_id"] for row in rows}

    ours = reads(Api(as_clerk.client, people.auditor))
    assert far["id"] not in about(ours)
    assert rid not in about(ours)
    assert {near["id"], prober.person.id} <= about(ours)
    theirs = reads(someone(Role.AUDITOR, "xinghua"))
    assert {far["id"], rid} <= about(theirs)
    assert not {near["id"], prober.person.id} & about(theirs)
    city = reads(someone(Role.AUDITOR, None))
    assert {far["id"], rid, near["id"], prober.person.id} <= about(city)

    def erasures(auditor: Api, **params: str) -> set[str]:
        answer = auditor.get("/residents/erasures", **params)
        assert answer.status_code == 200, answer.text
        return {row["resident_id"] for row in answer.json()}

    assert rid not in erasures(Api(as_clerk.client, people.auditor))
    assert erasures(someone(Role.ADMIN, "tiansheng"), resident_id=rid) == set()
    assert erasures(someone(Role.AUDITOR, "xinghua"), resident_id=rid) == {rid}
    assert rid in erasures(someone(Role.AUDITOR, None))


def test_a_retried_intake_after_erasure_answers_the_first_case_and_brings_nothing_back(
    services: Services, someone: Any, as_clerk: Api
) -> None:
    person = new_person()
    body = intake(resident=person, title="重试前已删除")
    key = {"Idempotency-Key": f"retry-after-erasure-{uuid4()}"}
    first = as_clerk.post("/cases", body, **key)
    assert first.status_code == 201, first.text
    rid = first.json()["resident"]["resident_id"]
    assert erase(someone(Role.ADMIN, "tiansheng"), rid, first.json()["position"]).status_code == 200

    def residents_known() -> tuple[int, int]:
        with services.pool.connection() as conn:
            keys = conn.execute("SELECT count(*) FROM casework_resident_keys").fetchone()
            phone = conn.execute(
                "SELECT count(*) FROM casework_resident_lookup WHERE phone_hmac = %s",
                (phone_hash(services.residents.lookup_key, person["phone"]),),
            ).fetchone()
        assert keys and phone
        return keys[0], phone[0]

    keys_before, phones = residents_known()
    assert phones == 0
    again = as_clerk.post("/cases", body, **key)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["resident"] == {"resident_id": rid, "erased": True}
    assert residents_known() == (keys_before, 0)  # no new resident, no lookup entry
    found = lookup(as_clerk, person["phone"], first.json()["position"])
    assert found == {"resident_id": None, "cases": [], "total": 0}
    other = as_clerk.post("/cases", intake(resident=new_person()), **key)
    assert other.status_code == 200  # the hash that told bodies apart was erased too
