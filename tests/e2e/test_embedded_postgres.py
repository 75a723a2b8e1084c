"""A fresh machine with nothing but Python: the service brings its own PostgreSQL."""

import os
import signal
import threading
import time
from pathlib import Path

import httpx2 as httpx

from tests.e2e.conftest import Server, casework, new_token, scratch_database
from tests.helpers import closed_cases, intake


def postmaster_pid(pgdata: Path) -> int | None:
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text().splitlines()[0])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    return pid


def test_without_database_url_data_lives_under_var_and_survives_restarts(
    outside_pytest_tmp: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    pgdata = outside_pytest_tmp / "var" / "pg"

    server = Server(env, cwd=outside_pytest_tmp).start()
    env_here = {**env, "CASEWORK_DATA_DIR": str(outside_pytest_tmp / "var")}
    assert casework("areas", "load", "--sample", env=env_here).returncode == 0
    _, token = new_token(env_here, "clerk", "窗口")
    auth = {"Authorization": f"Bearer {token}"}
    created = httpx.post(f"{server.url}/cases", json=intake(), headers=auth)
    assert created.status_code == 201
    case_id = created.json()["id"]
    assert (pgdata / "PG_VERSION").exists()
    assert postmaster_pid(pgdata) is not None

    server.stop()
    assert postmaster_pid(pgdata) is None, "the embedded PostgreSQL outlived the service"

    server.start()
    try:
        again = httpx.get(f"{server.url}/cases/{case_id}", headers=auth)
        assert again.status_code == 200
        assert again.json()["title"] == intake()["title"]

        # The database goes away under the running service: a prompt 503, not a hang.
        pid = postmaster_pid(pgdata)
        assert pid is not None
        os.kill(pid, signal.SIGQUIT)
        while postmaster_pid(pgdata) is not None:
            time.sleep(0.05)
        # The caller was authenticated a moment ago (and is remembered): the first call to
        # fail is the event store's, which must not retry for long either.
        prompt = 4  # seconds: a client's patience, not a speed target
        for attempt in (
            lambda: httpx.get(f"{server.url}/cases/{case_id}", headers=auth, timeout=prompt),
            lambda: httpx.post(f"{server.url}/cases", json=intake(), headers=auth, timeout=prompt),
            lambda: httpx.get(f"{server.url}/health", timeout=prompt),
        ):
            response = attempt()
            assert response.status_code == 503
            assert response.json()["code"] == "database_unavailable"
            assert response.headers["Retry-After"]
    finally:
        server.stop()


def test_a_save_of_2000_events_at_once_completes_on_the_embedded_postgresql(
    embedded_database_url: str,
) -> None:
    """One save of 500 cases (about 1.3 MB) over the embedded server's Unix socket.

    It used to hang for ever: the statement's tail stayed in the client's buffer while the
    server waited for it. A bound far above the second it takes tells a hang from a pass.
    """
    from infra.bootstrap import bootstrap
    from infra.settings import Settings

    with scratch_database(embedded_database_url) as url:
        built = bootstrap(Settings(database_url=url))
        try:
            cases = closed_cases(500, built.residents.identify({"name": "某"}))
            saved: list[object] = []
            saver = threading.Thread(
                target=lambda: saved.append(built.cases.save(*cases)), daemon=True
            )
            saver.start()
            saver.join(timeout=120)
            assert saved, "the save of 2,000 events did not finish"
            assert built.cases.recorder.max_notification_id() == 2000
            again = built.cases.repository.get(cases[-1].id)
            assert (again.version, again.status) == (4, cases[-1].status)
        finally:
            built.close()
