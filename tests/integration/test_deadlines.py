"""Deadlines as a user sees them: over HTTP, and through `casework calendar` in its own process."""

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from fastapi.testclient import TestClient

from api.main import create_app
from infra.bootstrap import Services, bootstrap
from infra.calendar import PACKAGE_YEARS, CalendarYears, read_year_file
from infra.settings import Settings
from infra.time_limit_catalogue import SHIPPED_FILE, CatalogueError
from tests.helpers import intake
from tests.integration.conftest import Api, People

ZONE = ZoneInfo("Asia/Shanghai")
CASEWORK = str(Path(sys.executable).parent / "casework")

# A made-up 2027 (the State Council publishes the real one each November).
YEAR_2027 = {
    "year": 2027,
    "holidays": ["2027-01-01", "2027-02-08", "2027-02-09", "2027-02-10"],
    "workdays": ["2027-02-06"],
}

# Makes a `casework` process see the clock at CASEWORK_TEST_NOW: the machine running the
# tests may well be dated before 2026-12-28, when the complaint below is received.
SITECUSTOMIZE = """
import os
import time_machine
if os.environ.get("CASEWORK_TEST_NOW"):
    time_machine.travel(os.environ["CASEWORK_TEST_NOW"], tick=True).start()
"""

needs_2027_unknown = pytest.mark.skipif(
    2027 in PACKAGE_YEARS, reason="this chinese-calendar already knows 2027"
)


