"""What every command of the CLI shares."""

import getpass
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import uuid4

from domain.application import Caller
from domain.vocabulary import Role
from infra.background import Background
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


def loop_command(
    subcommands: Any,
    group: tuple[str, str],
    run_help: str,
    start: Callable[[Services], Background],
    started: str,
) -> None:
    """``casework <group> run``: one of the service's loops in a process of its own, for
    deployments that turn it off in ``casework serve``."""
    name, about = group
    run = command_group(subcommands, name, about).add_parser("run", help=run_help)
    run.set_defaults(handler=lambda _args: run_until_stopped(start, started))


def run_until_stopped(start: Callable[[Services], Background], started: str) -> None:
    """Run a loop of the service in this process until Ctrl+C or SIGTERM."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with services() as built:
        running = start(built).start()
        print(started, flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            running.stop()
