"""An intake client's retries record a matter once."""

from tests.helpers import intake
from tests.integration.conftest import Api


def test_a_repeat_with_the_same_key_returns_the_first_case_and_records_nothing(
    as_clerk: Api, as_supervisor: Api
) -> None:
    body = intake(title="重复提交测试")
    first = as_clerk.post("/cases", body, **{"Idempotency-Key": "hotline-call-0001"})
    assert first.status_code == 201
    again = as_clerk.post("/cases", body, **{"Idempotency-Key": "hotline-call-0001"})
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Location"] == first.headers["Location"]
    history = as_supervisor.get(f"/cases/{first.json()['id']}/history").json()
    assert len(history["events"]) == 1


def test_the_same_key_with_another_body_is_422(as_clerk: Api) -> None:
    as_clerk.post("/cases", intake(), **{"Idempotency-Key": "hotline-call-0002"})
    other = as_clerk.post(
        "/cases", intake(title="另一件事"), **{"Idempotency-Key": "hotline-call-0002"}
    )
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"


def test_without_a_key_each_post_is_a_new_case(as_clerk: Api) -> None:
    first = as_clerk.new_case(intake())
    second = as_clerk.new_case(intake())
    assert first["id"] != second["id"]


def test_keys_belong_to_their_client(as_clerk: Api, as_worker: Api) -> None:
    body = intake()
    mine = as_clerk.post("/cases", body, **{"Idempotency-Key": "shared-key-1"})
    theirs = as_worker.post("/cases", body, **{"Idempotency-Key": "shared-key-1"})
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
