"""Compliance report and filtered list latency with 1,000,000 cases, p50 and p99 per query.
Targets: the report by community under 200 ms, each GET /cases filter set under 50 ms.

    python -m bench.read_model_latency [--full]

Uses bench.read_models: its synthetic read-model rows (filled straight in SQL, reused when
there), its filter sets and its timing, in-process over HTTP (FastAPI's TestClient: request
handling and JSON included, no network). Full: 1,000,000 cases in cw_bench (filled if
needed), 100 calls per query. Quick: cw_bench with 10 calls per query if it already holds
1,000,000 cases of the current read-model schemas, else 100,000 cases in
casework_bench_rm100k with 20 calls.
"""

import math
import statistics
import time
from collections.abc import Callable
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from psycopg import sql

from api.main import create_app
from bench import read_models
from bench.context import BenchContext, run_alone
from bench.figures import Figure
from infra.bootstrap import bootstrap
from infra.projections import READ_MODELS
from infra.settings import Settings

LIST_TARGET_MS, REPORT_TARGET_MS = 50.0, 200.0
MILLION = 1_000_000
RETRY_AFTER_SECONDS = 10  # the list's queries are being changed meanwhile: try once more


def holds_cases(url: str, cases: int) -> bool:
    """Whether ``url`` has ``cases`` rows in both read models, of this code's schemas.

    Read in SQL, not by bootstrapping: the bootstrap rebuilds a read model of an older
    schema from the (empty) event log, which would throw the filled rows away.
    """
    try:
        with psycopg.connect(url) as conn:
            for model in READ_MODELS.values():
                if not {"rm_cases", "cr_cases"} & set(model.tables):
                    continue  # the notifications and the wish claims: not filled
                row = conn.execute(
                    "SELECT generation, schema_version FROM casework_projections"
                    " WHERE name = %s AND active",
                    (model.name,),
                ).fetchone()
                if row is None or row[1] != model.schema_version:
                    return False
                base = "rm_cases" if "rm_cases" in model.tables else "cr_cases"
                table = sql.Identifier(model.table(base, row[0]))
                count = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()
                if count is None or count[0] < cases:
                    return False
    except psycopg.Error:
        return False
    return True


def database_for(ctx: BenchContext) -> tuple[str, int, int, str]:
    """(database URL, cases, calls per query, how it was chosen)."""
    million = ctx.database_url("cw_bench")
    if ctx.full:
        return million, MILLION, 100, "1,000,000 cases in cw_bench"
    if holds_cases(million, MILLION):
        return million, MILLION, 10, "1,000,000 cases in cw_bench (quick: 10 calls)"
    small = ctx.database_url("casework_bench_rm100k")
    return small, 100_000, 20, "quick: 100,000 cases in casework_bench_rm100k, not 1,000,000"


def run(ctx: BenchContext) -> list[Figure]:
    url, cases, calls, how = database_for(ctx)
    ctx.notes.append(f"Read-model latency: {how}.")
    read_models.ensure_database(url)
    services = bootstrap(Settings(database_url=url, data_dir=ctx.workdir / "read-models"))
    figures = []
    section = f"read models, {cases:,} cases"
    try:
        workers, token = read_models.fill(services, cases, refill=False)
        auth = {"Authorization": f"Bearer {token}"}
        with TestClient(create_app(services)) as client:

            def get(path: str, params: dict[str, Any]) -> None:
                response = client.get(path, params=params, headers=auth)
                assert response.status_code == 200, f"{response.status_code} {response.text}"

            month = {
                "from": read_models.MONTH[0].isoformat(),
                "to": read_models.MONTH[1].isoformat(),
            }
            queries: dict[str, tuple[float, Callable[[int], None]]] = {
                "GET /reports/compliance group_by=community, October 2026": (
                    REPORT_TARGET_MS,
                    lambda _n: get("/reports/compliance", {**month, "group_by": "community"}),
                ),
            }
            for label, make in read_models.list_filters(workers).items():
                queries[f"GET /cases {label}"] = (
                    LIST_TARGET_MS,
                    lambda _n, make=make: get("/cases", make()),
                )
            for label, (target, call) in queries.items():
                figures += _measured(section, label, target, calls, call, how, ctx.full)
    finally:
        services.close()
    return figures


def _measured(
    section: str,
    label: str,
    target: float,
    calls: int,
    call: Callable[[int], None],
    how: str,
    full: bool,
) -> list[Figure]:
    """p50 and p99 of ``calls`` calls (fewer if they take more than the mode's budget)."""
    note, failure = f"{how}; in-process HTTP", ""
    for attempt in range(2):
        try:
            times = read_models.timed(calls, call, budget_seconds=60 if full else 5)
            break
        except Exception as error:  # noqa: BLE001 - one query failing must not stop the rest
            failure = f"{type(error).__name__}: {str(error)[:300]}"
            if attempt == 0:
                time.sleep(RETRY_AFTER_SECONDS)
    else:
        return [
            Figure(
                section, f"{label}, p99", math.nan, "ms", f"< {target:g} ms", False, note=failure
            )
        ]
    cuts = statistics.quantiles(times, n=100, method="inclusive") if len(times) > 1 else times * 99
    note = f"{note}; n={len(times)}"
    return [
        Figure(section, f"{label}, p50", cuts[49], "ms", note=note),
        Figure(
            section,
            f"{label}, p99",
            cuts[98],
            "ms",
            f"< {target:g} ms",
            cuts[98] < target,
            note=note,
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    run_alone(
        run,
        "python -m bench.read_model_latency",
        __doc__,
        "1,000,000 cases, 100 calls per query",
        argv,
    )


if __name__ == "__main__":
    main()
