"""The micro-wish board (微心愿): a volunteer claims, releases, claims again and fulfils a
wish; the community follows who claimed what; a claimant's token does nothing else."""

from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from domain.vocabulary import ClaimantType
from infra.bootstrap import Services
from tests.helpers import intake
from tests.integration.conftest import Api, People, Person


def claimant(services: Services, name: str, kind: ClaimantType, area: str = "tiansheng") -> Person:
    user, token = services.users.add(name, "claimant", area, claimant_type=kind)
    return Person(str(user.id), user.role, token)


def new_wish(as_clerk: Api, title: str, **overrides: Any) -> dict[str, Any]:
    return as_clerk.new_case(intake("micro_wish", title=title, **overrides))


def board(client: TestClient, position: int, **params: str) -> list[dict[str, Any]]:
    answer = client.get("/board.json", params={**params, "min_position": position})
    assert answer.status_code == 200, answer.text
    return answer.json()["wishes"]


def on_board(client: TestClient, case_id: str, position: int) -> bool:
    return case_id in {w["id"] for w in board(client, position, area="tiansheng")}


def test_a_volunteer_claims_releases_claims_again_and_fulfils_a_wish_through_the_board(
    client: TestClient, services: Services, as_clerk: Api, as_supervisor: Api, people: People
) -> None:
    title = f"为独居老人添置电暖器 {uuid4().hex[:6]}"
    filed = new_wish(as_clerk, title)
    wish_id = filed["id"]
    volunteer = Api(client, claimant(services, "志愿者 周红", ClaimantType.VOLUNTEER))
    party_member = Api(client, claimant(services, "党员 吴军", ClaimantType.PARTY_MEMBER))

    # Anyone reads the board, without a token.
    listed = {w["id"]: w for w in board(client, filed["position"], area="tiansheng")}
    assert listed[wish_id]["title"] == title
    assert listed[wish_id]["category_name"] == "物品类"
    assert listed[wish_id]["grid_name"] == "天胜社区第一网格"
    assert listed[wish_id]["waited_days"] == 0

    claimed = volunteer.post(f"/board/wishes/{wish_id}/claim", None)
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["status"] == "claimed"
    assert not on_board(client, wish_id, claimed.json()["position"])
    mine = volunteer.get("/board/mine", min_position=claimed.json()["position"]).json()
    assert [w["id"] for w in mine["items"]] == [wish_id]

    # Someone else may neither release nor fulfil it, nor claim it over the volunteer.
    for action, body in (("release", {}), ("fulfil", {"notes": "已送达"}), ("claim", None)):
        refused = party_member.post(f"/board/wishes/{wish_id}/{action}", body)
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == (
            "already_claimed" if action == "claim" else "not_the_claimant"
        )

    released = volunteer.post(f"/board/wishes/{wish_id}/release", {"reason": "临时出差"})
    assert released.status_code == 200, released.text
    assert released.json()["status"] == "received" and not released.json()["claimed"]
    assert on_board(client, wish_id, released.json()["position"])
    after = volunteer.get("/board/mine", min_position=released.json()["position"]).json()
    assert after["items"] == []

    again = volunteer.post(f"/board/wishes/{wish_id}/claim", None)
    assert again.status_code == 200, again.text
    bad_link = volunteer.post(
        f"/board/wishes/{wish_id}/fulfil", {"notes": "已送达", "photo_url": "javascript:alert(1)"}
    )
    assert bad_link.status_code == 422
    assert bad_link.json()["errors"][0]["loc"] == ["body", "photo_url"]
    fulfilled = volunteer.post(
        f"/board/wishes/{wish_id}/fulfil",
        {"notes": "电暖器已送到老人家中", "photo_url": "https://example.org/wish.jpg"},
    )
    assert fulfilled.status_code == 200, fulfilled.text
    assert fulfilled.json()["status"] == "fulfilled"
    late = volunteer.post(f"/board/wishes/{wish_id}/release", {})
    assert late.status_code == 409 and late.json()["code"] == "release_after_fulfilment"

    history = as_supervisor.get(f"/cases/{wish_id}/history").json()["events"]
    claims = [e for e in history if e["type"] in ("Claimed", "ClaimReleased", "Fulfilled")]
    assert [e["type"] for e in claims] == ["Claimed", "ClaimReleased", "Claimed", "Fulfilled"]
    assert claims[0]["data"]["claimant"] == volunteer.person.id
    assert claims[0]["data"]["claimant_type"] == "volunteer"
    assert claims[0]["actor"]["role"] == "claimant"
    assert claims[1]["data"]["reason"] == "临时出差"
    assert claims[3]["data"]["photo_url"] == "https://example.org/wish.jpg"

    # The community closes it and calls the resident back; the claimant's record shows it.
    closed = as_supervisor.command(
        wish_id, "close", {"resolution": "resolved", "summary": "已实现"}
    )
    assert closed.status_code == 200, closed.text
    rated = as_clerk.command(
        wish_id, "rate", {"rating": "satisfied", "contacted": True, "solved": "solved"}
    )
    assert rated.status_code == 200, rated.text
    position = rated.json()["position"]
    log = as_supervisor.get("/board/claims", min_position=position).json()["items"]
    of_wish = [c for c in log if c["case_id"] == wish_id]
    assert [(c["claimant_name"], c["released_at"] is None) for c in of_wish] == [
        ("志愿者 周红", True),
        ("志愿者 周红", False),
    ]
    assert of_wish[1]["release_reason"] == "临时出差"
    assert of_wish[1]["released_by_name"] == "志愿者 周红"
    assert of_wish[0]["fulfilled_at"] is not None
    records = as_supervisor.get("/board/claimants", min_position=position).json()["items"]
    record = next(r for r in records if r["claimant"] == volunteer.person.id)
    assert (record["claims"], record["released"], record["fulfilled"], record["held"]) == (
        2,
        1,
        1,
        0,
    )
    assert (record["valid_callbacks"], record["satisfied"], record["satisfaction_rate"]) == (
        1,
        1,
        1.0,
    )
    assert record["claimant_type"] == "volunteer"


