"""The event store: the library's PostgreSQL recorder, with every case's events hash-chained.

Selected with ``PERSISTENCE_MODULE=infra.event_store`` (see ``infra.database.event_store_env``).

Each stored row of ``<app>_events`` carries ``chain_hash``::

    sha256(previous row's chain_hash of the same originator, or 32 zero bytes for the first
           || originator_id (16 bytes) || originator_version (8 bytes, big-endian)
           || length of the topic in UTF-8 (4 bytes, big-endian) || topic (UTF-8)
           || state)

over the topic and state exactly as stored, that is after the mapper has transcoded,
compressed and encrypted them: deleting a resident's key never touches a stored byte, so it
never breaks a chain. ``<app>_chain_heads`` keeps each originator's newest version and hash,
so that deleting the last events of a case is seen too.

Both are written by the one INSERT statement that stores the events (a data-modifying
WITH query), in the transaction that holds the table's EXCLUSIVE lock: the versions of a
case are serialised, and an append costs no extra round trip.
"""

import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing import postgres
from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    InterfaceError,
    Notification,
    OperationalError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import strtobool
from psycopg import Cursor
from psycopg.generators import send
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composable, Identifier, Literal

from infra.group_commit import GroupCommit

log = logging.getLogger(__name__)

DEFAULT_RETRY_SECONDS = 1.5
RETRY_WAIT_SECONDS = 0.1

# The library's database calls without its own retry (10 attempts, 0.2 s apart).
_LIBRARY_INSERT = PostgresApplicationRecorder.insert_events.__wrapped__  # type: ignore[attr-defined]
_LIBRARY_SELECT_EVENTS = PostgresApplicationRecorder.select_events.__wrapped__  # type: ignore[attr-defined]
_LIBRARY_SELECT_NOTIFICATIONS = PostgresApplicationRecorder.select_notifications.__wrapped__  # type: ignore[attr-defined]
_LIBRARY_MAX_NOTIFICATION_ID = PostgresApplicationRecorder.max_notification_id.__wrapped__  # type: ignore[attr-defined]

GENESIS = bytes(32)
"""The 'previous hash' of a case's first event."""


def link_hash(prev: bytes, originator_id: UUID, version: int, topic: str, state: bytes) -> bytes:
    """One link of a chain: what the recorder computes in SQL, computed in Python."""
    topic_bytes = topic.encode("utf-8")
    return hashlib.sha256(
        prev
        + originator_id.bytes
        + version.to_bytes(8, "big", signed=True)
        + len(topic_bytes).to_bytes(4, "big", signed=True)
        + topic_bytes
        + state
    ).digest()


def heads_table_for(events_table: str) -> str:
    """``casework_events`` -> ``casework_chain_heads``."""
    return events_table.removesuffix("_events") + "_chain_heads"


def _link_sql(alias: str) -> Composable:
    """The bytes hashed after the previous hash, for the row named ``alias`` (as link_hash)."""
    return SQL(
        "uuid_send({a}.originator_id) || int8send({a}.originator_version)"
        " || int4send(octet_length(convert_to({a}.topic, 'UTF8')))"
        " || convert_to({a}.topic, 'UTF8') || {a}.state"
    ).format(a=Identifier(alias))


_GENESIS_SQL = Literal(GENESIS)


@dataclass(frozen=True)
class _Statements:
    locks: list[bytes]
    notify: bytes
    one_per_case: bytes
    any_batch: bytes


class ChainedApplicationRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        if self.datastore.originator_id_type != "uuid":
            msg = "the hash-chained event store needs ORIGINATOR_ID_TYPE=uuid"
            raise ProgrammingError(msg)
        if self.datastore.enable_db_functions:
            # The library's insert function knows nothing of the chain.
            msg = "the hash-chained event store does not support POSTGRES_ENABLE_DB_FUNCTIONS"
            raise ProgrammingError(msg)
        self._statements: _Statements | None = None  # rendered at the first append
        # Set by the factory when GROUP_COMMIT is on (see infra.group_commit).
        self.group_commit: GroupCommit[StoredEvent] | None = None
        self.retry_seconds = DEFAULT_RETRY_SECONDS  # set by the factory from RETRY_SECONDS
        self.heads_table_name = heads_table_for(events_table_name)
        self.check_identifier_length(self.heads_table_name)
        names: dict[str, Composable] = {
            "schema": Identifier(self.datastore.schema),
            "events": Identifier(self.events_table_name),
            "heads": Identifier(self.heads_table_name),
            "event_type": Identifier(self.stored_event_type_name),
            "genesis": _GENESIS_SQL,
            "link_b": _link_sql("b"),
            "link_e": _link_sql("e"),
        }
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{heads} ("
                "case_id uuid PRIMARY KEY, "
                "version bigint NOT NULL, "
                "hash bytea NOT NULL)"
            ).format(**names)
        )
        # Both replace the library's INSERT (same parameter, same answer: the notification
        # ids, in the order of the events given). Each links every event of the batch to the
        # one before it in its case: the newest stored row, or the batch's previous event of
        # the same case. A head never moves back: a case whose last event was deleted by hand
        # and then written again keeps the evidence (the head's hash no longer matches).
        names["upsert_head"] = SQL(
            "ON CONFLICT (case_id) DO UPDATE SET version = excluded.version,"
            " hash = excluded.hash WHERE h.version < excluded.version"
        )
        # The common batch, at most one event per case (e.g. one command's one event):
        # each links to its case's newest stored row.
        self.insert_one_per_case_statement = SQL(
            "WITH inserted AS ("
            " INSERT INTO {schema}.{events}"
            "  (originator_id, originator_version, topic, state, chain_hash)"
            " SELECT b.originator_id, b.originator_version, b.topic, b.state,"
            "  sha256(coalesce((SELECT p.chain_hash FROM {schema}.{events} AS p"
            "   WHERE p.originator_id = b.originator_id"
            "   AND p.originator_version < b.originator_version"
            "   ORDER BY p.originator_version DESC LIMIT 1), {genesis}) || {link_b})"
            " FROM unnest(%s::{schema}.{event_type}[]) WITH ORDINALITY"
            "  AS b(originator_id, originator_version, topic, state, ord)"
            " ORDER BY b.ord"
            " RETURNING notification_id, originator_id, originator_version, chain_hash"
            "), heads AS ("
            " INSERT INTO {schema}.{heads} AS h (case_id, version, hash)"
            " SELECT originator_id, originator_version, chain_hash FROM inserted {upsert_head}"
            ") SELECT notification_id FROM inserted ORDER BY notification_id"
        ).format(**names)
        # Any batch: a case's later events link (recursively) to its earlier ones in the batch.
        self.insert_events_statement = SQL(
            "WITH RECURSIVE batch AS ("
            " SELECT b.originator_id, b.originator_version, b.topic, b.state, b.ord,"
            "  row_number() OVER"
            "   (PARTITION BY b.originator_id ORDER BY b.originator_version) AS n"
            " FROM unnest(%s::{schema}.{event_type}[]) WITH ORDINALITY"
            "  AS b(originator_id, originator_version, topic, state, ord)"
            "), chain AS ("
            " SELECT b.originator_id, b.originator_version, b.n,"
            "  sha256(coalesce((SELECT p.chain_hash FROM {schema}.{events} AS p"
            "   WHERE p.originator_id = b.originator_id"
            "   AND p.originator_version < b.originator_version"
            "   ORDER BY p.originator_version DESC LIMIT 1), {genesis}) || {link_b}) AS hash"
            " FROM batch AS b WHERE b.n = 1"
            " UNION ALL"
            " SELECT b.originator_id, b.originator_version, b.n, sha256(c.hash || {link_b})"
            " FROM chain AS c JOIN batch AS b"
            "  ON b.originator_id = c.originator_id AND b.n = c.n + 1"
            "), inserted AS ("
            " INSERT INTO {schema}.{events}"
            "  (originator_id, originator_version, topic, state, chain_hash)"
            " SELECT b.originator_id, b.originator_version, b.topic, b.state, c.hash"
            " FROM batch AS b JOIN chain AS c ON c.originator_id = b.originator_id"
            "  AND c.originator_version = b.originator_version"
            " ORDER BY b.ord"
            " RETURNING notification_id, originator_id, originator_version, chain_hash"
            "), heads AS ("
            " INSERT INTO {schema}.{heads} AS h (case_id, version, hash)"
            " SELECT DISTINCT ON (originator_id) originator_id, originator_version, chain_hash"
            " FROM inserted ORDER BY originator_id, originator_version DESC {upsert_head}"
            ") SELECT notification_id FROM inserted ORDER BY notification_id"
        ).format(**names)
        # Custom plans (PostgreSQL's choice for a statement with an array parameter) would be
        # planned again at every append, which costs more than running the statement.
        self.lock_table_statements = [
            *self.lock_table_statements,
            SQL("SET LOCAL plan_cache_mode = force_generic_plan"),
        ]
        self._has_column_statement = SQL(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = %s"
            " AND table_name = %s AND column_name = 'chain_hash'"
        )
        self._lock_for_migration_statement = SQL(
            "LOCK TABLE {schema}.{events} IN ACCESS EXCLUSIVE MODE"
        ).format(**names)
        self._add_column_statement = SQL(
            "ALTER TABLE {schema}.{events} ADD COLUMN IF NOT EXISTS chain_hash bytea"
        ).format(**names)
        self._versions_to_seal_statement = SQL(
            "SELECT DISTINCT originator_version FROM {schema}.{events}"
            " WHERE chain_hash IS NULL ORDER BY originator_version"
        ).format(**names)
        self._seal_version_statement = SQL(
            "UPDATE {schema}.{events} AS e SET chain_hash = sha256(coalesce(("
            " SELECT p.chain_hash FROM {schema}.{events} AS p"
            " WHERE p.originator_id = e.originator_id"
            " AND p.originator_version < e.originator_version"
            " ORDER BY p.originator_version DESC LIMIT 1), {genesis}) || {link_e})"
            " WHERE e.originator_version = %s AND e.chain_hash IS NULL"
        ).format(**names)
        self._seal_heads_statement = SQL(
            "INSERT INTO {schema}.{heads} (case_id, version, hash)"
            " SELECT DISTINCT ON (originator_id) originator_id, originator_version, chain_hash"
            " FROM {schema}.{events} ORDER BY originator_id, originator_version DESC"
            " ON CONFLICT (case_id) DO NOTHING"
        ).format(**names)

    def _create_table(self, curs: Cursor[DictRow]) -> None:
        super()._create_table(curs)
        self._add_chain_column(curs)

    def _add_chain_column(self, curs: Cursor[DictRow]) -> None:
        """Add the column to a table of an earlier version, and seal the rows found there.

        Only in the transaction that adds the column: a row whose hash is missing later on
        was tampered with, and must be reported, never sealed again.
        """
        where = (self.datastore.schema, self.events_table_name)
        if curs.execute(self._has_column_statement, where, prepare=False).fetchone():
            return
        curs.execute(self._lock_for_migration_statement, prepare=False)
        if curs.execute(self._has_column_statement, where, prepare=False).fetchone():
            return  # another process added it meanwhile
        curs.execute(self._add_column_statement, prepare=False)
        versions = [
            row["originator_version"]
            for row in curs.execute(self._versions_to_seal_statement, prepare=False)
        ]
        sealed = 0
        for version in versions:  # a case's versions in order: each links to the one before
            curs.execute(self._seal_version_statement, (version,), prepare=False)
            sealed += curs.rowcount
        curs.execute(self._seal_heads_statement, prepare=False)
        if sealed:
            log.warning(
                "added hash chains to %s: sealed %d events stored before, as found",
                self.events_table_name,
                sealed,
            )

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        together = not any(value is not None for value in kwargs.values())  # e.g. tracking
        if self.group_commit is None or not together or not stored_events:
            return self.write_events(stored_events, **kwargs)
        return self.group_commit.append(stored_events)

    def write_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The library's insert (lock, notify, chained insert, commit), in one transaction."""
        return self._within_deadline(self._insert_and_commit, stored_events, **kwargs)

    def _insert_and_commit(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """As the library's insert, in one round trip instead of two: the library syncs its
        pipeline after the INSERT (to raise a broken uniqueness as IntegrityError there, not
        at the commit) and again with the COMMIT. Here BEGIN, the lock, NOTIFY, the INSERT
        and COMMIT go in one pipeline and sync once: an INSERT that fails makes the server
        skip the COMMIT, and the sync raises the INSERT's own error (the connection's
        context then rolls the failed transaction back)."""
        if not stored_events:
            return _LIBRARY_INSERT(self, stored_events, **kwargs)
        with self.datastore.get_connection() as conn:
            with conn.pipeline(), conn.transaction():
                with conn.cursor() as tracking:
                    self._insert_events(tracking, stored_events, **kwargs)
                curs = conn.cursor()
                self._insert_stored_events(curs, stored_events, **kwargs)
            with curs:  # the pipeline has synced: the INSERT's rows are in
                return self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)

    # The library retries a failed database call 10 times, for about 10 s when the database
    # is down; a request must get its 503 within about the pool's timeout instead. Retrying
    # within that time still rides over a connection that broke since its last use.

    def select_events(self, *args: Any, **kwargs: Any) -> Sequence[StoredEvent]:
        return self._within_deadline(_LIBRARY_SELECT_EVENTS, self, *args, **kwargs)

    def select_notifications(self, *args: Any, **kwargs: Any) -> Sequence[Notification]:
        return self._within_deadline(_LIBRARY_SELECT_NOTIFICATIONS, self, *args, **kwargs)

    def max_notification_id(self) -> int | None:
        return self._within_deadline(_LIBRARY_MAX_NOTIFICATION_ID, self)

    def _within_deadline(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        deadline = time.monotonic() + self.retry_seconds
        while True:
            try:
                return call(*args, **kwargs)
            except (InterfaceError, OperationalError):
                if time.monotonic() + RETRY_WAIT_SECONDS >= deadline:
                    raise
                time.sleep(RETRY_WAIT_SECONDS)

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **_: Any
    ) -> None:
        # As the library's (lock, notify, insert), with one of the two chaining statements,
        # each rendered to bytes once: psycopg renders a composed statement again at every
        # execution, prepared or not.
        statements = self._statements or self._render(curs)
        for lock in statements.locks:
            curs.execute(lock, prepare=True)
        curs.execute(statements.notify)
        pg_stored_events = [
            self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state)
            for e in stored_events
        ]
        one_per_case = len({e.originator_id for e in stored_events}) == len(stored_events)
        statement = statements.one_per_case if one_per_case else statements.any_batch
        curs.execute(statement, (pg_stored_events,), prepare=True)
        _send_all(curs)

    def _render(self, curs: Cursor[DictRow]) -> "_Statements":
        """The append's statements as bytes, rendered on the first append's connection."""
        conn = curs.connection

        def rendered(query: Any) -> bytes:
            if isinstance(query, Composable):
                return query.as_bytes(conn)
            return query.encode() if isinstance(query, str) else bytes(query)

        self._statements = _Statements(
            locks=[rendered(lock) for lock in self.lock_table_statements],
            notify=rendered(SQL("NOTIFY {0}").format(Identifier(self.channel_name))),
            one_per_case=rendered(self.insert_one_per_case_statement),
            any_batch=rendered(self.insert_events_statement),
        )
        return self._statements

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **_: Any
    ) -> Sequence[int] | None:
        # The library's version insists on an "INSERT" status; ours is a WITH ... SELECT.
        notification_ids = [row["notification_id"] for row in curs.fetchall()]
        if len(notification_ids) != len(stored_events):
            msg = (
                f"Couldn't get all notification IDs "
                f"(got {len(notification_ids)}, expected {len(stored_events)})"
            )
            raise ProgrammingError(msg)
        return notification_ids


