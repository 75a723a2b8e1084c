"""Part 8, memory: the peak RSS of each `casework serve` process, and whether it grows,
over a long mixed run (full: 10 minutes sampled every 10 s; quick: 20 s, every second,
only a hint).

Growth is the mean RSS of the last 10% of the samples minus the mean of the first 10%
after a 10% warm-up; a process is flat when that is under 5% of its peak.
"""

import statistics

from bench.context import BenchContext, casework_server, prepare_service_database
from bench.figures import Figure
from bench.loadgen import run_wrk
from bench.rss import MEMORY, RssSampler, peak_figures
from bench.servers import sampled
from bench.service import mixed_args

PORT = 8104
CONNECTIONS = 16
SECONDS = {False: 20, True: 600}  # by ctx.full
INTERVAL = {False: 1.0, True: 10.0}
FLAT_SHARE = 0.05


def run(ctx: BenchContext) -> list[Figure]:
    seconds = SECONDS[ctx.full]
    url = ctx.scratch_database("memory")
    try:
        actors = prepare_service_database(url)
        server = casework_server(url, PORT, ctx.workers, ctx.workdir / "memory.log")
        with sampled(ctx, PORT, server, INTERVAL[ctx.full]) as (running, sampler):
            load = run_wrk(running.base_url, "mixed.lua", CONNECTIONS, seconds, mixed_args(actors))
    finally:
        ctx.drop_scratch_database("memory")
    what = f"{seconds} s mixed run at {CONNECTIONS} conn"
    ctx.notes.append(
        f"Memory run: {what}{'' if ctx.full else ' (quick: a hint, not the 10-minute record)'}, "
        f"{load.throughput:,.0f} ops/s, {load.errors} errors; {load.error_note() or 'all 2xx'}."
    )
    ctx.notes.append(sampler.cpu_note("casework serve, memory run"))
    label = "casework serve, " + ("10-minute run" if ctx.full else f"quick {seconds} s run")
    return peak_figures(label, sampler) + growth_figures(label, sampler, INTERVAL[ctx.full])


def growth(samples: list[float]) -> float:
    tenth = max(1, len(samples) // 10)
    after_warm_up = samples[tenth:] or samples
    return statistics.fmean(samples[-tenth:]) - statistics.fmean(after_warm_up[:tenth])


def growth_figures(label: str, sampler: RssSampler, interval: float) -> list[Figure]:
    figures = []
    peaks = sampler.peaks()
    for process, samples in sampler.labelled_samples().items():
        grown = growth(samples)
        figures.append(
            Figure(
                MEMORY,
                f"{label}, {process}, growth",
                grown,
                "MB",
                target=f"flat (< {FLAT_SHARE:.0%} of peak)",
                met=grown < FLAT_SHARE * peaks[process],
                note=f"{len(samples)} samples {interval:.0f} s apart",
            )
        )
    return figures
