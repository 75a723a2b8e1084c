"""casework areas: the streets, communities and grids cases refer to."""

import argparse
from pathlib import Path
from typing import Any

from infra.areas import SAMPLE_FILE, AreaFileError, read_area_file
from infra.cli.common import CommandError, command_group, services


def register(subcommands: Any) -> None:
    actions = command_group(
        subcommands, "areas", "manage reference data: streets, communities, grids"
    )
    load = actions.add_parser(
        "load", help="add or rename areas from a JSON file (format: infra/sample_areas.json)"
    )
    source = load.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", type=Path, metavar="FILE")
    source.add_argument(
        "--sample", action="store_true", help="the sample areas shipped with casework"
    )
    load.set_defaults(handler=load_areas)


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
