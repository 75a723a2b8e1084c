"""The people and systems allowed to call the service, and their bearer tokens.

A token is shown once, when the user is created; only its SHA-256 is stored. Tokens
are long random strings, so a fast hash is enough: there is nothing to brute-force.
"""

import hashlib
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

from cachetools import TTLCache
from psycopg.rows import class_row
from psycopg_pool import ConnectionPool

from domain.vocabulary import BOARD_CLAIMANT_TYPES, ClaimantType, Role
from infra.tables import Tables

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
);
-- What kind of claimant a board claimant is (party_member, volunteer, organisation): their
-- claims are recorded as that type. Null for every other role.
ALTER TABLE casework_users ADD COLUMN IF NOT EXISTS claimant_type text
"""


@dataclass(frozen=True)
class User:
    id: UUID
    name: str
    role: str
    area: str | None


@dataclass(frozen=True)
class Profile:
    """Who a caller is, for GET /me."""

    user: User
    area_name: str | None
    expires_at: datetime | None


@dataclass(frozen=True)
class Listed:
    """One line of the directory; ``active``: the token neither revoked nor expired."""

    id: UUID
    name: str
    role: str
    area: str | None
    active: bool


# Who may be handed a case (see api.dependencies.HANDLERS): the directory also lists those
# of them whose area encloses the caller's, since they can handle cases there too.
HANDLER_ROLES = ("worker", "supervisor")

# The directory of an area: the users whose area is it or lies within it (areas nest three
# deep: street, community, grid), and the handlers whose area encloses it (or the city).
DIRECTORY = """
SELECT u.id, u.name, u.role, u.area,
       u.revoked_at IS NULL AND (u.expires_at IS NULL OR u.expires_at > now()) AS active
FROM casework_users u
LEFT JOIN casework_areas g ON g.id = u.area
LEFT JOIN casework_areas c ON c.id = g.parent_id
WHERE (%(area)s::text IS NULL OR %(area)s IN (u.area, g.parent_id, c.parent_id)
       OR (u.role = ANY(%(handlers)s) AND (u.area IS NULL OR u.area IN (
           SELECT a.parent_id FROM casework_areas a WHERE a.id = %(area)s
           UNION ALL
           SELECT p.parent_id FROM casework_areas a JOIN casework_areas p ON p.id = a.parent_id
           WHERE a.id = %(area)s))))
  AND (%(roles)s::text[] IS NULL OR u.role = ANY(%(roles)s))
