"""A case asked for as of a moment before it existed says so, to those who may see it."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

from domain.vocabulary import Role
from infra.bootstrap import Services
from tests.helpers import intake
from tests.integration.conftest import Api, Person


def test_as_of_before_the_case_existed_says_it_did_not_exist_yet(as_clerk: Api) -> None:
    case = as_clerk.new_case(intake())
    before = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
    answer = as_clerk.get(f"/cases/{case['id']}", as_of=before.isoformat())
    assert answer.status_code == 404, answer.text
    problem = answer.json()
    assert problem["code"] == "case_not_yet_received"
    shanghai = before.astimezone(ZoneInfo("Asia/Shanghai")).isoformat()
    assert (
        f"did not exist yet at {shanghai}; it was received at {case['received_at']}"
        in (problem["detail"])
    )
    # Before, and outside any area check: the plain 404 of a case that does not exist.
    assert as_clerk.get(f"/cases/{uuid4()}", as_of=before.isoformat()).json()["code"] == (
        "case_not_found"
    )


def test_as_of_on_a_case_outside_the_area_stays_a_plain_not_found(
    as_clerk: Api, services: Services
) -> None:
    case = as_clerk.new_case(intake())
    user, token = services.users.add("别的网格 周", Role.CLERK, "tiansheng-02")
    far = Api(as_clerk.client, Person(str(user.id), user.role, token))
    before = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    answer = far.get(f"/cases/{case['id']}", as_of=before)
    assert answer.status_code == 404
    assert answer.json()["code"] == "case_not_found"
    assert "received" not in answer.text
    assert far.get(f"/cases/{case['id']}").json()["code"] == "case_not_found"
