"""Every claim of a micro-wish, as the community follows its claimants.

Tables (per generation, ``<base>_g<N>``; views without the suffix):

- ``rm_wishes``: one row per micro-wish: what the community lists beside a claim (title,
  category, grid) and the claim standing now (the position of its ``Claimed``), so that a
  later release, fulfilment or call-back lands on the right claim.
- ``rm_wish_claims``: one row per ``Claimed`` (its position is its id): by whom, of which
  type, when, and, once it ends, when it was released, by whom and why, or when the wish
  was fulfilled under it (and the photo link given).
- ``rm_wish_verdicts``: every call-back (``Rated``) on a wish fulfilled under a claim, with
  that claim's claimant: the residents' verdicts on each claimant's work.

A claimant's record is counted from these rows (``queries.claimant_records``).
"""

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql

from projections.case_events import all_but
from projections.runner import ReadModel

DDL = """
CREATE TABLE {wishes} (
    case_id uuid PRIMARY KEY,
    grid_id text NOT NULL,
    category text NOT NULL,
    title text NOT NULL,
    claim_id bigint
);
CREATE TABLE {claims} (
    id bigint PRIMARY KEY,
    case_id uuid NOT NULL,
    grid_id text NOT NULL,
    claimant text NOT NULL,
    claimant_type text NOT NULL,
    claimed_at timestamptz NOT NULL,
    claimed_by text NOT NULL,
    released_at timestamptz,
    released_by text,
    released_by_role text,
    release_reason text,
    fulfilled_at timestamptz,
    photo_url text
);
CREATE INDEX ON {claims} (grid_id, claimed_at DESC);
CREATE INDEX ON {claims} (claimant, claimed_at DESC);
CREATE TABLE {verdicts} (
    position bigint PRIMARY KEY,
    case_id uuid NOT NULL,
    claim_id bigint NOT NULL,
    grid_id text NOT NULL,
    claimant text NOT NULL,
    rated_at timestamptz NOT NULL,
    rating text NOT NULL,
    solved text,
    contacted boolean
);
CREATE INDEX ON {verdicts} (claimant);
"""

MICRO_WISH = "micro_wish"


class WishClaims(ReadModel):
    name = "wish_claims"
    schema_version = 1
    tables = ("rm_wishes", "rm_wish_claims", "rm_wish_verdicts")
    handled = frozenset({"Received", "Claimed", "ClaimReleased", "Fulfilled", "Rated"})
    # Nothing else changes a claim: a reopened wish keeps its claimant (who must fulfil it
    # again), a closure without a call-back gives no verdict.
    ignored = all_but(handled)

    def _names(self, generation: int) -> dict[str, sql.Identifier]:
        return {
            "wishes": sql.Identifier(self.table("rm_wishes", generation)),
            "claims": sql.Identifier(self.table("rm_wish_claims", generation)),
            "verdicts": sql.Identifier(self.table("rm_wish_verdicts", generation)),
        }

    def create(self, cursor: psycopg.Cursor[Any], generation: int) -> None:
        cursor.execute(sql.SQL(DDL).format(**self._names(generation)))

    def apply(
        self, cursor: psycopg.Cursor[Any], generation: int, events: Sequence[tuple[int, Any]]
    ) -> None:
        t = self._names(generation)
        # Only micro-wishes have rows: any other case's events pass by (read once per batch).
        ids = list({event.originator_id for _, event in events})
        cursor.execute(
            sql.SQL(
                "SELECT case_id, grid_id, claim_id FROM {wishes} WHERE case_id = ANY(%s)"
            ).format(**t),
            (ids,),
        )
        wishes: dict[Any, dict[str, Any]] = {
            case_id: {"grid_id": grid_id, "claim_id": claim_id}
            for case_id, grid_id, claim_id in cursor.fetchall()
        }
        for position, event in events:
            name = type(event).__name__
            if name == "Received":
                if event.originator_topic.rsplit(":", 1)[-1] == MICRO_WISH:
                    wishes[event.originator_id] = {"grid_id": event.grid_id, "claim_id": None}
                    cursor.execute(
                        sql.SQL(
                            "INSERT INTO {wishes} (case_id, grid_id, category, title)"
                            " VALUES (%s, %s, %s, %s)"
                        ).format(**t),
                        (event.originator_id, event.grid_id, event.category, event.title),
                    )
                continue
            wish = wishes.get(event.originator_id)
            if wish is None:
                continue
            self._apply(cursor, t, wish, position, name, event)

    @staticmethod
    def _apply(
        cursor: psycopg.Cursor[Any],
        t: dict[str, sql.Identifier],
        wish: dict[str, Any],
        position: int,
        name: str,
        event: Any,
    ) -> None:
        claim_id = wish["claim_id"]
        if name == "Claimed":
            cursor.execute(
                sql.SQL(
                    "INSERT INTO {claims} (id, case_id, grid_id, claimant, claimant_type,"
                    " claimed_at, claimed_by) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                ).format(**t),
                (
                    position,
                    event.originator_id,
                    wish["grid_id"],
                    event.claimant,
                    event.claimant_type,
                    event.occurred_at,
                    event.actor["id"],
                ),
            )
            wish["claim_id"] = position
        elif name == "ClaimReleased" and claim_id is not None:
            cursor.execute(
                sql.SQL(
                    "UPDATE {claims} SET released_at = %s, released_by = %s,"
                    " released_by_role = %s, release_reason = %s WHERE id = %s"
                ).format(**t),
                (
                    event.occurred_at,
                    event.actor["id"],
                    event.actor["role"],
                    event.reason,
                    claim_id,
                ),
            )
            wish["claim_id"] = None
        elif name == "Fulfilled" and claim_id is not None:
            cursor.execute(
                sql.SQL(
                    "UPDATE {claims} SET fulfilled_at = %s, photo_url = %s WHERE id = %s"
                ).format(**t),
                (event.fulfilled_at, getattr(event, "photo_url", None), claim_id),
            )
        elif name == "Rated" and claim_id is not None:
            cursor.execute(
                sql.SQL(
                    "INSERT INTO {verdicts} (position, case_id, claim_id, grid_id, claimant,"
                    " rated_at, rating, solved, contacted)"
                    " SELECT %s, case_id, id, grid_id, claimant, %s, %s, %s, %s FROM {claims}"
                    " WHERE id = %s AND fulfilled_at IS NOT NULL"
                ).format(**t),
                (
                    position,
                    event.occurred_at,
                    event.rating,
                    getattr(event, "solved", None),
                    getattr(event, "contacted", None),
                    claim_id,
                ),
            )
        cursor.execute(
            sql.SQL("UPDATE {wishes} SET claim_id = %s WHERE case_id = %s").format(**t),
            (wish["claim_id"], event.originator_id),
        )
