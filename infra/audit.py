"""Checks the hash chains of stored events (see ``infra.event_store``) and names what broke.

Reads the rows as stored, in one REPEATABLE READ snapshot (so appends running meanwhile are
seen whole or not at all), recomputes every link from the first event of each case and
compares it with the stored hash, then compares the newest link with the case's head.
"""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from psycopg.sql import SQL, Identifier

from domain.application import CaseWork
from infra.event_store import GENESIS, heads_table_for, link_hash

# Looking for where a moved event came from compares every row with every position:
# quadratic, so only for cases of up to this many events (else the problem is just "changed").
_DIAGNOSE_MOVES_UP_TO = 200


@dataclass(frozen=True)
class Row:
    version: int
    topic: str
    state: bytes
    chain_hash: bytes | None


@dataclass(frozen=True)
class Verdict:
    case_id: UUID
    ok: bool
    events_checked: int
    head_version: int | None
    first_bad_version: int | None = None
    problem: str | None = None


@dataclass(frozen=True)
class Summary:
    cases: int
    events: int
    broken: list[Verdict]


class ChainAuditor:
    def __init__(self, events_table: str, schema: str = "public"):
        names = {
            "events": Identifier(schema, events_table),
            "heads": Identifier(schema, heads_table_for(events_table)),
        }
        columns = "originator_version, topic, state, chain_hash"
        self._case_rows = SQL(
            f"SELECT {columns} FROM {{events}} WHERE originator_id = %s"  # noqa: S608
            " ORDER BY originator_version"
        ).format(**names)
        self._case_head = SQL("SELECT version, hash FROM {heads} WHERE case_id = %s").format(
            **names
        )
        self._all_rows = SQL(
            f"SELECT originator_id, {columns} FROM {{events}}"  # noqa: S608
            " ORDER BY originator_id, originator_version"
        ).format(**names)
        self._all_heads = SQL("SELECT case_id, version, hash FROM {heads}").format(**names)

    def verify_case(self, conn: psycopg.Connection[Any], case_id: UUID) -> Verdict | None:
        """The verdict on one case; None if the store knows nothing of it."""
        with _snapshot(conn):
            rows = [_row(r) for r in conn.execute(self._case_rows, (case_id,)).fetchall()]
            head = conn.execute(self._case_head, (case_id,)).fetchone()
        if not rows and head is None:
            return None
        return verify_rows(case_id, rows, _head(head))

    def verify_all(self, conn: psycopg.Connection[Any]) -> Iterator[Verdict]:
        """The verdict on every case with events or a head, one case at a time."""
        with _snapshot(conn):
            heads = {r[0]: _head(r[1:]) for r in conn.execute(self._all_heads)}
            with conn.cursor(name="casework_chain_audit") as cursor:
                cursor.itersize = 2000
                cursor.execute(self._all_rows)
                case_id: UUID | None = None
                rows: list[Row] = []
                for record in cursor:
                    if record[0] != case_id:
                        if case_id is not None:
                            yield verify_rows(case_id, rows, heads.pop(case_id, None))
                        case_id, rows = record[0], []
                    rows.append(_row(record[1:]))
                if case_id is not None:
                    yield verify_rows(case_id, rows, heads.pop(case_id, None))
            for orphan_id, head in sorted(heads.items()):
                yield verify_rows(orphan_id, [], head)


def case_auditor() -> ChainAuditor:
    """The auditor of the service's own event store (``casework_events``)."""
    return ChainAuditor(f"{CaseWork.name}_events")


@contextmanager
def _snapshot(conn: psycopg.Connection[Any]) -> Iterator[None]:
    """A read-only REPEATABLE READ transaction, on a connection in autocommit or not."""
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def summarise(verdicts: Iterable[Verdict]) -> Summary:
    cases = events = 0
    broken = []
    for verdict in verdicts:
        cases += 1
        events += verdict.events_checked
        if not verdict.ok:
            broken.append(verdict)
    return Summary(cases, events, broken)


def _row(record: Sequence[Any]) -> Row:
    version, topic, state, chain_hash = record
    return Row(
        version,
        topic if topic is not None else "",
        bytes(state) if state is not None else b"",
        bytes(chain_hash) if chain_hash is not None else None,
    )


def _head(record: Sequence[Any] | None) -> tuple[int, bytes] | None:
    return None if record is None else (record[0], bytes(record[1]))


def verify_rows(case_id: UUID, rows: Sequence[Row], head: tuple[int, bytes] | None) -> Verdict:
    """Walk a case's rows (in version order) from its first event; stop at the first fault."""
    head_version = head[0] if head else None

    def broken(checked: int, version: int, problem: str) -> Verdict:
        return Verdict(case_id, False, checked, head_version, version, problem)

    prev = GENESIS
    for checked, row in enumerate(rows, start=1):
        expected = checked
        if row.version != expected:
            return broken(
                checked - 1,
                expected,
                f"version {expected} is missing (deleted, or its version number was changed)",
            )
        if row.chain_hash is None:
            return broken(checked, expected, f"version {expected} has no chain hash")
        if link_hash(prev, case_id, row.version, row.topic, row.state) != row.chain_hash:
            return broken(checked, expected, _diagnose(case_id, rows, row))
        prev = row.chain_hash
    last = len(rows)
    if head is None:
        if not rows:  # cannot happen: a case with neither rows nor head is unknown
            return Verdict(case_id, True, 0, None)
        return broken(last, last, f"no head is recorded for this case (its last is version {last})")
    head_version, head_hash = head
    if head_version > last:
        stored = f"the last stored event is version {last}" if rows else "no event is stored"
        return broken(
            last,
            last + 1,
            f"the head records version {head_version} but {stored}: "
            "the case's last events were deleted",
        )
    if head_version < last:
        return broken(
            last,
            head_version + 1,
            f"the head records version {head_version}, yet events up to version {last} are "
            "stored: they were not appended by the service",
        )
    if head_hash != prev:
        return broken(
            last,
            last,
            f"the head's hash does not match version {last}: the last event was replaced "
            "(deleted and written again) or the head was changed",
        )
    return Verdict(case_id, True, last, head_version)


def _diagnose(case_id: UUID, rows: Sequence[Row], bad: Row) -> str:
    """Why a row's link does not match: moved from another position, or changed."""
    changed = f"version {bad.version}'s topic or state is not what was stored (changed)"
    if len(rows) > _DIAGNOSE_MOVES_UP_TO:
        return changed
    # Each stored hash is the link of some original (position, content): if this row's content
    # yields a stored hash at another version, from some stored hash as its predecessor, it is
    # that version's event, moved here (rows swapped, or states swapped between rows).
    stored = {r.chain_hash for r in rows if r.chain_hash is not None}
    predecessors = [GENESIS, *stored]
    for version in range(1, len(rows) + 2):
        if version == bad.version:
            continue
        for prev in predecessors:
            if link_hash(prev, case_id, version, bad.topic, bad.state) in stored:
                return (
                    f"version {bad.version} holds the event stored as version {version}: "
                    "events were reordered"
                )
    return changed
