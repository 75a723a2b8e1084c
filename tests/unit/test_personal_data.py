"""Residents' personal data without a database: masking, phone matching, sealing, resident ids."""

import hashlib
import hmac
import json
from typing import Any

import pytest

from domain.application import Caller, CaseWork
from domain.matter import Matter
from domain.vocabulary import Kind
from infra.personal.crypto import (
    SealError,
    new_data_key,
    normalise_phone,
    open_sealed,
    parse_secret,
    phone_hash,
    seal,
)
from infra.personal.masking import (
    CLEAR_ROLES,
    event_data_for,
    mask_address,
    mask_id_number,
    mask_name,
    mask_personal,
    mask_phone,
    resident_part,
    sees_clear,
)

# -- masking --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "masked"),
    [("李秀英", "李*英"), ("李英", "李*"), ("李", "*"), ("欧阳秀英", "欧**英")],
)
def test_names_keep_their_first_and_last_character(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 138-1234-5678", "138****5678"),  # stored as written before intake normalised it
        ("0431-88881234", "043****1234"),
        ("12345", "***45"),
    ],
)
def test_phones_show_three_digits_and_the_last_four(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_id_numbers_show_only_their_last_four_and_addresses_only_their_start() -> None:
    assert mask_id_number("220102195003031234") == "**************1234"
    assert mask_address("天胜社区3号楼2单元301") == "天胜社区****"
    assert "301" not in mask_address("幸福路12号3单元501室")


def test_only_clerks_workers_and_supervisors_see_personal_data_in_clear() -> None:
    assert CLEAR_ROLES == {"clerk", "worker", "supervisor"}
    for role in ("auditor", "admin", "client", None, "someone-new"):
        assert not sees_clear(role)


def test_a_masked_resident_part_keeps_the_resident_id_and_hides_unknown_fields() -> None:
    person = {"name": "李秀英", "phone": "13812345678", "nickname": "李姐", "role": "applicant"}
    assert resident_part(person, "r-1", "auditor") == {
        "resident_id": "r-1",
        "name": "李*英",
        "phone": "138****5678",
        "nickname": "****",
        "role": "applicant",
    }
    assert resident_part(person, "r-1", "worker") == {"resident_id": "r-1", **person}
    erased = {"erased": True}
    assert resident_part(erased, "r-1", "auditor") == {"resident_id": "r-1", "erased": True}


def test_event_data_is_masked_with_its_intake_hash_for_masked_readers() -> None:
    data: dict[str, Any] = {
        "title": "楼道灯坏了",
        "personal": {
            "resident": {"name": "李秀英", "phone": "13812345678"},
            "parties": [{"name": "王强", "role": "respondent"}, {"erased": True}],
        },
        "intake": {"idempotency_key": "k-1", "request_hash": "ab" * 32},
    }
    masked = event_data_for(data, "auditor")
    assert masked["title"] == "楼道灯坏了"
    assert masked["personal"] == {
        "resident": {"name": "李*英", "phone": "138****5678"},
        "parties": [{"name": "王*", "role": "respondent"}, {"erased": True}],
    }
    assert masked["intake"] == {"idempotency_key": "k-1", "request_hash": "****"}
    assert event_data_for(data, "clerk") is data
    assert mask_personal({"participants": ["刘建国", "人民调解员 周立"]}) == {
        "participants": ["刘*国", "人******立"]
    }


# -- phone matching -------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    ["13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678", "0086138123 45678"],
)
def test_one_mobile_number_however_it_is_written(phone: str) -> None:
    assert normalise_phone(phone) == "13812345678"
    key = b"k" * 32
    assert phone_hash(key, phone) == phone_hash(key, "13812345678")


@pytest.mark.parametrize(
    ("phone", "stored_before"),
    [("+86 138-1234-5678", "13812345678"), ("(010) 6552-1234", "01065521234")],
)
def test_the_phone_hash_is_the_one_lookups_were_built_with_before(
    phone: str, stored_before: str
) -> None:
    """Lookup entries stored before phonenumbers normalised phones hashed these digits."""
    key = b"k" * 32
    before = hmac.new(key, b"casework-phone-v1|" + stored_before.encode(), hashlib.sha256)
    assert phone_hash(key, phone) == before.digest()


def test_the_phone_hash_depends_on_the_lookup_key_and_shows_no_digits() -> None:
    one, other = phone_hash(b"a" * 32, "13812345678"), phone_hash(b"b" * 32, "13812345678")
    assert one != other
    assert b"13812345678" not in one and "13812345678" not in one.hex()
    assert phone_hash(b"a" * 32, "13812345679") != one


