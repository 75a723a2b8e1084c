"""What the claims read model answers: the board's open wishes come from the case list;
these are who holds what, the community's log of claims and each claimant's record."""

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

# A verdict counts when the resident was reached and answered (as the rates count them).
VALID = "rating NOT IN ('unreachable', 'refused')"


def held_by(conn: psycopg.Connection[Any], claimant: str) -> list[dict[str, Any]]:
    """The wishes whose standing claim is ``claimant``'s, the latest claimed first."""
    return (
        conn.cursor(row_factory=dict_row)
        .execute(
            "SELECT c.case_id AS id, w.title, w.category, c.grid_id, c.claimed_at, c.fulfilled_at,"
            " c.photo_url FROM rm_wish_claims c JOIN rm_wishes w ON w.case_id = c.case_id"
            " WHERE c.claimant = %s AND c.released_at IS NULL AND w.claim_id = c.id"
            " ORDER BY c.claimed_at DESC, c.id DESC",
            (claimant,),
        )
        .fetchall()
    )


def claims_log(
    conn: psycopg.Connection[Any],
    grids: list[str] | None,
    since: datetime | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Claims in ``grids`` (None: all), newest first: who, when, and how each ended."""
    return (
        conn.cursor(row_factory=dict_row)
        .execute(
            "SELECT c.id AS claim_id, c.case_id, w.title, w.category, c.grid_id, c.claimant,"
            " c.claimant_type, c.claimed_at, c.claimed_by, c.released_at, c.released_by,"
            " c.released_by_role, c.release_reason, c.fulfilled_at, c.photo_url"
            " FROM rm_wish_claims c JOIN rm_wishes w ON w.case_id = c.case_id"
            " WHERE (%(all)s OR c.grid_id = ANY(%(grids)s))"
            " AND (%(since)s::timestamptz IS NULL OR c.claimed_at >= %(since)s)"
            " ORDER BY c.claimed_at DESC, c.id DESC LIMIT %(limit)s",
            {"all": grids is None, "grids": grids or [], "since": since, "limit": limit},
        )
        .fetchall()
    )


def claimant_records(
    conn: psycopg.Connection[Any], grids: list[str] | None
) -> list[dict[str, Any]]:
    """Per claimant in ``grids``: claims, releases, held now, wishes fulfilled, and the
    residents' verdicts from the call-backs on the wishes they fulfilled."""
    return (
        conn.cursor(row_factory=dict_row)
        .execute(
            f"""
        WITH claims AS (
            SELECT * FROM rm_wish_claims WHERE (%(all)s OR grid_id = ANY(%(grids)s))
        ), verdicts AS (
            SELECT claimant,
                   count(*) FILTER (WHERE {VALID}) AS valid_callbacks,
                   count(*) FILTER (WHERE rating = 'satisfied') AS satisfied,
                   count(*) FILTER (WHERE rating = 'basically_satisfied') AS basically_satisfied,
                   count(*) FILTER (WHERE rating = 'dissatisfied') AS dissatisfied,
                   count(*) FILTER (WHERE {VALID} AND solved = 'solved') AS solved
            FROM rm_wish_verdicts WHERE (%(all)s OR grid_id = ANY(%(grids)s))
            GROUP BY claimant
        )
        SELECT c.claimant, max(c.claimant_type) AS claimant_type,
               count(*) AS claims,
               count(*) FILTER (WHERE c.released_at IS NOT NULL) AS released,
               count(*) FILTER (WHERE c.released_at IS NULL AND c.fulfilled_at IS NULL) AS held,
               count(DISTINCT c.case_id) FILTER (WHERE c.fulfilled_at IS NOT NULL) AS fulfilled,
               max(c.claimed_at) AS last_claimed_at,
               coalesce(max(v.valid_callbacks), 0) AS valid_callbacks,
               coalesce(max(v.satisfied), 0) AS satisfied,
               coalesce(max(v.basically_satisfied), 0) AS basically_satisfied,
               coalesce(max(v.dissatisfied), 0) AS dissatisfied,
               coalesce(max(v.solved), 0) AS solved
        FROM claims c LEFT JOIN verdicts v ON v.claimant = c.claimant
        GROUP BY c.claimant
        ORDER BY fulfilled DESC, claims DESC, c.claimant
        """,  # noqa: S608 - VALID is a constant of this module, not input
            {"all": grids is None, "grids": grids or []},
        )
        .fetchall()
    )
