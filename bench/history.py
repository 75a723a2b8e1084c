"""History replay latency: GET /cases/{id}/history of a case with 50 events, p50 and p99.
Target: p99 under 5 ms, server-side.

    python -m bench.history [--full]

The case (a dispute: personal data sealed in its intake and its mediation sessions) gets its
50 events through the service layer. Server-side is timed in this process by calling what
the route calls, in its order: the case's events read and replayed into history entries,
the read recorded in the read log, the answer built and validated and dumped to JSON as
FastAPI does with the route's response model. For information, the HTTP round trip against
`casework serve` (with all that comes before the route: the token, the access gate, the
request's handling). 1000 calls (full) or 300 (quick), after a warm-up.
"""

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx2 as httpx
from pydantic import TypeAdapter

from api.responses import History, history_out
from bench.context import (
    Actors,
    BenchContext,
    casework_server,
    free_port,
    prepare_service_database,
    run_alone,
)
from bench.figures import Figure, p50_p99
from domain.application import Caller
from domain.commands import (
    Assign,
    Close,
    Escalate,
    HoldMediation,
    Rate,
    Reassign,
    Resume,
    Suspend,
    Visit,
)
from domain.matter import Matter
from domain.vocabulary import Role
from infra.bootstrap import Services, bootstrap
from infra.settings import Settings

SECTION = "history replay"
TARGET_MS = 5.0
EVENTS = 50
PORTS = range(8210, 8220)
WARM_UP = 30


def case_with_50_events(services: Services, actors: Actors) -> UUID:
    """A dispute worked for a while: 3 events, 11 rounds of 4, then 3 to close and rate."""
    clerk = _caller(services, actors.clerk_token)
    worker = _caller(services, actors.worker_token)
    supervisor = _caller(services, actors.supervisor_token)
    other, _ = services.users.add("bench worker 2", Role.WORKER, area=None)
    app, resident = services.cases, {"name": "李秀英", "phone": "13812345678"}
    case_id = app.receive(
        kind="dispute",
        matter=Matter(
            "neighbour", "window", "楼上漏水", "楼上卫生间漏水到楼下，协商未果", actors.grid_id
        ),
        resident=resident,
        parties=[{"name": "李秀英", "role": "applicant"}, {"name": "张伟", "phone": "13987654321"}],
        caller=clerk,
    ).case.id
    app.handle(case_id, Assign(actors.worker_id), clerk)
    app.handle(case_id, Escalate("community", "双方分歧较大"), worker)
    assignees = [str(other.id), actors.worker_id]
    for round_ in range(11):
        now = datetime.now(UTC)
        if round_ % 2:
            app.handle(
                case_id, HoldMediation(now, ["李秀英", "张伟"], "adjourned", "改日再谈"), worker
            )
        else:
            app.handle(case_id, Visit(now, 30, "上门查看漏水情况"), worker)
        app.handle(case_id, Suspend("等待物业检测报告"), worker)
        app.handle(case_id, Resume("检测报告已到"), worker)
        app.handle(case_id, Reassign(assignees[round_ % 2], "换人跟进"), supervisor)
    app.handle(
        case_id,
        HoldMediation(datetime.now(UTC), ["李秀英", "张伟"], "agreement", "达成协议"),
        worker,
    )
    app.handle(case_id, Close("resolved", "双方达成调解协议"), worker)
    app.handle(case_id, Rate("satisfied"), clerk)
    assert len(app.history(case_id)) == EVENTS
    return case_id


def _caller(services: Services, token: str) -> Caller:
    user = services.users.authenticate(token)
    assert user is not None
    return Caller(str(user.id), user.role, "bench-history")


def route_work(services: Services, token: str, case_id: UUID) -> Callable[[], bytes]:
    """What GET /cases/{id}/history runs once its caller is known and let through."""
    user = services.users.authenticate(token)
    assert user is not None
    as_json = TypeAdapter(History)
    zone = services.settings.zone

    def route() -> bytes:  # api/routes/queries.py get_history, then FastAPI's response model
        entries = services.cases.history(case_id)
        services.reads.record(user.id, user.role, "history", case_id)
        body = history_out(case_id, entries, zone, user.role)
        return as_json.dump_json(as_json.validate_python(body))

    return route


def timed_ms(call: Callable[[], Any], calls: int) -> list[float]:
    for _ in range(WARM_UP):
        call()
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def figures_of(label: str, times: list[float], target: bool, note: str) -> list[Figure]:
    p50, p99 = p50_p99(times)
    note = f"{note}; n={len(times)}"
    return [
        Figure(SECTION, f"{label}, p50", p50, "ms", note=note),
        Figure(
            SECTION,
            f"{label}, p99",
            p99,
            "ms",
            target=f"< {TARGET_MS:g} ms" if target else "",
            met=p99 < TARGET_MS if target else None,
            note=note,
        ),
    ]


def run(ctx: BenchContext) -> list[Figure]:
    calls = 1000 if ctx.full else 300
    url = ctx.scratch_database("history")
    actors = prepare_service_database(url)
    services = bootstrap(Settings(database_url=url, run_projections=False))
    try:
        case_id = case_with_50_events(services, actors)
        route_ms = timed_ms(route_work(services, actors.supervisor_token, case_id), calls)
    finally:
        services.close()
    log = ctx.workdir / "history-server.log"
    with (
        casework_server(url, free_port(PORTS), ctx.workers, log, run_projections=False) as server,
        httpx.Client(
            base_url=server.base_url,
            headers={"Authorization": f"Bearer {actors.supervisor_token}"},
            timeout=10,
        ) as client,
    ):

        def get() -> None:
            client.get(f"/cases/{case_id}/history").raise_for_status()

        http_ms = timed_ms(get, calls)
    where = f"{EVENTS} events, in-process on PostgreSQL"
    return [
        *figures_of(
            "server-side: the route's work",
            route_ms,
            True,
            f"{where}: replay into entries, read log insert, answer and JSON",
        ),
        *figures_of(
            "HTTP round trip, 1 client",
            http_ms,
            False,
            f"`casework serve`, {ctx.workers} workers, keep-alive client in this process",
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    run_alone(run, "python -m bench.history", __doc__, "1000 calls each (else 300)", argv)


if __name__ == "__main__":
    main()
