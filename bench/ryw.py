"""Read-your-writes lag under 500 commands per second, p50 and p99. Target: p99 under 100 ms.

    python -m bench.ryw [--full]

`casework serve` (projections on) takes an open-loop load of 500 commands/s for 10 s (quick)
or 60 s (full): POST /cases with a unique Idempotency-Key, and a share of assigns of cases
already received, sent by a pool of client threads on a fixed schedule (command i at
i / 500 s, whenever the one before answers). A watcher thread reads the read models'
tracking positions in SQL (the table the API's ``min_position`` wait reads) every few
milliseconds. A command's lag, per read model, is the moment the watcher first saw the
read model at or past the command's ``position`` minus the moment the command's answer
arrived, 0 if it was seen there before; the watcher's period bounds how finely it is seen.
"""

import itertools
import os
import statistics
import threading
import time
from bisect import bisect_left
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx2 as httpx
import psycopg

from bench.context import (
    Actors,
    BenchContext,
    casework_server,
    free_port,
    prepare_service_database,
    run_alone,
)
from bench.figures import Figure, p50_p99

SECTION = "read-your-writes"
RATE = 500  # commands per second offered
ASSIGN_SHARE = 0.3  # of the commands, when a received case is waiting for one
CLIENTS = 48  # threads: enough to keep the schedule while answers take up to ~90 ms
POLL_SECONDS = 0.002
CATCH_UP_SECONDS = 30  # after the load, how long the read models get to apply the rest
TARGET_MS = 100.0
PORTS = range(8220, 8230)
READ_MODELS = ("case_list", "compliance")


@dataclass
class Command:
    kind: str  # "receive" or "assign"
    scheduled: float
    sent: float = 0.0
    answered: float = 0.0
    position: int | None = None
    error: str | None = None


class Watcher(threading.Thread):
    """Samples every read model's position of the active generation, with the time seen."""

    def __init__(self, database_url: str):
        super().__init__(name="ryw-watcher", daemon=True)
        self.conn = psycopg.connect(database_url, autocommit=True)
        self.stopped = threading.Event()
        self.times: list[float] = []
        self.positions: dict[str, list[int]] = {name: [] for name in READ_MODELS}

    def run(self) -> None:
        query = "SELECT name, position FROM casework_projections WHERE active"
        try:
            while not self.stopped.is_set():
                rows = dict(self.conn.execute(query).fetchall())
                self.times.append(time.perf_counter())  # after the answer: an upper bound
                for name in READ_MODELS:
                    self.positions[name].append(int(rows.get(name, 0)))
                self.stopped.wait(POLL_SECONDS)
        finally:
            self.conn.close()

    def reached_at(self, name: str, position: int) -> float | None:
        """When ``name`` was first seen at or past ``position`` (positions only grow)."""
        index = bisect_left(self.positions[name], position)
        return self.times[index] if index < len(self.times) else None

    def wait_for(self, position: int, seconds: float) -> bool:
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            if all(p and p[-1] >= position for p in self.positions.values()):
                return True
            time.sleep(0.05)
        return False


