"""Every read of a case's history or of residents' personal data, recorded for auditors."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import sql
from psycopg.rows import class_row

from infra.tables import Tables
from projections.case_list.queries import resident_in_grids

SCHEMA = """
CREATE TABLE IF NOT EXISTS casework_reads (
    id bigserial PRIMARY KEY,
    read_at timestamptz NOT NULL DEFAULT now(),
    user_id uuid NOT NULL,
    role text NOT NULL,
    what text NOT NULL,
    case_id uuid,
    resident_id text
);
-- Reads at the command line are by an operating-system user, not a service user.
ALTER TABLE casework_reads ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE casework_reads ADD COLUMN IF NOT EXISTS actor text;
CREATE INDEX IF NOT EXISTS casework_reads_case ON casework_reads (case_id, read_at);
CREATE INDEX IF NOT EXISTS casework_reads_user ON casework_reads (user_id, read_at);
"""


@dataclass(frozen=True)
class Read:
    id: int
    read_at: datetime
    user_id: UUID | None
    role: str
    what: str
    case_id: UUID | None
    resident_id: str | None
    actor: str | None


@dataclass(frozen=True)
class Area:
    """A caller's area: its id and its grids.

    A read is about the area when its case lies in one of the grids; a read of no case
    (a phone lookup) when the resident it found is named in a case there; a read of
    nothing at all (a lookup that found no one) when the reader's own area lies within.
    """

    area_id: str
    grids: Collection[str]


class ReadLog(Tables):
    SCHEMA = SCHEMA

    def record(
        self,
        user_id: UUID | None,
        role: str,
        what: str,
        case_id: UUID | None = None,
        resident_id: str | None = None,
        actor: str | None = None,
    ) -> None:
        """``actor`` names a reader who is no service user, e.g. ``cli:<os user>``."""
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO casework_reads (user_id, role, what, case_id, resident_id, actor)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                (user_id, role, what, case_id, resident_id, actor),
            )

    def find(
        self,
        *,
        case_id: UUID | None = None,
        user_id: UUID | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        within: Area | None = None,
    ) -> list[Read]:
        """Newest first; with ``within``, only the reads about that area (see ``Area``)."""
        params: dict[str, Any] = {
            "case": case_id,
            "user": user_id,
            "since": since,
            "until": until,
            "limit": limit,
        }
        scope: sql.Composable = sql.SQL("TRUE")
        if within is not None:
            scope = _within_area()
            params.update(area=within.area_id, grids=sorted(within.grids))
        with self.pool.connection() as conn:
            cursor = conn.cursor(row_factory=class_row(Read))
            return cursor.execute(
                sql.SQL(
                    "SELECT id, read_at, user_id, role, what, case_id, resident_id, actor"
                    " FROM casework_reads"
                    " WHERE (%(case)s::uuid IS NULL OR case_id = %(case)s)"
                    " AND (%(user)s::uuid IS NULL OR user_id = %(user)s)"
                    " AND (%(since)s::timestamptz IS NULL OR read_at >= %(since)s)"
                    " AND (%(until)s::timestamptz IS NULL OR read_at < %(until)s)"
                    " AND {} ORDER BY read_at DESC, id DESC LIMIT %(limit)s"
                ).format(scope),
                params,
            ).fetchall()


def _within_area() -> sql.Composable:
    """Reads about ``%(area)s`` with its ``%(grids)s``, as ``Area`` says."""
    return sql.SQL(
        "CASE"
        " WHEN case_id IS NOT NULL THEN EXISTS (SELECT 1 FROM rm_cases"
        "  WHERE rm_cases.id = casework_reads.case_id AND rm_cases.grid_id = ANY(%(grids)s))"
        " WHEN resident_id IS NOT NULL THEN {}"
        " ELSE EXISTS (SELECT 1 FROM casework_users reader"
        "  WHERE reader.id = casework_reads.user_id"
        "  AND (reader.area = %(area)s OR reader.area = ANY(%(grids)s)"
        "   OR reader.area IN (SELECT id FROM casework_areas WHERE parent_id = %(area)s)))"
        " END"
    ).format(resident_in_grids(sql.SQL("casework_reads.resident_id::uuid")))