def test_staff_release_a_claim_only_as_a_supervisor_or_as_the_claimant_who_holds_it(
    as_clerk: Api, as_worker: Api, as_supervisor: Api, people: People
) -> None:
    wish_id = new_wish(as_clerk, "为留守儿童买书包")["id"]
    as_worker.command(
        wish_id, "claim", {"claimant": "天胜社区志愿队", "claimant_type": "organisation"}
    )

    by_worker = as_worker.command(wish_id, "release", {"reason": "认领人联系不上"})
    by_supervisor = as_supervisor.command(wish_id, "release", {"reason": "认领人联系不上"})
    nothing_left = as_supervisor.command(wish_id, "release", {})

    assert by_worker.status_code == 409 and by_worker.json()["code"] == "not_the_claimant"
    assert by_supervisor.status_code == 200, by_supervisor.text
    assert by_supervisor.json()["claim"] is None
    assert nothing_left.status_code == 409 and nothing_left.json()["code"] == "no_claimant"
    # A worker who claimed it themselves holds it, and may release it.
    as_worker.command(wish_id, "claim", {"claimant": people.worker.id, "claimant_type": "worker"})
    assert as_worker.command(wish_id, "release", {}).status_code == 200


def test_a_claimant_token_opens_the_board_and_nothing_else(
    client: TestClient, services: Services, as_clerk: Api
) -> None:
    volunteer = Api(client, claimant(services, "志愿者 郑", ClaimantType.VOLUNTEER))
    case_id = as_clerk.new_case(intake())["id"]
    wish_id = new_wish(as_clerk, "为残疾人修轮椅")["id"]

    refused = {
        "GET /cases": volunteer.get("/cases"),
        "GET /cases/{id}": volunteer.get(f"/cases/{case_id}"),
        "GET /cases/{id}/history": volunteer.get(f"/cases/{wish_id}/history"),
        "POST /residents/lookup": volunteer.post("/residents/lookup", {"phone": "13812345678"}),
        "GET /users": volunteer.get("/users"),
        "GET /me": volunteer.get("/me"),
        "GET /dashboard/summary": volunteer.get("/dashboard/summary"),
        "POST /cases": volunteer.post("/cases", intake("micro_wish")),
        "POST /cases/{id}/claim": volunteer.post(
            f"/cases/{wish_id}/claim", {"claimant": "x", "claimant_type": "volunteer"}
        ),
        "GET /board/claims": volunteer.get("/board/claims"),
        "GET /board/claimants": volunteer.get("/board/claimants"),
    }
    assert {name: r.status_code for name, r in refused.items()} == dict.fromkeys(refused, 403)
    assert all(r.json()["code"] == "forbidden" for r in refused.values())
    assert volunteer.get("/board/mine").status_code == 200


def test_a_claimant_claims_only_in_their_area_and_staff_not_on_the_board(
    client: TestClient, services: Services, as_clerk: Api, as_worker: Api
) -> None:
    elsewhere = Api(
        client, claimant(services, "志愿者 外区", ClaimantType.VOLUNTEER, "tiansheng-02")
    )
    wish_id = new_wish(as_clerk, "为老人理发", grid_id="tiansheng-01")["id"]

    assert elsewhere.post(f"/board/wishes/{wish_id}/claim", None).status_code == 404
    staff = as_worker.post(f"/board/wishes/{wish_id}/claim", None)
    assert staff.status_code == 403


def test_a_board_of_an_unknown_area_is_a_bad_parameter(client: TestClient) -> None:
    answer = client.get("/board.json", params={"area": "nowhere"})
    assert answer.status_code == 422 and answer.json()["code"] == "unknown_area"
    assert client.get("/board", params={"area": "nowhere"}).status_code == 404


@pytest.mark.parametrize("role", ["clerk", "worker", "auditor", "admin", "client"])
def test_only_a_claimant_has_a_claimant_type(services: Services, role: str) -> None:
    with pytest.raises(ValueError, match="claimant type"):
        services.users.add("谁", role, "tiansheng", claimant_type=ClaimantType.VOLUNTEER)
