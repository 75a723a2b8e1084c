"""The notifications read model: each notification, whom it is for, and what the rules
need to know of each case to address the next ones."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from projections.case_events import all_but
from projections.notifications import outbox
from projections.notifications.rules import FREE_TEXT, RULES, CaseFacts, notices, track
from projections.runner import ReadModel, UnknownEvent, storable_text

DDL = """
CREATE TABLE {cases} (
    case_id uuid PRIMARY KEY,
    grid_id text NOT NULL,
    level text NOT NULL,
    assignee text,
    dispatcher text
);
CREATE TABLE {notifications} (
    id uuid PRIMARY KEY,
    ordinal bigint NOT NULL UNIQUE,
    position bigint NOT NULL,
    type text NOT NULL,
    case_id uuid NOT NULL,
    occurred_at timestamptz NOT NULL,
    actor_id text NOT NULL,
    actor_role text NOT NULL,
    data jsonb NOT NULL
);
CREATE TABLE {audience} (
    ordinal bigint NOT NULL,
    user_id text,
    role text,
    grid_id text,
    level text
);
CREATE INDEX ON {audience} (user_id, ordinal DESC) WHERE user_id IS NOT NULL;
CREATE INDEX ON {audience} (role, grid_id, ordinal DESC) WHERE role IS NOT NULL;
"""

# Events that change what the rules need of a case, beside those that notify.
TRACKED = frozenset({"Received", "Escalated"})
# Every other event of a case notifies nobody and changes nothing the rules keep.
IGNORED = all_but(frozenset(RULES) | TRACKED)
# A notification's place in the inbox's order: its event's position, then its rank among
# that event's notifications.
PER_EVENT = 16
_IDS = uuid5(NAMESPACE_URL, "casework:notifications")


def notification_id(case_id: UUID, version: int, kind: str) -> UUID:
    """The same notification has the same id in every generation (reads and webhook
    deliveries refer to it)."""
    return uuid5(_IDS, f"{case_id}/{version}/{kind}")


def _jsonable(value: Any) -> Any:
    """JSON types only (moments as ISO text), and text jsonb can hold (see ReadModelText)."""
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict):
        return {storable_text(str(k)): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class Notifications(ReadModel):
    name = "notifications"
    schema_version = 1
    tables = ("rm_notification_cases", "rm_notifications", "rm_notification_audience")
    handled = frozenset(RULES) | TRACKED
    ignored = IGNORED

    def create(self, cursor: psycopg.Cursor[Any], generation: int) -> None:
        names = {
            key: sql.Identifier(self.table(base, generation))
            for key, base in zip(("cases", "notifications", "audience"), self.tables, strict=True)
        }
        for statement in DDL.split(";"):
            if statement.strip():
                cursor.execute(sql.SQL(statement).format(**names))
        cursor.execute(outbox.SCHEMA)

    def apply(
        self, cursor: psycopg.Cursor[Any], generation: int, events: Sequence[tuple[int, Any]]
    ) -> None:
        cases_table = sql.Identifier(self.table("rm_notification_cases", generation))
        cursor.execute(
            sql.SQL(
                "SELECT case_id, grid_id, level, assignee, dispatcher FROM {}"
                " WHERE case_id = ANY(%s)"
            ).format(cases_table),
            (list({event.originator_id for _, event in events}),),
        )
        cases = {row[0]: CaseFacts(*row[1:]) for row in cursor.fetchall()}
        made: list[tuple[Any, ...]] = []
        audience: list[tuple[Any, ...]] = []
        for position, event in events:
            name = type(event).__name__
            if name == "Received":
                cases[event.originator_id] = CaseFacts(event.grid_id)
                continue
            if name not in self.handled:
                if name in IGNORED:
                    continue
                raise UnknownEvent(self.name, event)
            case = cases[event.originator_id]
            for rank, notice in enumerate(notices(event, case)):
                ordinal = position * PER_EVENT + rank
                made.append(
                    (
                        notification_id(event.originator_id, event.originator_version, notice.type),
                        ordinal,
                        position,
                        notice.type,
                        event.originator_id,
                        event.occurred_at,
                        event.actor.get("id", ""),
                        event.actor.get("role", ""),
                        _jsonable(notice.data),
                    )
                )
                audience.extend(
                    (ordinal, a.user, a.role, a.grid_id, a.level) for a in set(notice.audience)
                )
            track(event, case)
        cursor.executemany(
            sql.SQL(
                "INSERT INTO {} (case_id, grid_id, level, assignee, dispatcher)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (case_id) DO UPDATE SET"
                " level = excluded.level, assignee = excluded.assignee,"
                " dispatcher = excluded.dispatcher"
            ).format(cases_table),
            [(cid, c.grid_id, c.level, c.assignee, c.dispatcher) for cid, c in cases.items()],
        )
        if not made:
            return
        cursor.executemany(
            sql.SQL(
                "INSERT INTO {} (id, ordinal, position, type, case_id, occurred_at, actor_id,"
                " actor_role, data) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            ).format(sql.Identifier(self.table("rm_notifications", generation))),
            [(*row[:-1], Jsonb(row[-1])) for row in made],
        )
        cursor.executemany(
            sql.SQL(
                "INSERT INTO {} (ordinal, user_id, role, grid_id, level)"
                " VALUES (%s, %s, %s, %s, %s)"
            ).format(sql.Identifier(self.table("rm_notification_audience", generation))),
            audience,
        )
        outbox.enqueue(
            cursor,
            [
                (
                    n[0],
                    n[2],
                    n[3],
                    n[4],
                    n[5],
                    {k: v for k, v in n[8].items() if k not in FREE_TEXT},
                )
                for n in made
            ],
        )
