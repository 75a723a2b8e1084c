"""Running the read models' projectors: in the service's background, or on their own."""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg

from domain.application import CaseWork
from infra.calendar import ChineseWorkingCalendar
from infra.database import connection_params
from projections.case_list.model import CaseList
from projections.compliance.model import ComplianceFacts
from projections.runner import (
    Progress,
    Projector,
    ReadModel,
    drop_generation,
    ensure_active_generation,
    lock_key,
    new_generation,
    switch_to,
)
from projections.wish_claims.model import WishClaims

log = logging.getLogger(__name__)

# Handling hours count working days: prepare() hands it the service's own calendar, so
# that yearly calendars an administrator loads count too.
_compliance = ComplianceFacts(ChineseWorkingCalendar())
# The case list counts when cases turn yellow on the service's calendar too (prepare()).
_case_list = CaseList()
READ_MODELS: dict[str, ReadModel] = {
    model.name: model for model in (_case_list, _compliance, WishClaims())
}


def connector(url: str) -> Callable[[], psycopg.Connection[Any]]:
    params = connection_params(url)
    return lambda: psycopg.connect(**params, connect_timeout=5)


def prepare(app: CaseWork, connect: Callable[[], psycopg.Connection[Any]]) -> None:
    """Make sure every read model has tables and views for queries to read.

    A read model whose tables are of an older schema than this code's is rebuilt first,
    so that queries never read columns that are not there.
    """
    _compliance.calendar = app.calendar
    _compliance.zone = app.zone
    _case_list.calendar, _case_list.zone = app.calendar, app.zone
    _case_list.time_limits = app.time_limits
    _case_list.ladder = app.ladder
    with connect() as conn:
        conn.autocommit = True
        stale = []
        for model in READ_MODELS.values():
            generation = ensure_active_generation(conn, model)
            row = conn.execute(
                "SELECT schema_version FROM casework_projections"
                " WHERE name = %s AND generation = %s",
                (model.name, generation),
            ).fetchone()
            if row is not None and row[0] != model.schema_version:
                stale.append(model.name)
    for name in stale:
        log.warning("read model %s has an older schema: rebuilding it", name)
        rebuild(name, app, connect, lambda progress: None)


class BackgroundProjectors:
    """One thread per read model, each keeping its model caught up until stopped."""

    def __init__(self, app: CaseWork, connect: Callable[[], psycopg.Connection[Any]]):
        self.projectors = [
            Projector(model, app, connect, decode=app.mapper.to_domain_event_sealed)
            for model in READ_MODELS.values()
        ]
        self.threads = [
            threading.Thread(target=p.run, name=f"projector-{p.model.name}", daemon=True)
            for p in self.projectors
        ]

    def start(self) -> "BackgroundProjectors":
        for thread in self.threads:
            thread.start()
        return self

    def stop(self) -> None:
        for projector in self.projectors:
            projector.stop()
        for thread in self.threads:
            thread.join(timeout=10)


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    generation: int
    active: bool
    position: int
    head: int
    lag_events: int
    lag_seconds: float
    failures: int
    error: str | None
    error_position: int | None
    updated_at: datetime
    skipped: list[dict[str, Any]]


def projection_status(conn: psycopg.Connection[Any], app: CaseWork) -> list[ProjectionStatus]:
    head = app.recorder.max_notification_id() or 0
    rows = conn.execute(
        "SELECT name, generation, active, position, failures, error, error_position, updated_at"
        " FROM casework_projections ORDER BY name, generation"
    ).fetchall()
    skipped: dict[str, list[dict[str, Any]]] = {}
    for name, position, by, reason, at in conn.execute(
        "SELECT name, position, skipped_by, reason, skipped_at FROM casework_projection_skips"
        " ORDER BY name, position"
    ).fetchall():
        skipped.setdefault(name, []).append(
            {"position": position, "skipped_by": by, "reason": reason, "skipped_at": at}
        )
    statuses = []
    for name, generation, active, position, failures, error, error_position, updated in rows:
        statuses.append(
            ProjectionStatus(
                name=name,
                generation=generation,
                active=active,
                position=position,
                head=head,
                lag_events=max(head - position, 0),
                lag_seconds=_lag_seconds(app, position) if head > position else 0.0,
                failures=failures,
                error=error,
                error_position=error_position,
                updated_at=updated,
                skipped=skipped.get(name, []),
            )
        )
    return statuses


def _lag_seconds(app: CaseWork, position: int) -> float:
    """How long the oldest event the read model has not applied has been waiting."""
    waiting = app.recorder.select_notifications(start=position + 1, limit=1)
    if not waiting:
        return 0.0
    recorded_at = app.mapper.to_domain_event(waiting[0]).timestamp
    return max((datetime.now(UTC) - recorded_at).total_seconds(), 0.0)


def rebuild(
    name: str,
    app: CaseWork,
    connect: Callable[[], psycopg.Connection[Any]],
    on_progress: Callable[[Progress], None],
) -> tuple[int, int | None]:
    """Fill a new generation from the first event, then switch queries over to it.

    The old generation keeps answering queries until the switch; the background
    projector follows the new one from there. Returns (new, replaced) generations.
    """
    model = READ_MODELS[name]
    with connect() as conn:
        conn.autocommit = True
        ensure_active_generation(conn, model)
        generation = new_generation(conn, model)
    builder = Projector(
        model,
        app,
        connect,
        generation=generation,
        batch_size=5000,
        decode=app.mapper.to_domain_event_sealed,
    )
    try:
        builder.catch_up(on_progress)
        with connect() as conn:
            conn.autocommit = True
            builder.catch_up(on_progress)  # what arrived meanwhile
            replaced = switch_to(conn, model, generation)
    finally:
        builder.close()
    if replaced is not None and replaced != generation:
        with connect() as conn:
            conn.autocommit = True
            conn.execute("SET lock_timeout = '30s'")
            try:
                # Wait for the old generation's projector to let go, then drop its tables.
                conn.execute("SELECT pg_advisory_lock(%s, %s)", (lock_key(model.name), replaced))
                drop_generation(conn, model, replaced)
            except psycopg.errors.LockNotAvailable:
                log.warning("generation %s of %s is still in use; left in place", replaced, name)
    return generation, replaced
