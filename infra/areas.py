"""Reference data: streets (街道), their communities (社区) and the communities' grids (网格).

Loaded by an administrator from a JSON file (`casework areas load FILE`); the format is the
one of ``sample_areas.json`` beside this module. Cases refer to a grid; the community and
street follow from it.
"""

import json
import threading
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar, cast

from cachetools import TTLCache, cachedmethod
from cachetools.keys import hashkey
from psycopg_pool import ConnectionPool
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from infra.tables import Tables

SAMPLE_FILE = Path(__file__).with_name("sample_areas.json")

SCHEMA = """
CREATE TABLE IF NOT EXISTS casework_areas (
    id text PRIMARY KEY,
    level text NOT NULL CHECK (level IN ('street', 'community', 'grid')),
    name text NOT NULL,
    parent_id text REFERENCES casework_areas (id)
);
CREATE INDEX IF NOT EXISTS casework_areas_parent ON casework_areas (parent_id);
"""

M = TypeVar("M", bound=BaseModel)
AreaId = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = AreaId
    name: str = Field(min_length=1, max_length=100)


class Street(_Entry):
    pass


class Community(_Entry):
    street_id: str


class Grid(_Entry):
    community_id: str


class AreaFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    streets: list[Street]
    communities: list[Community]
    grids: list[Grid]

    @model_validator(mode="after")
    def parents_exist(self) -> "AreaFile":
        ids = [a.id for a in [*self.streets, *self.communities, *self.grids]]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"ids used more than once: {', '.join(repeated)}")
        streets = {s.id for s in self.streets}
        communities = {c.id for c in self.communities}
        for community in self.communities:
            if community.street_id not in streets:
                raise ValueError(
                    f"community {community.id} names unknown street {community.street_id}"
                )
        for grid in self.grids:
            if grid.community_id not in communities:
                raise ValueError(f"grid {grid.id} names unknown community {grid.community_id}")
        return self


class AreaFileError(Exception):
    """The file cannot be loaded; the message says where and why."""


def read_area_file(path: Path) -> AreaFile:
    return read_json_file(path, AreaFile, AreaFileError)


def read_json_file(path: Path, model: type[M], failure: type[Exception]) -> M:
    """An administrator's JSON file as ``model``; ``failure`` says where and why it is not."""
    try:
        return model.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except OSError as error:
        raise failure(f"cannot read {path}: {error.strerror}") from error
    except json.JSONDecodeError as error:
        raise failure(f"{path} is not JSON: {error}") from error
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "file"
        raise failure(f"{path}: {where}: {first['msg']}") from error


@dataclass(frozen=True)
class GridPlace:
    grid_id: str
    community_id: str
    street_id: str


def _cache(areas: "Areas") -> TTLCache[object, object]:
    return areas._cache


def _lock(areas: "Areas") -> threading.Lock:
    return areas._lock


def _method_key(method: str, _areas: "Areas", *args: object) -> object:
    return hashkey(method, *args)


class Areas(Tables):
    SCHEMA = SCHEMA

    def __init__(self, pool: ConnectionPool, cache_seconds: float = 30.0):
        """Answers are kept for ``cache_seconds``: areas another process loads are seen
        within that time (at once in the process that loads them)."""
        super().__init__(pool)
        self._cache: TTLCache[object, object] = TTLCache(maxsize=100_000, ttl=cache_seconds)
        self._lock = threading.Lock()

    def load(self, areas: AreaFile) -> int:
        """Add or rename areas; areas not in the file stay, since cases may refer to them."""
        rows = [
            *[(s.id, "street", s.name, None) for s in areas.streets],
            *[(c.id, "community", c.name, c.street_id) for c in areas.communities],
            *[(g.id, "grid", g.name, g.community_id) for g in areas.grids],
        ]
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO casework_areas (id, level, name, parent_id) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
                " parent_id = excluded.parent_id, level = excluded.level",
                rows,
            )
        with self._lock:
            self._cache.clear()
        return len(rows)

    @cachedmethod(_cache, key=partial(_method_key, "place_of_grid"), lock=_lock)
    def place_of_grid(self, grid_id: str) -> GridPlace | None:
        row = self._one(
            "SELECT g.id, c.id, c.parent_id FROM casework_areas g"
            " JOIN casework_areas c ON c.id = g.parent_id"
            " WHERE g.id = %s AND g.level = 'grid'",
            (grid_id,),
        )
        return GridPlace(*row) if row else None

    def known_grids_within(self, area_id: str) -> list[str] | None:
        """``grids_within`` as this process looked it up lately, without I/O; None if not
        (so that a caller on the event loop needs no thread to ask)."""
        with self._lock:
            found = self._cache.get(_method_key("grids_within", self, area_id))
        return cast("list[str] | None", found)

    @cachedmethod(_cache, key=partial(_method_key, "grids_within"), lock=_lock)
    def grids_within(self, area_id: str) -> list[str]:
        """The grids of an area: itself if a grid, a community's, or a street's."""
        rows = self._all(
            "SELECT g.id FROM casework_areas g"
            " LEFT JOIN casework_areas c ON c.id = g.parent_id"
            " WHERE g.level = 'grid' AND %s IN (g.id, c.id, c.parent_id)",
            (area_id,),
        )
        return [row[0] for row in rows]

    @cachedmethod(_cache, key=partial(_method_key, "level_of"), lock=_lock)
    def level_of(self, area_id: str) -> str | None:
        """grid, community or street; None for an area not in the reference data."""
        row = self._one("SELECT level FROM casework_areas WHERE id = %s", (area_id,))
        return row[0] if row else None

    def community_names(self, grid_ids: list[str]) -> dict[str, str]:
        """{grid id: its community's name} of those of ``grid_ids`` that are grids."""
        rows = self._all(
            "SELECT g.id, c.name FROM casework_areas g JOIN casework_areas c"
            " ON c.id = g.parent_id WHERE g.id = ANY(%s)",
            (grid_ids,),
        )
        return {grid: name for grid, name in rows}
