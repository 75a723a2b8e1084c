"""casework areas: the streets, communities and grids cases refer to."""

import argparse
from pathlib import Path
from typing import Any

from infra import places
from infra.areas import SAMPLE_FILE, AreaFileError, read_area_file
from infra.cli.common import CommandError, services


def register(subcommands: Any) -> None:
    areas = subcommands.add_parser(
        "areas", help="manage reference data: streets, communities, grids"
    )
    actions = areas.add_subparsers(
        dest="areas_command", required=True, metavar="ACTION", parser_class=type(areas)
    )
    load = actions.add_parser(
        "load", help="add or rename areas from a JSON file (format: infra/sample_areas.json)"
    )
    _file_or_sample(load, "the sample areas shipped with casework")
    load.set_defaults(handler=load_areas)
    mapping = actions.add_parser(
        "places",
        help="replace the mapping of addresses and map points to grids from a JSON file"
        " (format: infra/sample_places.json)",
    )
    _file_or_sample(mapping, "the places of the sample grids (illustrative)")
    mapping.set_defaults(handler=load_places)
    locate = actions.add_parser(
        "locate", help="the grid an address or a point (latitude, longitude) maps to"
    )
    where = locate.add_mutually_exclusive_group(required=True)
    where.add_argument("--address", metavar="TEXT")
    where.add_argument("--point", nargs=2, type=float, metavar=("LAT", "LONG"))
    locate.set_defaults(handler=locate_grid)


def _file_or_sample(parser: argparse.ArgumentParser, sample: str) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", type=Path, metavar="FILE")
    source.add_argument("--sample", action="store_true", help=sample)


def load_areas(args: argparse.Namespace) -> None:
    path = SAMPLE_FILE if args.sample else args.file
    try:
        areas = read_area_file(path)
    except AreaFileError as error:
        raise CommandError(str(error)) from None
    with services() as built:
        count = built.areas.load(areas)
    print(
        f"loaded {count} areas: {len(areas.streets)} streets, "
        f"{len(areas.communities)} communities, {len(areas.grids)} grids"
    )


def load_places(args: argparse.Namespace) -> None:
    path = places.SAMPLE_FILE if args.sample else args.file
    try:
        mapping = places.read_places_file(path)
        with services() as built:
            count = built.places.load(mapping)
    except (places.PlacesFileError, places.UnknownGrids) as error:
        raise CommandError(str(error)) from None
    print(f"loaded the places of {count} grids (the mapping before is replaced)")


def locate_grid(args: argparse.Namespace) -> None:
    with services() as built:
        if args.address is not None:
            found = built.places.by_address(args.address)
        else:
            found = built.places.by_point(*args.point)
    if found.grid_id is not None:
        print(found.grid_id)
    elif found.grids:
        raise CommandError(f"ambiguous: grids {', '.join(found.grids)} match equally")
    else:
        raise CommandError("no grid: nothing in the mapping matches")