def casework(
    *args: str, env: dict[str, str], now: datetime | None = None, tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env = {**env, "PYTHONPATH": str(tmp_path)}
    if now is not None:
        env["CASEWORK_TEST_NOW"] = now.isoformat()
    return subprocess.run(
        [CASEWORK, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def env(database_url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url}


@pytest.fixture
def year_file(tmp_path: Path) -> Path:
    path = tmp_path / "calendar-2027.json"
    path.write_text(json.dumps(YEAR_2027))
    return path


@pytest.fixture
def without_2027(services: Services) -> Iterator[None]:
    """Nobody has loaded 2027, before the test and after it."""

    def forget() -> None:
        with services.pool.connection() as conn:
            conn.execute("DELETE FROM casework_calendar_years WHERE year = 2027")

    forget()
    yield
    forget()


@pytest.fixture
def fresh_service(database_url: str, services: Services, without_2027: None) -> Iterator[Services]:
    """A service process of its own, started now, that reads loaded years every 0.2 s."""
    built = bootstrap(Settings(database_url=database_url, calendar_refresh_seconds=0.2))
    yield built
    built.close()


def local(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=ZONE)


def receive_complaint_on_2026_12_28(service: Services, people: People) -> dict[str, Any]:
    with (
        time_machine.travel(local(2026, 12, 28, 12), tick=True),
        TestClient(create_app(service)) as client,
    ):
        return Api(client, people.clerk).new_case(
            intake(category="complaint", received_at="2026-12-28T10:00:00+08:00")
        )


# -- counting ------------------------------------------------------------------------------


def test_a_consultation_of_2025_09_30_is_due_on_the_make_up_saturday(
    as_clerk: Api, as_supervisor: Api
) -> None:
    case = as_clerk.new_case(
        intake(category="consultation", received_at="2025-09-30T10:00:00+08:00")
    )

    assert case["due_at"] == "2025-10-11T23:59:59+08:00"
    assert case["due_at_provisional"] is False
    assert as_clerk.get(f"/cases/{case['id']}").json()["due_at"] == "2025-10-11T23:59:59+08:00"
    history = as_supervisor.get(f"/cases/{case['id']}/history").json()["events"]
    assert history[0]["data"]["time_limit"] == {"amount": 3, "unit": "working_days"}


def test_every_answer_shows_the_working_time_left(as_clerk: Api, as_worker: Api, people) -> None:
    case = as_clerk.new_case(intake(category="help"))
    left = case["time_left"]
    due_at = datetime.fromisoformat(case["due_at"])
    hours = (due_at - datetime.now(UTC)).total_seconds() / 3600
    assert abs(left["hours"] - hours) < 0.1
    assert 0 <= left["working_days"] <= 3
    assert case["overdue"] is False

    old = as_clerk.new_case(intake(category="consultation", received_at="2025-09-30T10:00+08:00"))
    assert old["overdue"] is True
    assert old["time_left"]["hours"] < 0 and old["time_left"]["working_days"] < -200

    urgent = as_clerk.new_case(intake(category="urgent"))
    assert urgent["time_left"]["working_days"] is None
    assert 23.9 < urgent["time_left"]["hours"] <= 24

    as_clerk.command(case["id"], "assign", {"assignee": people.worker.id})
    closed = as_worker.command(case["id"], "close", {"resolution": "resolved", "summary": "好了"})
    assert closed.json()["time_left"] is None


# -- a year nobody had loaded ----------------------------------------------------------------


@needs_2027_unknown
def test_loading_2027_with_the_cli_recounts_a_provisional_deadline(
    fresh_service: Services,
    as_supervisor: Api,
    people: People,
    env: dict[str, str],
    year_file: Path,
    tmp_path: Path,
) -> None:
    case = receive_complaint_on_2026_12_28(fresh_service, people)
    # Dec 29-31, then 2027 counted on weekends only: Jan 1, Jan 4-8, Jan 11-14.
    assert (case["due_at"], case["due_at_provisional"]) == ("2027-01-14T23:59:59+08:00", True)

    loaded = casework(
        "calendar",
        "load",
        str(year_file),
        env=env,
        now=max(datetime.now(UTC), local(2026, 12, 29)),
        tmp_path=tmp_path,
    )

    assert loaded.returncode == 0, loaded.stderr
    assert "loaded 2027 from" in loaded.stdout
    assert "4 holidays, 1 make-up working days" in loaded.stdout
    recounted = re.search(r"^recounted (\d+) provisional deadlines", loaded.stdout, re.M)
    assert recounted and int(recounted.group(1)) >= 1, loaded.stdout
    # New Year's Day is off: Dec 29-31, Jan 4-8, Jan 11-15.
    now = as_supervisor.get(f"/cases/{case['id']}").json()
    assert (now["due_at"], now["due_at_provisional"]) == ("2027-01-15T23:59:59+08:00", False)
    last = as_supervisor.get(f"/cases/{case['id']}/history").json()["events"][-1]
    assert last["type"] == "DeadlineRecounted"
    assert last["actor"]["role"] == "admin"
    assert last["actor"]["id"].startswith("cli:")
    assert last["data"]["previous_due_at"] == "2027-01-14T23:59:59+08:00"
    assert last["data"]["due_at_provisional"] is False

    listing = casework("calendar", "list", env=env, tmp_path=tmp_path)
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert lines[0] == "year  source"
    assert any(line.startswith("2026  package chinese-calendar") for line in lines)
    [line_2027] = [line for line in lines if line.startswith("2027")]
    assert f"loaded from {year_file}" in line_2027
    assert "by cli:" in line_2027


# A made-up 2028, for a deadline that reaches past 2027.
YEAR_2028 = {"year": 2028, "holidays": ["2028-01-03", "2028-01-31"], "workdays": []}


@pytest.fixture
def without_2028(services: Services) -> Iterator[None]:
    def forget() -> None:
        with services.pool.connection() as conn:
            conn.execute("DELETE FROM casework_calendar_years WHERE year = 2028")

    forget()
    yield
    forget()


def printed_count(output: str, what: str) -> int:
    found = re.search(rf"(\d+) {what}", output)
    assert found, output
    return int(found.group(1))


@needs_2027_unknown
def test_loading_a_year_recounts_deadlines_made_provisional_every_way(
    fresh_service: Services,
    without_2028: None,
    as_supervisor: Api,
    people: People,
    env: dict[str, str],
    year_file: Path,
    tmp_path: Path,
) -> None:
    """Intake, extension, resumption and an earlier recount each leave a deadline provisional;
    loading the years it reaches into makes each final, with a DeadlineRecounted event."""
    received = {"received_at": "2026-12-21T10:00:00+08:00"}
    with (
        time_machine.travel(local(2027, 1, 6, 12), tick=True),
        TestClient(create_app(fresh_service)) as client,
    ):
        api = Api(client, people.supervisor)
        # 13 working days from Dec 21 reach Jan 2027.
        by_intake = api.new_case(intake(category="complaint", **received))
        # 3 working days end on Dec 24 (2026 is known); 10 more reach Jan 2027.
        by_extension = api.new_case(intake(**received))
        extend = {"reason": "等待物业回复", "approved_by": people.supervisor.id}
        at_dec_22 = {"occurred_at": "2026-12-22T10:00:00+08:00"}
        extended = api.command(
            by_extension["id"], "extend", {**extend, **at_dec_22, "extra_working_days": 10}
        )
        assert extended.status_code == 200, extended.text
        # Suspended on Dec 22, resumed on Jan 6: the lost days include Jan 1-6 of 2027.
        by_resumption = api.new_case(intake(**received))
        suspended = api.command(
            by_resumption["id"], "suspend", {"reason": "等待居民补充材料", **at_dec_22}
        )
        assert suspended.status_code == 200, suspended.text
        resumed = api.command(by_resumption["id"], "resume", {"reason": "材料已补齐"})
        assert resumed.status_code == 200, resumed.text
        # Extended into 2028: loading 2027 recounts it and leaves it provisional.
        by_recount = api.new_case(intake(**received))
        for days in (250, 30):
            response = api.command(
                by_recount["id"], "extend", {**extend, **at_dec_22, "extra_working_days": days}
            )
            assert response.status_code == 200, response.text
        assert response.json()["due_at"].startswith("2028-"), response.text

    cases = {
        "intake": by_intake["id"],
        "extension": by_extension["id"],
        "resumption": by_resumption["id"],
        "recount": by_recount["id"],
    }
    for way, case_id in cases.items():
        case = as_supervisor.get(f"/cases/{case_id}").json()
        assert case["due_at"].startswith(("2027-", "2028-")), (way, case)
        assert case["due_at_provisional"] is True, (way, case)

    def load(year: dict[str, Any], hour: int) -> str:
        path = tmp_path / f"calendar-{year['year']}.json"
        path.write_text(json.dumps(year))
        loaded = casework(
            "calendar", "load", str(path), env=env, now=local(2027, 1, 6, hour), tmp_path=tmp_path
        )
        assert loaded.returncode == 0, loaded.stderr
        return loaded.stdout

    def history(case_id: str) -> list[dict[str, Any]]:
        return as_supervisor.get(f"/cases/{case_id}/history").json()["events"]

    output = load(YEAR_2027, 14)
    assert printed_count(output, "provisional deadlines") >= 4, output
    assert printed_count(output, "still provisional") >= 1, output
    for way in ("intake", "extension", "resumption"):
        case = as_supervisor.get(f"/cases/{cases[way]}").json()
        assert case["due_at"].startswith("2027-"), (way, case)
        assert case["due_at_provisional"] is False, (way, case)
        last = history(cases[way])[-1]
        assert last["type"] == "DeadlineRecounted", (way, last)
        assert last["data"]["previous_due_at_provisional"] is True
        assert last["data"]["due_at_provisional"] is False
    still = history(cases["recount"])[-1]
    assert still["type"] == "DeadlineRecounted"
    assert still["data"]["due_at_provisional"] is True
    # 2027's four holidays and one make-up Saturday move it three working days on.
    assert still["data"]["due_at"] > still["data"]["previous_due_at"]

    output = load(YEAR_2028, 15)
    assert printed_count(output, "provisional deadlines") >= 1, output
    case = as_supervisor.get(f"/cases/{cases['recount']}").json()
    assert case["due_at"].startswith("2028-") and case["due_at_provisional"] is False, case
    recounts = [e for e in history(cases["recount"]) if e["type"] == "DeadlineRecounted"]
    assert len(recounts) == 2
    assert recounts[-1]["data"]["previous_due_at"] == still["data"]["due_at"]
    # Loading a year again finds nothing provisional left among these cases.
    load(YEAR_2028, 16)
    assert len(history(cases["recount"])) == len(recounts) + 3


@needs_2027_unknown
def test_a_running_service_counts_on_a_year_loaded_after_it_started(
    fresh_service: Services, services: Services, people: People, year_file: Path
) -> None:
    before = receive_complaint_on_2026_12_28(fresh_service, people)
    assert before["due_at_provisional"] is True

    # Another process (an administrator's `casework calendar load`) stores the year.
    CalendarYears(services.pool).save(read_year_file(year_file), str(year_file), "cli:test")
    time.sleep(0.3)  # this service reads loaded years every 0.2 s

    after = receive_complaint_on_2026_12_28(fresh_service, people)
    assert (after["due_at"], after["due_at_provisional"]) == ("2027-01-15T23:59:59+08:00", False)


# -- refusing broken files ---------------------------------------------------------------


def test_a_broken_calendar_file_is_refused_in_one_line(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**YEAR_2027, "workdays": ["2027-02-05"]}))

    result = casework("calendar", "load", str(bad), env=env, tmp_path=tmp_path)

    assert result.returncode == 1
    assert result.stderr.startswith(f"casework: error: calendar file {bad}: workdays: 2027-02-05")
    assert result.stderr.count("\n") == 1


def broken_catalogue(tmp_path: Path) -> Path:
    catalogue = json.loads(SHIPPED_FILE.read_text())
    catalogue["resident_request"]["help"]["unit"] = "weeks"
    path = tmp_path / "limits.json"
    path.write_text(json.dumps(catalogue))
    return path


def test_a_broken_catalogue_stops_the_service_from_starting(
    database_url: str, env: dict[str, str], tmp_path: Path
) -> None:
    path = broken_catalogue(tmp_path)
    with pytest.raises(CatalogueError, match=r"resident_request\.help\.unit"):
        bootstrap(Settings(database_url=database_url, time_limits_file=path))

    result = casework(
        "serve",
        "--port",
        "1",
        env={**env, "CASEWORK_TIME_LIMITS_FILE": str(path)},
        tmp_path=tmp_path,
    )

    assert result.returncode == 1
    assert result.stderr == (
        f"casework: error: time-limit catalogue {path}: resident_request.help.unit: Input "
        "should be 'working_days', 'calendar_days' or 'hours' (got \"weeks\")\n"
    )
