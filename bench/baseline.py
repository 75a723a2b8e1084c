"""Part 2, the plain baseline: what a team would build without casework (bench/baseline_app.py),
loaded with the same POST /cases requests as the service, on its own scratch database."""

import secrets

from bench.context import BenchContext
from bench.figures import Figure
from bench.loadgen import CONNECTIONS, load_figures, remember, run_wrk, warm_up
from bench.rss import peak_figures
from bench.servers import sampled, uvicorn_server
from infra.database import connection_params

SECTION = "baseline (FastAPI + eventsourcing, library defaults)"
PORT = 8102
WRK_SECONDS = {False: 3, True: 30}  # by ctx.full


def library_env(url: str) -> dict[str, str]:
    """The eventsourcing library's PostgreSQL recorder with its defaults (pool size 5...)."""
    params = connection_params(url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": params["dbname"],
        "POSTGRES_HOST": params["host"],
        "POSTGRES_PORT": params["port"],
        "POSTGRES_USER": params["user"],
        "POSTGRES_PASSWORD": params["password"],
        "CREATE_TABLE": "y",
    }


def run(ctx: BenchContext) -> list[Figure]:
    url = ctx.scratch_database("baseline")
    env = library_env(url)
    # Create the table here, once, and not in the workers: two processes running the
    # library's CREATE ... IF NOT EXISTS at the same moment may fail ("tuple concurrently
    # updated"), which stops the server.
    from bench.baseline_app import Cases

    Cases(env=env).close()
    seconds = WRK_SECONDS[ctx.full]
    server = uvicorn_server(
        "bench.baseline_app:app",
        PORT,
        ctx.workers,
        ctx.workdir / "baseline.log",
        {**env, "CREATE_TABLE": "n"},
    )
    args = ["-", secrets.token_hex(4), "tiansheng-01"]
    figures = []
    try:
        with sampled(ctx, PORT, server, interval=1.0) as (running, sampler):
            warm_up(ctx, running.base_url, "commands.lua", args)
            for connections in CONNECTIONS:
                load = run_wrk(running.base_url, "commands.lua", connections, seconds, args)
                remember(ctx, "baseline", load)
                figures += load_figures(ctx, SECTION, "POST /cases, one save", load, baseline=False)
    finally:
        ctx.drop_scratch_database("baseline")
    ctx.notes.append(sampler.cpu_note("Baseline app"))
    return figures + peak_figures("baseline app", sampler)
