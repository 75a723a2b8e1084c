"""The one place that wires the service together: settings, database, store, users."""

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from psycopg_pool import ConnectionPool

from domain.application import CaseWork
from infra.calendar import ChineseWorkingCalendar
from infra.database import database_url, event_store_env, open_pool
from infra.settings import Settings, get_settings
from infra.users import Users


class EventPositions:
    """Where a case's last event stands in the store's total order of events."""

    def __init__(self, pool: ConnectionPool, events_table: str):
        self.pool = pool
        self.query = (
            f"SELECT max(notification_id) FROM {events_table} "  # noqa: S608 - fixed name
            "WHERE originator_id = %s"
        )

    def __call__(self, case_id: UUID) -> int | None:
        with self.pool.connection() as conn:
            row = conn.execute(self.query, (case_id,)).fetchone()
        return row[0] if row else None


@dataclass
class Services:
    settings: Settings
    cases: CaseWork
    users: Users
    pool: ConnectionPool

    def close(self) -> None:
        self.cases.close()
        self.pool.close()


def bootstrap(settings: Settings | None = None) -> Services:
    settings = settings or get_settings()
    url = database_url(settings)
    pool = open_pool(url, settings, name="casework")
    users = Users(pool)
    users.create_schema()
    cases = CaseWork(
        event_store_env(url, settings),
        calendar=ChineseWorkingCalendar(),
        zone=settings.zone,
        clock=lambda: datetime.now(UTC),
        position_of=EventPositions(pool, f"{CaseWork.name}_events"),
    )
    return Services(settings=settings, cases=cases, users=users, pool=pool)
