"""Residents' personal data over HTTP and the CLI, on PostgreSQL: resident ids, sealing per
resident, masking by role, lookup by phone (重复件), and erasure (crypto-shredding)."""

import base64
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.domain import Snapshot
from fastapi.testclient import TestClient

from domain.application import Caller, CaseWork
from domain.matter import Matter
from domain.vocabulary import Kind, Role
from infra.bootstrap import Services
from infra.calendar import ChineseWorkingCalendar
from infra.cli import main as casework
from infra.database import event_store_env
from infra.personal.crypto import SealError, is_sealed, open_sealed, phone_hash
from infra.personal.keys import KeyUnavailable, ResidentKeys
from infra.personal.mapper import PersonalDataUnprotected
from infra.personal.residents import LookupKeyChanged, Residents
from infra.projections import rebuild
from infra.settings import Settings
from infra.time_limit_catalogue import load_time_limits
from tests.helpers import intake, moments_ago
from tests.integration.conftest import Api, People, Person

# -- people of our own, whom no other test knows ------------------------------------------


def new_person(**extra: Any) -> dict[str, Any]:
    """A resident with a name and a phone that appear nowhere else in the database."""
    rare = "".join(chr(random.randint(0x4E00, 0x9FA5)) for _ in range(2))
    return {
        "name": "测" + rare,
        "phone": "139" + "".join(random.choices("0123456789", k=8)),
        "address": f"天胜社区{random.randint(1, 99)}号楼{random.randint(1, 9)}单元",
        "id_number": "2201021950" + "".join(random.choices("0123456789", k=7)) + "X",
        **extra,
    }


@pytest.fixture(scope="module")
def admin(services: Services) -> Person:
    user, token = services.users.add("管理员 钱", Role.ADMIN, "tiansheng")
    return Person(str(user.id), user.role, token)


@pytest.fixture(scope="module")
def client_system(services: Services) -> Person:
    user, token = services.users.add("12345 热线", Role.CLIENT, "tiansheng")
    return Person(str(user.id), user.role, token)


def as_(client: TestClient, person: Person) -> Api:
    return Api(client, person)


def erase_via_api(client: TestClient, admin: Person, resident_id: str, **params: str) -> Any:
    return client.delete(
        f"/residents/{resident_id}/personal-data", params=params, headers=admin.auth
    )


def lookup(api: Api, phone: str, position: int | None = None) -> Any:
    headers = {"X-Min-Position": str(position)} if position is not None else {}
    return api.post("/residents/lookup", {"phone": phone}, **headers)


# -- what the database holds ------------------------------------------------------------


def scan(conn: psycopg.Connection[Any], needles: list[Any]) -> list[tuple[str, Any, str]]:
    """Every (table.column, needle) where a needle occurs, in every base table's every
    text, character, json, jsonb, array and bytea column: a text needle in UTF-8 and
    JSON-escaped form, a bytes needle as raw bytes, hex and base64."""
    columns = conn.execute(
        "SELECT c.table_schema, c.table_name, c.column_name, c.data_type"
        " FROM information_schema.columns c JOIN information_schema.tables t"
        "  ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
        " WHERE t.table_type = 'BASE TABLE'"
        "  AND c.table_schema NOT IN ('pg_catalog', 'information_schema')"
        "  AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb',"
        "   'ARRAY', 'bytea')"
    ).fetchall()
    forms: set[Any] = set()
    for needle in needles:
        if isinstance(needle, bytes):
            forms |= {needle, needle.hex(), base64.b64encode(needle).decode()}
        else:
            forms |= {needle, json.dumps(needle)[1:-1]}
    found = []
    for schema, table, column, data_type in columns:
        ident = psycopg.sql.SQL("{}.{}").format(
            psycopg.sql.Identifier(schema), psycopg.sql.Identifier(table)
        )
        col = psycopg.sql.Identifier(column)
        for form in forms:
            if data_type == "bytea":
                condition = psycopg.sql.SQL("position(%s::bytea in {}) > 0").format(col)
                param: Any = form if isinstance(form, bytes) else form.encode()
            elif isinstance(form, bytes):
                continue  # its hex and base64 forms are looked for in text
            else:
                condition = psycopg.sql.SQL("position(%s in {}::text) > 0").format(col)
                param = form
            query = psycopg.sql.SQL("SELECT count(*) FROM {} WHERE {}").format(ident, condition)
            count = conn.execute(query, (param,)).fetchone()
            if count and count[0]:
                found.append((f"{table}.{column}", form, data_type))
    assert any(table == "casework_events" for _, table, _, _ in columns)
    return found


