"""What every command of the CLI shares."""

from collections.abc import Iterator
from contextlib import contextmanager

from infra.bootstrap import Services, bootstrap
from infra.settings import Settings


class CommandError(Exception):
    """A plain-words failure of a command, printed as one line."""


@contextmanager
def services() -> Iterator[Services]:
    """The service's parts for one CLI command, closed when it ends."""
    built = bootstrap(Settings())
    try:
        yield built
    finally:
        built.close()
