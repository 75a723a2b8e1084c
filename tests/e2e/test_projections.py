"""Read models survive a killed projector and a rebuild, and queries never stop."""

import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx
import psycopg

from tests.e2e.conftest import Server, casework, new_token, start_casework
from tests.helpers import closed_cases, intake, visit_body

# What the read models hold, in a comparable order (a count that went back to 0 is no count).
READ_MODEL_TABLES = {
    "rm_cases": "SELECT * FROM rm_cases ORDER BY id",
    "rm_case_counts": "SELECT * FROM rm_case_counts WHERE n <> 0 ORDER BY 1, 2, 3, 4",
    "rm_case_residents": "SELECT * FROM rm_case_residents ORDER BY 1, 2",
}


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(url) as conn:
        return {table: conn.execute(query).fetchall() for table, query in READ_MODEL_TABLES.items()}


def wait_until_caught_up(server: Server, auth: dict[str, str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        statuses = httpx.get(f"{server.url}/projections", headers=auth).json()
        active = [s for s in statuses if s["active"]]
        if active and all(s["lag_events"] == 0 for s in active):
            return
        time.sleep(0.1)
    raise AssertionError(f"read models did not catch up: {statuses}")


def start_projector(env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return start_casework("projections", "run", env=env, cwd=cwd, log="projector.log")


def test_a_projector_killed_mid_stream_resumes_and_ends_equal_to_a_rebuild(
    fresh_database: str, tmp_path: Path
) -> None:
    env = {**os.environ, "DATABASE_URL": fresh_database, "CASEWORK_RUN_PROJECTIONS": "false"}
    assert casework("areas", "load", "--sample", env=env).returncode == 0
    server = Server(env, tmp_path, workers=2).start()
    projector = start_projector(env, tmp_path)
    worker_id, token = new_token(env, "supervisor", "投影测试")
    auth = {"Authorization": f"Bearer {token}"}
    stop = threading.Event()

    def stream() -> None:
        with httpx.Client(base_url=server.url, headers=auth, timeout=10) as client:
            while not stop.is_set():
                case_id = client.post("/cases", json=intake()).json()["id"]
                client.post(f"/cases/{case_id}/assign", json={"assignee": worker_id})
                client.post(f"/cases/{case_id}/visits", json=visit_body())

    lanes = [threading.Thread(target=stream) for _ in range(3)]
    try:
        for lane in lanes:
            lane.start()
        time.sleep(2)
        os.killpg(projector.pid, signal.SIGKILL)
        projector.wait()
        time.sleep(1)  # events keep arriving while no projector runs
        projector = start_projector(env, tmp_path)
        time.sleep(1)
        stop.set()
        for lane in lanes:
            lane.join()
        wait_until_caught_up(server, auth)

        kept = snapshot(fresh_database)
        assert len(kept["rm_cases"]) > 10
        rebuilt = casework("projections", "rebuild", env=env, cwd=tmp_path, timeout=300)
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert snapshot(fresh_database) == kept

        # No event applied twice: each case's row counts exactly its events.
        with psycopg.connect(fresh_database) as conn:
            rows = conn.execute("SELECT id, visit_count, version FROM rm_cases").fetchall()
        # (The assignee's visit records a SignedFor first: versions 3 and 4 come together.)
        assert {(visits, version) for _, visits, version in rows} <= {(0, 1), (0, 2), (1, 4)}
    finally:
        stop.set()
        os.killpg(projector.pid, signal.SIGTERM)
        projector.wait(timeout=30)
        server.stop()


def test_a_rebuild_of_100000_events_shows_progress_while_the_api_answers(
    fresh_database: str, tmp_path: Path
) -> None:
    from infra.areas import SAMPLE_FILE, read_area_file
    from infra.bootstrap import bootstrap
    from infra.settings import Settings

    env = {**os.environ, "DATABASE_URL": fresh_database}
    built = bootstrap(Settings(database_url=fresh_database))
    built.areas.load(read_area_file(SAMPLE_FILE))
    someone = built.residents.identify({"name": "某"})  # one resident behind every case
    # 100,000 events: 25,000 cases of four events each, saved 500 cases a transaction.
    for _ in range(50):
        cases = closed_cases(500, someone)
        built.cases.save(*cases)
    assert built.cases.recorder.max_notification_id() == 100_000
    built.close()

    server = Server(env, tmp_path, workers=1).start()
    _, token = new_token(env, "supervisor", "重建测试")
    auth = {"Authorization": f"Bearer {token}"}
    wait_until_caught_up(server, auth, timeout=300)

    answers: list[int] = []
    stop = threading.Event()

    def keep_asking() -> None:
        with httpx.Client(base_url=server.url, headers=auth, timeout=10) as client:
            while not stop.is_set():
                answers.append(client.get("/cases", params={"grid_id": "tiansheng-02"}).status_code)
                answers.append(client.get("/dashboard/summary").status_code)

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        rebuilt = casework(
            "projections", "rebuild", "case_list", env=env, cwd=tmp_path, timeout=600
        )
    finally:
        stop.set()
        asker.join()
        server.stop()
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "100k/100k" in rebuilt.stderr or "100000/100000" in rebuilt.stderr, rebuilt.stderr
    assert "generation 2 now answers queries (replaced generation 1)" in rebuilt.stdout
    assert len(answers) > 10
    assert set(answers) == {200}
