"""A command's event is stored and committed in one round trip to PostgreSQL: the lock, the
chained INSERT and the COMMIT go in one pipeline, synced once (the library syncs twice)."""

from collections.abc import Iterator
from typing import Any

import pytest
from psycopg import _pipeline_base

from tests.helpers import intake
from tests.integration.conftest import Api, People


@pytest.fixture
def syncs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Every pipeline sync psycopg sends (each waits for the server's answer)."""
    seen: list[int] = []
    sync = _pipeline_base.BasePipeline._sync_gen

    def counted(self: Any) -> Any:
        seen.append(1)
        return (yield from sync(self))

    monkeypatch.setattr(_pipeline_base.BasePipeline, "_sync_gen", counted)
    yield seen


def test_a_command_stores_its_event_in_one_round_trip(
    as_clerk: Api, as_supervisor: Api, people: People, syncs: list[int]
) -> None:
    case_id = as_clerk.new_case(intake(grid_id="tiansheng-01"))["id"]
    syncs.clear()
    assign = as_supervisor.command(case_id, "assign", {"assignee": people.worker.id})
    assert assign.status_code == 200, assign.text
    assert len(syncs) == 1
