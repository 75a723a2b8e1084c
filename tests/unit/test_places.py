"""The mapping of addresses and map points to grids (infra/places.py), without a database."""

import json
import re
from pathlib import Path

import pytest
from shapely.geometry import shape

from infra.places import (
    SAMPLE_FILE,
    Located,
    PlacesFileError,
    _Mapping,
    read_places_file,
)


def square(west: float, south: float, size: float = 0.01) -> dict[str, object]:
    east, north = west + size, south + size
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


MAPPING = _Mapping(
    words=[("文庙西街", "g1"), ("天胜小学", "g2"), ("天胜", "g3")],
    patterns=[(re.compile(r"天胜社区[1-3]号楼"), "g1"), (re.compile(r"天胜社区1[0-2]号楼"), "g4")],
    boundaries=[(shape(square(104.06, 30.66)), "g1"), (shape(square(104.07, 30.66)), "g2")],
)


def test_an_address_is_in_the_grid_of_its_longest_match() -> None:
    assert MAPPING.by_address("天胜社区2号楼3单元") == Located("g1")
    assert MAPPING.by_address("天胜社区12号楼") == Located("g4")  # not building 1 of g1
    assert MAPPING.by_address("天胜小学门口") == Located("g2")  # longer than 天胜 (g3)
    assert MAPPING.by_address("天胜路") == Located("g3")
    assert MAPPING.by_address("锦江区") == Located(None)


def test_two_grids_equally_good_are_ambiguous() -> None:
    assert MAPPING.by_address("文庙西街天胜小学") == Located(None, ("g1", "g2"))
    assert MAPPING.by_point(30.665, 104.07) == Located(None, ("g1", "g2"))  # their shared edge


def test_a_point_is_in_the_grid_whose_boundary_holds_it() -> None:
    assert MAPPING.by_point(30.665, 104.065) == Located("g1")
    assert MAPPING.by_point(30.665, 104.075) == Located("g2")
    assert MAPPING.by_point(30.665, 104.09) == Located(None)


def write(tmp_path: Path, grids: list[dict[str, object]]) -> Path:
    path = tmp_path / "places.json"
    path.write_text(json.dumps({"grids": grids}), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("grid", "told"),
    [
        ({"address_patterns": ["天胜("]}, "is not a regular expression"),
        ({"address_patterns": ["\\d*"]}, "matches an empty address"),
        ({"addresses": [" "]}, "blank"),
        ({"boundary": {"type": "Point", "coordinates": [104.06, 30.66]}}, "Polygon"),
        (
            {
                "boundary": {
                    "type": "Polygon",
                    "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]],  # a bow tie
                }
            },
            "not a valid area",
        ),
        ({"boundary": square(30.66, 104.06)}, "longitude, latitude"),  # swapped
        ({"boundary": {"type": "Polygon", "coordinates": "nowhere"}}, "not valid GeoJSON"),
    ],
)
def test_a_bad_places_file_is_refused_saying_where_and_why(
    tmp_path: Path, grid: dict[str, object], told: str
) -> None:
    with pytest.raises(PlacesFileError, match=re.escape(told)):
        read_places_file(write(tmp_path, [{"grid_id": "g1", **grid}]))


def test_a_grid_is_named_once(tmp_path: Path) -> None:
    path = write(tmp_path, [{"grid_id": "g1"}, {"grid_id": "g1"}])
    with pytest.raises(PlacesFileError, match="grids named more than once: g1"):
        read_places_file(path)


def test_the_sample_places_read() -> None:
    places = read_places_file(SAMPLE_FILE)
    assert [grid.grid_id for grid in places.grids] == [f"tiansheng-0{n}" for n in range(1, 5)]