ORDER BY u.role, u.name, u.id
"""


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


class Users(Tables):
    SCHEMA = SCHEMA

    def __init__(self, pool: ConnectionPool, cache_seconds: float = 5.0):
        """A process trusts a token it has checked for ``cache_seconds``: a token revoked by
        another process (the CLI, another server) stops working within that time."""
        super().__init__(pool)
        self._checked: TTLCache[str, object] = TTLCache(maxsize=10_000, ttl=cache_seconds)
        # Names beside ids in answers: kept as long as a checked token, so that one answer
        # costs at most one query for the names it has not seen lately.
        self._names: TTLCache[str, str | None] = TTLCache(maxsize=10_000, ttl=cache_seconds)
        # Users by id (a command's assignee, checked at every assignment), kept as long too.
        self._users: TTLCache[UUID, User] = TTLCache(maxsize=10_000, ttl=cache_seconds)
        self._lock = threading.Lock()

    def add(
        self,
        name: str,
        role: Role,
        area: str | None = None,
        expires_at: datetime | None = None,
        claimant_type: ClaimantType | None = None,
    ) -> tuple[User, str]:
        """Create a user; return it with its bearer token, which is never stored. A board
        claimant needs its ``claimant_type`` (one of BOARD_CLAIMANT_TYPES), no one else has one."""
        if (Role(role) == Role.CLAIMANT) != (claimant_type is not None):
            raise ValueError("a claimant, and only a claimant, has a claimant type")
        if claimant_type is not None and claimant_type not in BOARD_CLAIMANT_TYPES:
            raise ValueError(f"a board claimant is one of: {', '.join(BOARD_CLAIMANT_TYPES)}")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        user = User(id=uuid4(), name=name, role=Role(role).value, area=area)
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO casework_users"
                " (id, name, role, area, token_sha256, expires_at, claimant_type)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (
                    user.id,
                    user.name,
                    user.role,
                    user.area,
                    hash_token(token),
                    expires_at,
                    None if claimant_type is None else str(claimant_type),
                ),
            )
        return user, token

    def claimant_type(self, user_id: UUID) -> str | None:
        """What a board claimant claims as (party_member, volunteer, organisation)."""
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT claimant_type FROM casework_users WHERE id = %s", (user_id,)
            ).fetchone()
        return row[0] if row else None

    def authenticate(self, token: str) -> User | None:
        digest = hash_token(token)
        answered, user = self._known(digest)
        if answered:
            return user
        row = self._one(
            "SELECT id, name, role, area, expires_at FROM casework_users"
            " WHERE token_sha256 = %s AND revoked_at IS NULL",
            (digest,),
        )
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
        """The user, if any (one seen lately answers from memory; an unknown id is always
        asked again, so a user just added elsewhere is found)."""
        with self._lock:
            user = self._users.get(user_id)
        if user is not None:
            return user
        with self.pool.connection() as conn:
            cursor = conn.cursor(row_factory=class_row(User))
            user = cursor.execute(
                "SELECT id, name, role, area FROM casework_users WHERE id = %s", (user_id,)
            ).fetchone()
        if user is not None:
            with self._lock:
                self._users[user_id] = user
        return user

    def profile(self, user_id: UUID) -> Profile | None:
        """The user with their area's name and when their token expires."""
        row = self._one(
            "SELECT u.id, u.name, u.role, u.area, a.name, u.expires_at"
            " FROM casework_users u LEFT JOIN casework_areas a ON a.id = u.area"
            " WHERE u.id = %s",
            (user_id,),
        )
        return Profile(User(*row[:4]), row[4], row[5]) if row else None

    def directory(self, area: str | None, roles: Iterable[str] | None = None) -> list[Listed]:
        """The users of ``area`` (None: the whole city), by role then name."""
        wanted = sorted(set(roles)) if roles else None
        with self.pool.connection() as conn:
            cursor = conn.cursor(row_factory=class_row(Listed))
            return cursor.execute(
                DIRECTORY, {"area": area, "roles": wanted, "handlers": list(HANDLER_ROLES)}
            ).fetchall()

    def names(self, ids: Iterable[object]) -> dict[str, str]:
        """{id: name} of those of ``ids`` that are users; anything else (None, ``cli:root``,
        a free-text claimant) is left out. One query at most, for the ids not seen lately."""
        wanted = {str(i) for i in ids if i is not None}
        found: dict[str, str] = {}
        missing: list[UUID] = []
        with self._lock:
            for key in wanted:
                name = self._names.get(key, _UNCHECKED)
                if name is _UNCHECKED:
                    try:
                        missing.append(UUID(key))
                    except ValueError:
                        continue
                elif name is not None:
                    found[key] = name  # type: ignore[assignment]
        if not missing:
            return found
        rows = self._all("SELECT id, name FROM casework_users WHERE id = ANY(%s)", (missing,))
        looked_up = {str(user_id): name for user_id, name in rows}
        with self._lock:
            for user_id in missing:
                # Ids are the canonical form of the UUID; other spellings are asked again.
                self._names[str(user_id)] = looked_up.get(str(user_id))
        return found | {k: n for k in wanted if (n := looked_up.get(k)) is not None}

    def rotate(self, user_id: UUID, expires_at: datetime | None = None) -> str | None:
        """Give the user a new token, returned once; the old one stops working (in this
        process at once, in others within the cache time). A revoked user is active again.
        None when there is no such user."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.pool.connection() as conn:
            cursor = conn.execute(
                "UPDATE casework_users SET token_sha256 = %s, expires_at = %s, revoked_at = NULL"
                " WHERE id = %s",
                (hash_token(token), expires_at, user_id),
            )
        with self._lock:
            self._checked.clear()
        return token if cursor.rowcount == 1 else None

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
        rows = self._all(
            "SELECT id, name, role, area, expires_at, revoked_at FROM casework_users"
            " ORDER BY created_at"
        )
        return [(User(*row[:4]), row[4], row[5]) for row in rows]
