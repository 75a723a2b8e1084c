"""Each resident's data key, in its own table, optionally wrapped by a master key.

Erasing a resident sets their key to NULL (``erased_at`` says when): every value sealed
under it can never be opened again, wherever it is stored, while the events holding it
stay byte for byte as they were (the event store's hash chain stays intact).

Keys are cached in memory for ``cache_seconds`` so that loading a case does not query
the table for every event; an erasure clears the cache of the process that erases at
once, and other running processes stop using the key within ``cache_seconds``.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

import psycopg
from psycopg_pool import ConnectionPool

from domain.errors import RuleBroken
from infra.personal.crypto import master_key_id, new_data_key, unwrap, wrap

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS casework_resident_keys (
    resident_id uuid PRIMARY KEY,
    data_key bytea,
    wrapped_by text,
    created_at timestamptz NOT NULL DEFAULT now(),
    erased_at timestamptz,
    CONSTRAINT erased_keys_are_gone CHECK ((data_key IS NULL) = (erased_at IS NOT NULL))
);
COMMENT ON COLUMN casework_resident_keys.data_key IS
    'AES-256 data key; wrapped by the master key named in wrapped_by; NULL once erased';
CREATE TABLE IF NOT EXISTS casework_resident_lookup (
    phone_hmac bytea PRIMARY KEY,
    resident_id uuid NOT NULL REFERENCES casework_resident_keys (resident_id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS casework_resident_lookup_by_resident
    ON casework_resident_lookup (resident_id);
CREATE TABLE IF NOT EXISTS casework_erasures (
    id bigserial PRIMARY KEY,
    resident_id uuid NOT NULL,
    erased_at timestamptz NOT NULL DEFAULT now(),
    actor_id text NOT NULL,
    actor_role text NOT NULL,
    via text NOT NULL,
    reference text,
    phone_lookups_deleted integer NOT NULL
);
CREATE OR REPLACE FUNCTION casework_erasures_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'casework_erasures is append-only: an erasure record is never changed';
    END $$;
CREATE OR REPLACE TRIGGER casework_erasures_append_only
    BEFORE UPDATE OR DELETE ON casework_erasures
    FOR EACH ROW EXECUTE FUNCTION casework_erasures_append_only();
CREATE TABLE IF NOT EXISTS casework_secrets (
    name text PRIMARY KEY,
    value bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
"""


class ResidentErased(RuleBroken):
    code = "resident_erased"
    title = "The resident's personal data was erased"


class KeyUnavailable(Exception):
    """A key exists but cannot be used: wrapped by another master key, or none is set.
    Never shown as an erasure: the data is there, the configuration is wrong."""


class UnknownResident(LookupError):
    def __init__(self, resident_id: str):
        super().__init__(f"no resident with id {resident_id}")
        self.resident_id = resident_id


Conn = psycopg.Connection[Any]


