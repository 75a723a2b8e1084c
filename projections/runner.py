"""Keeps each read model up to date with the event log.

A projector reads the log in batches, applies a batch to its read model's tables and
moves its tracked position in the same transaction, so every event is applied exactly
once and a restart resumes where the last commit left off. A PostgreSQL advisory lock
makes sure only one projector writes a generation of a read model at a time; others
wait as standbys.

Read models live in generations (tables suffixed ``_g<N>``); views without the suffix
point at the active one. A rebuild fills a new generation from the first event while
the old one keeps answering, then switches the views over in one transaction.
"""

import logging
import threading
import time
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic
from psycopg import sql
from psycopg.types.string import StrDumperUnknown

from domain.case import Case

log = logging.getLogger(__name__)

REGISTRY = """
CREATE TABLE IF NOT EXISTS casework_projections (
    name text NOT NULL,
    generation integer NOT NULL,
    schema_version integer NOT NULL,
    position bigint NOT NULL DEFAULT 0,
    active boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    failures integer NOT NULL DEFAULT 0,
    error text,
    error_position bigint,
    error_at timestamptz,
    PRIMARY KEY (name, generation)
)
"""

# Events an operator told a read model to pass over (`casework projections skip`): who,
# when and why, for every generation of that read model, rebuilds included.
SKIPS = """
CREATE TABLE IF NOT EXISTS casework_projection_skips (
    name text NOT NULL,
    position bigint NOT NULL,
    skipped_by text NOT NULL,
    reason text NOT NULL,
    skipped_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, position)
)
"""


class ReadModel(ABC):
    """A set of tables built from the event log by applying events in order."""

    name: str
    schema_version: int
    tables: tuple[str, ...]
    # Every event type of a case's life is in exactly one of these (by its stable name):
    # what the model applies, and what it passes by knowingly. Anything else is an
    # UnknownEvent, and tests/unit/test_read_models_cover.py names it before it ships.
    handled: frozenset[str]
    ignored: frozenset[str]
    # The aggregates whose events the model reads; the projector passes over the events of
    # any other (a worker's month, in a model of cases), and still moves its position past
    # them. By the event's class, so that topics registered as aliases count too.
    aggregates: tuple[type[Aggregate], ...] = (Case,)

    def reads(self, topic: str) -> bool:
        return _reads(topic, self.aggregates)

    @staticmethod
    def table(base: str, generation: int) -> str:
        return f"{base}_g{generation}"

    @abstractmethod
    def create(self, cursor: psycopg.Cursor[Any], generation: int) -> None:
        """Create this generation's tables and indexes."""

    @abstractmethod
    def apply(
        self, cursor: psycopg.Cursor[Any], generation: int, events: Sequence[tuple[int, Any]]
    ) -> None:
        """Apply (position, event) pairs, oldest first, inside the caller's transaction."""


@lru_cache(maxsize=1024)
def _reads(topic: str, aggregates: tuple[type[Aggregate], ...]) -> bool:
    return issubclass(resolve_topic(topic), tuple(a.Event for a in aggregates))


class UnknownEvent(Exception):
    """An event a read model neither handles nor ignores: it stops there, never skips."""

    def __init__(self, model: str, event: Any):
        super().__init__(
            f"read model {model} neither handles nor ignores {type(event).__name__} "
            f"(case {event.originator_id}, version {event.originator_version})"
        )


@dataclass(frozen=True)
class Progress:
    name: str
    generation: int
    position: int
    head: int


class ProjectionFailed(Exception):
    def __init__(self, notification: Notification, error: Exception):
        kind = notification.topic.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
        super().__init__(
            f"event {notification.id} ({kind} of case {notification.originator_id} "
            f"v{notification.originator_version}) failed: {type(error).__name__}: {error}"
        )
        self.position = notification.id


