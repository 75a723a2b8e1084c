"""python -m bench.costs: the CPU a request costs, and where it goes.

Measures CPU time, not throughput, so that it can be taken on a machine shared with other
work: the kernel's count of the server process's CPU (utime + stime, every thread) over a
run of sequential requests, divided by the requests. Then the same requests again with
py-spy sampling the thread that holds the GIL, to split that CPU into parts (each sample
goes to the innermost frame of its stack that a rule below names; the parts' shares of the
samples times the CPU per request of the first pass). Load on the machine lengthens wall
time, not CPU time; it still adds some (caches, frequency), so compare runs taken the same
way, and read differences under about 5% as noise.

The server is `casework serve --workers 1` (one process, as each worker of a larger
`serve` is) with the projectors and the supervision ladder in processes of their own
(`casework projections run`; the ladder off), so that their CPU is counted apart: the
projectors' per command is their process's CPU from the start of a pass until the read
models have applied its last event, over the commands of the pass; PostgreSQL's is that of
the database's backends over the same time. Requests come one at a time over one keep-alive
connection from this process, as area-scoped users (bench.context).

`--callgrind` counts instructions instead (the server under valgrind): a count that load
does not move, for comparing two versions of the code; it leaves out the kernel's work
(system calls, waking threads), which the CPU time includes.

Needs py-spy (`pip install -e '.[bench]'`) for the split (`--no-profile`: totals only).
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from bench.context import (
    Actors,
    BenchContext,
    prepare_service_database,
    server_process,
    wait_until_up,
)
from bench.rss import cpu_seconds

PORT = 18009
INTAKE = {
    "kind": "resident_request",
    "category": "help",
    "channel": "hotline",
    "title": "楼道灯坏了",
    "description": "3号楼2单元楼道灯不亮，老人夜间上下楼不便",
    "resident": {"name": "李秀英", "phone": "13900001234", "address": "天胜社区3号楼2单元301"},
}
VISIT = {"duration_minutes": 40, "notes": "已联系物业更换灯泡"}

# The parts of a request, and the frames that stand for each: (part, path fragment, function
# names or None for any, strong). Libraries used everywhere (psycopg, pydantic, json,
# threading) have no rule of their own: their samples go to their caller's part, so the
# store's statements count as the store's, the answer's pydantic models as the answer's.
PARTS = (
    "parsing and validation (body, headers, path)",
    "authentication and access gate",
    "loading the case (store read and replay)",
    "service layer and aggregate",
    "personal data (resident match, keys, sealing)",
    "store insert and commit (client side)",
    "building and serialising the answer",
    "middleware and logging",
    "framework (routing, dependency solving)",
    "thread-pool hops",
    "connection pools (checkout, return)",
    "HTTP server and event loop",
    "other",
)
(
    PARSE,
    AUTH,
    LOAD,
    SERVICE,
    PERSONAL,
    STORE,
    ANSWER,
    MIDDLEWARE,
    FRAMEWORK,
    HOPS,
    POOLS,
    SERVER,
    OTHER,
) = PARTS
_ANY = None


def _names(*names: str) -> frozenset[str]:
    return frozenset(names)


RULES: tuple[tuple[str, str, frozenset[str] | None, bool], ...] = (
    (PARSE, "infra/personal/phones.py", _ANY, True),  # the intake's phone, normalised as validated
    (PERSONAL, "infra/personal/", _ANY, True),
    (PERSONAL, "/cryptography/", _ANY, True),
    (STORE, "infra/event_store.py", _names("insert_events", "write_events"), True),
    (STORE, "infra/group_commit.py", _ANY, True),
    (STORE, "eventsourcing/postgres.py", _names("insert_events", "_insert_events"), True),
    (LOAD, "eventsourcing/postgres.py", _names("select_events"), True),
    (LOAD, "infra/event_store.py", _names("select_events"), True),
    (LOAD, "domain/application.py", _names("get_case"), True),
    (AUTH, "api/access.py", _ANY, True),
    (AUTH, "api/dependencies.py", _names("current_user", "current_caller"), True),
    (AUTH, "fastapi/security/", _ANY, True),
    (AUTH, "infra/users.py", _ANY, True),
    (AUTH, "infra/areas.py", _ANY, True),
    (ANSWER, "api/responses.py", _ANY, True),
    (ANSWER, "api/local_time.py", _ANY, True),
    (ANSWER, "api/routes/commands.py", _names("answer", "link_answer"), True),
    (ANSWER, "fastapi/routing.py", _names("serialize_response", "_prepare_response_content"), True),
    (ANSWER, "fastapi/encoders.py", _ANY, True),
    (ANSWER, "starlette/responses.py", _ANY, True),
    (ANSWER, "fastapi/responses.py", _ANY, True),
    (ANSWER, "starlette/requests.py", _names("url_for"), True),
    (PARSE, "api/requests.py", _ANY, True),
    (
        PARSE,
        "fastapi/dependencies/utils.py",
        _names("request_body_to_args", "request_params_to_args"),
        True,
    ),
    (PARSE, "fastapi/routing.py", _names("_get_body"), True),
    (PARSE, "starlette/requests.py", _names("json", "body", "stream"), True),
    (PARSE, "api/dependencies.py", _names("expected_version", "reject_unknown_queries"), True),
    (SERVICE, "api/routes/commands.py", _ANY, False),
    (SERVICE, "api/intake.py", _ANY, False),
    (SERVICE, "domain/", _ANY, False),
    (SERVICE, "infra/", _ANY, False),
    (SERVICE, "eventsourcing/", _ANY, False),
    (SERVICE, "chinese_calendar/", _ANY, False),
    (POOLS, "psycopg_pool/", _ANY, True),
    (MIDDLEWARE, "/logging/", _ANY, True),
    (MIDDLEWARE, "uvicorn/logging.py", _ANY, True),
    (MIDDLEWARE, "asgi_correlation_id/", _ANY, False),
    (MIDDLEWARE, "starlette/middleware/", _ANY, False),
    (MIDDLEWARE, "uvicorn/middleware/", _ANY, False),
    (MIDDLEWARE, "fastapi/middleware/", _ANY, False),
    (MIDDLEWARE, "fastapi/_body_limit.py", _ANY, False),
    (MIDDLEWARE, "fastapi/telemetry/_asgi.py", _ANY, False),
    (MIDDLEWARE, "api/pages/web.py", _names("dispatch"), False),
    (MIDDLEWARE, "api/problems.py", _ANY, False),
    (HOPS, "anyio/to_thread.py", _ANY, True),
    (HOPS, "anyio/", _names("run_sync_in_worker_thread"), True),
    (HOPS, "anyio/", _ANY, False),
    (HOPS, "starlette/concurrency.py", _ANY, False),
    (HOPS, "fastapi/telemetry/_api.py", _names("_run_sync_endpoint"), False),
    (FRAMEWORK, "fastapi/", _ANY, False),
    (FRAMEWORK, "starlette/", _ANY, False),
    (SERVER, "uvicorn/", _ANY, False),
    (SERVER, "asyncio/", _ANY, False),
    (SERVER, "uvloop", _ANY, False),
    (SERVER, "httptools", _ANY, False),
)


def part_of(stack: list[str]) -> str:
    """The part a sampled stack (root first, frames as py-spy writes them) belongs to: the
    innermost frame named by a strong rule (a part that holds others' code: the answer's
    time left, the store's statements), else the innermost named by any rule."""
    weak = None
    for frame in reversed(stack):
        qualified, _, where = frame.partition(" (")
        name = qualified.rsplit(".", 1)[-1]  # py-spy writes Class.method
        for part, fragment, names, strong in RULES:
            if fragment in where and (names is None or name in names):
                if strong:
                    return part
                weak = weak or part
                break
    return weak or OTHER


@dataclass
class Pass:
    name: str
    requests: int = 0
    server_cpu: float = 0.0  # seconds
    projector_cpu: float | None = None  # seconds, until the read models applied the pass
    database_cpu: float | None = None  # seconds, the database's backends over the same time
    instructions: float | None = None  # per request, counted by callgrind
    samples: Counter[str] = field(default_factory=Counter)
    seen: Counter[str] = field(default_factory=Counter)  # leaf frames of "other", for rules

    def us_per_request(self) -> float:
        return self.server_cpu / self.requests * 1e6

    def split(self) -> dict[str, float]:
        total = sum(self.samples.values())
        return {
            part: self.us_per_request() * self.samples[part] / total if total else 0.0
            for part in PARTS
        }


class Client:
    """One keep-alive connection; every answer read and checked."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, path: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
        self.conn.request(
            "POST",
            path,
            body=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        answer = self.conn.getresponse()
        data = answer.read()
        if answer.status >= 300:
            raise RuntimeError(f"POST {path}: {answer.status} {data[:300]!r}")
        return json.loads(data)

    def get(self, path: str, token: str) -> int:
        self.conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        answer = self.conn.getresponse()
        answer.read()
        return answer.status


class Workload:
    """Intakes by the clerk (community tiansheng), assignments by the clerk, visits by the
    worker (grid tiansheng-01): every request passes the area check."""

    def __init__(self, client: Client, actors: Actors):
        self.client = client
        self.actors = actors
        self.assigned: list[str] = []
        self.received: list[str] = []
        self.last_position = 0
        self.counter = 0

    def intake(self) -> None:
        self.counter += 1
        body = {**INTAKE, "grid_id": self.actors.grid_id}
        body["resident"] = {**INTAKE["resident"], "phone": f"139{self.counter % 10_000:08d}"}
        case = self.client.post("/cases", self.actors.clerk_token, body)
        self.received.append(case["id"])
        self.last_position = case["position"]

    def assign(self) -> None:
        case_id = self.received.pop()
        case = self.client.post(
            f"/cases/{case_id}/assign", self.actors.clerk_token, {"assignee": self.actors.worker_id}
        )
        self.assigned.append(case_id)
        self.last_position = case["position"]

    def visit(self) -> None:
        case_id = self.assigned.pop()
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        case = self.client.post(
            f"/cases/{case_id}/visits", self.actors.worker_token, {**VISIT, "visited_at": now}
        )
        self.last_position = case["position"]

    def wait_for_read_models(self) -> None:
        status = self.client.get(
            f"/cases?grid_id={self.actors.grid_id}&limit=1&min_position={self.last_position}",
            self.actors.clerk_token,
        )
        if status != 200:
            raise RuntimeError(f"the read models did not catch up ({status})")


@contextmanager
def projector_process(database_url: str, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "DATABASE_URL": database_url}
    command = [sys.executable, "-c", "from infra.cli import main; main()", "projections", "run"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.terminate()
            process.wait(timeout=20)


@contextmanager
def sampling(pid: int, rate: int, out: Path) -> Iterator[None]:
    """py-spy on ``pid`` while the block runs: the GIL holder's stacks, without pausing it."""
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if spy is None:
        raise RuntimeError("py-spy not found: pip install -e '.[bench]'")
    process = subprocess.Popen(
        [
            *(spy, "record", "--pid", str(pid), "--rate", str(rate), "--gil", "--nonblocking"),
            *("--format", "raw", "--output", str(out)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)  # py-spy attaches
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


def read_samples(raw: Path, into: Pass) -> None:
    for line in raw.read_text().splitlines():
        stack_text, _, count = line.rpartition(" ")
        if not stack_text:
            continue
        stack = stack_text.split(";")
        part = part_of(stack)
        into.samples[part] += int(count)
        if part == OTHER:
            into.seen[stack[-1]] += int(count)


def backends_cpu(database_url: str) -> float:
    """CPU seconds used so far by the PostgreSQL backends of ``database_url`` (the API's
    and the projectors' connections; PostgreSQL on this machine). The background writers
    that all databases share are left out."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return sum(cpu_seconds(pid) or 0.0 for (pid,) in rows)


def measure(
    name: str,
    step: Callable[[], None],
    workload: Workload,
    pids: tuple[int, int],
    database_url: str,
    requests: int,
) -> Pass:
    """One pass: the server's CPU over its requests; the projectors' and the database's
    until the read models have applied the pass's last event."""
    server_pid, projector_pid = pids
    result = Pass(name, requests=requests)
    server0 = cpu_seconds(server_pid) or 0.0
    projector0 = cpu_seconds(projector_pid) or 0.0
    database0 = backends_cpu(database_url)
    for _ in range(requests):
        step()
    result.server_cpu = (cpu_seconds(server_pid) or 0.0) - server0
    workload.wait_for_read_models()
    result.projector_cpu = (cpu_seconds(projector_pid) or 0.0) - projector0
    result.database_cpu = backends_cpu(database_url) - database0
    return result


def server_env(database_url: str, settings: list[str]) -> dict[str, str]:
    """The server's environment: ``settings`` (NAME=VALUE) from the command line, the
    scratch database, and neither projectors nor the ladder in its process."""
    return {
        **os.environ,
        **dict(item.split("=", 1) for item in settings),
        "DATABASE_URL": database_url,
        "CASEWORK_RUN_PROJECTIONS": "false",
        "CASEWORK_RUN_SUPERVISION": "false",
    }


def run(args: argparse.Namespace) -> list[Pass]:
    workdir = Path(tempfile.mkdtemp(prefix="costs-"))
    ctx = BenchContext(server_url=args.server_url, full=False, workdir=workdir)
    url = ctx.scratch_database("costs")
    try:
        actors = prepare_service_database(url)
        env = server_env(url, args.env)
        command = [sys.executable, "-c", "from infra.cli import main; main()", "serve"]
        command += ["--port", str(args.port), "--workers", "1"]
        with (
            projector_process(url, workdir / "projectors.log") as projector,
            server_process(command, env, args.port, workdir / "server.log") as server,
        ):
            wait_until_up(f"{server.base_url}/health", server.process)
            workload = Workload(Client(args.port), actors)
            total = args.requests * (2 if args.profile else 1) + args.warmup
            print(f"warming up ({args.warmup} of each)", file=sys.stderr)
            for _ in range(args.warmup):
                workload.intake()
            for _ in range(total):  # the cases the later passes assign and visit
                workload.intake()
            for _ in range(args.warmup):
                workload.assign()
                workload.visit()
            workload.wait_for_read_models()
            pid, proj = server.process.pid, projector.pid
            steps = {
                "POST /cases": workload.intake,
                "POST /cases/{id}/assign": workload.assign,
                "POST /cases/{id}/visits": workload.visit,
            }
            passes = []
            for name, step in steps.items():
                print(f"{name}: {args.requests} requests", file=sys.stderr)
                result = measure(name, step, workload, (pid, proj), url, args.requests)
                if name == "POST /cases/{id}/assign":
                    for _ in range(args.requests if args.profile else 0):
                        workload.assign()  # cases for the profiled visits
                if args.profile and name != "POST /cases/{id}/assign":
                    raw = workdir / f"{name.replace('/', '_')}.txt"
                    with sampling(pid, args.rate, raw):
                        for _ in range(args.requests):
                            step()
                    read_samples(raw, result)
                    print(f"    py-spy samples in {raw}", file=sys.stderr)
                passes.append(result)
    finally:
        ctx.drop_scratch_database("costs")
    if args.baseline:
        passes.append(baseline_pass(ctx, args))
    return passes


def callgrind_run(args: argparse.Namespace) -> list[Pass]:
    """Instructions per request, counted by callgrind: unlike CPU time, the count does not
    move with the machine's load, so two versions compare within a fraction of a percent.

    The server runs under ``valgrind --tool=callgrind`` with counting off (about 5 times
    slower) and on only while a pass's requests run (about 50 times slower); no projectors.
    """
    workdir = Path(tempfile.mkdtemp(prefix="costs-callgrind-"))
    ctx = BenchContext(server_url=args.server_url, full=False, workdir=workdir)
    url = ctx.scratch_database("costs")
    passes = []
    try:
        actors = prepare_service_database(url)
        # valgrind is slow: a request may wait longer for a connection
        env = {**server_env(url, args.env), "CASEWORK_DB_TIMEOUT_SECONDS": "30"}
        command = [
            *("valgrind", "--tool=callgrind", "--instr-atstart=no"),
            f"--callgrind-out-file={workdir}/callgrind.out.%p",
            *(sys.executable, "-c", "from infra.cli import main; main()", "serve"),
            *("--port", str(args.port), "--workers", "1"),
        ]
        with (workdir / "server.log").open("wb") as log:
            process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                wait_until_up(f"http://127.0.0.1:{args.port}/health", process, seconds=900)
                workload = Workload(Client(args.port), actors)
                print(f"warming up ({args.warmup} of each)", file=sys.stderr)
                for _ in range(args.warmup + args.requests):
                    workload.intake()
                for _ in range(args.warmup):
                    workload.assign()
                    workload.visit()
                steps = {
                    "POST /cases": workload.intake,
                    "POST /cases/{id}/assign": workload.assign,
                    "POST /cases/{id}/visits": workload.visit,
                }
                for name, step in steps.items():
                    print(f"{name}: {args.requests} requests (callgrind)", file=sys.stderr)
                    _callgrind_control(process.pid, "--instr=on")
                    _callgrind_control(process.pid, "--zero")
                    for _ in range(args.requests):
                        step()
                    _callgrind_control(process.pid, "--dump")
                    _callgrind_control(process.pid, "--instr=off")
                    dumps = sorted(workdir.glob("callgrind.out.*"), key=lambda p: p.stat().st_mtime)
                    total = _callgrind_total(dumps[-1])
                    per_request = total / args.requests
                    passes.append(Pass(name, requests=args.requests, instructions=per_request))
            finally:
                process.terminate()
                process.wait(timeout=120)
    finally:
        ctx.drop_scratch_database("costs")
    return passes


def _callgrind_control(pid: int, option: str) -> None:
    subprocess.run(["callgrind_control", option, str(pid)], check=True, capture_output=True)


def _callgrind_total(dump: Path) -> float:
    for line in dump.read_text(errors="replace").splitlines():
        if line.startswith(("summary:", "totals:")):
            return float(line.split()[1])
    raise RuntimeError(f"no total in {dump}")


def baseline_pass(ctx: BenchContext, args: argparse.Namespace) -> Pass:
    """POST /cases on the plain FastAPI + eventsourcing app (bench.baseline_app), for scale."""
    from bench.baseline import library_env
    from bench.baseline_app import Cases
    from bench.servers import uvicorn_server

    url = ctx.scratch_database("costs_baseline")
    try:
        env = library_env(url)
        Cases(env=env).close()  # the table, made once here (as bench.baseline does)
        with uvicorn_server(
            "bench.baseline_app:app", args.port, 1, ctx.workdir / "baseline.log", env
        ) as server:
            client = Client(args.port)
            body = {**INTAKE, "grid_id": "tiansheng-01"}

            def intake() -> None:
                client.post("/cases", "-", body)

            for _ in range(args.warmup):
                intake()
            before = cpu_seconds(server.process.pid) or 0.0
            for _ in range(args.requests):
                intake()
            used = (cpu_seconds(server.process.pid) or 0.0) - before
    finally:
        ctx.drop_scratch_database("costs_baseline")
    return Pass("baseline POST /cases", requests=args.requests, server_cpu=used)


def table(passes: list[Pass]) -> str:
    """The Markdown table: µs of CPU per request, per part, per request type."""
    profiled = [p for p in passes if p.samples]
    lines = [
        "| part | " + " | ".join(p.name for p in profiled) + " |",
        "| --- | " + " | ".join("--:" for _ in profiled) + " |",
    ]
    splits = [p.split() for p in profiled]
    for part in PARTS:
        cells = [f"{split[part]:,.0f}" for split in splits]
        lines.append(f"| {part} | " + " | ".join(cells) + " |")
    lines.append(
        "| **server CPU per request** | "
        + " | ".join(f"**{p.us_per_request():,.0f}**" for p in profiled)
        + " |"
    )
    projectors = [
        f"{p.projector_cpu / p.requests * 1e6:,.0f}" if p.projector_cpu is not None else "–"
        for p in profiled
    ]
    lines.append("| projectors' CPU per command (own process) | " + " | ".join(projectors) + " |")
    database = [
        f"{p.database_cpu / p.requests * 1e6:,.0f}" if p.database_cpu is not None else "–"
        for p in profiled
    ]
    lines.append(
        "| PostgreSQL backends' CPU per command (API's and projectors') | "
        + " | ".join(database)
        + " |"
    )
    others = [p for p in passes if not p.samples]
    notes = [
        f"- {p.name}: {p.us_per_request():,.0f} µs of server CPU per request"
        + (
            f"; projectors {p.projector_cpu / p.requests * 1e6:,.0f} µs per command"
            if p.projector_cpu is not None
            else ""
        )
        + (
            f"; PostgreSQL backends {p.database_cpu / p.requests * 1e6:,.0f} µs"
            if p.database_cpu is not None
            else ""
        )
        for p in others
    ]
    samples = ", ".join(f"{p.name} {sum(p.samples.values()):,}" for p in profiled)
    return "\n".join([*lines, "", *notes, f"- py-spy samples (GIL held): {samples}"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.costs", description=__doc__)
    parser.add_argument("--server-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--port", type=int, default=PORT)
    parser.add_argument("--requests", type=int, default=600, help="per pass (default 600)")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--rate", type=int, default=500, help="py-spy samples per second")
    parser.add_argument("--no-profile", dest="profile", action="store_false")
    parser.add_argument(
        "--no-baseline", dest="baseline", action="store_false", help="skip the plain baseline app"
    )
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="a server setting"
    )
    parser.add_argument("--others", action="store_true", help="print unmatched leaf frames")
    parser.add_argument(
        "--callgrind",
        action="store_true",
        help="instead: instructions per request, the server under callgrind (try --requests 100)",
    )
    args = parser.parse_args(argv)
    # Stopped with SIGTERM (or SIGINT in the background), stop the servers on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if args.callgrind:
        for p in callgrind_run(args):
            print(f"- {p.name}: {p.instructions / 1e6:,.2f} M instructions per request")
        return
    passes = run(args)
    print(table(passes))
    if args.others:
        for p in passes:
            for frame, count in p.seen.most_common(25):
                print(f"  {p.name}: other: {count} {frame}")


if __name__ == "__main__":
    main()