class ResidentKeys:
    def __init__(
        self, pool: ConnectionPool, master_key: bytes | None = None, cache_seconds: float = 5.0
    ):
        self.pool = pool
        self.master_key = master_key
        self.master_id = master_key_id(master_key) if master_key else None
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[bytes, float]] = {}
        self._erased: set[str] = set()  # erasure is forever: no need to ask again
        self._lock = threading.Lock()

    def create_schema(self) -> None:
        with self.pool.connection() as conn:
            conn.execute(SCHEMA)

    # -- creating ---------------------------------------------------------------------

    def create(self, resident_id: str, conn: Conn | None = None) -> None:
        """A new data key for a resident (nothing happens if they have one)."""
        data_key = new_data_key()
        stored = wrap(self.master_key, resident_id, data_key) if self.master_key else data_key
        query = (
            "INSERT INTO casework_resident_keys (resident_id, data_key, wrapped_by)"
            " VALUES (%s, %s, %s) ON CONFLICT (resident_id) DO NOTHING"
        )
        params = (UUID(resident_id), stored, self.master_id)
        if conn is not None:
            conn.execute(query, params)
            return
        with self.pool.connection() as own:
            inserted = own.execute(query, params).rowcount == 1
        if inserted:  # committed: the sealing that follows needs no read
            with self._lock:
                self._cache[resident_id] = (data_key, time.monotonic() + self.cache_seconds)

    def create_for_phone(self, resident_id: str, phone_hmac: bytes) -> str | None:
        """A new resident with a data key, matched to this phone, in one statement; None
        when the phone is matched already (or was just now, by a concurrent intake)."""
        data_key = new_data_key()
        stored = wrap(self.master_key, resident_id, data_key) if self.master_key else data_key
        rid = UUID(resident_id)
        with self.pool.connection() as conn:
            row = conn.execute(
                "WITH new_key AS ("
                " INSERT INTO casework_resident_keys (resident_id, data_key, wrapped_by)"
                " SELECT %(rid)s, %(key)s, %(by)s WHERE NOT EXISTS"
                "  (SELECT 1 FROM casework_resident_lookup WHERE phone_hmac = %(phone)s)"
                " RETURNING resident_id"
                "), new_lookup AS ("
                " INSERT INTO casework_resident_lookup (phone_hmac, resident_id)"
                " SELECT %(phone)s, resident_id FROM new_key"
                " ON CONFLICT (phone_hmac) DO NOTHING RETURNING resident_id"
                ") SELECT (SELECT count(*) FROM new_key), (SELECT count(*) FROM new_lookup)",
                {"rid": rid, "key": stored, "by": self.master_id, "phone": phone_hmac},
            ).fetchone()
            made_key, matched = row if row else (0, 0)
            if made_key and not matched:  # a concurrent intake matched the phone first
                conn.execute("DELETE FROM casework_resident_keys WHERE resident_id = %s", (rid,))
        if not matched:
            return None
        with self._lock:
            self._cache[resident_id] = (data_key, time.monotonic() + self.cache_seconds)
        return resident_id

    # -- using ------------------------------------------------------------------------

    def keys(self, resident_ids: Iterable[str], *, create: bool = False) -> dict[str, bytes | None]:
        """Each resident's data key, or None once erased.

        ``create``: give a resident who has no key yet a new one (when sealing);
        otherwise a resident without a key row is an error (when opening).
        """
        wanted = {str(rid) for rid in resident_ids}
        found: dict[str, bytes | None] = {}
        now = time.monotonic()
        with self._lock:
            for rid in wanted:
                if rid in self._erased:
                    found[rid] = None
                elif (cached := self._cache.get(rid)) is not None and cached[1] > now:
                    found[rid] = cached[0]
        missing = wanted - set(found)
        if missing:
            rows = self._fetch(missing)
            absent = missing - set(rows)
            if absent and create:
                for rid in absent:
                    self.create(rid)
                rows.update(self._fetch(absent))
                absent = missing - set(rows)
            if absent:
                raise UnknownResident(sorted(absent)[0])
            with self._lock:
                for rid, (stored, wrapped_by) in rows.items():
                    if stored is None:
                        self._erased.add(rid)
                        found[rid] = None
                        continue
                    key = self._unwrap(rid, stored, wrapped_by)
                    self._cache[rid] = (key, now + self.cache_seconds)
                    found[rid] = key
        return found

    def _fetch(self, resident_ids: set[str]) -> dict[str, tuple[bytes | None, str | None]]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT resident_id, data_key, wrapped_by FROM casework_resident_keys"
                " WHERE resident_id = ANY(%s)",
                ([UUID(rid) for rid in resident_ids],),
            ).fetchall()
        return {str(rid): (bytes(key) if key is not None else None, by) for rid, key, by in rows}

    def _unwrap(self, resident_id: str, stored: bytes, wrapped_by: str | None) -> bytes:
        if wrapped_by is None:
            return stored
        if self.master_key is None:
            raise KeyUnavailable(
                f"the data key of resident {resident_id} is wrapped by master key {wrapped_by}: "
                "set CASEWORK_MASTER_KEY"
            )
        if wrapped_by != self.master_id:
            raise KeyUnavailable(
                f"the data key of resident {resident_id} is wrapped by master key {wrapped_by}, "
                f"not by the CASEWORK_MASTER_KEY set ({self.master_id})"
            )
        return unwrap(self.master_key, resident_id, stored)

    def forget(self, resident_id: str) -> None:
        with self._lock:
            self._cache.pop(resident_id, None)
            self._erased.add(resident_id)

    def wrap_plain_keys(self) -> int:
        """Wrap every data key still stored unwrapped with the master key; how many."""
        if self.master_key is None:
            raise KeyUnavailable("set CASEWORK_MASTER_KEY to wrap the data keys")
        wrapped = 0
        with self.pool.connection() as conn, conn.transaction():
            rows = conn.execute(
                "SELECT resident_id, data_key FROM casework_resident_keys"
                " WHERE wrapped_by IS NULL AND data_key IS NOT NULL FOR UPDATE"
            ).fetchall()
            for rid, key in rows:
                conn.execute(
                    "UPDATE casework_resident_keys SET data_key = %s, wrapped_by = %s"
                    " WHERE resident_id = %s",
                    (wrap(self.master_key, str(rid), bytes(key)), self.master_id, rid),
                )
                wrapped += 1
        return wrapped


def stored_secret(
    pool: ConnectionPool, name: str, generate: Callable[[], bytes]
) -> tuple[bytes, bool]:
    """A secret the service keeps in its own database, created once by whoever is first;
    and whether this call created it."""
    with pool.connection() as conn:
        created = conn.execute(
            "INSERT INTO casework_secrets (name, value) VALUES (%s, %s)"
            " ON CONFLICT (name) DO NOTHING",
            (name, generate()),
        ).rowcount
        row = conn.execute("SELECT value FROM casework_secrets WHERE name = %s", (name,)).fetchone()
    assert row is not None
    return bytes(row[0]), created == 1
