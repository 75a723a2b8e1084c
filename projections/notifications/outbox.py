"""Webhooks' outbox: each notification of a type a webhook wants becomes a delivery, written
in the same transaction that records the notification, so none is lost or made twice.

These tables are not a generation of the read model (a rebuild must not send anything
again, nor forget what was sent): a delivery is unique per webhook and notification, and a
webhook only gets notifications of events after it was registered (``from_position``).
"""

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

SCHEMA = """
CREATE TABLE IF NOT EXISTS casework_webhooks (
    id uuid PRIMARY KEY,
    url text NOT NULL,
    event_types text[] NOT NULL,
    secret text NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    from_position bigint NOT NULL,
    deleted_at timestamptz
);
CREATE TABLE IF NOT EXISTS casework_webhook_deliveries (
    id bigserial PRIMARY KEY,
    webhook_id uuid NOT NULL REFERENCES casework_webhooks (id),
    notification_id uuid NOT NULL,
    type text NOT NULL,
    case_id uuid NOT NULL,
    occurred_at timestamptz NOT NULL,
    data jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    UNIQUE (webhook_id, notification_id)
);
CREATE INDEX IF NOT EXISTS casework_webhook_deliveries_due
    ON casework_webhook_deliveries (next_attempt_at) WHERE delivered_at IS NULL;
CREATE TABLE IF NOT EXISTS casework_webhook_attempts (
    delivery_id bigint NOT NULL REFERENCES casework_webhook_deliveries (id),
    attempt integer NOT NULL,
    attempted_at timestamptz NOT NULL,
    status_code integer,
    error text,
    PRIMARY KEY (delivery_id, attempt)
);
"""


def enqueue(cursor: psycopg.Cursor[Any], rows: Sequence[tuple[Any, ...]]) -> None:
    """Deliveries of the notifications ``rows`` (id, position, type, case_id, occurred_at,
    data without free texts) to every webhook that wants their type."""
    if not rows:
        return
    cursor.execute(
        "INSERT INTO casework_webhook_deliveries"
        " (webhook_id, notification_id, type, case_id, occurred_at, data)"
        " SELECT w.id, n.id, n.type, n.case_id, n.occurred_at, n.data"
        " FROM unnest(%s::uuid[], %s::bigint[], %s::text[], %s::uuid[], %s::timestamptz[],"
        "             %s::jsonb[]) AS n(id, position, type, case_id, occurred_at, data)"
        " JOIN casework_webhooks w ON w.deleted_at IS NULL AND n.type = ANY(w.event_types)"
        "  AND n.position > w.from_position"
        " ON CONFLICT (webhook_id, notification_id) DO NOTHING",
        [list(column) for column in zip(*[(*r[:5], Jsonb(r[5])) for r in rows], strict=True)],
    )
