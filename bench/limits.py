"""Part 1, the limits of this machine, measured in the same run as everything else.

- PostgreSQL: pgbench, one one-row INSERT per transaction into a scratch table, prepared
  statements, 1/16/64 clients, against the server the service uses: no event store can
  commit more transactions per second than this.
- HTTP: a no-op FastAPI endpoint (bench/noop_app.py) served by uvicorn with the service's
  settings, loaded by the same wrk and requests as the service: no endpoint can answer
  more requests per second than this.
"""

import os
import re
import secrets
import statistics
import subprocess
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

from bench.context import BenchContext
from bench.figures import Figure
from bench.loadgen import CONNECTIONS, load_figures, reference_key, remember, run_wrk, warm_up
from bench.rss import peak_figures
from bench.servers import sampled, uvicorn_server

SECTION = "limits"
NAN = float("nan")
PORT = 8101
# Quick mode keeps the whole benchmark within a few minutes; these two settle fast.
PGBENCH_SECONDS = {False: 3, True: 20}  # by ctx.full
WRK_SECONDS = {False: 2, True: 30}
# A row about the size of a case's Received event as stored.
INSERT = "INSERT INTO bench_insert (payload) VALUES (repeat('x', 400));\n"


def run(ctx: BenchContext) -> list[Figure]:
    return pgbench_figures(ctx) + noop_figures(ctx)


def pgbench_figures(ctx: BenchContext) -> list[Figure]:
    url = ctx.scratch_database("limits")
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE bench_insert (id bigserial PRIMARY KEY, payload text NOT NULL,"
                " created_at timestamptz NOT NULL DEFAULT now())"
            )
        script = ctx.workdir / "pgbench-insert.sql"
        script.write_text(INSERT)
        figures = []
        for clients in CONNECTIONS:
            label = f"pgbench one-row INSERT, {clients} clients"
            try:
                tps, latencies, failed = pgbench(
                    ctx, url, script, clients, PGBENCH_SECONDS[ctx.full]
                )
            except RuntimeError as error:
                # Typically too many clients: the server's connections are shared with
                # whatever else runs. The other points still count.
                figures.append(Figure(SECTION, f"{label}, throughput", NAN, "tps", note=str(error)))
                continue
            p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
            for metric, value in (("throughput", tps), ("p50", p50), ("p99", p99)):
                ctx.reference[reference_key("pgbench", metric, clients)] = value
            figures += [
                Figure(SECTION, f"{label}, throughput", tps, "tps", note="-n -M prepared"),
                Figure(SECTION, f"{label}, p50", p50, "ms", note="from a 10% sample"),
                Figure(SECTION, f"{label}, p99", p99, "ms", note="from a 10% sample"),
            ]
            if failed:
                figures.append(Figure(SECTION, f"{label}, failed", failed, "transactions"))
        return figures
    finally:
        ctx.drop_scratch_database("limits")


def pgbench(
    ctx: BenchContext, url: str, script: Path, clients: int, seconds: int
) -> tuple[float, list[float], int]:
    """tps, sampled transaction latencies (ms) and failed transactions of one pgbench run."""
    prefix = ctx.workdir / f"pgbench-{clients}"
    for old in ctx.workdir.glob(f"{prefix.name}.*"):
        old.unlink()
    command = [
        "pgbench",
        "-n",
        "-M",
        "prepared",
        "-f",
        str(script),
        "-c",
        str(clients),
        "-j",
        str(min(2, clients)),
        "-T",
        str(seconds),
        # Each transaction's latency, for a tenth of them: percentiles, at little cost.
        "-l",
        "--sampling-rate=0.1",
        f"--log-prefix={prefix}",
        str(conninfo_to_dict(url)["dbname"]),
    ]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**os.environ, **ctx.libpq_env()},
        timeout=seconds + 60,
        check=False,
    )
    tps = re.search(r"^tps = ([\d.]+)", done.stdout, re.MULTILINE)
    if done.returncode != 0 or tps is None:
        reason = done.stderr.strip().splitlines()[0] if done.stderr.strip() else "no tps"
        raise RuntimeError(f"pgbench failed: {reason} ({free_connections(url)} connections free)")
    failed = re.search(r"^number of failed transactions: (\d+)", done.stdout, re.MULTILINE)
    latencies = []
    for log in ctx.workdir.glob(f"{prefix.name}.*"):
        # Each line: client, transaction, latency (µs), script, time (s), time (µs).
        latencies += [int(line.split()[2]) / 1000 for line in log.read_text().splitlines()]
        log.unlink()
    return float(tps.group(1)), latencies, int(failed.group(1)) if failed else 0


def free_connections(url: str) -> int | str:
    try:
        with psycopg.connect(url) as conn:
            row = conn.execute(
                "SELECT current_setting('max_connections')::int - count(*) FROM pg_stat_activity"
            ).fetchone()
    except psycopg.Error:
        return "no"
    return row[0] if row else "?"


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else NAN
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def noop_figures(ctx: BenchContext) -> list[Figure]:
    seconds = WRK_SECONDS[ctx.full]
    server = uvicorn_server("bench.noop_app:app", PORT, ctx.workers, ctx.workdir / "noop.log")
    args = ["-", secrets.token_hex(4), "tiansheng-01"]
    figures = []
    with sampled(ctx, PORT, server, interval=1.0) as (running, sampler):
        warm_up(ctx, running.base_url, "commands.lua", args)
        for connections in CONNECTIONS:
            load = run_wrk(running.base_url, "commands.lua", connections, seconds, args)
            remember(ctx, "noop", load)
            figures += load_figures(
                ctx,
                SECTION,
                "no-op FastAPI POST",
                load,
                limit=False,
                baseline=False,
            )
    ctx.notes.append(sampler.cpu_note("No-op app"))
    return figures + peak_figures("no-op app", sampler)
