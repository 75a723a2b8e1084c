"""Webhooks: other systems (a city platform, an SMS or WeChat gateway) hear of notifications.

The notifications read model writes a delivery into an outbox table in the transaction that
records the notification (projections/notifications/outbox.py); the dispatcher here sends
each one, signed, and tries again with exponential back-off until the receiver answers 2xx.
So a receiver gets every notification at least once, with the same id on every attempt,
and drops repeats by id.

A delivery is sent by one dispatcher at a time, however many run (in each ``casework
serve`` and ``casework webhooks run``): each takes it with ``FOR UPDATE SKIP LOCKED`` and
holds the lock until the attempt is recorded. A small outbox table rather than a job queue
library: the delivery must be written by the projector's own transaction (a library's
queue would want its own connection or schema), and the delivery log is ours to show.
"""

import hashlib
import hmac
import json
import logging
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from uuid import UUID, uuid4

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from infra.background import Background, Rounds
from infra.rating_links import RatingLinks
from infra.settings import Settings
from projections.notifications import inbox, outbox

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Casework-Signature"


def create_schema(conn: psycopg.Connection[Any]) -> None:
    """The webhooks, their outbox and everyone's read marks (none of them rebuilt)."""
    conn.execute(outbox.SCHEMA)
    conn.execute(inbox.READS)


