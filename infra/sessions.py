"""Sign-in sessions of the workbench pages, kept server-side.

The browser holds only a random session id (in an HttpOnly cookie); the table keeps its
SHA-256, so a copy of the table cannot be replayed as cookies. Each session remembers the
hash of the token it was opened with: a token revoked, rotated or expired ends every
session opened with it at once, since each look-up joins the users table.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from infra.tables import Tables
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


class Sessions(Tables):
    SCHEMA = SCHEMA

    def open(self, user_id: UUID, token: str) -> str:
        """A new session for the user signed in with ``token``; returns its id (the cookie)."""
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
                    hash_token(token),
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
