"""python -m bench [--full] [--only PART[,PART]] [--database-url URL] [--workers N]

Measures the service against this machine's limits (pgbench, a no-op endpoint) and a plain
FastAPI + eventsourcing baseline, all in the same run, prints one table and writes it:
quick mode (the default, under 3 minutes) to var/bench-quick.md, --full (the record, about
25 minutes) to BENCHMARKS.md (with --only or a failed part: var/bench-full-partial.md).
Needs wrk and pgbench.
"""

import argparse
import importlib
import os
import re
import shlex
import shutil
import sys
import time
import traceback
from pathlib import Path
from types import ModuleType

import psycopg

from bench import machine, table
from bench.context import BenchContext
from bench.figures import Figure

ROOT = Path(__file__).resolve().parent.parent
# Each part is a module bench/<name>.py with run(ctx: BenchContext) -> list[Figure], run in
# this order: later parts compare with what earlier ones measured (ctx.reference).
PARTS = (
    "limits",
    "baseline",
    "service",
    "catchup",
    "history",
    "ryw",
    "read_model_latency",
    "supervision",
    "memory",
)
TOOLS = {"wrk": "wrk", "pgbench": "postgresql-client"}  # command: Debian package
LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    require_tools()
    modules = {name: load_part(name) for name in args.only}
    workdir = ROOT / "var" / "bench"
    workdir.mkdir(parents=True, exist_ok=True)
    server_url, embedded = database_server(args.database_url, workdir)
    try:
        ctx = BenchContext(server_url, full=args.full, workdir=workdir, workers=args.workers)
        figures, failed = run_parts(ctx, modules)
        header = [*machine.describe(ctx), f"- Command: `{command_line(argv)}`"]
    finally:
        if embedded:
            from infra.database import stop_embedded_postgres

            stop_embedded_postgres()
    print("\n".join(["", *header, "", table.text(figures), ""]))
    print("\n".join(f"- {note}" for note in ctx.notes))
    path = report_path(args.full, complete=not failed and args.only == list(PARTS))
    title = "Benchmarks" if args.full else "Benchmarks (quick run, not the record)"
    table.write(path, title, header, figures, ctx.notes)
    print(f"\nwritten to {path.relative_to(ROOT)}")
    if failed:
        print(f"failed: {', '.join(failed)} (see above)", file=sys.stderr)
    return 1 if failed else 0


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--full", action="store_true", help="the record: long runs, BENCHMARKS.md")
    parser.add_argument(
        "--only", default=",".join(PARTS), help=f"parts to run, comma-separated: {','.join(PARTS)}"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="any database of the PostgreSQL server to measure (scratch databases are made "
        f"there); default $DATABASE_URL, else {LOCAL_SERVER} if it answers, else an embedded "
        "PostgreSQL under var/bench",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="uvicorn workers of every server (default 2)"
    )
    args = parser.parse_args(argv)
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in args.only if name not in PARTS]
    if unknown:
        parser.error(f"unknown part {', '.join(unknown)}; the parts are {', '.join(PARTS)}")
    args.only = [name for name in PARTS if name in args.only]  # always in the registry's order
    return args


def require_tools() -> None:
    missing = [
        f"{tool} (apt-get install {package})"
        for tool, package in TOOLS.items()
        if not shutil.which(tool)
    ]
    if missing:
        sys.exit(f"python -m bench needs {' and '.join(missing)}")


def load_part(name: str) -> ModuleType:
    """Import bench/<name>.py, or stop at once, before minutes of measuring, if it is absent."""
    try:
        module = importlib.import_module(f"bench.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"bench.{name}":
            raise
        others = ",".join(part for part in PARTS if part != name)
        sys.exit(f"part '{name}' (bench/{name}.py) is not there yet; run others: --only {others}")
    if not callable(getattr(module, "run", None)):
        sys.exit(f"bench/{name}.py has no run(ctx) -> list[Figure]")
    return module


def database_server(url: str | None, workdir: Path) -> tuple[str, bool]:
    """The server to measure, and whether it is an embedded one started here."""
    if url:
        return url, False
    try:
        psycopg.connect(LOCAL_SERVER, connect_timeout=2).close()
        return LOCAL_SERVER, False
    except psycopg.OperationalError:
        from infra.database import start_embedded_postgres

        print("no PostgreSQL on 127.0.0.1:5432: starting an embedded one", file=sys.stderr)
        return start_embedded_postgres(workdir), True


def run_parts(ctx: BenchContext, modules: dict[str, ModuleType]) -> tuple[list[Figure], list[str]]:
    """Every part in turn; one that fails is reported and the others still run."""
    figures: list[Figure] = []
    failed: list[str] = []
    took = []
    for name, module in modules.items():
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        started = time.monotonic()
        try:
            figures += module.run(ctx)
        except Exception as error:  # noqa: BLE001 - one broken part must not lose the others
            traceback.print_exc()
            failed.append(name)
            ctx.notes.append(f"Part {name} failed: {type(error).__name__}: {error}")
        took.append(f"{name} {time.monotonic() - started:.0f} s")
    ctx.notes.append(f"Time per part: {', '.join(took)}.")
    return figures, failed


def report_path(full: bool, complete: bool) -> Path:
    """BENCHMARKS.md only for a full run of every part without failure: a partial or broken
    one must not replace the record."""
    if full and complete:
        return ROOT / "BENCHMARKS.md"
    return ROOT / "var" / ("bench-full-partial.md" if full else "bench-quick.md")


def command_line(argv: list[str]) -> str:
    python = Path(sys.executable)
    shown = os.path.relpath(python) if python.is_relative_to(Path.cwd()) else str(python)
    # A password in a --database-url stays out of the file.
    args = [re.sub(r"(://[^:/@]+:)[^@]+@", r"\1***@", arg) for arg in argv]
    return shlex.join([shown, "-m", "bench", *args])


if __name__ == "__main__":
    sys.exit(main())
