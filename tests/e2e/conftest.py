"""The service as a user runs it: the `casework` command, in its own process."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
import pytest

CASEWORK = str(Path(sys.executable).parent / "casework")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def casework(
    *args: str, env: dict[str, str], cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CASEWORK, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_casework(*args: str, env: dict[str, str], cwd: Path, log: str) -> subprocess.Popen[bytes]:
    """A `casework` command as its own process group (for kill -9), its output in ``log``."""
    return subprocess.Popen(
        [CASEWORK, *args],
        env=env,
        cwd=cwd,
        start_new_session=True,
        stdout=open(cwd / log, "ab"),
        stderr=subprocess.STDOUT,
    )


class Server:
    """`casework serve` on a free port, which a test may kill and start again."""

    def __init__(self, env: dict[str, str], cwd: Path, workers: int = 1):
        self.env = env
        self.cwd = cwd
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "Server":
        log = open(self.cwd / "server.log", "ab")
        self.process = subprocess.Popen(
            [CASEWORK, "serve", "--port", str(self.port), "--workers", str(self.workers)],
            env=self.env,
            cwd=self.cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {(self.cwd / 'server.log').read_text()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not come up in 60 s")

    def kill(self) -> None:
        """kill -9 of the whole server: no shutdown, no flushing, nothing graceful."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """What an operator's Ctrl+C or SIGTERM does: a graceful shutdown."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="session")
def service_env(database_url: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    loaded = casework("areas", "load", "--sample", env=env)
    assert loaded.returncode == 0, loaded.stderr
    return env


@pytest.fixture(scope="session")
def server(
    service_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    # It lives until the session ends, through the integration tests on the same database:
    # its own ladder and webhook dispatcher would act on their cases behind their backs (a
    # case they close "before the ladder ran" was urged meanwhile). Those loops are tested in
    # processes of their own (test_ladder_processes, test_webhooks_process).
    quiet = {**service_env, "CASEWORK_RUN_SUPERVISION": "false", "CASEWORK_RUN_WEBHOOKS": "false"}
    running = Server(quiet, Path(tmp_path_factory.mktemp("server")), workers=2).start()
    yield running
    running.stop()


def new_token(env: dict[str, str], role: str, name: str = "e2e") -> tuple[str, str]:
    """Create a user with the real CLI; return (id, token) as it printed them."""
    result = casework("users", "add", "--name", name, "--role", role, env=env)
    assert result.returncode == 0, result.stderr
    fields = dict(line.split(":", 1) for line in result.stdout.splitlines())
    return fields["id"].strip(), fields["token"].strip()


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A database of its own on the server of ``server_url``, dropped afterwards."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    name = f"casework_e2e_{os.getpid()}_{int(time.time() * 1000) % 10**9}"
    admin = make_conninfo(server_url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    params = conninfo_to_dict(server_url)
    params["dbname"] = name
    try:
        yield make_conninfo("", **{k: v for k, v in params.items() if v is not None})
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fresh_database(database_url: str) -> Iterator[str]:
    """A database of its own on the same server, for tests that compare whole tables."""
    with scratch_database(database_url) as url:
        yield url