def sealed_values(conn: psycopg.Connection[Any], case_id: str) -> list[tuple[str, dict[str, Any]]]:
    """(context, sealed value) for each sealed value in the case's stored events."""
    found = []
    rows = conn.execute(
        "SELECT originator_version, state FROM casework_events WHERE originator_id = %s"
        " ORDER BY originator_version",
        (UUID(case_id),),
    ).fetchall()
    for version, state in rows:
        data = json.loads(bytes(state))
        where = f"{case_id}|{version}"
        for name, value in (data.get("personal") or {}).items():
            if is_sealed(value):
                found.append((f"{where}|personal.{name}", value))
            elif isinstance(value, list):
                found += [
                    (f"{where}|personal.{name}.{i}", item)
                    for i, item in enumerate(value)
                    if is_sealed(item)
                ]
        request_hash = (data.get("intake") or {}).get("request_hash")
        if is_sealed(request_hash):
            found.append((f"{where}|intake.request_hash", request_hash))
    return found


def stored_keys(conn: psycopg.Connection[Any]) -> dict[str, bytes]:
    rows = conn.execute(
        "SELECT resident_id, data_key FROM casework_resident_keys WHERE data_key IS NOT NULL"
    ).fetchall()
    return {str(rid): bytes(key) for rid, key in rows}


def opens_with_any_stored_key(
    conn: psycopg.Connection[Any], context: str, box: dict[str, Any], erased: str
) -> bool:
    """Whether any key left in the database opens the value, in place of the erased one's."""
    keys = stored_keys(conn)
    for candidate in [*keys.values()]:
        try:
            open_sealed(box, {**keys, erased: candidate}, context)
            return True
        except SealError:
            continue
    return False


# -- resident ids ---------------------------------------------------------------------


def test_the_same_phone_is_the_same_resident_however_it_is_written(as_clerk: Api) -> None:
    person = new_person()
    first = as_clerk.new_case(intake(resident=person))
    spaced = "+86 " + person["phone"][:3] + "-" + person["phone"][3:7] + " " + person["phone"][7:]
    again = as_clerk.new_case(intake(resident={**person, "phone": spaced}))
    other = as_clerk.new_case(intake(resident=new_person()))
    no_phone = as_clerk.new_case(intake(resident={"name": person["name"]}))

    resident_id = first["resident"]["resident_id"]
    assert UUID(resident_id)
    assert first["resident"] == {"resident_id": resident_id, **person}
    assert again["resident"]["resident_id"] == resident_id
    assert other["resident"]["resident_id"] != resident_id
    assert no_phone["resident"]["resident_id"] not in (resident_id, None)


def test_personal_data_is_stored_sealed_and_the_phone_only_as_a_keyed_hash(
    as_clerk: Api, services: Services
) -> None:
    person = new_person()
    case = as_clerk.new_case(intake(resident=person, title=f"封存测试 {uuid4()}"))
    resident_id = case["resident"]["resident_id"]
    with services.connect() as conn:
        assert scan(conn, [case["title"]])  # the scan does find what is stored in clear
        assert scan(conn, list(person.values())) == []
        state = conn.execute(
            "SELECT state FROM casework_events WHERE originator_id = %s AND originator_version = 1",
            (UUID(case["id"]),),
        ).fetchone()[0]
        received = json.loads(bytes(state))
        assert received["resident_id"] == resident_id  # in clear: not personal by itself
        assert is_sealed(received["personal"]["resident"])
        assert received["personal"]["resident"]["keys"] == [resident_id]
        digest = phone_hash(services.residents.lookup_key, person["phone"])
        row = conn.execute(
            "SELECT resident_id FROM casework_resident_lookup WHERE phone_hmac = %s", (digest,)
        ).fetchone()
        assert str(row[0]) == resident_id