def skip_event(
    conn: psycopg.Connection[Any], name: str, position: int, by: str, reason: str
) -> bool:
    """Make read model ``name`` pass over the event at ``position`` from now on (its
    projector sees it within a second); False if it was skipped before."""
    ensure_registry(conn)
    row = conn.execute(
        "INSERT INTO casework_projection_skips (name, position, skipped_by, reason)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1",
        (name, position, by, reason),
    ).fetchone()
    return row is not None


def skipped_events(conn: psycopg.Connection[Any], name: str) -> frozenset[int]:
    rows = conn.execute(
        "SELECT position FROM casework_projection_skips WHERE name = %s", (name,)
    ).fetchall()
    return frozenset(int(position) for (position,) in rows)


def ensure_registry(conn: psycopg.Connection[Any]) -> None:
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key("registry"),))
        conn.execute(REGISTRY)
        conn.execute(SKIPS)


def ensure_active_generation(conn: psycopg.Connection[Any], model: ReadModel) -> int:
    """The generation queries read; created (empty) on first start."""
    ensure_registry(conn)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(model.name),))
        row = conn.execute(
            "SELECT generation FROM casework_projections WHERE name = %s AND active",
            (model.name,),
        ).fetchone()
        if row is not None:
            return int(row[0])
        generation = _new_generation(conn, model)
        _activate(conn, model, generation)
        return generation


def new_generation(conn: psycopg.Connection[Any], model: ReadModel) -> int:
    ensure_registry(conn)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(model.name),))
        return _new_generation(conn, model)


def _new_generation(conn: psycopg.Connection[Any], model: ReadModel) -> int:
    row = conn.execute(
        "SELECT coalesce(max(generation), 0) + 1 FROM casework_projections WHERE name = %s",
        (model.name,),
    ).fetchone()
    generation = int(row[0]) if row else 1
    with conn.cursor() as cursor:
        model.create(cursor, generation)
    conn.execute(
        "INSERT INTO casework_projections (name, generation, schema_version) VALUES (%s, %s, %s)",
        (model.name, generation, model.schema_version),
    )
    return generation


def _activate(conn: psycopg.Connection[Any], model: ReadModel, generation: int) -> None:
    for base in model.tables:
        view, table = sql.Identifier(base), sql.Identifier(model.table(base, generation))
        conn.execute(sql.SQL("DROP VIEW IF EXISTS {}").format(view))
        conn.execute(sql.SQL("CREATE VIEW {} AS SELECT * FROM {}").format(view, table))
    conn.execute(
        "UPDATE casework_projections SET active = (generation = %s) WHERE name = %s",
        (generation, model.name),
    )


def drop_generation(conn: psycopg.Connection[Any], model: ReadModel, generation: int) -> None:
    with conn.transaction():
        for base in model.tables:
            table = sql.Identifier(model.table(base, generation))
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
        conn.execute(
            "DELETE FROM casework_projections WHERE name = %s AND generation = %s",
            (model.name, generation),
        )


def lock_key(name: str) -> int:
    """An advisory lock key in PostgreSQL's int4 range (its two-key lock functions want int4)."""
    return zlib.crc32(f"casework-projection:{name}".encode()) - 2**31


class ReadModelText(StrDumperUnknown):
    """Text as every read model writes it.

    An event keeps its text as it was stored, but PostgreSQL's text cannot hold NUL, nor
    UTF-8 a lone surrogate: one stored event with either would stop its read model for good.
    So read models drop NUL and write a lone surrogate as U+FFFD (the API refuses both at
    the door; this is for events stored before, or by other means)."""

    def dump(self, obj: str) -> bytes:
        encoding = self.connection.info.encoding if self.connection else "utf-8"
        if "\x00" in obj:
            obj = obj.replace("\x00", "")
        try:
            return obj.encode(encoding)
        except UnicodeEncodeError:
            return (
                obj.encode("utf-16", "surrogatepass")
                .decode("utf-16", "replace")
                .encode(encoding, "replace")
            )


