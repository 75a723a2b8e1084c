"""Where each grid lies: what turns an address or a map point into a grid.

Other systems (Open311 clients) send an address or a point, not our grid ids. An
administrator loads, for the grids already loaded as areas, a JSON file (`casework areas
places FILE`; the format is that of ``sample_places.json`` beside this module):

- ``addresses``: words an address of the grid contains (a building, a lane, an estate);
- ``address_patterns``: regular expressions (Python's) searched in the address, for what
  words cannot say (``(?<!\\d)3号楼`` is building 3, not 13);
- ``boundary``: a GeoJSON ``Polygon`` or ``MultiPolygon`` in WGS84 (``[longitude,
  latitude]``, GeoJSON's order).

A point is in the grid whose boundary holds it. An address is in the grid of its longest
matching word or pattern match. Two grids equally good are ambiguous: no grid is guessed.
Loading a file replaces the whole mapping.
"""

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool
from pydantic import BaseModel, ConfigDict, Field, field_validator
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from infra.areas import read_json_file

SAMPLE_FILE = Path(__file__).with_name("sample_places.json")

SCHEMA = """
CREATE TABLE IF NOT EXISTS casework_grid_places (
    grid_id text PRIMARY KEY REFERENCES casework_areas (id),
    addresses text[] NOT NULL,
    address_patterns text[] NOT NULL,
    boundary jsonb
);
"""


class PlacesOfGrid(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grid_id: str
    addresses: list[str] = Field(default_factory=list)
    address_patterns: list[str] = Field(default_factory=list)
    boundary: dict[str, Any] | None = None

    @field_validator("addresses")
    @classmethod
    def words_not_blank(cls, words: list[str]) -> list[str]:
        if any(not word.strip() for word in words):
            raise ValueError("an address word is blank")
        return [word.strip() for word in words]

    @field_validator("address_patterns")
    @classmethod
    def patterns_compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                compiled = re.compile(pattern)
            except re.error as error:
                raise ValueError(
                    f"pattern {pattern!r} is not a regular expression: {error}"
                ) from None
            if compiled.search(""):
                raise ValueError(f"pattern {pattern!r} matches an empty address")
        return patterns

    @field_validator("boundary")
    @classmethod
    def boundary_is_an_area(cls, boundary: dict[str, Any] | None) -> dict[str, Any] | None:
        if boundary is None:
            return None
        if boundary.get("type") not in ("Polygon", "MultiPolygon"):
            raise ValueError("boundary must be a GeoJSON Polygon or MultiPolygon")
        try:
            area = shape(boundary)
        except (ValueError, TypeError, AttributeError, IndexError) as error:
            raise ValueError(f"boundary is not valid GeoJSON: {error}") from None
        if not area.is_valid or area.is_empty:
            raise ValueError(f"boundary is not a valid area: {shapely.is_valid_reason(area)}")
        west, south, east, north = area.bounds
        if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
            raise ValueError("boundary is not in longitude, latitude (WGS84, GeoJSON's order)")
        return boundary


class PlacesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grids: list[PlacesOfGrid]

    @field_validator("grids")
    @classmethod
    def each_grid_once(cls, grids: list[PlacesOfGrid]) -> list[PlacesOfGrid]:
        ids = [grid.grid_id for grid in grids]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"grids named more than once: {', '.join(repeated)}")
        return grids


class PlacesFileError(Exception):
    """The file cannot be loaded; the message says where and why."""


def read_places_file(path: Path) -> PlacesFile:
    return read_json_file(path, PlacesFile, PlacesFileError)


@dataclass(frozen=True)
class Located:
    """The grid found, or why none: ``grids`` names the grids equally good (none or two+)."""

    grid_id: str | None
    grids: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Mapping:
    words: list[tuple[str, str]]  # (word, grid)
    patterns: list[tuple[re.Pattern[str], str]]
    boundaries: list[tuple[BaseGeometry, str]]

    def by_address(self, address: str) -> Located:
        best: dict[str, int] = {}
        for word, grid in self.words:
            if word in address:
                best[grid] = max(best.get(grid, 0), len(word))
        for pattern, grid in self.patterns:
            for match in pattern.finditer(address):
                best[grid] = max(best.get(grid, 0), len(match.group()))
        return _one_best(best)

    def by_point(self, latitude: float, longitude: float) -> Located:
        holding = {
            grid: 1
            for area, grid in self.boundaries
            if shapely.intersects_xy(area, longitude, latitude)  # the edge counts as inside
        }
        return _one_best(holding)


def _one_best(scores: dict[str, int]) -> Located:
    if not scores:
        return Located(None)
    top = max(scores.values())
    best = tuple(sorted(grid for grid, score in scores.items() if score == top))
    return Located(best[0]) if len(best) == 1 else Located(None, best)


class UnknownGrids(Exception):
    def __init__(self, grids: list[str]):
        super().__init__(
            f"grids not loaded as areas: {', '.join(grids)} (load them with `casework areas load`)"
        )


class Places:
    def __init__(self, pool: ConnectionPool, cache_seconds: float = 30.0):
        """The mapping is read once per ``cache_seconds``: one loaded by another process is
        used within that time (at once in the process that loads it)."""
        self.pool, self.cache_seconds = pool, cache_seconds
        # When the mapping was read (time.monotonic()), and what it was. Two threads may
        # both read it at once: harmless, the later one is kept.
        self._read: tuple[float, _Mapping] | None = None

    def create_schema(self) -> None:
        with self.pool.connection() as conn:
            conn.execute(SCHEMA)

    def load(self, places: PlacesFile) -> int:
        """Replace the mapping with the file's, in one transaction."""
        rows = [
            (
                grid.grid_id,
                grid.addresses,
                grid.address_patterns,
                Jsonb(grid.boundary) if grid.boundary else None,
            )
            for grid in places.grids
        ]
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
            known = {
                row[0]
                for row in cursor.execute(
                    "SELECT id FROM casework_areas WHERE level = 'grid' AND id = ANY(%s)",
                    ([row[0] for row in rows],),
                ).fetchall()
            }
            unknown = sorted({row[0] for row in rows} - known)
            if unknown:
                raise UnknownGrids(unknown)
            cursor.execute("DELETE FROM casework_grid_places")
            cursor.executemany(
                "INSERT INTO casework_grid_places (grid_id, addresses, address_patterns,"
                " boundary) VALUES (%s, %s, %s, %s)",
                rows,
            )
        self._read = None
        return len(rows)

    def _mapping(self) -> _Mapping:
        read = self._read
        if read is not None and time.monotonic() - read[0] < self.cache_seconds:
            return read[1]
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT grid_id, addresses, address_patterns, boundary FROM casework_grid_places"
            ).fetchall()
        mapping = _Mapping(
            words=[(word, grid) for grid, words, _, _ in rows for word in words],
            patterns=[(re.compile(p), grid) for grid, _, patterns, _ in rows for p in patterns],
            boundaries=[(shape(b), grid) for grid, _, _, b in rows if b is not None],
        )
        for area, _grid in mapping.boundaries:
            shapely.prepare(area)
        self._read = (time.monotonic(), mapping)
        return mapping

    def by_address(self, address: str) -> Located:
        return self._mapping().by_address(address)

    def by_point(self, latitude: float, longitude: float) -> Located:
        return self._mapping().by_point(latitude, longitude)