def test_dispute_parties_are_residents_each_sealed_under_their_own_key(
    as_clerk: Api, as_worker: Api, people: People, services: Services
) -> None:
    resident, other = new_person(), new_person()
    body = intake(
        "dispute",
        resident=resident,
        parties=[
            {"name": resident["name"], "role": "applicant"},
            {"name": other["name"], "phone": other["phone"], "role": "respondent"},
        ],
    )
    case = as_clerk.new_case(body)
    applicant, respondent = case["parties"]
    assert applicant["resident_id"] == case["resident"]["resident_id"]
    assert respondent["resident_id"] not in (applicant["resident_id"], None)
    as_clerk.command(case["id"], "assign", {"assignee": people.worker.id})
    held = as_worker.command(
        case["id"],
        "mediations",
        {
            "held_at": moments_ago(),
            "participants": [resident["name"], other["name"]],
            "outcome": "agreement",
            "notes": "双方达成协议",
        },
    )
    assert held.status_code == 200, held.text
    with services.connect() as conn:
        assert scan(conn, [resident["name"], other["name"], other["phone"]]) == []
        sealed = dict(sealed_values(conn, case["id"]))
    keys = {context.rsplit("|", 1)[1]: box["keys"] for context, box in sealed.items()}
    both = [applicant["resident_id"], respondent["resident_id"]]
    assert keys == {
        "personal.resident": [applicant["resident_id"]],
        "personal.parties.0": [applicant["resident_id"]],
        "personal.parties.1": [respondent["resident_id"]],
        "personal.participants": both,
    }
    history = as_worker.get(f"/cases/{case['id']}/history").json()["events"]
    assert history[-1]["data"]["personal"] == {"participants": [resident["name"], other["name"]]}


# -- masking by role ------------------------------------------------------------------


def test_personal_data_is_clear_for_intake_and_field_roles_and_masked_for_others(
    client: TestClient,
    as_clerk: Api,
    people: People,
    admin: Person,
    client_system: Person,
) -> None:
    person = {
        "name": "测秀英",
        "phone": "13812345678",
        "address": "天胜社区3号楼2单元301",
        "id_number": "220102195003031234",
    }
    person["phone"] = "138" + "".join(random.choices("0123456789", k=4)) + "5678"
    case = as_clerk.new_case(intake(resident=person))
    rid = case["resident"]["resident_id"]
    masked = {
        "resident_id": rid,
        "name": "测*英",
        "phone": "138****5678",
        "address": "天胜社区****",
        "id_number": "**************1234",
    }
    for reader in (people.clerk, people.worker, people.supervisor):
        seen = as_(client, reader).get(f"/cases/{case['id']}").json()
        assert seen["resident"] == {"resident_id": rid, **person}, reader.role
        if reader.role == "clerk":
            continue  # clerks do not read histories
        events = as_(client, reader).get(f"/cases/{case['id']}/history").json()["events"]
        assert events[0]["data"]["personal"]["resident"] == person
    for reader in (people.auditor, admin):
        seen = as_(client, reader).get(f"/cases/{case['id']}").json()
        assert seen["resident"] == masked, reader.role
        events = as_(client, reader).get(f"/cases/{case['id']}/history").json()["events"]
        received = events[0]["data"]
        assert received["personal"]["resident"] == {
            k: v for k, v in masked.items() if k != "resident_id"
        }
        assert received["resident_id"] == rid
        assert person["phone"] not in json.dumps(events)
    # A command's answer follows the same rule: an intake client sees what it sent, masked.
    filed = as_(client, client_system).new_case(intake(resident=new_person(name="测桂兰")))
    assert filed["resident"]["name"] == "测*兰"
    assert filed["resident"]["phone"].count("*") == 4


# -- lookup: 重复件 --------------------------------------------------------------------