GENERATION_RECHECK_SECONDS = 1.0


class Projector:
    """Applies the event log to one read model, batch by batch."""

    def __init__(
        self,
        model: ReadModel,
        app: Application[Any],
        connect: Callable[[], psycopg.Connection[Any]],
        *,
        batch_size: int = 500,
        generation: int | None = None,
        max_backoff_seconds: float = 60.0,
        decode: Callable[[Notification], Any] | None = None,
        linger_seconds: float = 0.02,
    ):
        """``generation`` None follows the active generation, switching when it changes.
        ``decode`` turns a stored event into a domain event (default: the app's mapper)."""
        self.model = model
        self.app = app
        self.decode = decode or app.mapper.to_domain_event
        self.linger_seconds = linger_seconds
        self.connect = connect
        self.batch_size = batch_size
        self.fixed_generation = generation
        self.max_backoff_seconds = max_backoff_seconds
        self.stopped = threading.Event()
        self.conn: psycopg.Connection[Any] | None = None
        self.generation: int | None = None
        self.position = 0
        self.failures = 0
        self.skipped: frozenset[int] = frozenset()
        self._recheck_at = 0.0

    # -- running ------------------------------------------------------------------

    def run(self) -> None:
        """Until stopped: keep the read model caught up; survive errors and outages."""
        backoff = 1.0
        while not self.stopped.is_set():
            try:
                if not self._claimed():
                    self.stopped.wait(1.0)
                    continue
                if self.catch_up_batch() == 0:
                    self._wait_for_events(timeout=1.0)
                    # Commands arrive one event at a time: let the next few land and apply
                    # them in one transaction (the cost of a batch is mostly per batch).
                    self.stopped.wait(self.linger_seconds)
                backoff = 1.0
            except ProjectionFailed as failure:
                log.error("projection %s: %s", self.model.name, failure)
                self._record_failure(failure)
                self.stopped.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff_seconds)
            except psycopg.Error as error:
                log.warning("projection %s: database error: %s", self.model.name, error)
                self._disconnect()
                self.stopped.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff_seconds)
        self._disconnect()

    def stop(self) -> None:
        self.stopped.set()

    def close(self) -> None:
        """Let go of the lock and the connection (a running loop does this when stopped)."""
        self.stop()
        self._disconnect()

    def catch_up_batch(self) -> int:
        """Apply the next batch of events, if any; return how many were applied."""
        assert self.conn is not None and self.generation is not None
        # After a failure, go one event at a time so the failing event is named exactly.
        limit = 1 if self.failures else self.batch_size
        notifications = self.app.recorder.select_notifications(start=self.position + 1, limit=limit)
        if not notifications:
            return 0
        last = notifications[-1].id
        try:
            # Decoded inside the try: an event that cannot even be decoded is named too.
            positioned = [
                (n.id, self.decode(n))
                for n in notifications
                if n.id not in self.skipped and self.model.reads(n.topic)
            ]
            with self.conn.transaction(), self.conn.cursor() as cursor:
                if positioned:
                    self.model.apply(cursor, self.generation, positioned)
                cursor.execute(
                    "UPDATE casework_projections SET position = %s, updated_at = now(),"
                    " failures = 0, error = NULL, error_position = NULL, error_at = NULL"
                    " WHERE name = %s AND generation = %s AND position = %s",
                    (last, self.model.name, self.generation, self.position),
                )
                if cursor.rowcount != 1:
                    raise RuntimeError("another projector moved this read model's position")
        except psycopg.OperationalError:
            raise
        except Exception as error:
            if len(notifications) == 1:
                raise ProjectionFailed(notifications[0], error) from error
            self.failures += 1  # retry at once, one event at a time
            return self.catch_up_batch()
        self.position = last
        self.failures = 0
        return len(notifications)

    def catch_up(self, on_progress: Callable[[Progress], None] | None = None) -> None:
        """Apply everything up to the head of the log as it is now, then return."""
        if not self._claimed(wait=True):
            raise RuntimeError(f"could not take the lock of {self.model.name}")
        head = self.head()
        while self.position < head:
            if self.catch_up_batch() == 0:
                break
            if on_progress is not None:
                assert self.generation is not None
                on_progress(Progress(self.model.name, self.generation, self.position, head))

    def head(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    # -- the lock and the generation ---------------------------------------------------

    def _claimed(self, wait: bool = False) -> bool:
        """Hold the write lock of the generation to follow; True when this projector may write."""
        if self.conn is None:
            self.conn = self.connect()
            self.conn.autocommit = True
            self.conn.adapters.register_dumper(str, ReadModelText)
            # The PostgreSQL recorder has one; the base class does not declare it.
            channel = sql.Identifier(self.app.recorder.channel_name)  # type: ignore[attr-defined]
            self.conn.execute(sql.SQL("LISTEN {}").format(channel))
        if self.generation is not None and time.monotonic() < self._recheck_at:
            return True
        # Which generation queries read changes only on a rebuild's switch: looked up at most
        # once a second, not once a batch (the lookup takes two transactions and locks).
        self._recheck_at = time.monotonic() + GENERATION_RECHECK_SECONDS
        wanted = self.fixed_generation or ensure_active_generation(self.conn, self.model)
        self.skipped = skipped_events(self.conn, self.model.name)
        if wanted == self.generation:
            return True
        if self.generation is not None:
            self.conn.execute(
                "SELECT pg_advisory_unlock(%s, %s)", (lock_key(self.model.name), self.generation)
            )
            self.generation = None
        lock = sql.SQL("pg_advisory_lock" if wait else "pg_try_advisory_lock")
        row = self.conn.execute(
            sql.SQL("SELECT {}(%s, %s)").format(lock), (lock_key(self.model.name), wanted)
        ).fetchone()
        if not wait and not (row and row[0]):
            return False
        self.generation = wanted
        position = self.conn.execute(
            "SELECT position FROM casework_projections WHERE name = %s AND generation = %s",
            (self.model.name, wanted),
        ).fetchone()
        self.position = int(position[0]) if position else 0
        return True

    def _wait_for_events(self, timeout: float) -> None:
        assert self.conn is not None
        for _ in self.conn.notifies(timeout=timeout, stop_after=1):
            pass

    def _record_failure(self, failure: ProjectionFailed) -> None:
        assert self.conn is not None
        self.failures += 1
        self.conn.execute(
            "UPDATE casework_projections SET failures = failures + 1, error = %s,"
            " error_position = %s, error_at = %s WHERE name = %s AND generation = %s",
            (str(failure), failure.position, datetime.now(UTC), self.model.name, self.generation),
        )

    def _disconnect(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None
                self.generation = None


def switch_to(conn: psycopg.Connection[Any], model: ReadModel, generation: int) -> int | None:
    """Make ``generation`` the one queries read; return the generation it replaced."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(model.name),))
        row = conn.execute(
            "SELECT generation FROM casework_projections WHERE name = %s AND active",
            (model.name,),
        ).fetchone()
        _activate(conn, model, generation)
    return int(row[0]) if row else None


def read_models_and_head(
    conn: psycopg.Connection[Any], names: Sequence[str], events_table: str
) -> tuple[int, int]:
    """The position every named read model's active generation has reached, and the log's
    head, in one short statement (a waiting query checks again later on a fresh checkout,
    never holding a connection across the wait)."""
    row = conn.execute(
        sql.SQL(
            "SELECT (SELECT coalesce(min(position), 0) FROM casework_projections"
            " WHERE active AND name = ANY(%s)),"
            " (SELECT coalesce(max(notification_id), 0) FROM {})"
        ).format(sql.Identifier(events_table)),
        (list(names),),
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])
