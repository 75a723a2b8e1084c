"""The supervision ladder at scale: 10,000 cases crossing a threshold at once, among 1,000,000.
Targets: all 10,000 steps recorded within 60 s while the API keeps its read latencies; the
manager's next-threshold query under 50 ms.

    python -m bench.supervision [--full]

The read models hold the synthetic cases of bench.read_models (1,000,000 in cw_bench in full
mode, filled if needed; quick: whatever bench.read_model_latency picks), each open one with a
next threshold in the coming weeks. Then 10,000 real urgent requests (24-hour limit, yellow in
its last 6 hours) are filed through the service layer received 20 hours ago, so each one's
urge (催办) is due; `casework serve` (projections on, the ladder off) projects them. Timed:
the manager's query for due cases over the whole table; then `casework supervise run` is
started and the seconds until the store holds 10,000 Urged events are counted, while GET /cases
is sampled over HTTP, compared with the same queries before the ladder ran.
"""

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx2 as httpx
from psycopg import sql

from bench import read_model_latency, read_models
from bench.context import BenchContext, casework_server, free_port, run_alone
from bench.figures import Figure, p50_p99
from domain.application import Caller
from domain.matter import Matter
from domain.vocabulary import Role
from infra.bootstrap import Services, bootstrap
from infra.settings import Settings

SECTION = "supervision ladder"
CROSSING = 10_000
RECORD_TARGET_S, QUERY_TARGET_MS = 60.0, 50.0
TIMEOUT_S = 300.0
PORTS = range(8230, 8240)
URGED_TOPIC = "casework:case.Urged"


def run(ctx: BenchContext) -> list[Figure]:
    url, cases, _calls, how = read_model_latency.database_for(ctx)
    crossing = CROSSING if ctx.full or cases >= read_model_latency.MILLION else CROSSING // 10
    ctx.notes.append(f"Supervision ladder: {how}; {crossing:,} cases crossing.")
    read_models.ensure_database(url)
    services = bootstrap(Settings(database_url=url, data_dir=ctx.workdir / "supervision"))
    try:
        workers, token = read_models.fill(services, cases, refill=False)
        clerk = _clerk(services)
        grids = [g.id for g in read_models.bench_areas().grids]
        events_table = f"{services.cases.name}_events"
        already = _urged(services, events_table)
        port = free_port(PORTS)
        env = {"CASEWORK_RUN_SUPERVISION": "false"}
        log = ctx.workdir / "supervision-serve.log"
        with casework_server(url, port, ctx.workers, log, extra_env=env) as server:
            reads = _ReadSampler(server.base_url, token, workers)
            before = reads.sample(seconds=10)
            started = time.perf_counter()
            _file_crossing_cases(services, clerk, grids, crossing)
            filed_s = time.perf_counter() - started
            _wait_until_due(services, crossing)
            query_ms = _next_threshold_query(services)
            rows = _threshold_rows(services)
            supervise_log = (ctx.workdir / "supervise.log").open("wb")
            manager = subprocess.Popen(
                [sys.executable, "-c", "from infra.cli import main; main()", "supervise", "run"],
                env={**_env(url), "CASEWORK_SUPERVISION_INTERVAL_SECONDS": "1"},
                stdout=supervise_log,
                stderr=subprocess.STDOUT,
            )
            try:
                started = time.perf_counter()
                reads.start()
                recorded_s = _wait_for_urges(services, events_table, already + crossing, started)
                during = reads.stop()
            finally:
                manager.terminate()
                manager.wait(timeout=30)
                supervise_log.close()
    finally:
        services.close()
    note = f"{how}; {crossing:,} urgent requests filed in {filed_s:.0f} s through the service"
    p50_q, p99_q = p50_p99(query_ms)
    figures = [
        Figure(
            SECTION,
            f"{crossing:,} urges recorded after crossing at once",
            recorded_s,
            "s",
            f"< {RECORD_TARGET_S:g} s",
            recorded_s < RECORD_TARGET_S,
            note=note
            + "; one `casework supervise run`, CASEWORK_SUPERVISION_THREADS="
            + os.environ.get("CASEWORK_SUPERVISION_THREADS", "8"),
        ),
        Figure(SECTION, "next-threshold query, p50", p50_q, "ms", note=f"n={len(query_ms)}"),
        Figure(
            SECTION,
            "next-threshold query, p99",
            p99_q,
            "ms",
            f"< {QUERY_TARGET_MS:g} ms",
            p99_q < QUERY_TARGET_MS,
            note=f"{rows:,} rows in rm_next_thresholds (the open cases), {crossing:,} due",
        ),
    ]
    for label, times in (("before the ladder", before), ("while it records", during)):
        p50, p99 = p50_p99(times)
        note = f"GET /cases over HTTP, 4 filter sets, n={len(times)}"
        figures.append(Figure(SECTION, f"GET /cases {label}, p50", p50, "ms", note=note))
        figures.append(Figure(SECTION, f"GET /cases {label}, p99", p99, "ms", note=note))
    return figures


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url}


