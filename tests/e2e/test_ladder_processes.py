"""The ladder runs by itself: after downtime, with a copy killed -9, with two copies."""

import os
import signal
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx

from tests.e2e.conftest import Server, casework, new_token, start_casework
from tests.helpers import intake

STEPS = ("Urged", "Supervised", "PubliclyNoted")


def file_overdue_cases(server: Server, auth: dict[str, str], n: int) -> list[str]:
    """Consultations (3 working days) received four weeks ago: every threshold is past."""
    received = (datetime.now(UTC) - timedelta(days=28)).isoformat()
    with httpx.Client(base_url=server.url, headers=auth, timeout=10) as client:
        return [
            client.post("/cases", json=intake(received_at=received)).json()["id"] for _ in range(n)
        ]


def steps_of(server: Server, auth: dict[str, str], case_id: str) -> list[dict[str, Any]]:
    history = httpx.get(f"{server.url}/cases/{case_id}/history", headers=auth).json()
    return [e for e in history["events"] if e["type"] in STEPS]


def wait_for_the_ladder(server: Server, auth: dict[str, str], cases: list[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if all(len(steps_of(server, auth, c)) >= 3 for c in cases):
            return
        time.sleep(0.5)
    raise AssertionError("the ladder was not climbed within a minute")


def assert_each_step_once_by_the_system(
    server: Server, auth: dict[str, str], cases: list[str]
) -> None:
    for case_id in cases:
        steps = steps_of(server, auth, case_id)
        assert Counter(s["type"] for s in steps) == Counter(STEPS), steps
        assert {s["actor"]["id"] for s in steps} == {"system"}
        moments = [datetime.fromisoformat(s["occurred_at"]) for s in steps]
        assert moments == sorted(moments) and moments[-1] < datetime.now(UTC) - timedelta(days=10)


def start_supervisor(env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return start_casework("supervise", "run", env=env, cwd=cwd, log="supervisor.log")


def test_the_service_climbs_the_ladder_after_downtime_with_the_true_dates(
    fresh_database: str, tmp_path: Path
) -> None:
    env = {**os.environ, "DATABASE_URL": fresh_database, "CASEWORK_RUN_SUPERVISION": "false"}
    assert casework("areas", "load", "--sample", env=env).returncode == 0
    _, token = new_token(env, "supervisor", "督办测试")
    auth = {"Authorization": f"Bearer {token}"}
    down = Server(env, tmp_path).start()
    cases = file_overdue_cases(down, auth, 3)
    time.sleep(2)
    assert all(steps_of(down, auth, c) == [] for c in cases)  # nobody climbs it yet
    down.stop()

    up = Server({**env, "CASEWORK_RUN_SUPERVISION": "true"}, tmp_path).start()
    try:
        wait_for_the_ladder(up, auth, cases)
        time.sleep(2)  # more rounds record nothing more
        assert_each_step_once_by_the_system(up, auth, cases)
    finally:
        up.stop()


def test_two_copies_one_killed_mid_way_record_each_step_once(
    fresh_database: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": fresh_database,
        "CASEWORK_RUN_SUPERVISION": "false",
        "CASEWORK_SUPERVISION_INTERVAL_SECONDS": "0.2",
    }
    assert casework("areas", "load", "--sample", env=env).returncode == 0
    _, token = new_token(env, "supervisor", "督办测试")
    auth = {"Authorization": f"Bearer {token}"}
    server = Server(env, tmp_path).start()
    copies: list[subprocess.Popen[bytes]] = []
    try:
        cases = file_overdue_cases(server, auth, 20)
        copies = [start_supervisor(env, tmp_path) for _ in range(2)]
        time.sleep(1.5)
        os.killpg(copies[0].pid, signal.SIGKILL)
        copies[0].wait()
        copies[0] = start_supervisor(env, tmp_path)
        wait_for_the_ladder(server, auth, cases)
        time.sleep(1)
        assert_each_step_once_by_the_system(server, auth, cases)
    finally:
        for copy in copies:
            if copy.poll() is None:
                os.killpg(copy.pid, signal.SIGTERM)
                copy.wait(timeout=30)
        server.stop()
