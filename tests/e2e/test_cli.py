"""The `casework` command as an administrator or an auditor uses it."""

from pathlib import Path

import httpx2 as httpx
import psycopg
import pytest

from infra.users import hash_token
from tests.e2e.conftest import Server, casework, new_token
from tests.helpers import intake


@pytest.mark.parametrize(
    "command",
    [[], ["serve"], ["users"], ["users", "add"], ["history"], ["projections", "skip"]],
)
def test_every_command_has_help(command: list[str], service_env: dict[str, str]) -> None:
    result = casework(*command, "--help", env=service_env)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: casework")


def test_a_token_is_printed_once_and_only_its_hash_is_stored(
    service_env: dict[str, str], database_url: str
) -> None:
    result = casework(
        "users",
        "add",
        "--name",
        "赵敏",
        "--role",
        "supervisor",
        "--area",
        "tiansheng",
        env=service_env,
    )
    assert result.returncode == 0, result.stderr
    token = next(
        line.split(":", 1)[1].strip()
        for line in result.stdout.splitlines()
        if line.startswith("token:")
    )
    assert result.stdout.count(token) == 1
    assert "only this once" in result.stderr
    with psycopg.connect(database_url) as conn:
        dump = str(conn.execute("SELECT * FROM casework_users").fetchall())
    assert token not in dump
    assert hash_token(token) in dump


def test_history_prints_a_case_as_an_auditor_reads_it(
    server: Server, service_env: dict[str, str]
) -> None:
    worker_id, token = new_token(service_env, "supervisor", "王芳")
    auth = {"Authorization": f"Bearer {token}"}
    case_id = httpx.post(f"{server.url}/cases", json=intake(), headers=auth).json()["id"]
    httpx.post(f"{server.url}/cases/{case_id}/assign", json={"assignee": worker_id}, headers=auth)

    result = casework("history", case_id, env=service_env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"case {case_id}: 2 events, oldest first"
    assert lines[1].startswith("v1   Received")
    assert lines[1].endswith(f"by supervisor {worker_id} (王芳)")
    assert lines[3].startswith("v2   Assigned")
    assert "楼道灯坏了" in result.stdout

    # The operator's read is on record for auditors, as any reader's is.
    _, auditor = new_token(service_env, "auditor", "审计 周")
    reads = httpx.get(
        f"{server.url}/audit/reads",
        params={"case_id": case_id},
        headers={"Authorization": f"Bearer {auditor}"},
    ).json()
    assert reads[0]["what"] == "history"
    assert reads[0]["actor"].startswith("cli:")
    assert reads[0]["user_id"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["history", "not-a-case"], "casework: error: 'not-a-case' is not a case id (a UUID)"),
        (
            ["history", "0f0f0f0f-0000-4000-8000-000000000000"],
            "casework: error: no case with id 0f0f0f0f-0000-4000-8000-000000000000",
        ),
        (["users", "add", "--name", "x", "--role", "boss"], "casework users add: error:"),
        (
            ["projections", "skip", "case_list", str(10**15), "--reason", "garbage"],
            f"casework: error: no event at position {10**15}: the log's head is",
        ),
    ],
)
def test_errors_are_one_plain_line(
    args: list[str], message: str, service_env: dict[str, str]
) -> None:
    result = casework(*args, env=service_env)
    assert result.returncode != 0
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_an_administrator_loads_the_places_of_grids_and_checks_them(
    service_env: dict[str, str], tmp_path: Path
) -> None:
    loaded = casework("areas", "places", "--sample", env=service_env)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.startswith("loaded the places of 4 grids")
    by_address = casework("areas", "locate", "--address", "天胜社区11号楼", env=service_env)
    assert by_address.stdout.strip() == "tiansheng-04"
    by_point = casework("areas", "locate", "--point", "30.662", "104.068", env=service_env)
    assert by_point.stdout.strip() == "tiansheng-02"
    nowhere = casework("areas", "locate", "--address", "锦江区", env=service_env)
    assert nowhere.returncode == 1
    assert nowhere.stderr.startswith("casework: error: no grid")

    unknown = tmp_path / "places.json"
    unknown.write_text('{"grids": [{"grid_id": "nowhere-01", "addresses": ["某街"]}]}')
    refused = casework("areas", "places", str(unknown), env=service_env)
    assert refused.returncode == 1
    assert refused.stderr.startswith("casework: error: grids not loaded as areas: nowhere-01")
    still = casework("areas", "locate", "--address", "天胜社区11号楼", env=service_env)
    assert still.stdout.strip() == "tiansheng-04"  # a refused file changes nothing


def test_an_unreachable_database_is_one_plain_line(service_env: dict[str, str]) -> None:
    env = {**service_env, "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/casework"}
    result = casework("users", "add", "--name", "x", "--role", "clerk", env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("casework: error: cannot reach PostgreSQL at 127.0.0.1:1")
    assert len(result.stderr.strip().splitlines()) == 1


def test_rotate_prints_a_new_token_once_and_the_old_one_stops_working(
    server: Server, service_env: dict[str, str]
) -> None:
    user_id, old = new_token(service_env, "clerk", "换证 陈")
    result = casework("users", "rotate", user_id, "--expires-in-days", "30", env=service_env)
    assert result.returncode == 0, result.stderr
    fields = dict(line.split(":", 1) for line in result.stdout.splitlines())
    new = fields["token"].strip()
    assert fields["id"].strip() == user_id
    assert result.stdout.count(new) == 1
    assert "only this once" in result.stderr
    assert "CASEWORK_AUTH_CACHE_SECONDS" in result.stderr
    # The server never checked the old token, so nothing of it is cached: refused at once.
    assert (
        httpx.get(f"{server.url}/me", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    )
    me = httpx.get(f"{server.url}/me", headers={"Authorization": f"Bearer {new}"})
    assert me.status_code == 200
    assert me.json()["id"] == user_id
    assert me.json()["token_expires_at"] is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["users", "add", "--name", "x", "--role", "clerk", "--expires-in-days", "0"],
            "casework users add: error: argument --expires-in-days: must be 1 or more (got 0)",
        ),
        (
            ["users", "add", "--name", "x", "--role", "clerk", "--expires-in-days", "-5"],
            "casework users add: error: argument --expires-in-days: must be 1 or more (got -5)",
        ),
        (
            ["users", "rotate", "0f0f0f0f-0000-4000-8000-000000000000", "--expires-in-days=0"],
            "casework users rotate: error: argument --expires-in-days: must be 1 or more",
        ),
        (
            ["users", "rotate", "0f0f0f0f-0000-4000-8000-000000000000"],
            "casework: error: no user with id 0f0f0f0f-0000-4000-8000-000000000000",
        ),
        (["users", "rotate", "nobody"], "casework: error: 'nobody' is not a user id (a UUID)"),
    ],
)
def test_bad_token_requests_are_one_plain_line(
    args: list[str], message: str, service_env: dict[str, str], database_url: str
) -> None:
    with psycopg.connect(database_url) as conn:
        before = conn.execute("SELECT count(*) FROM casework_users").fetchone()
    result = casework(*args, env=service_env)
    assert result.returncode != 0
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM casework_users").fetchone() == before


def test_help_and_readme_agree_on_when_a_revocation_takes_effect(
    service_env: dict[str, str],
) -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    promise = "within `CASEWORK_AUTH_CACHE_SECONDS` (5 s by default)"
    assert promise in readme
    for action in ("revoke", "rotate"):
        shown = " ".join(casework("users", action, "--help", env=service_env).stdout.split())
        assert promise.replace("`", "") in shown, action