def _send_all(curs: Cursor[DictRow]) -> None:
    """Hand libpq's whole output buffer to the server before the library syncs the pipeline.

    psycopg's ``Pipeline.sync()`` stops writing as soon as its queue of commands is empty,
    even when libpq could not pass the whole statement to the socket (PQflush answered "not
    all sent"), and then only waits to read. A Unix socket takes about 200 kB a write (TCP on
    loopback takes megabytes), so a batch of some 1,500 events (1 MB) on the embedded
    PostgreSQL left its tail in libpq's buffer while the server waited for it (ClientRead):
    both sides waited forever. ``send`` writes until the buffer is empty, reading meanwhile.
    """
    conn = curs.connection
    conn.wait(send(conn.pgconn))


class Factory(postgres.PostgresFactory):
    """The one factory of this module (the library finds it by PERSISTENCE_MODULE)."""

    application_recorder_class = ChainedApplicationRecorder

    def application_recorder(self) -> ApplicationRecorder:
        recorder = super().application_recorder()
        if not isinstance(recorder, ChainedApplicationRecorder):
            return recorder
        recorder.retry_seconds = float(self.env.get("RETRY_SECONDS") or DEFAULT_RETRY_SECONDS)
        if strtobool(self.env.get("GROUP_COMMIT") or "n"):
            recorder.group_commit = GroupCommit(recorder.write_events, conflict=IntegrityError)
        return recorder
