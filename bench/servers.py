"""HTTP servers of the benchmark: started, sampled for memory while they serve, stopped."""

import os
import socket
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from bench.context import BenchContext, RunningServer, server_process
from bench.loadgen import progress
from bench.rss import RssSampler, stop_leftovers

ROOT = Path(__file__).resolve().parent.parent


def ensure_port_free(port: int) -> None:
    """Refuse a port something already answers on: the load would measure that instead."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return
    raise RuntimeError(f"port {port} is in use; stop what listens there and run again")


@contextmanager
def uvicorn_server(
    app: str, port: int, workers: int, log_path: Path, env: dict[str, str] | None = None
) -> Iterator[RunningServer]:
    """``app`` (module:attribute) served by uvicorn with the settings `casework serve` uses:
    the given workers, uvicorn's automatic loop and HTTP (uvloop, httptools), info logging
    without the access log."""
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "info",
        "--no-access-log",  # as `casework serve` runs by default (CASEWORK_ACCESS_LOG)
    ]
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    with server_process(command, full_env, port, log_path, cwd=ROOT) as server:
        yield server


@contextmanager
def sampled(
    ctx: BenchContext,
    port: int,
    server: AbstractContextManager[RunningServer],
    interval: float,
) -> Iterator[tuple[RunningServer, RssSampler]]:
    """Enter ``server`` (not yet started, on ``port``), sample its processes' memory while
    it runs, and make sure none of them outlives it."""
    ensure_port_free(port)
    sampler: RssSampler | None = None
    progress(f"starting the server on port {port}")
    try:
        with server as running:
            progress(f"server up on port {port}")
            sampler = RssSampler(running.pids, running.process.pid, interval)
            with sampler:
                yield running, sampler
            progress(f"stopping the server on port {port}")
    finally:
        if sampler is not None and (leftovers := stop_leftovers(sampler)):
            ctx.notes.append(f"server processes {leftovers} on port {port} had to be stopped")
