"""HTTP load with wrk and a Lua script of bench/wrk, and what it measured, as Figures.

wrk runs with one thread (-t1), so the load generator takes at most one core of the machine
it shares with the servers; its scripts print one JSON line at the end (bench/wrk/report.lua).
"""

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.context import BenchContext
from bench.figures import Figure

WRK_DIR = Path(__file__).resolve().parent / "wrk"
CONNECTIONS = (1, 16, 64)
# A request slower than this counts as a timeout (an error), not as a latency.
TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class Load:
    """What one wrk run measured."""

    connections: int
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    socket_errors: int  # connect, read, write errors and timeouts
    statuses: dict[str, dict[str, int]]  # per step of the script: status -> answers

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def non_2xx(self) -> int:
        return sum(
            n
            for by_status in self.statuses.values()
            for code, n in by_status.items()
            if not code.startswith("2")
        )

    @property
    def errors(self) -> int:
        return self.socket_errors + self.non_2xx

    def ok(self, step: str) -> int:
        return sum(n for code, n in self.statuses.get(step, {}).items() if code.startswith("2"))

    def error_note(self) -> str:
        """Which errors, e.g. "intake 503 x12; 3 timeouts" ("" when there were none)."""
        parts = [
            f"{step} {code} x{n}"
            for step, by_status in sorted(self.statuses.items())
            for code, n in sorted(by_status.items())
            if not code.startswith("2")
        ]
        if self.socket_errors:
            parts.append(f"{self.socket_errors} socket errors/timeouts")
        return "; ".join(parts)


def run_wrk(url: str, script: str, connections: int, seconds: float, args: list[str]) -> Load:
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={TIMEOUT_SECONDS}s",
        "-s",
        str(WRK_DIR / script),
        url,
        "--",
        *args,
    ]
    env = {**os.environ, "LUA_PATH": f"{WRK_DIR}/?.lua;;"}
    progress(f"wrk {script} at {connections} conn for {seconds} s")
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=seconds + 60, check=False
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(
            f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}"
        )
    result = json.loads(line.removeprefix("BENCH_RESULT "))
    return Load(
        connections=connections,
        requests=int(result["requests"]),
        seconds=result["duration_us"] / 1e6,
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        socket_errors=sum(
            int(result[k]) for k in ("connect_errors", "read_errors", "write_errors", "timeouts")
        ),
        statuses=by_step(result["answers"]),
    )


def by_step(answers: dict[str, int]) -> dict[str, dict[str, int]]:
    """{"intake 201": 7, "intake 503": 1} -> {"intake": {"201": 7, "503": 1}}"""
    steps: dict[str, dict[str, int]] = {}
    for key, n in answers.items():
        step, code = key.split(" ")
        steps.setdefault(step, {})[code] = int(n)
    return steps


def warm_up(ctx: BenchContext, url: str, script: str, args: list[str]) -> None:
    """A short run before the measured ones: imports, pools and caches get going."""
    run_wrk(url, script, 16, 5 if ctx.full else 1, args)


def progress(message: str) -> None:
    """One line on stderr, so a long run shows where it is."""
    print(f"[bench {time.strftime('%H:%M:%S')}]   {message}", file=sys.stderr, flush=True)


def reference_key(source: str, metric: str, connections: int) -> str:
    """Key of ``BenchContext.reference``: e.g. ("noop", "throughput", 16)."""
    return f"{source}:{metric}@{connections}"


def remember(ctx: BenchContext, source: str, load: Load) -> None:
    for metric, value in (
        ("throughput", load.throughput),
        ("p50", load.p50_ms),
        ("p99", load.p99_ms),
    ):
        ctx.reference[reference_key(source, metric, load.connections)] = value


def limit_of(ctx: BenchContext, metric: str, connections: int) -> tuple[float | None, str]:
    """The machine's limit for an HTTP + PostgreSQL figure, and where it comes from.

    Throughput: the lower of pgbench's one-row-insert tps and the no-op endpoint's
    requests/s; latency: the higher of the two. Either alone would flatter the service.
    """
    found = {
        source: ctx.reference.get(reference_key(source, metric, connections))
        for source in ("pgbench", "noop")
    }
    known = {source: value for source, value in found.items() if value}
    if not known:
        return None, ""
    pick = min if metric == "throughput" else max
    source = pick(known, key=lambda s: known[s])
    return known[source], source


def load_figures(
    ctx: BenchContext,
    section: str,
    label: str,
    load: Load,
    *,
    limit: bool = True,
    baseline: bool = True,
    note: str = "",
) -> list[Figure]:
    """Throughput, p50, p99 and errors of one run, each with its limit and baseline."""
    figures = []
    for metric, value, unit in (
        ("throughput", load.throughput, "ops/s"),
        ("p50", load.p50_ms, "ms"),
        ("p99", load.p99_ms, "ms"),
    ):
        limit_value, source = limit_of(ctx, metric, load.connections) if limit else (None, "")
        baseline_value = (
            ctx.reference.get(reference_key("baseline", metric, load.connections))
            if baseline
            else None
        )
        figures.append(
            Figure(
                section=section,
                name=f"{label}, {load.connections} conn, {metric}",
                value=value,
                unit=unit,
                limit=limit_value,
                baseline=baseline_value,
                note=f"limit: {source}" if source else "",
            )
        )
    figures.append(
        Figure(
            section=section,
            name=f"{label}, {load.connections} conn, errors",
            value=load.errors,
            unit="errors",
            note="; ".join(
                part for part in (f"of {load.requests} requests", load.error_note(), note) if part
            ),
        )
    )
    return figures


def headline(
    ctx: BenchContext,
    section: str,
    label: str,
    loads: list[Load],
    floor: float,
    p99_bound_ms: float,
    unit: str,
) -> Figure:
    """The best throughput among the points whose p99 is under the target's bound (and
    without errors), against the limit and the baseline at the same connections."""
    name = f"{label}, best with p99 < {p99_bound_ms:.0f} ms"
    target = f">= {floor:,.0f} {unit}, p99 < {p99_bound_ms:.0f} ms"
    eligible = [load for load in loads if load.p99_ms < p99_bound_ms and not load.errors]
    if not eligible:
        return Figure(
            section,
            name,
            0.0,
            unit,
            target,
            False,
            note=f"no point had p99 under {p99_bound_ms:.0f} ms without errors",
        )
    best = max(eligible, key=lambda load: load.throughput)
    limit, source = limit_of(ctx, "throughput", best.connections)
    return Figure(
        section,
        name,
        best.throughput,
        unit,
        target,
        best.throughput >= floor,
        limit=limit,
        baseline=ctx.reference.get(reference_key("baseline", "throughput", best.connections)),
        note=f"at {best.connections} conn, p99 {best.p99_ms:.1f} ms"
        + (f"; limit: {source}" if source else ""),
    )
