"""The projector: exactly once, one writer at a time, failures reported and retried."""

import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any
from uuid import uuid4

import psycopg
import pytest

from domain.application import Caller
from domain.commands import Assign
from domain.matter import Matter
from infra.bootstrap import Services
from projections.runner import Projector, ReadModel, ensure_active_generation, skip_event
from tests.helpers import intake, visit_body
from tests.integration.conftest import Api, People


class VisitNotes(ReadModel):
    """A small read model of visit notes, which refuses notes it is told to choke on."""

    schema_version = 1

    def __init__(self, name: str):
        self.name = name
        self.tables = (f"rm_{name}",)
        self.choke_on: str | None = None

    def create(self, cursor: psycopg.Cursor[Any], generation: int) -> None:
        cursor.execute(
            f"CREATE TABLE {self.table(self.tables[0], generation)}"
            " (position bigint PRIMARY KEY, notes text NOT NULL)"
        )

    def apply(
        self, cursor: psycopg.Cursor[Any], generation: int, events: Sequence[tuple[int, Any]]
    ) -> None:
        rows = []
        for position, event in events:
            if type(event).__name__ != "Visited":
                continue
            if event.notes == self.choke_on:
                raise ValueError(f"cannot file notes {event.notes!r}")
            rows.append((position, event.notes))
        cursor.executemany(
            f"INSERT INTO {self.table(self.tables[0], generation)} VALUES (%s, %s)", rows
        )


@pytest.fixture
def model(services: Services) -> Iterator[VisitNotes]:
    notes = VisitNotes(f"notes_{uuid4().hex[:8]}")
    with services.connect() as conn:
        conn.autocommit = True
        ensure_active_generation(conn, notes)
    yield notes


def run_in_background(projector: Projector) -> threading.Thread:
    thread = threading.Thread(target=projector.run, daemon=True)
    thread.start()
    return thread


def registry(services: Services, name: str) -> dict[str, Any]:
    with services.connect() as conn:
        row = conn.execute(
            "SELECT position, failures, error, error_position FROM casework_projections"
            " WHERE name = %s AND active",
            (name,),
        ).fetchone()
    assert row is not None
    return dict(zip(("position", "failures", "error", "error_position"), row, strict=True))


