"""Who a resident is, without keeping their phone number in clear; and erasing them.

A resident is known by a ``resident_id``. At intake the phone number, normalised, is
hashed with HMAC-SHA256 under the lookup key and looked up in
``casework_resident_lookup``: the same phone gives the same resident, a new phone (or
no phone) a new one. The table holds only the keyed hash, which cannot be reversed
without the lookup key (and, with it, only by trying every possible number: keep the key
out of the database in production, see ``lookup_key``).
"""

import hmac
import logging
import os
import threading
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from cachetools import TTLCache
from psycopg import sql
from psycopg_pool import ConnectionPool

from infra.personal.crypto import KEY_BYTES, parse_secret, phone_hash
from infra.personal.keys import ResidentKeys, UnknownResident, stored_secret
from projections.case_list.queries import resident_in_grids

log = logging.getLogger(__name__)


class LookupKeyChanged(Exception):
    """The lookup key is not the one the phone lookup was built with."""


@dataclass(frozen=True)
class Erasure:
    resident_id: str
    erased_at: datetime
    actor_id: str
    actor_role: str
    via: str
    reference: str | None
    phone_lookups_deleted: int
    already_erased: bool = False


class Residents:
    def __init__(
        self,
        pool: ConnectionPool,
        *,
        lookup_key: str | None = None,
        master_key: str | None = None,
        cache_seconds: float = 5.0,
    ):
        self.pool = pool
        self._configured_lookup_key = (
            parse_secret(lookup_key, "CASEWORK_LOOKUP_KEY") if lookup_key else None
        )
        master = (
            parse_secret(master_key, "CASEWORK_MASTER_KEY", exact=KEY_BYTES) if master_key else None
        )
        self.keys = ResidentKeys(pool, master, cache_seconds)
        self._lookup_key: bytes | None = None
        # Phones already matched to a resident, for as long as their keys are kept: after an
        # erasure in another process, both are forgotten within the same time.
        self._known: TTLCache[bytes, str] = TTLCache(maxsize=100_000, ttl=cache_seconds)
        self._known_lock = threading.Lock()

    def create_schema(self) -> None:
        self.keys.create_schema()
        self._lookup_key = self._resolve_lookup_key()
        if self.keys.master_key is None:
            # Info, not a warning: every CLI command would print it (see the README).
            log.info(
                "CASEWORK_MASTER_KEY is not set: residents' data keys are stored unwrapped "
                "in casework_resident_keys (fine for development, not for production)"
            )

    def _resolve_lookup_key(self) -> bytes:
        if self._configured_lookup_key is not None:
            key = self._configured_lookup_key
        else:
            # Development only: one key for every process of this database, kept in it.
            key, created = stored_secret(self.pool, "lookup_key", lambda: os.urandom(KEY_BYTES))
            (log.warning if created else log.info)(
                "CASEWORK_LOOKUP_KEY is not set: using a lookup key generated once and kept "
                "in casework_secrets (fine for development, not for production)"
            )
        check = hmac.digest(key, b"casework-lookup-key-check-v1", "sha256")
        stored, _ = stored_secret(self.pool, "lookup_key_check", lambda: check)
        if not hmac.compare_digest(stored, check):
            with self.pool.connection() as conn:
                used = conn.execute("SELECT count(*) FROM casework_resident_lookup").fetchone()
                if used and used[0]:
                    raise LookupKeyChanged(
                        "CASEWORK_LOOKUP_KEY is not the key the residents' phone lookup was "
                        f"built with ({used[0]} phones): set the earlier key again, otherwise "
                        "every returning resident would get a new resident_id"
                    )
                conn.execute(
                    "UPDATE casework_secrets SET value = %s WHERE name = 'lookup_key_check'",
                    (check,),
                )
        return key

    @property
    def lookup_key(self) -> bytes:
        if self._lookup_key is None:
            self._lookup_key = self._resolve_lookup_key()
        return self._lookup_key

    # -- intake -----------------------------------------------------------------------

    def identify(self, person: dict[str, Any]) -> str:
        """The resident_id of the person with this phone; a new resident otherwise."""
        phone = person.get("phone")
        if not phone:
            resident_id = str(uuid4())
            self.keys.create(resident_id)
            return resident_id
        digest = phone_hash(self.lookup_key, phone)
        found = self._find(digest)
        if found is not None:
            return found
        created = self.keys.create_for_phone(str(uuid4()), digest)
        if created is not None:
            return created
        found = self._find(digest)  # matched by a concurrent intake meanwhile
        if found is None:
            raise RuntimeError("a phone matched by a concurrent intake cannot be found")
        return found

    def find(self, phone: str) -> str | None:
        """The resident_id known for this phone, if any (nothing is created)."""
        return self._find(phone_hash(self.lookup_key, phone))

    def _forget_phones_of(self, resident_id: str) -> None:
        with self._known_lock:
            for digest in [d for d, rid in self._known.items() if rid == resident_id]:
                del self._known[digest]

    def _find(self, digest: bytes) -> str | None:
        with self._known_lock:
            known = self._known.get(digest)
        if known is not None:
            return known
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT resident_id FROM casework_resident_lookup WHERE phone_hmac = %s",
                (digest,),
            ).fetchone()
        if row is None:
            return None
        with self._known_lock:
            self._known[digest] = str(row[0])
        return str(row[0])

    # -- erasure ----------------------------------------------------------------------

    def erase(
        self,
        resident_id: str,
        *,
        actor_id: str,
        actor_role: str,
        via: str,
        reference: str | None = None,
    ) -> Erasure:
        """Crypto-shredding: delete the resident's data key and their phone's lookup row,
        and record who did it and when. Erasing twice records nothing new."""
        rid = _uuid(resident_id)
        with self.pool.connection() as conn:
            with conn.transaction():
                row = conn.execute(
                    "SELECT erased_at FROM casework_resident_keys WHERE resident_id = %s"
                    " FOR UPDATE",
                    (rid,),
                ).fetchone()
                if row is None:
                    raise UnknownResident(resident_id)
                if row[0] is not None:
                    earlier = conn.execute(
                        "SELECT erased_at, actor_id, actor_role, via, reference,"
                        " phone_lookups_deleted FROM casework_erasures WHERE resident_id = %s"
                        " ORDER BY id LIMIT 1",
                        (rid,),
                    ).fetchone()
                    self.keys.forget(str(rid))
                    self._forget_phones_of(str(rid))
                    if earlier is None:
                        return Erasure(str(rid), row[0], "", "", "", None, 0, True)
                    return Erasure(str(rid), *earlier, already_erased=True)
                conn.execute(
                    "UPDATE casework_resident_keys SET data_key = NULL, erased_at = now()"
                    " WHERE resident_id = %s",
                    (rid,),
                )
                deleted = conn.execute(
                    "DELETE FROM casework_resident_lookup WHERE resident_id = %s", (rid,)
                ).rowcount
                erased_at = conn.execute(
                    "INSERT INTO casework_erasures"
                    " (resident_id, actor_id, actor_role, via, reference, phone_lookups_deleted)"
                    " VALUES (%s, %s, %s, %s, %s, %s) RETURNING erased_at",
                    (rid, actor_id, actor_role, via, reference, deleted),
                ).fetchone()
            self.keys.forget(str(rid))
            self._forget_phones_of(str(rid))
            # The old row versions (with the key) stay in the table's pages until vacuumed.
            try:
                conn.execute("VACUUM casework_resident_keys, casework_resident_lookup")
            except Exception as error:  # noqa: BLE001 - the erasure itself has committed
                log.warning("could not vacuum the resident key tables: %s", error)
        assert erased_at is not None
        return Erasure(str(rid), erased_at[0], actor_id, actor_role, via, reference, deleted)

    def erasures(
        self, resident_id: str | None = None, within_grids: Collection[str] | None = None
    ) -> list[Erasure]:
        """Every erasure, or one resident's; with ``within_grids``, only of residents named
        in a case of those grids (their ids stay in the cases after erasure)."""
        clauses: list[sql.Composable] = []
        params: dict[str, Any] = {}
        if resident_id is not None:
            clauses.append(sql.SQL("resident_id = %(resident)s"))
            params["resident"] = _uuid(resident_id)
        if within_grids is not None:
            clauses.append(resident_in_grids(sql.Identifier("casework_erasures", "resident_id")))
            params["grids"] = sorted(within_grids)
        where = sql.SQL(" AND ").join(clauses) if clauses else sql.SQL("TRUE")
        with self.pool.connection() as conn:
            rows = conn.execute(
                sql.SQL(
                    "SELECT resident_id, erased_at, actor_id, actor_role, via, reference,"
                    " phone_lookups_deleted FROM casework_erasures WHERE {} ORDER BY id"
                ).format(where),
                params,
            ).fetchall()
        return [Erasure(str(row[0]), *row[1:]) for row in rows]


def _uuid(resident_id: str) -> UUID:
    try:
        return UUID(str(resident_id))
    except ValueError:
        raise UnknownResident(resident_id) from None
