"""The people and systems allowed to call the service, and their bearer tokens.

A token is shown once, when the user is created; only its SHA-256 is stored. Tokens
are long random strings, so a fast hash is enough: there is nothing to brute-force.
"""

import hashlib
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

from cachetools import TTLCache
from psycopg.rows import class_row
from psycopg_pool import ConnectionPool

from domain.vocabulary import Role

TOKEN_PREFIX = "cw_"  # noqa: S105 - a marker, not a secret

SCHEMA = """
CREATE TABLE IF NOT EXISTS casework_users (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    role text NOT NULL,
    area text,
    token_sha256 text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    revoked_at timestamptz
)
"""


@dataclass(frozen=True)
class User:
    id: UUID
    name: str
    role: str
    area: str | None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_UNCHECKED = object()


def _valid(checked: tuple[User, datetime | None] | None) -> User | None:
    if checked is None:
        return None
    user, expires_at = checked
    if expires_at is not None and expires_at <= datetime.now(UTC):
        return None
    return user


class Users:
    def __init__(self, pool: ConnectionPool, cache_seconds: float = 5.0):
        """A process trusts a token it has checked for ``cache_seconds``: a token revoked by
        another process (the CLI, another server) stops working within that time."""
        self.pool = pool
        self._checked: TTLCache[str, object] = TTLCache(maxsize=10_000, ttl=cache_seconds)
        self._lock = threading.Lock()

    def create_schema(self) -> None:
        with self.pool.connection() as conn:
            conn.execute(SCHEMA)

    def add(
        self,
        name: str,
        role: Role,
        area: str | None = None,
        expires_at: datetime | None = None,
    ) -> tuple[User, str]:
        """Create a user; return it with its bearer token, which is never stored."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        user = User(id=uuid4(), name=name, role=Role(role).value, area=area)
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO casework_users (id, name, role, area, token_sha256, expires_at)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                (user.id, user.name, user.role, user.area, hash_token(token), expires_at),
            )
        return user, token

    def authenticate(self, token: str) -> User | None:
        digest = hash_token(token)
        answered, user = self._known(digest)
        if answered:
            return user
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT id, name, role, area, expires_at FROM casework_users"
                " WHERE token_sha256 = %s AND revoked_at IS NULL",
                (digest,),
            ).fetchone()
        checked = (User(*row[:4]), row[4]) if row else None
        with self._lock:
            self._checked[digest] = checked
        return _valid(checked)

    def known(self, token: str) -> tuple[bool, User | None]:
        """(True, the user or None) when this process checked the token lately; no I/O."""
        return self._known(hash_token(token))

    def _known(self, digest: str) -> tuple[bool, User | None]:
        with self._lock:
            checked = self._checked.get(digest, _UNCHECKED)
        if checked is _UNCHECKED:
            return False, None
        return True, _valid(checked)  # type: ignore[arg-type]

    def get(self, user_id: UUID) -> User | None:
        with self.pool.connection() as conn:
            cursor = conn.cursor(row_factory=class_row(User))
            return cursor.execute(
                "SELECT id, name, role, area FROM casework_users WHERE id = %s", (user_id,)
            ).fetchone()

    def revoke(self, user_id: UUID) -> bool:
        """Stop the user's token working (in this process at once, in others within the
        cache time); False when there is no such user."""
        with self.pool.connection() as conn:
            cursor = conn.execute(
                "UPDATE casework_users SET revoked_at = coalesce(revoked_at, now()) WHERE id = %s",
                (user_id,),
            )
        with self._lock:
            self._checked.clear()
        return cursor.rowcount == 1

    def all(self) -> list[tuple[User, datetime | None, datetime | None]]:
        """Every user with when their token expires and when it was revoked."""
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT id, name, role, area, expires_at, revoked_at FROM casework_users"
                " ORDER BY created_at"
            ).fetchall()
        return [(User(*row[:4]), row[4], row[5]) for row in rows]
