"""Tamper evidence: each case's stored events form a hash chain, checked by
`casework audit verify` and GET /cases/{id}/verify.

The tests here tamper with rows by hand, so the module works in databases of its own on the
same server, never in the one the other integration tests share.
"""

import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from fastapi.testclient import TestClient
from psycopg.conninfo import make_conninfo

from api.main import create_app
from domain.application import Caller, ConcurrentChanges
from domain.commands import Visit
from domain.vocabulary import Role
from infra.areas import SAMPLE_FILE, AreaFile, Community, Grid, Street, read_area_file
from infra.audit import ChainAuditor, case_auditor
from infra.bootstrap import Services, bootstrap
from infra.cli import main as casework
from infra.database import connection_params
from infra.event_store import GENESIS, link_hash
from infra.projections import BackgroundProjectors
from infra.settings import Settings
from tests.helpers import intake, visit_body

EVENTS = "casework_events"
HEADS = "casework_chain_heads"


@contextmanager
def own_database(server_url: str, label: str) -> Iterator[str]:
    name = f"casework_chain_{label}_{os.getpid()}_{int(time.time() * 1000) % 10**9}"
    admin = make_conninfo(server_url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_conninfo(server_url, dbname=name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Store:
    """The service on a database of its own, and a hand on its tables."""

    url: str
    services: Services
    client: TestClient
    auth: dict[str, str]  # a supervisor's: receives, assigns, visits
    # The cases' assignee: not the supervisor who visits, so that no visit signs for a case
    # (the assignee's first action would record a SignedFor first).
    worker_id: str
    auditor: dict[str, str]  # an auditor's: verifies

    def sql(self, statement: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

    def new_case(self, visits: int = 3) -> str:
        """A case of 2 + visits events: Received, Assigned, Visited..."""
        created = self.client.post("/cases", json=intake(), headers=self.auth)
        assert created.status_code == 201, created.text
        case_id = created.json()["id"]
        position = self.command(case_id, "assign", {"assignee": self.worker_id})
        for n in range(visits):
            position = self.command(case_id, "visits", visit_body(notes=f"visit {n + 1}"))
        # Every read model has applied the case (the case list is where the gate finds a
        # tampered case's area) before a test tampers with its events: a projector that
        # meets a tampered event stops there, as it must.
        deadline = time.monotonic() + 10
        while self.sql(
            "SELECT 1 FROM casework_projections WHERE active AND position < %s", position
        ):
            assert time.monotonic() < deadline, "the read models did not catch up"
            time.sleep(0.02)
        return case_id

    def command(self, case_id: str, action: str, body: dict[str, Any]) -> int:
        answer = self.client.post(f"/cases/{case_id}/{action}", json=body, headers=self.auth)
        assert answer.status_code == 200, answer.text
        return int(answer.json()["position"])

    def verify(self, case_id: str) -> dict[str, Any]:
        answer = self.client.get(f"/cases/{case_id}/verify", headers=self.auditor)
        assert answer.status_code == 200, answer.text
        return answer.json()


@contextmanager
def running_store(server_url: str, label: str, tmp: Path) -> Iterator[Store]:
    with own_database(server_url, label) as url:
        services = bootstrap(Settings(database_url=url, data_dir=tmp))
        services.areas.load(read_area_file(SAMPLE_FILE))
        _, token = services.users.add("督导 赵敏", Role.SUPERVISOR, "tiansheng")
        worker, _ = services.users.add("网格员 王芳", Role.WORKER, "tiansheng-01")
        _, audit_token = services.users.add("审计 孙", Role.AUDITOR, "tiansheng")
        projectors = BackgroundProjectors(services.cases, services.connect).start()
        try:
            with TestClient(create_app(services)) as client:
                yield Store(
                    url,
                    services,
                    client,
                    {"Authorization": f"Bearer {token}"},
                    str(worker.id),
                    {"Authorization": f"Bearer {audit_token}"},
                )
        finally:
            projectors.stop()
            services.close()


@pytest.fixture(scope="module")
def store(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """Tests tamper with cases of their own in this one."""
    with running_store(database_url, "tampered", tmp_path_factory.mktemp("var")) as running:
        yield running


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """`casework ARGS...` in this process against a store's database: (exit code, stdout)."""

    def run(store: Store, *args: str) -> tuple[int, str]:
        monkeypatch.setenv("DATABASE_URL", store.url)
        capsys.readouterr()
        code = casework(list(args))
        return code, capsys.readouterr().out

    return run


# -- an untouched store ------------------------------------------------------------------


def test_an_untouched_store_verifies_clean(database_url: str, tmp_path: Path, cli: Any) -> None:
    with running_store(database_url, "clean", tmp_path) as clean:
        cases = [clean.new_case(visits=n) for n in (0, 1, 3)]
        for case_id, events in zip(cases, (2, 3, 5), strict=True):
            assert clean.verify(case_id) == {
                "case_id": case_id,
                "ok": True,
                "events_checked": events,
                "head_version": events,
                "first_bad_version": None,
                "problem": None,
            }
        code, out = cli(clean, "audit", "verify")
        assert code == 0, out
        assert out.splitlines()[-1] == "3 cases checked (10 events): every hash chain intact"

        code, out = cli(clean, "audit", "verify", cases[2])
        assert code == 0, out
        assert f"case {cases[2]}: intact, 5 events, head at version 5" in out


def test_every_row_carries_the_hash_of_the_one_before(store: Store) -> None:
    case_id = store.new_case(visits=1)
    rows = store.sql(
        f"SELECT originator_version, topic, state, chain_hash FROM {EVENTS}"
        " WHERE originator_id = %s ORDER BY originator_version",
        case_id,
    )
    prev = GENESIS
    for version, topic, state, chain_hash in rows:
        assert bytes(chain_hash) == link_hash(prev, UUID(case_id), version, topic, bytes(state))
        prev = bytes(chain_hash)
    assert store.sql(f"SELECT version, hash FROM {HEADS} WHERE case_id = %s", case_id) == [
        (3, prev)
    ]


def test_an_unknown_case_is_404_and_an_error_of_the_cli(store: Store, cli: Any) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    answer = store.client.get(f"/cases/{unknown}/verify", headers=store.auditor)
    assert answer.status_code == 404
    code, _ = cli(store, "audit", "verify", unknown)
    assert code == 1


def test_verify_needs_a_token(store: Store) -> None:
    case_id = store.new_case(visits=0)
    assert store.client.get(f"/cases/{case_id}/verify").status_code == 401


def test_verify_is_for_auditors_and_admins_of_the_case_area_even_once_it_no_longer_replays(
    store: Store,
) -> None:
    store.services.areas.load(
        AreaFile(
            streets=[Street(id="wenmiao", name="文庙街道")],
            communities=[Community(id="xinghua", name="兴华社区", street_id="wenmiao")],
            grids=[Grid(id="xinghua-01", name="兴华社区第一网格", community_id="xinghua")],
        )
    )
    _, elsewhere = store.services.users.add("审计 兴华", Role.AUDITOR, "xinghua")
    _, city = store.services.users.add("管理员 全市", Role.ADMIN, None)

    def status(case_id: str, token: str) -> int:
        headers = {"Authorization": f"Bearer {token}"}
        return store.client.get(f"/cases/{case_id}/verify", headers=headers).status_code

    case_id = store.new_case(visits=3)
    assert store.client.get(f"/cases/{case_id}/verify", headers=store.auth).status_code == 403
    assert status(case_id, elsewhere) == 404
    assert status(case_id, city) == 200

    delete_middle(store, case_id)  # the case no longer replays (version 3 is missing)
    assert store.client.get(f"/cases/{case_id}/verify", headers=store.auth).status_code == 403
    assert status(case_id, elsewhere) == 404
    assert status(case_id, city) == 200
    assert store.verify(case_id)["first_bad_version"] == 3


# -- tampering by hand, each detected and named --------------------------------------------


def flip_one_byte_of_state(store: Store, case_id: str) -> None:
    store.sql(
        f"UPDATE {EVENTS} SET state = set_byte(state, 20, get_byte(state, 20) # 1)"
        " WHERE originator_id = %s AND originator_version = 3",
        case_id,
    )


def change_topic(store: Store, case_id: str) -> None:
    # Version 2 (Assigned) now claims to be of the kind of version 1 (Received).
    store.sql(
        f"UPDATE {EVENTS} AS e SET topic = f.topic FROM {EVENTS} AS f"
        " WHERE e.originator_id = %s AND e.originator_version = 2"
        " AND f.originator_id = e.originator_id AND f.originator_version = 1",
        case_id,
    )


def delete_first(store: Store, case_id: str) -> None:
    store.sql(f"DELETE FROM {EVENTS} WHERE originator_id = %s AND originator_version = 1", case_id)


def delete_middle(store: Store, case_id: str) -> None:
    store.sql(f"DELETE FROM {EVENTS} WHERE originator_id = %s AND originator_version = 3", case_id)


def delete_last(store: Store, case_id: str) -> None:
    store.sql(f"DELETE FROM {EVENTS} WHERE originator_id = %s AND originator_version = 5", case_id)


def delete_every_event(store: Store, case_id: str) -> None:
    store.sql(f"DELETE FROM {EVENTS} WHERE originator_id = %s", case_id)


def swap_states(store: Store, case_id: str) -> None:
    # Versions 3 and 4 are both visits: their states trade places.
    store.sql(
        f"UPDATE {EVENTS} AS e SET state = o.state FROM {EVENTS} AS o"
        " WHERE e.originator_id = %s AND o.originator_id = e.originator_id"
        " AND e.originator_version IN (3, 4) AND o.originator_version IN (3, 4)"
        " AND o.originator_version <> e.originator_version",
        case_id,
    )


def swap_versions(store: Store, case_id: str) -> None:
    # Rows 2 and 3 trade version numbers (their hashes go with them).
    for old, new in ((2, -2), (3, 2), (-2, 3)):
        store.sql(
            f"UPDATE {EVENTS} SET originator_version = %s"
            " WHERE originator_id = %s AND originator_version = %s",
            new,
            case_id,
            old,
        )


def null_a_hash(store: Store, case_id: str) -> None:
    store.sql(
        f"UPDATE {EVENTS} SET chain_hash = NULL WHERE originator_id = %s"
        " AND originator_version = 2",
        case_id,
    )


def change_last_and_its_hash(store: Store, case_id: str) -> None:
    """Someone who knows the scheme changes the last event and computes its link again."""
    (prev,) = store.sql(
        f"SELECT chain_hash FROM {EVENTS} WHERE originator_id = %s AND originator_version = 4",
        case_id,
    )[0]
    (topic, state) = store.sql(
        f"SELECT topic, state FROM {EVENTS} WHERE originator_id = %s AND originator_version = 5",
        case_id,
    )[0]
    changed = bytearray(state)
    changed[20] ^= 1
    forged = bytes(changed)
    store.sql(
        f"UPDATE {EVENTS} SET state = %s, chain_hash = %s"
        " WHERE originator_id = %s AND originator_version = 5",
        forged,
        link_hash(bytes(prev), UUID(case_id), 5, topic, forged),
        case_id,
    )


def delete_head(store: Store, case_id: str) -> None:
    store.sql(f"DELETE FROM {HEADS} WHERE case_id = %s", case_id)


TAMPERING = [
    # (how, first bad version, words in the problem)
    (flip_one_byte_of_state, 3, "changed"),
    (change_topic, 2, "changed"),
    (delete_first, 1, "version 1 is missing"),
    (delete_middle, 3, "version 3 is missing"),
    (delete_last, 5, "the last stored event is version 4"),
    (delete_every_event, 1, "no event is stored"),
    (swap_states, 3, "holds the event stored as version 4: events were reordered"),
    (swap_versions, 2, "holds the event stored as version 3: events were reordered"),
    (null_a_hash, 2, "no chain hash"),
    (change_last_and_its_hash, 5, "the head's hash does not match version 5"),
    (delete_head, 5, "no head"),
]


@pytest.mark.parametrize(
    ("tamper", "first_bad", "words"), TAMPERING, ids=[t[0].__name__ for t in TAMPERING]
)
def test_tampering_by_hand_is_detected_and_named(
    store: Store, cli: Any, tamper: Any, first_bad: int, words: str
) -> None:
    case_id = store.new_case(visits=3)  # versions 1..5
    assert store.verify(case_id)["ok"] is True
    tamper(store, case_id)

    verdict = store.verify(case_id)
    assert verdict["ok"] is False
    assert verdict["first_bad_version"] == first_bad
    assert words in verdict["problem"]

    code, out = cli(store, "audit", "verify", case_id)
    assert code == 1
    assert f"case {case_id}: broken at version {first_bad}: {verdict['problem']}" in out
    assert out.splitlines()[-1] == f"1 case checked ({verdict['events_checked']} events): 1 broken"


def test_a_deleted_last_event_written_again_is_still_seen(store: Store) -> None:
    case_id = store.new_case(visits=3)
    delete_last(store, case_id)
    # The service carries on from version 4 and writes a different version 5.
    store.command(case_id, "visits", visit_body(notes="written over the deleted one"))
    verdict = store.verify(case_id)
    assert (verdict["ok"], verdict["first_bad_version"]) == (False, 5)
    assert "the head's hash does not match version 5" in verdict["problem"]


def test_verify_all_names_each_broken_case_and_fails(store: Store, cli: Any) -> None:
    intact = store.new_case(visits=1)
    changed, cut = store.new_case(visits=3), store.new_case(visits=3)
    flip_one_byte_of_state(store, changed)
    delete_middle(store, cut)

    code, out = cli(store, "audit", "verify")
    assert code == 1
    lines = out.splitlines()
    broken = [line for line in lines if ": broken at version " in line]
    assert f"case {changed}: broken at version 3: " in out
    assert f"case {cut}: broken at version 3: version 3 is missing" in out
    assert not any(intact in line for line in broken)
    assert lines[-1].endswith(f": {len(broken)} broken")


def test_rewriting_rows_and_head_alike_is_not_detected(store: Store) -> None:
    """The limit, as documented: whoever can write the tables and knows the scheme can
    forge a consistent chain. Anchoring heads outside the database would close it."""
    case_id = store.new_case(visits=3)
    change_last_and_its_hash(store, case_id)
    (forged,) = store.sql(
        f"SELECT chain_hash FROM {EVENTS} WHERE originator_id = %s AND originator_version = 5",
        case_id,
    )[0]
    store.sql(f"UPDATE {HEADS} SET hash = %s WHERE case_id = %s", forged, case_id)
    assert store.verify(case_id)["ok"] is True


def test_erasing_a_resident_leaves_every_chain_intact(store: Store) -> None:
    """Crypto-shredding deletes a key, never a stored byte: the chains still hold."""
    case_id = store.new_case(visits=1)
    case = store.client.get(f"/cases/{case_id}", headers=store.auditor).json()
    resident_id = case["resident"]["resident_id"]
    before = store.sql(f"SELECT state FROM {EVENTS} WHERE originator_id = %s", case_id)
    _, admin = store.services.users.add("管理员 擦除", Role.ADMIN, None)
    erased = store.client.delete(
        f"/residents/{resident_id}/personal-data", headers={"Authorization": f"Bearer {admin}"}
    )
    assert erased.status_code in (200, 204), erased.text
    assert store.sql(f"SELECT state FROM {EVENTS} WHERE originator_id = %s", case_id) == before
    verdict = store.verify(case_id)
    assert (verdict["ok"], verdict["events_checked"]) == (True, 3)


# -- writers at once -----------------------------------------------------------------------


def test_twenty_threads_appending_to_one_case_keep_a_valid_chain(store: Store) -> None:
    case_id = UUID(store.new_case(visits=0))
    caller = Caller(actor_id="supervisor-zhao", role="supervisor", correlation_id="chain-threads")

    def visit(n: int) -> bool:
        try:
            store.services.cases.handle(
                case_id, Visit(datetime.now(UTC), 30, f"thread {n}"), caller
            )
        except ConcurrentChanges:
            return False
        return True

    with ThreadPoolExecutor(20) as pool:
        landed = sum(pool.map(visit, range(20)))
    assert landed >= 1
    with store.services.pool.connection() as conn:
        verdict = case_auditor().verify_case(conn, case_id)
    assert verdict is not None
    assert verdict.ok, verdict
    assert verdict.events_checked == verdict.head_version == 2 + landed


# -- the recorder itself, on applications of their own ---------------------------------------


class Counter(Aggregate):
    @event("Created")
    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0

    @event("Counted")
    def count_one(self, note: str) -> None:
        self.count += 1


def store_env(url: str, **extra: str) -> dict[str, str]:
    params = connection_params(url)
    return {
        "PERSISTENCE_MODULE": "infra.event_store",
        "POSTGRES_HOST": params["host"],
        "POSTGRES_PORT": params["port"],
        "POSTGRES_DBNAME": params["dbname"],
        "POSTGRES_USER": params["user"],
        "POSTGRES_PASSWORD": params["password"],
        "POSTGRES_POOL_SIZE": "2",
        **extra,
    }


@pytest.fixture(scope="module")
def scratch_url(database_url: str) -> Iterator[str]:
    with own_database(database_url, "scratch") as url:
        yield url


def audit(url: str, app_name: str) -> list[Any]:
    with psycopg.connect(url, autocommit=True) as conn:
        return list(ChainAuditor(f"{app_name}_events").verify_all(conn))


def test_one_save_of_several_events_of_several_aggregates_chains_each(scratch_url: str) -> None:
    class Batches(Application[UUID]):
        name = "chainbatches"

    app = Batches(store_env(scratch_url))
    try:
        first, second = Counter("first"), Counter("second")
        first.count_one("a")
        first.count_one("b")
        recordings = app.save(first, second)  # 3 events of one, 1 of the other
        second.count_one("c")
        second.count_one("d")
        first.count_one("e")
        recordings += app.save(second, first)
        ids = [r.notification.id for r in recordings]
        assert ids == sorted(ids) and len(set(ids)) == 7
        assert app.repository.get(first.id).count == 3
    finally:
        app.close()
    verdicts = {v.case_id: v for v in audit(scratch_url, "chainbatches")}
    assert {v.ok for v in verdicts.values()} == {True}
    assert (verdicts[first.id].head_version, verdicts[second.id].head_version) == (4, 3)


def test_the_chain_is_over_stored_bytes_so_a_lost_key_does_not_break_it(
    scratch_url: str,
) -> None:
    pytest.importorskip("cryptography")
    from eventsourcing.cryptography import AESCipher

    class Encrypted(Application[UUID]):
        name = "chaincipher"

    topic = "eventsourcing.cryptography:AESCipher"
    app = Encrypted(store_env(scratch_url, CIPHER_TOPIC=topic, CIPHER_KEY=AESCipher.create_key(16)))
    try:
        counter = Counter("秘密")
        counter.count_one("李秀英 13812345678")
        app.save(counter)
    finally:
        app.close()
    # The key is gone (crypto-shredding): the events cannot be read, the chain still holds.
    other_key = AESCipher.create_key(16)
    app = Encrypted(store_env(scratch_url, CIPHER_TOPIC=topic, CIPHER_KEY=other_key))
    try:
        with pytest.raises(ValueError):
            app.repository.get(counter.id)
    finally:
        app.close()
    assert [(v.ok, v.events_checked) for v in audit(scratch_url, "chaincipher")] == [(True, 2)]


def test_a_table_of_before_the_chain_is_sealed_once_and_never_again(scratch_url: str) -> None:
    class Legacy(Application[UUID]):
        name = "chainlegacy"

    env = store_env(scratch_url)
    counters = [Counter(f"old {n}") for n in range(3)]
    for counter in counters:
        counter.count_one("before the chain")
    old = Legacy({**env, "PERSISTENCE_MODULE": "eventsourcing.postgres"})
    old.save(*counters)
    old.close()

    app = Legacy(env)  # adds the column and seals what it finds
    counters[0].count_one("after the chain")
    app.save(counters[0])
    app.close()
    verdicts = audit(scratch_url, "chainlegacy")
    assert sorted((v.ok, v.events_checked) for v in verdicts) == [(True, 2), (True, 2), (True, 3)]

    # A hash missing later on is tampering: reported, never sealed again by a restart.
    with psycopg.connect(scratch_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE chainlegacy_events SET chain_hash = NULL"
            " WHERE originator_id = %s AND originator_version = 1",
            (counters[1].id,),
        )
    Legacy(env).close()
    broken = [v for v in audit(scratch_url, "chainlegacy") if not v.ok]
    assert [(v.case_id, v.first_bad_version) for v in broken] == [(counters[1].id, 1)]
