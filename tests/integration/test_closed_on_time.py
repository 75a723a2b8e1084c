"""Whether a closed case closed on time: in the case, the case list and its export."""

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from openpyxl import load_workbook

from tests.helpers import intake
from tests.integration.conftest import Api, People


def _closed_case(as_clerk: Api, as_worker: Api, people: People, received_at: datetime) -> Any:
    """A help request (3 working days) received at ``received_at``, assigned and closed now."""
    case = as_clerk.new_case(intake(received_at=received_at.isoformat()))
    assigned = as_clerk.command(case["id"], "assign", {"assignee": people.worker.id})
    assert assigned.status_code == 200, assigned.text
    closed = as_worker.command(case["id"], "close", {"resolution": "resolved", "summary": "已办"})
    assert closed.status_code == 200, closed.text
    return closed.json()


def _listed(api: Api, case: dict[str, Any]) -> dict[str, Any]:
    page = api.get("/cases", min_position=case["position"], status="closed", limit=500).json()
    return next(row for row in page["items"] if row["id"] == case["id"])


def test_a_case_closed_after_its_deadline_says_it_closed_late(
    as_clerk: Api, as_worker: Api, people: People
) -> None:
    late = _closed_case(as_clerk, as_worker, people, datetime.now(UTC) - timedelta(days=30))
    assert late["overdue"] is False  # closed: no longer overdue ...
    assert late["closed_on_time"] is False  # ... but it was late
    assert as_clerk.get(f"/cases/{late['id']}").json()["closed_on_time"] is False
    row = _listed(as_clerk, late)
    assert (row["overdue"], row["closed_on_time"]) == (False, False)


def test_a_case_closed_in_time_says_so_and_an_open_one_says_nothing_yet(
    as_clerk: Api, as_worker: Api, people: People
) -> None:
    in_time = _closed_case(as_clerk, as_worker, people, datetime.now(UTC) - timedelta(minutes=5))
    assert in_time["closed_on_time"] is True
    assert _listed(as_clerk, in_time)["closed_on_time"] is True
    still_open = as_clerk.new_case(intake())
    assert still_open["closed_on_time"] is None
    reopened = as_clerk.client.post(
        f"/cases/{in_time['id']}/reopen",
        json={"reason": "居民不满意"},
        headers=people.supervisor.auth,
    )
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["closed_on_time"] is None


def test_the_case_list_export_has_a_column_closed_on_time(
    as_clerk: Api, as_worker: Api, people: People
) -> None:
    late = _closed_case(as_clerk, as_worker, people, datetime.now(UTC) - timedelta(days=30))
    answer = as_clerk.get("/cases", min_position=late["position"], format="csv", limit=500)
    assert answer.status_code == 200, answer.text
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    column = rows[0].index("按时办结")
    by_id = {row[rows[0].index("案件编号")]: row for row in rows[1:]}
    assert by_id[late["id"]][column] == "否"
    book = as_clerk.get("/cases", min_position=late["position"], format="xlsx", limit=500)
    sheet = load_workbook(io.BytesIO(book.content)).active
    cells = [[cell.value for cell in line] for line in sheet.iter_rows()]
    in_book = {line[0]: line for line in cells[1:]}
    assert in_book[late["id"]][cells[0].index("按时办结")] == "否"
