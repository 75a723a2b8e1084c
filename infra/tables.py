"""What every store of ours kept in tables of its own shares: its pool, the schema it
creates if missing, and one-statement reads each on a connection of their own."""

from collections.abc import Sequence
from typing import Any, ClassVar

from psycopg_pool import ConnectionPool

Params = Sequence[Any] | dict[str, Any]


class Tables:
    SCHEMA: ClassVar[str]  # CREATE ... IF NOT EXISTS: run at every start

    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    def create_schema(self) -> None:
        with self.pool.connection() as conn:
            conn.execute(self.SCHEMA)

    def _one(self, query: str, params: Params = ()) -> tuple[Any, ...] | None:
        with self.pool.connection() as conn:
            return conn.execute(query, params).fetchone()

    def _all(self, query: str, params: Params = ()) -> list[tuple[Any, ...]]:
        with self.pool.connection() as conn:
            return conn.execute(query, params).fetchall()
