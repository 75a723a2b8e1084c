"""`casework audit verify` as an auditor runs it, after two server processes wrote at once."""

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2 as httpx
import psycopg

from tests.e2e.conftest import Server, casework, new_token
from tests.helpers import intake, visit_body


def test_chains_stay_whole_under_two_writing_processes_and_a_hand_edit_is_named(
    fresh_database: str, tmp_path: Path
) -> None:
    env = {**os.environ, "DATABASE_URL": fresh_database}
    assert casework("areas", "load", "--sample", env=env).returncode == 0
    server = Server(env, tmp_path, workers=2).start()
    try:
        worker_id, token = new_token(env, "supervisor", "并发督导")
        auth = {"Authorization": f"Bearer {token}"}
        _, auditor_token = new_token(env, "auditor", "审计")
        with httpx.Client(base_url=server.url, headers=auth, timeout=30) as client:
            case_id = client.post("/cases", json=intake()).json()["id"]
            client.post(f"/cases/{case_id}/assign", json={"assignee": worker_id})

        def write(n: int) -> int:
            # Each thread its own connection: the two worker processes take them in turn.
            with httpx.Client(base_url=server.url, headers=auth, timeout=30) as client:
                if n % 4 == 0:
                    return client.post("/cases", json=intake(title=f"并发 {n}")).status_code
                body = visit_body(notes=f"visit {n}")
                return client.post(f"/cases/{case_id}/visits", json=body).status_code

        with ThreadPoolExecutor(20) as pool:
            statuses = list(pool.map(write, range(60)))
        assert set(statuses) <= {200, 201, 409}
        assert statuses.count(201) == 15
        landed = statuses.count(200)
        assert landed >= 1

        verdict = httpx.get(
            f"{server.url}/cases/{case_id}/verify",
            headers={"Authorization": f"Bearer {auditor_token}"},
            timeout=30,
        ).json()
        assert verdict["ok"] is True
        # Received, Assigned, the SignedFor of the assignee's first visit, the visits
        assert verdict["events_checked"] == verdict["head_version"] == 3 + landed
    finally:
        server.stop()

    result = casework("audit", "verify", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == (
        f"16 cases checked ({3 + landed + 15} events): every hash chain intact"
    )

    # One byte of one event's state, changed by hand in PostgreSQL.
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute(
            "UPDATE casework_events SET state = set_byte(state, 20, get_byte(state, 20) # 1)"
            " WHERE originator_id = %s AND originator_version = 3",
            (case_id,),
        )
    for args in (("audit", "verify"), ("audit", "verify", case_id)):
        result = casework(*args, env=env)
        assert result.returncode == 1
        assert f"case {case_id}: broken at version 3: " in result.stdout
        assert result.stdout.splitlines()[-1].endswith(": 1 broken")
        assert result.stderr.strip().splitlines()[-1] == (
            "casework: error: audit failed: the hash chain of 1 case is broken"
        )


def test_audit_verify_has_help() -> None:
    result = casework("audit", "verify", "--help", env=dict(os.environ))
    assert result.returncode == 0
    assert result.stdout.startswith("usage: casework audit verify")
