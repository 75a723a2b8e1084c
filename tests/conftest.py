"""A real PostgreSQL for every test that needs one.

With DATABASE_URL set (CI sets a fresh database) the tests use it; without it they
start the embedded PostgreSQL from the pip wheel, as the service itself does.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.database import start_embedded_postgres, stop_embedded_postgres


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    yield start_embedded_postgres(Path(tmp_path_factory.mktemp("embedded")))
    stop_embedded_postgres()