def signature(secret: str, body: bytes) -> str:
    """What a receiver computes to check a delivery: HMAC-SHA256 of the body, in hex."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Webhook:
    id: UUID
    url: str
    event_types: list[str]
    created_by: str
    created_at: datetime


class Webhooks:
    """The registered webhooks and their delivery log."""

    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    def add(
        self, url: str, event_types: list[str], secret: str | None, by: str, head: int
    ) -> tuple[Webhook, str]:
        """Register a webhook for the notifications of events after position ``head``;
        answers it and its secret (generated unless given)."""
        secret = secret or secrets.token_urlsafe(32)
        with self.pool.connection() as conn:
            row = conn.execute(
                "INSERT INTO casework_webhooks (id, url, event_types, secret, created_by,"
                " from_position) VALUES (%s, %s, %s, %s, %s, %s)"
                " RETURNING id, url, event_types, created_by, created_at",
                (uuid4(), url, event_types, secret, by, head),
            ).fetchone()
        assert row is not None
        return Webhook(*row), secret

    def all(self) -> list[Webhook]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT id, url, event_types, created_by, created_at FROM casework_webhooks"
                " WHERE deleted_at IS NULL ORDER BY created_at, id"
            ).fetchall()
        return [Webhook(*row) for row in rows]

    def exists(self, webhook_id: UUID) -> bool:
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT 1 FROM casework_webhooks WHERE id = %s AND deleted_at IS NULL",
                (webhook_id,),
            ).fetchone()
        return row is not None

    def delete(self, webhook_id: UUID) -> bool:
        """Stop sending to it; its delivery log stays in the database."""
        with self.pool.connection() as conn:
            row = conn.execute(
                "UPDATE casework_webhooks SET deleted_at = now()"
                " WHERE id = %s AND deleted_at IS NULL RETURNING 1",
                (webhook_id,),
            ).fetchone()
        return row is not None

    def deliveries(self, webhook_id: UUID, before: int | None, limit: int) -> list[dict[str, Any]]:
        """Newest first, each with its attempts (oldest first)."""
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            rows = cursor.execute(
                "SELECT d.id, d.notification_id, d.type, d.case_id, d.occurred_at, d.created_at,"
                " d.attempts, d.delivered_at,"
                " CASE WHEN d.delivered_at IS NULL THEN d.next_attempt_at END AS next_attempt_at,"
                " coalesce((SELECT json_agg(json_build_object('attempt', a.attempt,"
                "   'attempted_at', a.attempted_at, 'status_code', a.status_code,"
                "   'error', a.error) ORDER BY a.attempt)"
                "  FROM casework_webhook_attempts a WHERE a.delivery_id = d.id), '[]') AS tries"
                " FROM casework_webhook_deliveries d WHERE d.webhook_id = %s"
                " AND (%s::bigint IS NULL OR d.id < %s) ORDER BY d.id DESC LIMIT %s",
                (webhook_id, before, before, limit),
            ).fetchall()
        for row in rows:
            for attempt in row["tries"]:
                attempt["attempted_at"] = datetime.fromisoformat(attempt["attempted_at"])
        return rows


class Dispatcher(Rounds):
    """Sends the deliveries that are due, one at a time, until none is left, every
    ``poll_seconds``."""

    name = "webhook round"

    def __init__(
        self,
        connect: Callable[[], psycopg.Connection[Any]],
        zone: tzinfo,
        *,
        retry_seconds: float = 10.0,
        retry_max_seconds: float = 3600.0,
        timeout_seconds: float = 5.0,
        poll_seconds: float = 1.0,
        link_of: Callable[[UUID, dict[str, Any]], str] | None = None,
    ):
        super().__init__(poll_seconds)
        # The rating link a RatingLinkIssued stands for, signed when it is sent.
        self.link_of = link_of
        self.connect = connect
        self.zone = zone
        self.retry_seconds = retry_seconds
        self.retry_max_seconds = retry_max_seconds
        self.timeout_seconds = timeout_seconds

    def body(self, row: dict[str, Any]) -> bytes:
        data = row["data"]
        if row["type"] == "RatingLinkIssued" and self.link_of is not None:
            data = {**data, "url": self.link_of(row["case_id"], data)}
        payload = {
            "id": str(row["notification_id"]),
            "type": row["type"],
            "occurred_at": row["occurred_at"].astimezone(self.zone).isoformat(),
            "case_id": str(row["case_id"]),
            "data": data,
        }
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()

    def send(self, url: str, secret: str, body: bytes) -> tuple[int | None, str | None]:
        """The receiver's status code, or None and why there was none."""
        request = urllib.request.Request(  # noqa: S310 - an administrator's http(s) URL
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "casework-webhooks",
                SIGNATURE_HEADER: signature(secret, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as answer:  # noqa: S310
                return answer.status, None
        except urllib.error.HTTPError as error:
            return error.code, None
        except (OSError, ValueError) as error:  # refused, timed out, unreachable
            reason = getattr(error, "reason", error)
            return None, f"{type(error).__name__}: {reason}"[:500]

    def deliver_one(self, conn: psycopg.Connection[Any], due_by: datetime) -> bool:
        """Attempt the delivery due longest, if one was due by ``due_by``; False if none."""
        with conn.transaction(), conn.cursor(row_factory=dict_row) as cursor:
            row = cursor.execute(
                "SELECT d.id, d.notification_id, d.type, d.case_id, d.occurred_at, d.data,"
                " d.attempts, w.url, w.secret FROM casework_webhook_deliveries d"
                " JOIN casework_webhooks w ON w.id = d.webhook_id AND w.deleted_at IS NULL"
                " WHERE d.delivered_at IS NULL AND d.next_attempt_at <= %s"
                " ORDER BY d.next_attempt_at, d.id LIMIT 1 FOR UPDATE OF d SKIP LOCKED",
                (due_by,),
            ).fetchone()
            if row is None:
                return False
            status, error = self.send(row["url"], row["secret"], self.body(row))
            attempt = row["attempts"] + 1
            delivered = status is not None and 200 <= status < 300
            delay = min(self.retry_seconds * 2 ** (attempt - 1), self.retry_max_seconds)
            cursor.execute(
                "INSERT INTO casework_webhook_attempts"
                " (delivery_id, attempt, attempted_at, status_code, error)"
                " VALUES (%s, %s, clock_timestamp(), %s, %s)",
                (row["id"], attempt, status, error),
            )
            cursor.execute(
                "UPDATE casework_webhook_deliveries SET attempts = %s,"
                " delivered_at = CASE WHEN %s THEN clock_timestamp() END,"
                " next_attempt_at = clock_timestamp() + make_interval(secs => %s)"
                " WHERE id = %s",
                (attempt, delivered, delay, row["id"]),
            )
        if not delivered:
            log.info(
                "webhook delivery %s to %s failed (%s)", row["id"], row["url"], status or error
            )
        return True

    def run_once(self) -> int:
        """Attempt every delivery due now, each once; how many attempts were made."""
        attempts = 0
        with self.connect() as conn:
            conn.autocommit = True
            row = conn.execute("SELECT clock_timestamp()").fetchone()
            assert row is not None
            while not self.stopped.is_set() and self.deliver_one(conn, row[0]):
                attempts += 1
        return attempts


def dispatcher(
    connect: Callable[[], psycopg.Connection[Any]],
    settings: Settings,
    rating_links: RatingLinks | None = None,
) -> Dispatcher:
    """A dispatcher with the service's settings."""
    return Dispatcher(
        connect,
        settings.zone,
        retry_seconds=settings.webhook_retry_seconds,
        retry_max_seconds=settings.webhook_retry_max_seconds,
        timeout_seconds=settings.webhook_timeout_seconds,
        poll_seconds=settings.webhook_poll_seconds,
        link_of=rating_links.url_of_notification if rating_links else None,
    )


class BackgroundWebhooks(Background):
    """The dispatcher on a thread of its own, as ``casework serve`` runs it."""

    def __init__(
        self,
        connect: Callable[[], psycopg.Connection[Any]],
        settings: Settings,
        rating_links: RatingLinks | None = None,
    ):
        super().__init__(dispatcher(connect, settings, rating_links), "webhooks")
