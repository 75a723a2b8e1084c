"""Sign-in sessions of the workbench pages, kept server-side, and one-time sign-in links.

The browser holds only a random session id (in an HttpOnly cookie); the table keeps its
SHA-256, so a copy of the table cannot be replayed as cookies. Each session remembers the
hash of the token it was opened with: a token revoked, rotated or expired ends every
session opened with it at once, since each look-up joins the users table.

A sign-in link (``casework users link``) is a random secret in a URL, stored as its SHA-256
with the user's token hash of the moment: it opens one session, once, before it expires,
and only while that token is still the user's and still valid.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from psycopg_pool import ConnectionPool

from infra.users import User, hash_token

SCHEMA = """
CREATE TABLE IF NOT EXISTS casework_sessions (
    id_sha256 text PRIMARY KEY,
    user_id uuid NOT NULL,
    token_sha256 text NOT NULL,
    csrf text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS casework_sessions_expires ON casework_sessions (expires_at);
CREATE TABLE IF NOT EXISTS casework_sign_in_links (
    secret_sha256 text PRIMARY KEY,
    user_id uuid NOT NULL,
    token_sha256 text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
"""

# A link signs in while unused, unexpired, and issued under the user's token of now (not
# revoked, rotated or expired since).
LINK_VALID = """
SELECT 1 FROM casework_sign_in_links l JOIN casework_users u
  ON u.id = l.user_id AND u.token_sha256 = l.token_sha256
WHERE l.secret_sha256 = %s AND l.used_at IS NULL AND l.expires_at > now()
  AND u.revoked_at IS NULL AND (u.expires_at IS NULL OR u.expires_at > now())
"""
SPEND_LINK = """
UPDATE casework_sign_in_links l SET used_at = now() FROM casework_users u
WHERE u.id = l.user_id AND u.token_sha256 = l.token_sha256
  AND l.secret_sha256 = %s AND l.used_at IS NULL AND l.expires_at > now()
  AND u.revoked_at IS NULL AND (u.expires_at IS NULL OR u.expires_at > now())
RETURNING l.user_id, l.token_sha256
"""

LOOKUP = """
SELECT u.id, u.name, u.role, u.area, s.csrf
FROM casework_sessions s
JOIN casework_users u ON u.id = s.user_id AND u.token_sha256 = s.token_sha256
WHERE s.id_sha256 = %s AND s.expires_at > now()
  AND u.revoked_at IS NULL AND (u.expires_at IS NULL OR u.expires_at > now())
"""

# A working day at the window, with room for overtime; signing in again costs a paste.
SESSION_HOURS = 12


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str  # bound to the session: every form of it carries this value


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class Sessions:
    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    def create_schema(self) -> None:
        with self.pool.connection() as conn:
            conn.execute(SCHEMA)

    def open(self, user_id: UUID, token: str) -> str:
        """A new session for the user signed in with ``token``; returns its id (the cookie)."""
        return self._open(user_id, hash_token(token))

    def _open(self, user_id: UUID, token_sha256: str) -> str:
        session_id = secrets.token_urlsafe(32)
        expires_at = datetime.now(UTC) + timedelta(hours=SESSION_HOURS)
        with self.pool.connection() as conn:
            # Expired sessions go when a new one opens: the table stays small without a timer.
            conn.execute("DELETE FROM casework_sessions WHERE expires_at <= now()")
            conn.execute(
                "INSERT INTO casework_sessions (id_sha256, user_id, token_sha256, csrf,"
                " expires_at) VALUES (%s, %s, %s, %s, %s)",
                (
                    _digest(session_id),
                    user_id,
                    token_sha256,
                    secrets.token_urlsafe(32),
                    expires_at,
                ),
            )
        return session_id

    def find(self, session_id: str) -> Session | None:
        with self.pool.connection() as conn:
            row = conn.execute(LOOKUP, (_digest(session_id),)).fetchone()
        if row is None:
            return None
        return Session(user=User(*row[:4]), csrf=row[4])

    def end(self, session_id: str) -> None:
        with self.pool.connection() as conn:
            conn.execute(
                "DELETE FROM casework_sessions WHERE id_sha256 = %s", (_digest(session_id),)
            )

    def issue_link(self, user_id: UUID, valid_for: timedelta) -> str | None:
        """A one-time sign-in secret for the user, valid for ``valid_for``; None when there
        is no such user or their token is revoked or expired."""
        secret = secrets.token_urlsafe(32)
        with self.pool.connection() as conn:
            # Links used or expired go when a new one is issued (as sessions do).
            conn.execute(
                "DELETE FROM casework_sign_in_links WHERE used_at IS NOT NULL"
                " OR expires_at <= now()"
            )
            cursor = conn.execute(
                "INSERT INTO casework_sign_in_links (secret_sha256, user_id, token_sha256,"
                " expires_at) SELECT %s, id, token_sha256, now() + %s FROM casework_users"
                " WHERE id = %s AND revoked_at IS NULL"
                " AND (expires_at IS NULL OR expires_at > now())",
                (_digest(secret), valid_for, user_id),
            )
        return secret if cursor.rowcount == 1 else None

    def link_valid(self, secret: str) -> bool:
        """Whether the link would sign someone in now (it is not spent by asking)."""
        with self.pool.connection() as conn:
            row = conn.execute(LINK_VALID, (_digest(secret),)).fetchone()
        return row is not None

    def open_by_link(self, secret: str) -> str | None:
        """Spend the link and open a session with it; None when it is unknown, used,
        expired, or its user's token has changed since. Two uses at once: one wins."""
        with self.pool.connection() as conn:
            row = conn.execute(SPEND_LINK, (_digest(secret),)).fetchone()
        if row is None:
            return None
        return self._open(row[0], row[1])
