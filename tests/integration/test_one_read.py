"""A command on a case, or the case itself, by a caller limited to an area, reads the
case's events once: the area is checked on the same case the command decides on."""

from collections.abc import Iterator
from typing import Any

import pytest

from infra.bootstrap import Services
from tests.helpers import intake
from tests.integration.conftest import Api, People


@pytest.fixture
def reads_of(services: Services, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """How often the store's events of each case were read (a count, the real store)."""
    counts: dict[str, int] = {}
    recorder = services.cases.recorder
    select_events = recorder.select_events

    def counted(originator_id: Any, *args: Any, **kwargs: Any) -> Any:
        counts[str(originator_id)] = counts.get(str(originator_id), 0) + 1
        return select_events(originator_id, *args, **kwargs)

    monkeypatch.setattr(recorder, "select_events", counted)
    yield counts


def test_a_command_by_an_area_scoped_caller_reads_the_case_once(
    as_clerk: Api, as_supervisor: Api, as_worker: Api, people: People, reads_of: dict[str, int]
) -> None:
    case_id = as_clerk.new_case(intake(grid_id="tiansheng-01"))["id"]
    assign = as_supervisor.command(case_id, "assign", {"assignee": people.worker.id})
    assert assign.status_code == 200, assign.text
    reads_of.clear()

    visit = as_worker.command(
        case_id,
        "visits",
        {"visited_at": assign.json()["received_at"], "duration_minutes": 30, "notes": "上门"},
    )

    assert visit.status_code == 200, visit.text
    assert reads_of == {case_id: 1}


def test_reading_a_case_by_an_area_scoped_caller_reads_it_once(
    as_clerk: Api, reads_of: dict[str, int]
) -> None:
    case_id = as_clerk.new_case(intake(grid_id="tiansheng-01"))["id"]
    reads_of.clear()

    assert as_clerk.get(f"/cases/{case_id}").status_code == 200
    assert reads_of == {case_id: 1}
