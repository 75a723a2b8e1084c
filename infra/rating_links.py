"""Rating links (回访 without a call): the token a resident's link carries.

The token is the case id, the link id and the expiry, signed with HMAC-SHA256 under a key
of the service (itsdangerous). Nothing of it is stored: the case's ``RatingLinkIssued``
event holds the three values, so the token (and the URL) can be made again from the event
for delivery, and a token no key of ours signed is refused before any case is read.
Whether the link is still unanswered is the case's own rule, not the token's.
"""

import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from itsdangerous import BadSignature, Signer
from itsdangerous.encoding import base64_decode, base64_encode
from psycopg_pool import ConnectionPool

from infra.personal.crypto import KEY_BYTES, parse_secret
from infra.personal.keys import stored_secret

SALT = "casework.rating-link"  # this key signs nothing else
PATH = "/r/"
_PAYLOAD_BYTES = 16 + 16 + 8  # case id, link id, expiry in whole seconds since 1970


class BadRatingLink(Exception):
    """A token no key of ours signed: mistyped, cut short or tampered with."""


@dataclass(frozen=True)
class RatingLink:
    case_id: UUID
    link_id: UUID
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        return now > self.expires_at


class RatingLinks:
    def __init__(self, key: bytes, public_url: str | None = None):
        self._signer = Signer(key, salt=SALT, digest_method=hashlib.sha256)
        self.public_url = public_url.rstrip("/") if public_url else None

    @classmethod
    def for_service(
        cls, pool: ConnectionPool, configured: str | None, public_url: str | None
    ) -> "RatingLinks":
        """With the key set (CASEWORK_RATING_LINK_KEY), or else one the service made once
        and keeps in its database (development only: whoever reads the database could sign
        links)."""
        if configured:
            key = parse_secret(configured, "CASEWORK_RATING_LINK_KEY")
        else:
            key, _ = stored_secret(pool, "rating_link_key", lambda: os.urandom(KEY_BYTES))
        return cls(key, public_url)

    def token(self, case_id: UUID, link_id: UUID, expires_at: datetime) -> str:
        seconds = int(expires_at.timestamp())
        payload = case_id.bytes + link_id.bytes + seconds.to_bytes(8, "big")
        return self._signer.sign(base64_encode(payload)).decode()

    def read(self, token: str) -> RatingLink:
        try:
            payload = base64_decode(self._signer.unsign(token.encode()))
        except (BadSignature, ValueError, UnicodeError):
            raise BadRatingLink(token) from None
        if len(payload) != _PAYLOAD_BYTES:
            raise BadRatingLink(token)
        seconds = int.from_bytes(payload[32:], "big")
        return RatingLink(
            UUID(bytes=payload[:16]),
            UUID(bytes=payload[16:32]),
            datetime.fromtimestamp(seconds, UTC),
        )

    def path(self, case_id: UUID, link_id: UUID, expires_at: datetime) -> str:
        return PATH + self.token(case_id, link_id, expires_at)

    def url(self, case_id: UUID, link_id: UUID, expires_at: datetime, base: str = "") -> str:
        """The link residents open: under CASEWORK_PUBLIC_URL if set, else under ``base``
        (the address a request came to)."""
        return (self.public_url or base.rstrip("/")) + self.path(case_id, link_id, expires_at)

    def url_of_event(self, event: Any) -> str:
        """The link a ``RatingLinkIssued`` event stands for (for its delivery)."""
        return self.url(event.originator_id, UUID(event.link_id), event.expires_at)
