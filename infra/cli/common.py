"""What every command of the CLI shares."""

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import uuid4

from domain.application import Caller
from domain.vocabulary import Role
from infra.bootstrap import Services, bootstrap
from infra.settings import Settings


class CommandError(Exception):
    """A plain-words failure of a command, printed as one line."""


def command_group(subcommands: Any, name: str, about: str) -> Any:
    """``casework <name> ACTION``: the group's parser, whose actions the caller adds to the
    returned subparsers; an action is required."""
    group = subcommands.add_parser(name, help=about)
    return group.add_subparsers(
        dest=f"{name}_command", required=True, metavar="ACTION", parser_class=type(group)
    )


@contextmanager
def services() -> Iterator[Services]:
    """The service's parts for one CLI command, closed when it ends."""
    built = bootstrap(Settings())
    try:
        yield built
    finally:
        built.close()


def administrator() -> Caller:
    """The actor of what the command records: the operating-system user running it."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (e.g. in a container)
        user = f"uid{os.getuid()}"
    return Caller(actor_id=f"cli:{user}", role=Role.ADMIN.value, correlation_id=f"cli-{uuid4()}")
