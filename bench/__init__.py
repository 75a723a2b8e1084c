"""Benchmarks, run by hand (not by pytest): ``python -m bench`` (quick), ``--full`` (the record).

Each part (limits, baseline, service, catchup, history, ryw, read_model_latency, memory) is a
module with ``run(ctx) -> list[Figure]`` and can also run alone, e.g. ``python -m bench.ryw``.
"""
