"""The ``casework`` command: one module per command group, registered below."""

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from infra.cli import (
    areas,
    audit,
    calendar,
    history,
    projections,
    residents,
    serve,
    supervise,
    users,
    webhooks,
)
from infra.cli.common import CommandError
from infra.database import DatabaseUnavailable
from infra.time_limit_catalogue import CatalogueError

# Each module adds its subcommands with `register(subcommands)`.
COMMAND_GROUPS = [
    serve,
    users,
    history,
    areas,
    projections,
    supervise,
    calendar,
    audit,
    residents,
    webhooks,
]


class Parser(argparse.ArgumentParser):
    """Usage errors as one plain line."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def parser() -> argparse.ArgumentParser:
    root = Parser(
        prog="casework",
        description="Event-sourced case management for community social-work centres. "
        "Uses DATABASE_URL, or an embedded PostgreSQL under ./var when it is unset.",
    )
    subcommands = root.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=Parser
    )
    for group in COMMAND_GROUPS:
        group.register(subcommands)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], None] = args.handler
    try:
        handler(args)
    except KeyboardInterrupt:
        return 130
    except (CommandError, DatabaseUnavailable, CatalogueError) as error:
        print(f"casework: error: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001 - one plain line for whoever runs it
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"casework: error: {type(error).__name__}: {message}", file=sys.stderr)
        return 1
    return 0
