"""A real PostgreSQL for every test that needs one.

With DATABASE_URL set (CI sets a fresh database) the tests use it; without it they
start the embedded PostgreSQL from the pip wheel, as the service itself does.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.database import start_embedded_postgres, stop_embedded_postgres


@pytest.fixture(scope="session")
def embedded_database_url() -> Iterator[str]:
    """The embedded PostgreSQL, also when DATABASE_URL names another server.

    Its data lives in a folder of its own, not under pytest's temporary folder: as root the
    server runs as its own OS user, and any other test run on the machine sets
    /tmp/pytest-of-root back to 0700, which stopped the server mid-run (PANIC: could not
    open file "global/pg_control": Permission denied).
    """
    home = Path(tempfile.mkdtemp(prefix="casework-tests-"))
    try:
        yield start_embedded_postgres(home)
        stop_embedded_postgres()
    finally:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url(request: pytest.FixtureRequest) -> str:
    return os.environ.get("DATABASE_URL") or request.getfixturevalue("embedded_database_url")


@pytest.fixture
def outside_pytest_tmp() -> Iterator[Path]:
    """A fresh folder for a service's embedded data (see embedded_database_url: not tmp_path)."""
    home = Path(tempfile.mkdtemp(prefix="casework-test-"))
    yield home
    shutil.rmtree(home, ignore_errors=True)