def test_clerks_find_a_residents_earlier_cases_by_phone(
    client: TestClient,
    services: Services,
    as_clerk: Api,
    people: People,
    admin: Person,
    client_system: Person,
) -> None:
    person = new_person()
    older = as_clerk.new_case(intake(resident=person, title="第一次来电"))
    newer = as_clerk.new_case(intake(resident=person, title="同一件事又来电"))
    as_clerk.new_case(intake(resident=new_person()))

    answer = lookup(as_clerk, " +86 " + person["phone"], newer["position"])
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["resident_id"] == older["resident"]["resident_id"]
    assert [c["id"] for c in found["cases"]] == [newer["id"], older["id"]]
    assert found["total"] == 2
    assert found["cases"][0]["title"] == "同一件事又来电"

    listed = as_clerk.get("/cases", resident_id=found["resident_id"]).json()
    assert [c["id"] for c in listed["items"]] == [newer["id"], older["id"]]
    assert listed["items"][0]["resident_id"] == found["resident_id"]

    # A clerk of a grid where this resident has no case learns nothing, not even their id.
    user, token = services.users.add("网格 外", Role.CLERK, "tiansheng-03")
    elsewhere = lookup(as_(client, Person(str(user.id), "clerk", token)), person["phone"]).json()
    assert elsewhere == {"resident_id": None, "cases": [], "total": 0}

    unknown = lookup(as_clerk, "13700000000").json()
    assert unknown == {"resident_id": None, "cases": [], "total": 0}
    for allowed in (people.worker, people.supervisor, admin):
        assert lookup(as_(client, allowed), person["phone"]).status_code == 200
    for refused in (people.auditor, client_system):
        answer = lookup(as_(client, refused), person["phone"])
        assert answer.status_code == 403
        assert answer.json()["code"] == "forbidden"
    assert lookup(as_clerk, "call me").status_code == 422


# -- erasure --------------------------------------------------------------------------


def snapshot(api: Api, case_ids: list[str], position: int) -> dict[str, Any]:
    """What supervisors and auditors count and read, besides personal data."""
    today = datetime.now(UTC).astimezone(Settings().zone).date().isoformat()
    reports = {
        group: api.get(
            "/reports/compliance",
            **{"from": today, "to": today, "group_by": group},
            min_position=position,
        ).json()
        for group in ("street", "community", "grid", "category", "worker")
    }
    listed = api.get("/cases", grid_id="tiansheng-02", limit=500, min_position=position).json()
    for item in listed["items"]:
        item.pop("time_left")
    histories = {
        case_id: [
            {k: e[k] for k in ("version", "type", "occurred_at", "recorded_at", "actor")}
            for e in api.get(f"/cases/{case_id}/history").json()["events"]
        ]
        for case_id in case_ids
    }
    cases = {}
    for case_id in case_ids:
        case = api.get(f"/cases/{case_id}").json()
        for personal in ("resident", "parties", "time_left"):
            case.pop(personal)
        cases[case_id] = case
    return {"reports": reports, "list": listed, "histories": histories, "cases": cases}


@pytest.fixture
def erased_life(
    client: TestClient, as_clerk: Api, as_worker: Api, people: People
) -> Iterator[dict[str, Any]]:
    """A resident with a closed-and-rated request and an open dispute, and a bystander."""
    person, bystander, neighbour = new_person(), new_person(), new_person()
    grid = {"grid_id": "tiansheng-02"}
    request = as_clerk.new_case(intake(resident=person, **grid))
    as_clerk.command(request["id"], "assign", {"assignee": people.worker.id})
    as_worker.command(
        request["id"],
        "visits",
        {"visited_at": moments_ago(), "duration_minutes": 30, "notes": "上门"},
    )
    as_worker.command(request["id"], "close", {"resolution": "resolved", "summary": "已修好"})
    as_clerk.command(request["id"], "rate", {"rating": "satisfied"})
    dispute = as_clerk.post(
        "/cases",
        intake(
            "dispute",
            resident=person,
            parties=[
                {"name": person["name"], "role": "applicant"},
                {"name": neighbour["name"], "phone": neighbour["phone"], "role": "respondent"},
            ],
            **grid,
        ),
        **{"Idempotency-Key": f"erasure-{uuid4()}"},
    ).json()
    as_clerk.command(dispute["id"], "assign", {"assignee": people.worker.id})
    mediation = as_worker.command(
        dispute["id"],
        "mediations",
        {
            "held_at": moments_ago(),
            "participants": [person["name"], neighbour["name"]],
            "outcome": "no_agreement",
            "notes": "第一次调解",
        },
    ).json()
    other = as_clerk.new_case(intake(resident=bystander, **grid))
    yield {
        "person": person,
        "neighbour": neighbour,
        "bystander": bystander,
        "resident_id": request["resident"]["resident_id"],
        "neighbour_id": dispute["parties"][1]["resident_id"],
        "request": request["id"],
        "dispute": dispute["id"],
        "other": other["id"],
        "position": max(mediation["position"], other["position"]),
    }


