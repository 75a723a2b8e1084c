"""The one place that wires the service together: settings, database, store, users."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
from psycopg_pool import ConnectionPool

from domain.application import CaseWork
from infra.areas import Areas
from infra.calendar import CalendarYears, ChineseWorkingCalendar
from infra.database import database_url, event_store_env, open_pool
from infra.personal.mapper import PersonalDataMapper
from infra.personal.residents import Residents
from infra.places import Places
from infra.projections import connector, prepare
from infra.rating_links import RatingLinks
from infra.read_log import ReadLog
from infra.settings import Settings, get_settings
from infra.time_limit_catalogue import load_time_limits
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


@contextmanager
def schema_lock(connect: Callable[[], psycopg.Connection[Any]]) -> Iterator[None]:
    with connect() as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))


SCHEMA_LOCK = 0x6361_7365  # "case": one lock key for all schema creation


@dataclass
class Services:
    settings: Settings
    cases: CaseWork
    users: Users
    areas: Areas
    places: Places
    pool: ConnectionPool
    connect: Callable[[], psycopg.Connection[Any]]
    residents: Residents
    reads: ReadLog
    rating_links: RatingLinks

    def close(self) -> None:
        self.cases.close()
        self.pool.close()


def bootstrap(settings: Settings | None = None) -> Services:
    settings = settings or get_settings()
    # First, so that a broken catalogue stops the start before any connection is made.
    time_limits = load_time_limits(settings.time_limits_file)
    url = database_url(settings)
    pool = open_pool(url, settings, name="casework")
    connect = connector(url)
    # Processes starting together (server, projector, CLI) must not create tables at once.
    with schema_lock(connect):
        users = Users(pool, settings.auth_cache_seconds)
        users.create_schema()
        areas = Areas(pool, settings.areas_cache_seconds)
        areas.create_schema()
        places = Places(pool, settings.areas_cache_seconds)
        places.create_schema()
        reads = ReadLog(pool)
        reads.create_schema()
        calendar_years = CalendarYears(pool)
        calendar_years.create_schema()
        residents = Residents(
            pool,
            lookup_key=_secret(settings.lookup_key),
            master_key=_secret(settings.master_key),
            cache_seconds=settings.key_cache_seconds,
        )
        residents.create_schema()
        rating_links = RatingLinks.for_service(
            pool, _secret(settings.rating_link_key), settings.public_url
        )
        cases = CaseWork(
            event_store_env(url, settings),
            calendar=ChineseWorkingCalendar(
                calendar_years.calendars, refresh_seconds=settings.calendar_refresh_seconds
            ),
            time_limits=time_limits,
            zone=settings.zone,
            clock=lambda: datetime.now(UTC),
            position_of=EventPositions(pool, f"{CaseWork.name}_events"),
            identify_resident=residents.identify,
            redo_on_not_solved=settings.redo_on_not_solved,
            rating_link_lifetime=timedelta(days=settings.rating_link_days),
            rating_link_on_closure=settings.rating_link_on_closure,
            ladder=settings.ladder_rules,
        )
        if not isinstance(cases.mapper, PersonalDataMapper):
            raise RuntimeError("the event store must seal personal data (see MAPPER_TOPIC)")
        cases.mapper.attach(residents.keys)
        prepare(cases, connect)
    return Services(
        settings=settings,
        cases=cases,
        users=users,
        areas=areas,
        places=places,
        pool=pool,
        connect=connect,
        residents=residents,
        reads=reads,
        rating_links=rating_links,
    )


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None