def wait_for(condition: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def visited(as_clerk: Api, as_worker: Api, people: People, notes: str) -> int:
    case_id = as_clerk.new_case(intake())["id"]
    as_clerk.command(case_id, "assign", {"assignee": people.worker.id})
    return as_worker.command(case_id, "visits", visit_body(notes=notes)).json()["position"]


def test_a_failing_event_stops_the_projection_is_named_and_retried_until_it_passes(
    services: Services, model: VisitNotes, as_clerk: Api, as_worker: Api, people: People
) -> None:
    bad_notes = f"坏数据 {uuid4()}"  # unique: the database is shared with other tests
    model.choke_on = bad_notes
    good = visited(as_clerk, as_worker, people, "正常")
    bad = visited(as_clerk, as_worker, people, bad_notes)
    after = visited(as_clerk, as_worker, people, "之后")
    projector = Projector(model, services.cases, services.connect, max_backoff_seconds=0.2)
    thread = run_in_background(projector)
    try:
        wait_for(lambda: registry(services, model.name)["error"] is not None)
        state = registry(services, model.name)
        assert state["error_position"] == bad
        assert f"event {bad} (Visited of case" in state["error"]
        assert "cannot file notes" in state["error"]
        assert good <= state["position"] < bad  # nothing after the failing event, nothing skipped
        assert as_clerk.get("/health").status_code == 200  # the API carries on

        wait_for(lambda: registry(services, model.name)["failures"] >= 2)  # retried
        model.choke_on = None  # the cause is fixed
        wait_for(lambda: registry(services, model.name)["position"] >= after)
        assert registry(services, model.name)["error"] is None
        with services.connect() as conn:
            notes = conn.execute(f"SELECT notes FROM rm_{model.name} ORDER BY position").fetchall()
        assert [n for (n,) in notes][-3:] == ["正常", bad_notes, "之后"]
    finally:
        projector.stop()
        thread.join(timeout=10)


def test_only_one_projector_writes_a_read_model_the_other_stands_by(
    services: Services, model: VisitNotes, as_clerk: Api, as_worker: Api, people: People
) -> None:
    first = Projector(model, services.cases, services.connect)
    second = Projector(model, services.cases, services.connect)
    threads = [run_in_background(first), run_in_background(second)]
    try:
        once, relay = f"一次 {uuid4()}", f"接班 {uuid4()}"
        position = visited(as_clerk, as_worker, people, once)
        wait_for(lambda: registry(services, model.name)["position"] >= position)
        first.stop()
        threads[0].join(timeout=10)
        later = visited(as_clerk, as_worker, people, relay)
        wait_for(lambda: registry(services, model.name)["position"] >= later)  # second took over
        with services.connect() as conn:
            rows = conn.execute(
                f"SELECT notes, count(*) FROM rm_{model.name} GROUP BY notes"
            ).fetchall()
        assert dict(rows)[once] == 1
        assert dict(rows)[relay] == 1
    finally:
        first.stop()
        second.stop()
        for thread in threads:
            thread.join(timeout=10)


def test_a_read_model_of_an_older_schema_is_rebuilt_at_start(
    services: Services, as_clerk: Api
) -> None:
    from infra.projections import prepare
    from projections.case_list.model import CaseList

    case = as_clerk.new_case(intake())
    as_clerk.get("/cases", min_position=case["position"])
    with services.connect() as conn:
        before = conn.execute(
            "SELECT generation FROM casework_projections WHERE name = 'case_list' AND active"
        ).fetchone()
        conn.execute(
            "UPDATE casework_projections SET schema_version = 0 WHERE name = 'case_list' AND active"
        )
    prepare(services.cases, services.connect)
    with services.connect() as conn:
        generation, version = conn.execute(
            "SELECT generation, schema_version FROM casework_projections"
            " WHERE name = 'case_list' AND active"
        ).fetchone()
        listed = conn.execute("SELECT count(*) FROM rm_cases WHERE id = %s", (case["id"],))
        assert listed.fetchone() == (1,)
    assert before is not None and generation > before[0]
    assert version == CaseList.schema_version


def test_an_event_stored_with_a_nul_in_its_text_does_not_stop_the_read_models(
    services: Services, as_clerk: Api, as_supervisor: Api
) -> None:
    # Stored through the service layer, as before the API refused such text (or by a script).
    title = f"楼道灯\x00坏了 {uuid4()}"
    stamp = Caller(actor_id="script\x00", role="clerk", correlation_id="nul-test")
    body = intake(title=title)
    received = services.cases.receive(
        kind=body["kind"],
        matter=Matter(body["category"], body["channel"], title, "描述\x00", body["grid_id"]),
        resident=body["resident"],
        parties=[],
        caller=stamp,
    )
    assigned = services.cases.handle(received.case.id, Assign("worker\x00id"), stamp)

    listed = as_clerk.get("/cases", min_position=assigned.position, limit=500)
    assert listed.status_code == 200, listed.text
    mine = [c for c in listed.json()["items"] if c["id"] == str(received.case.id)]
    assert [(c["title"], c["assignee"]) for c in mine] == [(title.replace("\x00", ""), "workerid")]
    statuses = as_supervisor.get("/projections").json()
    errors = {s["name"]: s["error"] for s in statuses if s["active"]}
    assert (errors["case_list"], errors["compliance"]) == (None, None)
    # The event itself stays as it was stored.
    assert services.cases.get_case(received.case.id).title == title


def test_an_operator_skips_an_event_a_projection_cannot_apply_recorded_with_who_and_why(
    services: Services,
    model: VisitNotes,
    as_clerk: Api,
    as_worker: Api,
    as_supervisor: Api,
    people: People,
) -> None:
    bad_notes = f"永远坏 {uuid4()}"
    model.choke_on = bad_notes  # and it stays so: no fix of the code will help
    bad = visited(as_clerk, as_worker, people, bad_notes)
    after = visited(as_clerk, as_worker, people, "跳过之后")
    projector = Projector(model, services.cases, services.connect, max_backoff_seconds=0.2)
    thread = run_in_background(projector)
    try:
        wait_for(lambda: registry(services, model.name)["error_position"] == bad)
        with services.connect() as conn:
            conn.autocommit = True
            assert skip_event(conn, model.name, bad, "cli:operator", "garbage from an old import")
            assert not skip_event(conn, model.name, bad, "cli:operator", "again")
        wait_for(lambda: registry(services, model.name)["position"] >= after)
        assert registry(services, model.name)["error"] is None
        with services.connect() as conn:
            notes = [n for (n,) in conn.execute(f"SELECT notes FROM rm_{model.name}").fetchall()]
        assert "跳过之后" in notes and bad_notes not in notes
        shown = next(s for s in as_supervisor.get("/projections").json() if s["name"] == model.name)
        assert [(s["position"], s["skipped_by"], s["reason"]) for s in shown["skipped"]] == [
            (bad, "cli:operator", "garbage from an old import")
        ]
    finally:
        projector.stop()
        thread.join(timeout=10)
