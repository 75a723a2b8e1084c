"""Phones are normalised when they come in: one number, however it is written."""

import random
from typing import Any

import pytest

from tests.helpers import intake
from tests.integration.conftest import Api, People


def _mobile() -> str:
    """A mobile number no other test uses."""
    return "139" + "".join(random.choices("0123456789", k=8))


def _spellings(mobile: str) -> list[str]:
    a, b, c = mobile[:3], mobile[3:7], mobile[7:]
    return [f"+86 {a}-{b}-{c}", f"{a} {b} {c}", f"0086 {mobile}", f"+86{mobile}", mobile]


def _lookup(api: Api, phone: str, position: int) -> Any:
    return api.post("/residents/lookup", {"phone": phone}, **{"X-Min-Position": str(position)})


def test_a_mobile_written_with_the_country_code_is_stored_and_masked_as_one_number(
    as_clerk: Api, client: Any, people: People
) -> None:
    mobile = _mobile()
    case = as_clerk.new_case(intake(resident={"name": "李秀英", "phone": _spellings(mobile)[0]}))
    assert case["resident"]["phone"] == mobile
    auditor = client.get(f"/cases/{case['id']}", headers=people.auditor.auth).json()
    assert auditor["resident"]["phone"] == mobile[:3] + "****" + mobile[-4:]


def test_every_spelling_of_one_mobile_is_one_resident_and_found_by_any_other(
    as_clerk: Api,
) -> None:
    mobile = _mobile()
    spellings = _spellings(mobile)
    first = as_clerk.new_case(intake(resident={"name": "张伟", "phone": spellings[0]}))
    resident_id = first["resident"]["resident_id"]
    for spelling in spellings[1:]:
        again = as_clerk.new_case(intake(resident={"name": "张伟", "phone": spelling}))
        assert again["resident"]["resident_id"] == resident_id, spelling
    for spelling in spellings:
        found = _lookup(as_clerk, spelling, again["position"])
        assert found.status_code == 200, found.text
        assert found.json()["resident_id"] == resident_id, spelling


def test_a_landline_with_its_area_code_is_kept_as_dialled_in_china(as_clerk: Api) -> None:
    number = "".join(random.choices("23456789", k=1)) + "".join(random.choices("0123456789", k=7))
    written = f"(010) {number[:4]}-{number[4:]}"
    case = as_clerk.new_case(intake(resident={"name": "王强", "phone": written}))
    assert case["resident"]["phone"] == "010" + number
    party = as_clerk.new_case(
        intake(
            "dispute",
            parties=[
                {"name": "王强", "phone": f"+86 10 {number}", "role": "applicant"},
                {"name": "赵六", "phone": _spellings(_mobile())[1], "role": "respondent"},
            ],
        )
    )
    assert party["parties"][0]["phone"] == "010" + number
    assert party["parties"][0]["resident_id"] == case["resident"]["resident_id"]
    assert party["parties"][1]["phone"].isdigit()


@pytest.mark.parametrize(
    ("phone", "why"),
    [
        ("12345678901", "not a valid phone number"),
        ("6552 1234", "not a valid phone number"),
        ("+86 138 1234", "not a valid phone number"),
        ("138-1234-5678 转 8", "digits"),
    ],
)
def test_a_number_that_is_no_phone_is_refused_with_a_clear_message(
    as_clerk: Api, phone: str, why: str
) -> None:
    for answer, loc in [
        (
            as_clerk.post("/cases", intake(resident={"name": "李秀英", "phone": phone})),
            ["body", "resident_request", "resident", "phone"],
        ),
        (as_clerk.post("/residents/lookup", {"phone": phone}), ["body", "phone"]),
    ]:
        assert answer.status_code == 422, answer.text
        problem = answer.json()
        assert [e["loc"] for e in problem["errors"]] == [loc]
        assert why in problem["errors"][0]["message"]