def test_secrets_from_the_environment_are_base64_of_enough_bytes() -> None:
    assert parse_secret("a2V5" * 11, "CASEWORK_LOOKUP_KEY") == b"key" * 11
    with pytest.raises(ValueError, match="CASEWORK_MASTER_KEY must be 32 bytes"):
        parse_secret("c2hvcnQ=", "CASEWORK_MASTER_KEY", exact=32)


# -- sealing --------------------------------------------------------------------------


def test_a_sealed_value_opens_only_with_its_key_and_in_its_place() -> None:
    key, other = new_data_key(), new_data_key()
    box = seal(json.dumps({"name": "李秀英"}).encode(), [("r-1", key)], "case|1|personal.resident")
    assert "李秀英" not in json.dumps(box, ensure_ascii=False)
    opened = open_sealed(box, {"r-1": key}, "case|1|personal.resident")
    assert json.loads(opened) == {"name": "李秀英"}
    with pytest.raises(SealError):
        open_sealed(box, {"r-1": other}, "case|1|personal.resident")
    with pytest.raises(SealError):  # moved to another event
        open_sealed(box, {"r-1": key}, "case|2|personal.resident")
    with pytest.raises(SealError):  # the key is gone
        open_sealed(box, {}, "case|1|personal.resident")


def test_a_value_sealed_for_several_residents_needs_every_one_of_their_keys() -> None:
    a, b = new_data_key(), new_data_key()
    box = seal(b'["\\u5218\\u5efa\\u56fd"]', [("r-a", a), ("r-b", b)], "c|3|personal.participants")
    assert box["keys"] == ["r-a", "r-b"]
    assert open_sealed(box, {"r-a": a, "r-b": b}, "c|3|personal.participants")
    for keys in ({"r-a": a}, {"r-b": b}, {"r-a": a, "r-b": a}):
        with pytest.raises(SealError):
            open_sealed(box, keys, "c|3|personal.participants")


# -- resident ids in the domain -------------------------------------------------------


class PhoneBook:
    """An identify_resident that matches by phone, as the service's does."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}
        self.count = 0

    def __call__(self, person: dict[str, Any]) -> str:
        self.count += 1
        phone = person.get("phone")
        if phone is None:
            return f"new-{self.count}"
        return self.ids.setdefault(normalise_phone(phone), f"r-{len(self.ids) + 1}")


@pytest.fixture
def phone_book(app: CaseWork) -> PhoneBook:
    book = PhoneBook()
    app.identify_resident = book
    return book


def test_residents_get_ids_outside_the_personal_part(cases, phone_book) -> None:
    first = cases.app.get_case(cases.receive())
    again = cases.app.get_case(
        cases.receive(resident={**cases.resident, "phone": "+86 138 0013 8000"})
    )
    nobody = cases.app.get_case(cases.receive(resident={"name": "无电话"}))
    assert first.resident_id == again.resident_id == "r-1"
    assert nobody.resident_id.startswith("new-")
    received = cases.app.history(first.id)[0].data
    assert received["resident_id"] == "r-1"
    assert received["party_resident_ids"] == []
    assert received["personal"] == {"resident": cases.resident, "parties": []}


def test_dispute_parties_are_residents_and_mediations_name_them_all(
    app: CaseWork, cases, phone_book, people
) -> None:
    parties = [
        {"name": cases.resident["name"], "role": "applicant"},  # the resident, no phone
        {"name": "刘建国", "phone": "13911112222"},
        {"name": "陈美兰"},  # nobody knows who: a new resident
    ]
    case_id = cases.assigned(Kind.DISPUTE, parties=parties)
    cases.mediate(case_id, "agreement")
    case = app.get_case(case_id)
    assert case.party_resident_ids[0] == case.resident_id == "r-1"
    assert case.party_resident_ids[1] == "r-2"
    assert case.party_resident_ids[2].startswith("new-")
    mediation = app.history(case_id)[-1]
    assert mediation.type == "MediationHeld"
    assert mediation.data["resident_ids"] == ["r-1", "r-2", case.party_resident_ids[2]]


def test_a_refused_intake_gives_nobody_an_id(app: CaseWork, phone_book, people) -> None:
    with pytest.raises(Exception, match="at least two parties"):
        app.receive(
            kind=Kind.DISPUTE,
            matter=Matter("neighbour", "window", "t", "d", "g"),
            resident={"name": "甲", "phone": "13800000000"},
            parties=[{"name": "甲"}],
            caller=Caller("clerk", "clerk", "req"),
        )
    assert phone_book.count == 0
