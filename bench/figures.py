"""A measured figure, and how it stands to its target, the machine's limit and the baseline."""

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """A figure as printed in the benchmark's table and written to BENCHMARKS.md.

    ``limit`` and ``baseline`` are the same quantity measured on the machine's limit (pgbench,
    a no-op endpoint) and on the plain FastAPI + eventsourcing design, in the same run; the
    table shows ``value / limit`` and ``value / baseline`` where they are given.
    """

    section: str  # e.g. "single-event commands"
    name: str  # e.g. "POST /cases, 16 connections, throughput"
    value: float
    unit: str  # "ops/s", "ms", "events/s", "MB"
    target: str = ""  # as the issue states it, e.g. ">= 3000 ops/s"
    met: bool | None = None  # None: no target for this figure
    limit: float | None = None
    baseline: float | None = None
    note: str = ""

    def ratio_to_limit(self) -> float | None:
        return self.value / self.limit if self.limit else None

    def ratio_to_baseline(self) -> float | None:
        return self.value / self.baseline if self.baseline else None


def p50_p99(values: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[98]
