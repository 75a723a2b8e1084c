"""Everyone's inbox: the notifications addressed to a reader, by id or by role and place.

A reader is a user as the service knows them: their id, role, the grids their area reaches
(None: the whole city) and their area's level. Read state is kept per user, outside the
read model's generations, so a rebuild keeps what everyone has read.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

READS = """
CREATE TABLE IF NOT EXISTS casework_notification_reads (
    user_id text NOT NULL,
    notification_id uuid NOT NULL,
    read_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, notification_id)
)
"""


@dataclass(frozen=True)
class Reader:
    user_id: str
    role: str
    grids: list[str] | None
    level: str | None


@dataclass(frozen=True)
class Item:
    id: UUID
    ordinal: int
    type: str
    case_id: UUID
    case_title: str | None
    occurred_at: datetime
    actor_id: str
    actor_role: str
    data: dict[str, Any]
    read_at: datetime | None


# The caller's notifications: addressed to them, or to their role at a place their area
# reaches and of their area's level; never their own acts.
_MINE = """
    n.actor_id <> %(me)s AND n.ordinal IN (
        SELECT a.ordinal FROM rm_notification_audience a
        WHERE a.user_id = %(me)s
           OR (a.role = %(role)s
               AND (%(grids)s::text[] IS NULL OR a.grid_id = ANY(%(grids)s::text[]))
               AND (a.level IS NULL OR a.level = %(level)s::text)))
"""
# Fixed fragments only, no input: hence the noqa.
_SELECT = (
    "SELECT n.id, n.ordinal, n.type, n.case_id, c.title AS case_title, n.occurred_at,"  # noqa: S608
    " n.actor_id, n.actor_role, n.data, r.read_at"
    " FROM rm_notifications n"
    " LEFT JOIN rm_cases c ON c.id = n.case_id"
    " LEFT JOIN casework_notification_reads r"
    "  ON r.notification_id = n.id AND r.user_id = %(me)s"
    " WHERE" + _MINE
)


def _params(reader: Reader, **more: Any) -> dict[str, Any]:
    return {
        "me": reader.user_id,
        "role": reader.role,
        "grids": reader.grids,
        "level": reader.level,
        **more,
    }


def _items(conn: psycopg.Connection[Any], query: str, params: dict[str, Any]) -> list[Item]:
    with conn.cursor(row_factory=dict_row) as cursor:
        rows = cursor.execute(query, params).fetchall()
    return [Item(**row) for row in rows]


def newest(
    conn: psycopg.Connection[Any],
    reader: Reader,
    *,
    before: int | None,
    unread_only: bool,
    limit: int,
) -> list[Item]:
    """Newest first, those before the ordinal ``before`` (a page's cursor)."""
    return _items(
        conn,
        _SELECT + " AND (%(before)s::bigint IS NULL OR n.ordinal < %(before)s)"
        " AND (NOT %(unread)s OR r.read_at IS NULL)"
        " ORDER BY n.ordinal DESC LIMIT %(limit)s",
        _params(reader, before=before, unread=unread_only, limit=limit),
    )


def since(conn: psycopg.Connection[Any], reader: Reader, after: int, limit: int) -> list[Item]:
    """Oldest first, those after the ordinal ``after`` (what a stream has not sent yet)."""
    return _items(
        conn,
        _SELECT + " AND n.ordinal > %(after)s ORDER BY n.ordinal LIMIT %(limit)s",
        _params(reader, after=after, limit=limit),
    )


def one(conn: psycopg.Connection[Any], reader: Reader, notification: UUID) -> Item | None:
    found = _items(conn, _SELECT + " AND n.id = %(id)s", _params(reader, id=notification))
    return found[0] if found else None


def unread_count(conn: psycopg.Connection[Any], reader: Reader) -> int:
    row = conn.execute(
        "SELECT count(*) FROM rm_notifications n LEFT JOIN casework_notification_reads r"  # noqa: S608
        " ON r.notification_id = n.id AND r.user_id = %(me)s"
        " WHERE r.read_at IS NULL AND" + _MINE,
        _params(reader),
    ).fetchone()
    return int(row[0]) if row else 0


def latest(conn: psycopg.Connection[Any]) -> int:
    """The newest notification's ordinal: a stream starts after it."""
    row = conn.execute("SELECT coalesce(max(ordinal), 0) FROM rm_notifications").fetchone()
    return int(row[0]) if row else 0


def mark_read(conn: psycopg.Connection[Any], reader: Reader, notification: UUID) -> None:
    conn.execute(
        "INSERT INTO casework_notification_reads (user_id, notification_id) VALUES (%s, %s)"
        " ON CONFLICT DO NOTHING",
        (reader.user_id, notification),
    )
