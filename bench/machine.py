"""The machine a run measured: written above the table, since every figure depends on it."""

import os
import platform
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import uvicorn

from bench.context import BenchContext

PG_SETTINGS = ("shared_buffers", "fsync", "synchronous_commit", "max_connections", "wal_level")


def describe(ctx: BenchContext) -> list[str]:
    """Lines of Markdown: date, CPU, memory, PostgreSQL and its settings, servers, load."""
    with psycopg.connect(ctx.server_url) as conn:
        version = _one(conn, "SHOW server_version")
        settings = ", ".join(f"{name}={_one(conn, f'SHOW {name}')}" for name in PG_SETTINGS)
    return [
        f"- Date: {datetime.now().astimezone():%Y-%m-%d %H:%M %z}",
        f"- Machine: {os.cpu_count()} cores, {_memory_gib():.1f} GiB memory, {_cpu_model()}, "
        f"{platform.system()} {platform.release()}",
        f"- PostgreSQL {version}: {settings}",
        f"- Servers: uvicorn {uvicorn.__version__}, {ctx.workers} worker processes each, "
        "uvloop + httptools, log level info, access log off, as `casework serve` runs; "
        f"Python {platform.python_version()}",
        f"- Load: {_first_line(['wrk', '-v'])} with one thread (`-t1`), so the load generator "
        f"takes at most one of the {os.cpu_count()} cores the servers and PostgreSQL share; "
        f"{_first_line(['pgbench', '--version'])}",
    ]


def _one(conn: psycopg.Connection[Any], query: str) -> str:
    row = conn.execute(query).fetchone()  # type: ignore[arg-type]
    return str(row[0]) if row else "?"


def _memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024**2
    return 0.0


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def _first_line(command: list[str]) -> str:
    """The tool's version line, without its copyright."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0].split(" Copyright")[0].strip() if lines else command[0]
