"""Commands written at the same time share transactions, and lose none of the store's promises."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID, uuid4

from domain.application import Caller, Outcome, StaleVersion
from domain.commands import Assign
from domain.matter import Matter
from infra.bootstrap import Services
from tests.helpers import intake

CLERK = Caller(actor_id="clerk-group-commit", role="clerk", correlation_id="group-commit")
THREADS = 24


def receive(services: Services, key: str | None = None, **overrides: Any) -> Outcome:
    body = intake(**overrides)
    return services.cases.receive(
        kind=body["kind"],
        matter=Matter(
            body["category"], body["channel"], body["title"], body["description"], body["grid_id"]
        ),
        resident=body["resident"],
        parties=[],
        caller=CLERK,
        idempotency_key=key,
        request_hash=f"hash-of-{key}" if key else None,
    )


def stored(services: Services, case_ids: list[UUID]) -> list[tuple[UUID, int, int, str]]:
    """(case, version, notification id, transaction id) of each stored event of these cases."""
    with services.pool.connection() as conn:
        rows = conn.execute(
            "SELECT originator_id, originator_version, notification_id, xmin::text"
            " FROM casework_events WHERE originator_id = ANY(%s) ORDER BY notification_id",
            (case_ids,),
        ).fetchall()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def test_concurrent_intakes_are_all_stored_once_in_shared_transactions(
    services: Services,
) -> None:
    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(lambda _n: receive(services), range(THREADS * 8)))
    case_ids = [outcome.case.id for outcome in outcomes]
    rows = stored(services, case_ids)
    assert sorted(row[0] for row in rows) == sorted(case_ids)  # each case once
    assert all(row[1] == 1 for row in rows)
    # Each answer's position is its own event's place in the store.
    positions = {row[0]: row[2] for row in rows}
    assert all(positions[outcome.case.id] == outcome.position for outcome in outcomes)
    # Fewer transactions than commands: concurrent appends were written together.
    assert len({row[3] for row in rows}) < len(rows)


def test_a_conflict_in_a_shared_transaction_fails_only_its_own_command(
    services: Services,
) -> None:
    case = receive(services).case
    worker = "worker-group-commit"

    def assign_at_version_one(n: int) -> str:
        try:
            services.cases.handle(case.id, Assign(worker, f"try {n}"), CLERK, expected_version=1)
        except StaleVersion:
            return "stale"
        return "assigned"

    def new_case(_n: int) -> UUID:
        return receive(services).case.id

    with ThreadPoolExecutor(THREADS) as pool:
        assigns = [pool.submit(assign_at_version_one, n) for n in range(THREADS // 2)]
        others = [pool.submit(new_case, n) for n in range(THREADS * 2)]
        outcomes = sorted(future.result() for future in assigns)
        other_ids = [future.result() for future in others]
    assert outcomes.count("assigned") == 1
    assert set(outcomes) <= {"assigned", "stale"}
    assert services.cases.get_case(case.id).version == 2
    assert len(stored(services, other_ids)) == len(other_ids)


def test_one_idempotency_key_sent_many_times_at_once_records_one_case(
    services: Services,
) -> None:
    repeats = THREADS
    key = "group-commit-same-key"
    with ThreadPoolExecutor(THREADS) as pool:
        same = [pool.submit(receive, services, key) for _ in range(repeats)]
        different = [pool.submit(receive, services, f"{key}-{n}") for n in range(repeats)]
        same_ids = {future.result().case.id for future in same}
        different_ids = {future.result().case.id for future in different}
    assert len(same_ids) == 1
    assert len(different_ids) == repeats
    assert len(stored(services, [*same_ids, *different_ids])) == repeats + 1


def test_a_new_resident_calling_many_times_at_once_is_one_resident(services: Services) -> None:
    phone = f"137{uuid4().int % 10**8:08d}"
    resident = {"name": "周桂兰", "phone": phone, "address": "天胜社区5号楼"}

    def keys_stored() -> int:
        with services.pool.connection() as conn:
            row = conn.execute("SELECT count(*) FROM casework_resident_keys").fetchone()
        return int(row[0]) if row else 0

    before = keys_stored()
    with ThreadPoolExecutor(THREADS) as pool:
        cases = list(pool.map(lambda _n: receive(services, resident=resident).case, range(16)))
    assert len({case.resident_id for case in cases}) == 1
    assert services.residents.find(phone) == cases[0].resident_id
    assert keys_stored() == before + 1  # no key left behind by an intake that lost the race