def test_only_an_admin_may_erase_and_only_a_resident_that_exists(
    client: TestClient, people: People, admin: Person, client_system: Person, as_clerk: Api
) -> None:
    case = as_clerk.new_case(intake(resident=new_person()))
    rid = case["resident"]["resident_id"]
    for refused in (people.clerk, people.worker, people.supervisor, people.auditor, client_system):
        answer = erase_via_api(client, refused, rid)
        assert answer.status_code == 403, refused.role
        assert answer.json()["code"] == "forbidden"
    assert erase_via_api(client, admin, str(uuid4())).json()["code"] == "resident_not_found"
    assert erase_via_api(client, admin, "not-an-id").status_code == 422
    listed = as_clerk.get("/cases", resident_id=rid, min_position=case["position"]).json()
    assert listed["total"] == 1
    assert as_clerk.get(f"/cases/{case['id']}").json()["resident"]["name"]  # not erased


def test_after_erasure_no_table_holds_the_residents_data_and_every_figure_stays(
    client: TestClient,
    services: Services,
    as_clerk: Api,
    as_supervisor: Api,
    admin: Person,
    people: People,
    erased_life: dict[str, Any],
) -> None:
    life = erased_life
    person, rid = life["person"], life["resident_id"]
    case_ids = [life["request"], life["dispute"], life["other"]]
    before = snapshot(as_supervisor, case_ids, life["position"])
    grid_row = next(r for r in before["reports"]["grid"]["rows"] if r["group"] == "tiansheng-02")
    assert grid_row["received"] >= 3 and grid_row["closed"] >= 1
    assert {life["request"], life["dispute"], life["other"]} <= {
        c["id"] for c in before["list"]["items"]
    }
    with services.connect() as conn:
        # Before: nothing in clear, but every sealed value opens with the stored keys.
        assert scan(conn, [person["name"], person["phone"]]) == []
        keys = stored_keys(conn)
        for case_id in (life["request"], life["dispute"]):
            for context, box in sealed_values(conn, case_id):
                assert open_sealed(box, keys, context)
        erased_key = keys[rid]
        digest = phone_hash(services.residents.lookup_key, person["phone"])
        # The scan finds raw bytes where they are, and only there.
        assert {c for c, _, _ in scan(conn, [erased_key, digest])} == {
            "casework_resident_keys.data_key",
            "casework_resident_lookup.phone_hmac",
        }

    answer = erase_via_api(client, admin, rid, reference="PIPL-2026-001")
    assert answer.status_code == 200, answer.text
    erasure = answer.json()
    assert erasure["resident_id"] == rid
    assert erasure["erased_by"] == {"id": admin.id, "role": "admin", "name": "管理员 钱"}
    assert erasure["via"] == "api"
    assert erasure["phone_lookups_deleted"] == 1
    assert erasure["already_erased"] is False

    # No table holds the name or phone in clear, the phone's keyed hash, or the key.
    with services.connect() as conn:
        assert scan(conn, [person["name"], person["phone"], digest, erased_key]) == []
        # ... nor in decryptable form: whatever sealed value needs their key opens with no
        # key left in the database.
        theirs = [
            (context, box)
            for case_id in (life["request"], life["dispute"])
            for context, box in sealed_values(conn, case_id)
            if rid in box["keys"]
        ]
        assert sorted(c.split("|", 1)[1] for c, _ in theirs) == [
            "1|intake.request_hash",  # the dispute, filed with an Idempotency-Key
            "1|personal.parties.0",
            "1|personal.resident",
            "1|personal.resident",  # the request
            "4|personal.participants",  # after Assigned and the SignedFor the mediation made
        ]
        for context, box in theirs:
            assert not opens_with_any_stored_key(conn, context, box, rid), context
        row = conn.execute(
            "SELECT data_key, erased_at FROM casework_resident_keys WHERE resident_id = %s",
            (UUID(rid),),
        ).fetchone()
        assert row[0] is None and row[1] is not None

    # Every case, history and list shows their data as erased; nobody else's.
    for reader in (as_(client, people.worker), as_supervisor, as_(client, people.auditor)):
        request = reader.get(f"/cases/{life['request']}").json()
        assert request["resident"] == {"resident_id": rid, "erased": True}
        dispute = reader.get(f"/cases/{life['dispute']}").json()
        assert dispute["resident"] == {"resident_id": rid, "erased": True}
        assert dispute["parties"][0] == {"resident_id": rid, "erased": True}
        assert dispute["parties"][1]["resident_id"] == life["neighbour_id"]
        assert "erased" not in dispute["parties"][1]
        history = reader.get(f"/cases/{life['dispute']}/history").json()["events"]
        assert history[0]["data"]["personal"]["resident"] == {"erased": True}
        assert history[0]["data"]["intake"]["request_hash"] == {"erased": True}
        mediation = next(e for e in history if e["type"] == "MediationHeld")
        assert mediation["data"]["personal"] == {"participants": {"erased": True}}
    bystander = as_clerk.get(f"/cases/{life['other']}").json()["resident"]
    assert bystander == {"resident_id": bystander["resident_id"], **life["bystander"]}
    assert (
        as_clerk.get(f"/cases/{life['dispute']}").json()["parties"][1]["name"]
        == (life["neighbour"]["name"])
    )
    assert lookup(as_clerk, person["phone"]).json()["resident_id"] is None

    # The cases, their timelines and every figure stay exactly as they were, also when the
    # read models are rebuilt from the events after the erasure.
    assert snapshot(as_supervisor, case_ids, life["position"]) == before
    for model in ("case_list", "compliance"):
        rebuild(model, services.cases, services.connect, lambda progress: None)
    assert snapshot(as_supervisor, case_ids, life["position"]) == before

    # The erasure is on record for auditors; erasing again changes nothing.
    records = as_(client, people.auditor).get("/residents/erasures", resident_id=rid).json()
    assert [(r["erased_by"], r["via"], r["reference"]) for r in records] == [
        ({"id": admin.id, "role": "admin", "name": "管理员 钱"}, "api", "PIPL-2026-001")
    ]
    again = erase_via_api(client, admin, rid).json()
    assert again["already_erased"] is True
    assert again["erased_at"] == erasure["erased_at"]
    assert len(as_(client, admin).get("/residents/erasures", resident_id=rid).json()) == 1
    assert as_supervisor.get("/residents/erasures").status_code == 403
    with services.connect() as conn, pytest.raises(psycopg.errors.RaiseException):
        conn.execute("DELETE FROM casework_erasures WHERE resident_id = %s", (UUID(rid),))

    # Work on the case goes on; a session naming the erased resident is sealed for the rest.
    held = as_(client, people.worker).command(
        life["dispute"],
        "mediations",
        {
            "held_at": moments_ago(),
            "participants": [life["neighbour"]["name"]],
            "outcome": "agreement",
            "notes": "第二次调解",
        },
    )
    assert held.status_code == 200, held.text
    history = as_supervisor.get(f"/cases/{life['dispute']}/history").json()["events"]
    assert history[-1]["data"]["personal"] == {"participants": [life["neighbour"]["name"]]}
    # Once every resident of the case is erased, no new personal data can be recorded.
    erase_via_api(client, admin, life["neighbour_id"])
    refused = as_(client, people.worker).command(
        life["dispute"],
        "mediations",
        {"held_at": moments_ago(), "participants": ["某人"], "outcome": "agreement", "notes": "x"},
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "resident_erased"


def test_the_cli_erases_and_lists_erasures_and_shows_history_masked_unless_asked(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    database_url: str,
    services: Services,
    as_clerk: Api,
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)

    def cli(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = casework(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    person = new_person()
    case = as_clerk.new_case(intake(resident=person))
    rid = case["resident"]["resident_id"]

    code, out, _ = cli("history", case["id"])
    assert code == 0
    assert person["name"] not in out and person["phone"] not in out
    assert person["phone"][:3] + "****" + person["phone"][-4:] in out
    code, out, _ = cli("history", case["id"], "--clear", "--json")
    assert json.loads(out)[0]["data"]["personal"]["resident"] == person

    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(person["phone"] + "\n"))
    code, out, _ = cli("residents", "lookup")
    assert (code, out.splitlines()[0]) == (0, f"resident {rid}: 1 cases")
    assert case["id"] in out

    code, out, _ = cli("residents", "erase", rid, "--reference", "ticket-7")
    assert code == 0, out
    assert out.startswith(f"erased resident {rid} at ")
    assert "by cli:" in out
    code, out, _ = cli("residents", "erase", rid)
    assert "was already erased" in out
    code, out, err = cli("residents", "erase", str(uuid4()))
    assert code == 1 and "no resident with id" in err

    code, out, _ = cli("residents", "erasures", rid)
    assert code == 0
    assert f"{rid}  erased " in out and "by admin cli:" in out and "via cli" in out
    assert "reference ticket-7" in out

    code, out, _ = cli("history", case["id"], "--clear", "--json")
    assert json.loads(out)[0]["data"]["personal"]["resident"] == {"erased": True}
    # The running service (another process's key cache) follows within key_cache_seconds.
    deadline = datetime.now(UTC).timestamp() + services.settings.key_cache_seconds + 2
    while datetime.now(UTC).timestamp() < deadline:
        if as_clerk.get(f"/cases/{case['id']}").json()["resident"].get("erased"):
            break
    assert as_clerk.get(f"/cases/{case['id']}").json()["resident"] == {
        "resident_id": rid,
        "erased": True,
    }


# -- keys -----------------------------------------------------------------------------


def test_data_keys_wrapped_by_a_master_key_need_that_key(services: Services) -> None:
    master = bytes(range(32))
    wrapping = ResidentKeys(services.pool, master)
    rid = str(uuid4())
    wrapping.create(rid)
    key = wrapping.keys([rid])[rid]
    with services.connect() as conn:
        stored, by = conn.execute(
            "SELECT data_key, wrapped_by FROM casework_resident_keys WHERE resident_id = %s",
            (UUID(rid),),
        ).fetchone()
    assert key is not None and len(key) == 32
    assert bytes(stored) != key and key not in bytes(stored)
    assert by == wrapping.master_id
    with pytest.raises(KeyUnavailable, match="set CASEWORK_MASTER_KEY"):
        ResidentKeys(services.pool, None).keys([rid])
    with pytest.raises(KeyUnavailable, match="not by the CASEWORK_MASTER_KEY set"):
        ResidentKeys(services.pool, bytes(32)).keys([rid])
    with services.connect() as conn:
        conn.execute("DELETE FROM casework_resident_keys WHERE resident_id = %s", (UUID(rid),))


def test_a_different_lookup_key_is_refused_once_phones_were_matched(
    services: Services, as_clerk: Api
) -> None:
    as_clerk.new_case(intake(resident=new_person()))
    other = Residents(services.pool, lookup_key="b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktISE=")
    with pytest.raises(LookupKeyChanged, match="not the key the residents' phone lookup"):
        other.create_schema()


def test_the_store_refuses_personal_data_it_has_no_keys_to_seal(
    services: Services, database_url: str
) -> None:
    unkeyed = CaseWork(
        event_store_env(database_url, services.settings),
        calendar=ChineseWorkingCalendar(),
        zone=services.settings.zone,
        clock=lambda: datetime.now(UTC),
        time_limits=load_time_limits(),
    )
    try:
        with pytest.raises(PersonalDataUnprotected):
            unkeyed.receive(
                kind=Kind.RESIDENT_REQUEST,
                matter=Matter("help", "window", "无钥匙", "不应存下", "tiansheng-01"),
                resident=new_person(),
                parties=[],
                caller=Caller("clerk", "clerk", "req"),
            )
    finally:
        unkeyed.close()


def test_snapshots_of_cases_are_refused_rather_than_stored_unsealed(
    services: Services, as_clerk: Api
) -> None:
    case = services.cases.get_case(UUID(as_clerk.new_case(intake(resident=new_person()))["id"]))
    with pytest.raises(PersonalDataUnprotected, match="snapshot"):
        services.cases.mapper.to_stored_event(Snapshot.take(case))