def drive(base_url: str, actors: Actors, seconds: float) -> list[Command]:
    """Send RATE commands/s for ``seconds`` on a fixed schedule; every command's outcome."""
    commands: list[Command] = []
    waiting: deque[str] = deque()  # received cases not yet assigned
    numbers = itertools.count()  # next() on it is atomic: each command number taken once
    total = int(RATE * seconds)
    start = time.perf_counter() + 0.5
    lock = threading.Lock()

    def client_loop() -> None:
        headers = {"Authorization": f"Bearer {actors.clerk_token}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=10) as client:
            while (n := next(numbers)) < total:
                command = Command("receive", start + n / RATE)
                if time.perf_counter() > start + seconds:
                    break  # open loop: what could not be sent in time is not sent later
                case_id = None
                if n % 10 < ASSIGN_SHARE * 10:
                    try:
                        case_id = waiting.popleft()
                        command.kind = "assign"
                    except IndexError:
                        pass
                time.sleep(max(0.0, command.scheduled - time.perf_counter()))
                _send(client, command, case_id, actors, waiting)
                with lock:
                    commands.append(command)

    threads = [threading.Thread(target=client_loop, name=f"ryw-client-{i}") for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return commands


def _send(
    client: httpx.Client, command: Command, case_id: str | None, actors: Actors, waiting: deque[str]
) -> None:
    command.sent = time.perf_counter()
    try:
        if case_id is None:
            response = client.post(
                "/cases", json=_intake(), headers={"Idempotency-Key": uuid4().hex}
            )
        else:
            response = client.post(f"/cases/{case_id}/assign", json={"assignee": actors.worker_id})
        command.answered = time.perf_counter()
        if response.status_code >= 400:
            command.error = f"{response.status_code} {response.text[:200]}"
            return
        body = response.json()
        command.position = int(body["position"])
        if case_id is None:
            waiting.append(body["id"])
    except (httpx.HTTPError, KeyError, ValueError) as error:
        command.answered = command.answered or time.perf_counter()
        command.error = f"{type(error).__name__}: {error}"


def _intake() -> dict[str, Any]:
    phone = f"139{uuid4().int % 10**8:08d}"
    return {
        "kind": "resident_request",
        "category": "help",
        "channel": "hotline",
        "title": "楼道灯坏了",
        "description": "3号楼2单元楼道灯不亮，老人夜间上下楼不便",
        "grid_id": "tiansheng-01",
        "resident": {"name": "李秀英", "phone": phone, "address": "天胜社区3号楼2单元301"},
    }


def lags_ms(commands: list[Command], watcher: Watcher, name: str) -> list[float | None]:
    """Each answered command's lag for read model ``name``; None if never seen reached."""
    lags: list[float | None] = []
    for command in commands:
        if command.position is None:
            continue
        reached = watcher.reached_at(name, command.position)
        lags.append(None if reached is None else max(0.0, reached - command.answered) * 1000)
    return lags


def run(ctx: BenchContext) -> list[Figure]:
    seconds = 60 if ctx.full else 10
    url = ctx.scratch_database("ryw")
    actors = prepare_service_database(url)
    log = ctx.workdir / "ryw-server.log"
    with casework_server(url, free_port(PORTS), ctx.workers, log) as server:
        watcher = Watcher(url)
        watcher.start()
        try:
            pids = [os.getpid(), *server.pids()]
            cpu_before, started = cpu_seconds(pids), time.perf_counter()
            commands = drive(server.base_url, actors, seconds)
            cpu = _cores(cpu_before, cpu_seconds(pids), time.perf_counter() - started)
            last = max((c.position or 0 for c in commands), default=0)
            caught_up = watcher.wait_for(last, CATCH_UP_SECONDS)
        finally:
            watcher.stopped.set()
            watcher.join()
    return figures(commands, watcher, seconds, caught_up, f"{ctx.workers} workers; {cpu}")


def cpu_seconds(pids: list[int]) -> list[float]:
    """CPU time (user + system) each process has used so far."""
    tick = os.sysconf("SC_CLK_TCK")
    used = []
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            used.append(0.0)
            continue
        used.append((int(fields[11]) + int(fields[12])) / tick)  # utime, stime
    return used


def _cores(before: list[float], after: list[float], seconds: float) -> str:
    """Whether the load generator or the server ran out of CPU, in cores used."""
    client = (after[0] - before[0]) / seconds
    server = sum(after[1:]) - sum(before[1:])
    return f"CPU during the load: this client {client:.2f} cores, the server {server / seconds:.2f}"


def figures(
    commands: list[Command], watcher: Watcher, seconds: float, caught_up: bool, setup: str
) -> list[Figure]:
    answered = [c for c in commands if c.position is not None]
    failed = [c for c in commands if c.error is not None]
    span = max(c.answered for c in commands) - min(c.scheduled for c in commands)
    late = sum(c.sent - c.scheduled > 0.010 for c in commands)
    assigns = sum(c.kind == "assign" for c in answered)
    latency = p50_p99([(c.answered - c.sent) * 1000 for c in commands])
    setup = (
        f"{CLIENTS} client threads, {seconds:g} s: {len(commands):,} of "
        f"{int(RATE * seconds):,} commands sent ({late:,} more than 10 ms late), {assigns:,} "
        f"of the answered ones assigns; answers took p50 {latency[0]:.0f} ms, p99 "
        f"{latency[1]:.0f} ms; {setup}"
    )
    per_model = {name: lags_ms(commands, watcher, name) for name in READ_MODELS}
    unseen = sum(lag is None for lags in per_model.values() for lag in lags)
    # A command is read back once every read model has it: the slower of the two.
    both = [
        max(lags) if None not in lags else None for lags in zip(*per_model.values(), strict=True)
    ]
    period = statistics.median(b - a for a, b in itertools.pairwise(watcher.times)) * 1000
    note = (
        f"watcher period {period:.1f} ms; {unseen} command positions never seen reached "
        f"within {CATCH_UP_SECONDS} s (caught up: {caught_up})"
    )
    result = [
        Figure(
            SECTION,
            f"commands answered per second (offered {RATE}/s)",
            len(answered) / span,
            "ops/s",
            target=f">= {RATE} ops/s",
            met=len(answered) / span >= RATE * 0.98,
            note=setup,
        ),
        Figure(
            SECTION,
            "failed commands",
            len(failed),
            "commands",
            target="0",
            met=not failed,
            note=failed[0].error if failed else "",
        ),
    ]
    for label, lags in [("both read models", both), *per_model.items()]:
        seen = [lag for lag in lags if lag is not None]
        if len(seen) < 2:
            continue
        p50, p99 = p50_p99(seen)
        target = label == "both read models"
        result += [
            Figure(SECTION, f"lag, {label}, p50", p50, "ms", note=note),
            Figure(
                SECTION,
                f"lag, {label}, p99",
                p99,
                "ms",
                target=f"< {TARGET_MS:g} ms" if target else "",
                met=(p99 < TARGET_MS and not unseen) if target else None,
                note=note,
            ),
        ]
    return result


def main(argv: list[str] | None = None) -> None:
    run_alone(run, "python -m bench.ryw", __doc__, "60 s of load (else 10 s)", argv)


if __name__ == "__main__":
    main()
