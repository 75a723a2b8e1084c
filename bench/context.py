"""What every part of the benchmark shares: the PostgreSQL under test, scratch databases,
the mode, and a `casework serve` process started the way an operator starts it."""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from bench.figures import Figure
from domain.vocabulary import Role
from infra.areas import read_area_file
from infra.bootstrap import Services, bootstrap
from infra.settings import Settings

SAMPLE_AREAS = Path(__file__).resolve().parent.parent / "infra" / "sample_areas.json"


@dataclass
class BenchContext:
    server_url: str  # any database of the PostgreSQL server under test; scratch ones are made
    full: bool
    workdir: Path
    workers: int = 2  # uvicorn worker processes of every HTTP server in the run
    notes: list[str] = field(default_factory=list)
    # Figures later parts compare with, measured earlier in the same run: the limits'
    # and the baseline's throughput and latency per connection count (see bench.loadgen).
    reference: dict[str, float] = field(default_factory=dict)

    def database_url(self, dbname: str) -> str:
        return make_conninfo(self.server_url, dbname=dbname)

    def scratch_database(self, name: str) -> str:
        """A new, empty database on the server under test (dropped first if it exists)."""
        dbname = f"casework_bench_{name}"
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
        return self.database_url(dbname)

    def drop_scratch_database(self, name: str) -> None:
        dbname = f"casework_bench_{name}"
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
            )

    def libpq_env(self) -> dict[str, str]:
        """PGHOST & co. for command-line tools (pgbench, psql) to reach the same server."""
        params = conninfo_to_dict(self.server_url)
        env = {
            "PGHOST": str(params.get("host") or "localhost"),
            "PGPORT": str(params.get("port") or "5432"),
            "PGUSER": str(params.get("user") or "postgres"),
        }
        if params.get("password"):
            env["PGPASSWORD"] = str(params["password"])
        return env


def run_alone(
    run: "Callable[[BenchContext], list[Figure]]",
    prog: str,
    description: str | None,
    full_help: str,
    argv: list[str] | None = None,
) -> None:
    """One part of the benchmark on its own: ``python -m bench.<part> [--full]``."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--full", action="store_true", help=full_help)
    parser.add_argument("--server-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix=f"{prog.rsplit('.', 1)[-1]}-"))
    for figure in run(BenchContext(server_url=args.server_url, full=args.full, workdir=workdir)):
        verdict = "" if figure.met is None else f" (target {figure.target}: "
        verdict += "" if figure.met is None else ("met)" if figure.met else "NOT met)")
        print(f"{figure.section}: {figure.name}: {figure.value:,.2f} {figure.unit}{verdict}")
        if figure.note:
            print(f"    {figure.note}")


@dataclass
class Actors:
    """Tokens and ids of the users a workload acts as (sample areas; each user has an area,
    as real users have: a command then checks the case against it)."""

    clerk_token: str
    worker_id: str
    worker_token: str
    supervisor_token: str
    grid_id: str = "tiansheng-01"


def prepare_service_database(url: str) -> Actors:
    """Create the service's tables in ``url``, load the sample areas, add the users."""
    services: Services = bootstrap(Settings(database_url=url, run_projections=False))
    try:
        services.areas.load(read_area_file(SAMPLE_AREAS))
        _, clerk = services.users.add("bench clerk", Role.CLERK, area="tiansheng")
        worker, worker_token = services.users.add("bench worker", Role.WORKER, area="tiansheng-01")
        _, supervisor = services.users.add("bench supervisor", Role.SUPERVISOR, area="tiansheng")
    finally:
        services.close()
    return Actors(
        clerk_token=clerk,
        worker_id=str(worker.id),
        worker_token=worker_token,
        supervisor_token=supervisor,
    )


@dataclass
class RunningServer:
    base_url: str
    process: subprocess.Popen[bytes]

    def pids(self) -> list[int]:
        """The server's own process and its worker processes (for RSS sampling)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        kids = [int(p) for p in children.read_text().split()] if children.exists() else []
        grandkids = []
        for kid in kids:
            path = Path(f"/proc/{kid}/task/{kid}/children")
            if path.exists():
                grandkids += [int(p) for p in path.read_text().split()]
        return [self.process.pid, *kids, *grandkids]


@contextmanager
def casework_server(
    database_url: str,
    port: int,
    workers: int,
    log_path: Path,
    run_projections: bool = True,
    extra_env: dict[str, str] | None = None,
) -> Iterator[RunningServer]:
    """`casework serve` as its own process, as an operator runs it; stopped on exit."""
    env: dict[str, Any] = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CASEWORK_RUN_PROJECTIONS": "true" if run_projections else "false",
        **(extra_env or {}),
    }
    command = [
        sys.executable,
        "-c",
        "from infra.cli import main; main()",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    with server_process(command, env, port, log_path) as server:
        yield server


@contextmanager
def server_process(
    command: list[str], env: dict[str, Any], port: int, log_path: Path, cwd: Path | None = None
) -> Iterator[RunningServer]:
    """An HTTP server started by ``command``, once it answers /health; stopped on exit."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base_url + "/health", process)
            yield RunningServer(base_url=base_url, process=process)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def free_port(ports: range) -> int:
    """The first port of ``ports`` nothing answers on."""
    for port in ports:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"no answer from {url} within {seconds} s")
