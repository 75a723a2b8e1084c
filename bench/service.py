"""Part 3, the service: `casework serve` on a scratch database, loaded by wrk.

- single-event commands: POST /cases (bench/wrk/commands.lua);
- the mixed workload: cases through intake, assign, visit, close and rate, with 20% reads
  (the case, its grid's list, its history) (bench/wrk/mixed.lua);
each at 1, 16 and 64 connections. The headline of each is the best throughput among the
points whose p99 is under the target's bound.
"""

import secrets
from typing import Any

import psycopg

from bench.context import Actors, BenchContext, casework_server, prepare_service_database
from bench.figures import Figure
from bench.loadgen import CONNECTIONS, Load, headline, load_figures, run_wrk, warm_up
from bench.rss import peak_figures
from bench.servers import sampled

COMMANDS = "single-event commands (POST /cases)"
MIXED = "mixed workload (intake, assign, visit, close, rate + 20% reads)"
PORT = 8103
WRK_SECONDS = {False: 5, True: 30}  # by ctx.full
LIFE = ("intake", "assign", "visit", "close", "rate")
READS = ("read_case", "read_list", "read_history")
# The events each step of a case's life records, to check the answers against the store.
EVENT_OF_STEP = {
    "intake": "Received",
    "assign": "Assigned",
    "visit": "Visited",
    "close": "Closed",
    "rate": "Rated",
}


def commands_args(actors: Actors) -> list[str]:
    # A fresh prefix for every run: the scripts count Idempotency-Keys from 1 each time.
    return [actors.clerk_token, secrets.token_hex(4), actors.grid_id]


def mixed_args(actors: Actors, read_share: float = 0.2) -> list[str]:
    return [
        actors.clerk_token,
        actors.worker_token,
        actors.supervisor_token,
        actors.worker_id,
        actors.grid_id,
        secrets.token_hex(4),
        str(read_share),
    ]


def steps_note(load: Load) -> str:
    """How many of each step succeeded, e.g. "2xx: intake 120, assign 118, ...; reads: ..."."""
    life = ", ".join(f"{step} {load.ok(step)}" for step in LIFE)
    reads = ", ".join(f"{step.removeprefix('read_')} {load.ok(step)}" for step in READS)
    return f"2xx: {life}; reads: {reads}"


def run(ctx: BenchContext) -> list[Figure]:
    url = ctx.scratch_database("service")
    try:
        actors = prepare_service_database(url)
        server = casework_server(url, PORT, ctx.workers, ctx.workdir / "service.log")
        seconds = WRK_SECONDS[ctx.full]
        with sampled(ctx, PORT, server, interval=1.0) as (running, sampler):
            base = running.base_url
            warm_up(ctx, base, "commands.lua", commands_args(actors))
            commands = [
                run_wrk(base, "commands.lua", c, seconds, commands_args(actors))
                for c in CONNECTIONS
            ]
            mixed = [
                run_wrk(base, "mixed.lua", c, seconds, mixed_args(actors)) for c in CONNECTIONS
            ]
        stored = events_by_type(url)
    finally:
        ctx.drop_scratch_database("service")
    ctx.notes.append(store_check(mixed, stored))
    ctx.notes.append(sampler.cpu_note("casework serve (main runs the projections)"))
    figures = [headline(ctx, COMMANDS, "POST /cases", commands, 3000, 50, "ops/s")]
    for load in commands:
        figures += load_figures(ctx, COMMANDS, "POST /cases", load)
    figures.append(headline(ctx, MIXED, "mixed", mixed, 1500, 80, "ops/s"))
    for load in mixed:
        figures += load_figures(ctx, MIXED, "mixed", load, note=steps_note(load))
    return figures + peak_figures("casework serve", sampler, note="main runs the projections")


def events_by_type(url: str) -> dict[str, int]:
    """How many events of each type the service stored (the topic's last name)."""
    with psycopg.connect(url) as conn:
        rows: list[Any] = conn.execute(
            "SELECT topic, count(*) FROM casework_events GROUP BY topic"
        ).fetchall()
    counts: dict[str, int] = {}
    for topic, n in rows:
        name = topic.rsplit(".", 1)[-1]
        counts[name] = counts.get(name, 0) + n
    return counts


def store_check(mixed: list[Load], stored: dict[str, int]) -> str:
    """Compare the mixed runs' 2xx answers per step with the events found in the store.

    The store may hold a few more: requests still in flight when wrk stops (at most one per
    connection) are carried out by the service but not counted by wrk.
    """
    answered = {step: sum(load.ok(step) for load in mixed) for step in LIFE[1:]}
    found = {step: stored.get(EVENT_OF_STEP[step], 0) for step in LIFE[1:]}
    in_flight = sum(load.connections for load in mixed)
    consistent = all(answered[s] <= found[s] <= answered[s] + in_flight for s in answered)
    listing = ", ".join(
        f"{EVENT_OF_STEP[step]} {found[step]} (2xx {answered[step]})" for step in answered
    )
    verdict = (
        f"consistent: at most {in_flight} requests were in flight when wrk stopped"
        if consistent
        else "INCONSISTENT with the answers"
    )
    return (
        f"Mixed workload, events in the service's store against 2xx answers: {listing}; "
        f"{verdict}. Received {stored.get('Received', 0)} (all runs)."
    )
