"""casework calendar: the yearly working-day calendars the deadlines are counted on."""

import argparse
from importlib.metadata import version
from pathlib import Path
from typing import Any

from infra.calendar import PACKAGE_YEARS, CalendarFileError, CalendarYears, read_year_file
from infra.cli.common import CommandError, administrator, command_group, services
from infra.deadline_recount import recount_provisional_deadlines


def register(subcommands: Any) -> None:
    actions = command_group(
        subcommands, "calendar", "the yearly working-day calendars deadlines are counted on"
    )
    load = actions.add_parser(
        "load",
        help="load a year's holidays and make-up working days from a JSON file, then "
        "count provisional deadlines again",
        description='FILE: {"year": 2027, "holidays": ["2027-01-01", ...], '
        '"workdays": ["2027-02-20", ...]}; workdays are the make-up working weekend days. '
        "Loading a year again replaces it.",
    )
    load.add_argument("file", metavar="FILE", type=Path)
    load.set_defaults(handler=load_year)
    listing = actions.add_parser("list", help="which years are known, and from where")
    listing.set_defaults(handler=list_years)


def load_year(args: argparse.Namespace) -> None:
    try:
        year = read_year_file(args.file)
    except CalendarFileError as error:
        raise CommandError(str(error)) from None
    caller = administrator()
    with services() as built:
        CalendarYears(built.pool).save(year, str(args.file.resolve()), caller.actor_id)
        built.cases.calendar.refresh()
        result = recount_provisional_deadlines(
            built.cases, f"the {year.year} calendar was loaded from {args.file.name}", caller
        )
        refresh = built.settings.calendar_refresh_seconds
    overrides = (
        " (replaces the package's answer for that year)" if year.year in PACKAGE_YEARS else ""
    )
    print(
        f"loaded {year.year} from {args.file}: {len(year.holidays)} holidays, "
        f"{len(year.workdays)} make-up working days{overrides}"
    )
    print(
        f"recounted {len(result.recounted)} provisional deadlines; "
        f"{len(result.still_provisional)} still provisional; "
        f"{len(result.closed)} closed cases left as they were"
    )
    for case_id, reason in result.refused.items():
        print(f"not recounted: case {case_id}: {reason}")
    print(f"running services count on it within {refresh:g} s")


def list_years(args: argparse.Namespace) -> None:
    with services() as built:
        loaded = {row.year: row for row in CalendarYears(built.pool).all()}
        zone = built.settings.zone
    package = f"package chinese-calendar {version('chinese-calendar')}"
    print("year  source")
    for year in sorted(set(PACKAGE_YEARS) | set(loaded)):
        row = loaded.get(year)
        if row is None:
            print(f"{year}  {package}")
            continue
        overrides = ", replacing the package's" if year in PACKAGE_YEARS else ""
        print(
            f"{year}  loaded from {row.source} by {row.loaded_by} at "
            f"{row.loaded_at.astimezone(zone).isoformat(timespec='seconds')} "
            f"({len(row.holidays)} holidays, {len(row.workdays)} make-up working days"
            f"{overrides})"
        )