def _clerk(services: Services) -> Caller:
    user, _ = services.users.add("bench supervision clerk", Role.CLERK, area=None)
    return Caller(str(user.id), Role.CLERK.value, "bench-supervision")


def _file_crossing_cases(services: Services, clerk: Caller, grids: list[str], n: int) -> None:
    """Urgent requests received 20 hours ago: 4 of their 24 hours left, so yellow, urge due."""
    received_at = datetime.now(UTC) - timedelta(hours=20)

    def file(i: int) -> None:
        services.cases.receive(
            kind="resident_request",
            matter=Matter(
                "urgent", "hotline", f"紧急求助 {i}", "独居老人家中停水", grids[i % len(grids)]
            ),
            resident={"name": "王芳", "phone": f"1381234{i % 10_000:04d}"},
            parties=[],
            caller=clerk,
            received_at=received_at,
        )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(file, range(n)))


def _due_count(services: Services) -> int:
    with services.connect() as conn:
        row = conn.execute(
            "SELECT count(*) FROM rm_next_thresholds WHERE due_at <= now()"
        ).fetchone()
    return int(row[0]) if row else 0


def _threshold_rows(services: Services) -> int:
    with services.connect() as conn:
        row = conn.execute("SELECT count(*) FROM rm_next_thresholds").fetchone()
    return int(row[0]) if row else 0


def _wait_until_due(services: Services, n: int) -> None:
    """Until the projector has given every filed case its due threshold."""
    deadline = time.monotonic() + TIMEOUT_S
    while _due_count(services) < n:
        if time.monotonic() > deadline:
            have = _due_count(services)
            raise RuntimeError(f"only {have} of {n} thresholds due after projecting")
        time.sleep(1)


def _next_threshold_query(services: Services, calls: int = 200) -> list[float]:
    """The manager's own query (infra.supervision.Supervision.due), timed over SQL."""
    times = []
    with services.connect() as conn:
        for _ in range(calls):
            started = time.perf_counter()
            conn.execute(
                "SELECT case_id FROM rm_next_thresholds WHERE due_at <= %s"
                " AND NOT case_id = ANY(%s) ORDER BY due_at LIMIT %s",
                (datetime.now(UTC), [], 500),
            ).fetchall()
            times.append((time.perf_counter() - started) * 1000)
    return times


def _urged(services: Services, events_table: str) -> int:
    with services.connect() as conn:
        row = conn.execute(
            sql.SQL("SELECT count(*) FROM {} WHERE topic = %s").format(
                sql.Identifier(events_table)
            ),
            (URGED_TOPIC,),
        ).fetchone()
    return int(row[0]) if row else 0


def _wait_for_urges(services: Services, events_table: str, total: int, started: float) -> float:
    while (have := _urged(services, events_table)) < total:
        if time.perf_counter() - started > TIMEOUT_S:
            raise RuntimeError(f"{have} of {total} urges after {TIMEOUT_S:.0f} s")
        time.sleep(0.5)
    return time.perf_counter() - started


class _ReadSampler:
    """GET /cases over HTTP, one call after another, on a thread of its own."""

    def __init__(self, base_url: str, token: str, workers: list[str]):
        self.client = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        filters = read_models.list_filters(workers)
        self.makers = [filters[label] for label in FILTER_SETS]
        self._stop = threading.Event()
        self._times: list[float] = []
        self._thread: threading.Thread | None = None

    def _call(self, n: int) -> float:
        started = time.perf_counter()
        answer = self.client.get("/cases", params=self.makers[n % len(self.makers)]())
        answer.raise_for_status()
        return (time.perf_counter() - started) * 1000

    def sample(self, seconds: float) -> list[float]:
        times, started = [], time.perf_counter()
        while time.perf_counter() - started < seconds:
            times.append(self._call(len(times)))
        return times

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._times.append(self._call(len(self._times)))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop(self) -> list[float]:
        self._stop.set()
        if self._thread:
            self._thread.join()
        return self._times


FILTER_SETS = (
    "grid_id + status=in_progress",
    "community_id + overdue=true",
    "assignee",
    "kind + category + street_id",
)


def main(argv: list[str] | None = None) -> None:
    run_alone(run, "python -m bench.supervision", __doc__, "1,000,000 cases", argv)


if __name__ == "__main__":
    main()
