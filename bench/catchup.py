"""Projection catch-up: events per second each read model applies when rebuilt from the first
event, on 1,000,000 real case events (full) or 50,000 (quick). Target: >= 20,000 events/s.

    python -m bench.catchup [--full]

The events are the service's own: each case's life (received, assigned, worked, closed,
rated) is decided by the aggregate's own methods, with the deadline, resident ids and
time limit the service would give it, and many cases are saved per ``cases.save(...)``
(one transaction): the same event classes, hash chain (infra.event_store) and sealing of
personal data (the mapper) as every command, without a round trip per command. A twin case
made through the service layer checks that both ways give the same events. The filled
database is kept and reused while it holds the expected number of events.
"""

import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4, uuid5
from zoneinfo import ZoneInfo

import psycopg

from bench.context import BenchContext, prepare_service_database, run_alone
from bench.figures import Figure
from domain import commands
from domain.application import (
    IDEMPOTENCY_NAMESPACE,
    Caller,
    CaseWork,
    _is_the_resident,
    request_fingerprint,
)
from domain.case import Case
from domain.kinds import CASE_CLASSES, Dispute, MicroWish
from domain.matter import Matter
from domain.stamp import Stamp
from domain.time_limits import deadline_for
from domain.vocabulary import CATEGORIES, Kind, Role
from infra.audit import ChainAuditor
from infra.bootstrap import Services, bootstrap
from infra.projections import READ_MODELS, rebuild
from infra.settings import Settings

SECTION = "projection catch-up"
TARGET = 20_000  # events/s per projection (issue 5)
CASES_PER_SAVE = 200  # about 1,000 events per transaction
GRIDS = ["tiansheng-01", "tiansheng-02", "tiansheng-03", "tiansheng-04"]
MONTH_START = datetime(2026, 10, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
MONTH = timedelta(days=31)
SURNAMES, GIVEN = "王李张刘陈杨黄赵吴周", ["秀英", "桂兰", "建国", "志强", "丽", "伟", "芳", "敏"]
KINDS = [(kind, str(code)) for kind, codes in CATEGORIES.items() for code in codes]


@dataclass
class People:
    clerk: Caller
    workers: list[Caller]
    # phone -> resident_id, as the service's lookup answers it (asked once per phone)
    residents: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """One command of a case's life: what the service's use case of ``name`` is given."""

    name: str
    caller: Caller
    occurred_at: datetime
    args: dict[str, Any]


def plan_life(rng: random.Random, index: int, cases: int, people: People) -> list[Step]:
    """The life of case ``index`` of about ``cases``, received in the month in index order."""
    kind, category = KINDS[rng.randrange(len(KINDS))]
    at = MONTH_START + MONTH * ((index + rng.random()) / cases)
    worker = people.workers[rng.randrange(len(people.workers))]
    # Residents by phone, drawn from 2/3 as many phones as cases: about half of the cases
    # are a returning resident's (same phone, same resident_id).
    phone = f"139{rng.randrange(cases * 2 // 3 + 1):08d}"
    resident = {"name": rng.choice(SURNAMES) + rng.choice(GIVEN), "phone": phone}
    parties = []
    if kind == Kind.DISPUTE:
        other = {"name": rng.choice(SURNAMES) + rng.choice(GIVEN), "phone": f"137{index:08d}"}
        parties = [{"name": resident["name"], "role": "applicant"}, {**other, "role": "other"}]
    key = f"hotline-{index}" if rng.random() < 0.5 else None
    intake = {
        "kind": str(kind),
        "category": category,
        "channel": rng.choice(["window", "hotline", "wechat"]),
        "title": "楼道灯坏了",
        "description": "3号楼2单元楼道灯不亮，老人夜间上下楼不便",
        "grid_id": GRIDS[index % len(GRIDS)],
        "resident": {**resident, "address": "天胜社区3号楼2单元301"},
        "parties": parties,
        "idempotency_key": key,
    }
    clerk = people.clerk

    def later(hours: float) -> datetime:
        nonlocal at
        at += timedelta(hours=hours * (0.5 + rng.random()))
        return at

    steps = [
        Step("receive", clerk, at, intake),
        Step("assign", clerk, later(2), {"assignee": worker.actor_id, "note": None}),
    ]
    if kind == Kind.DISPUTE:
        held = later(40)
        args = {"held_at": held, "participants": ["双方当事人"], "outcome": "agreement"}
        steps.append(Step("mediate", worker, held, {**args, "notes": "达成调解协议"}))
    elif kind == Kind.MICRO_WISH:
        steps.append(
            Step(
                "claim", worker, later(20), {"claimant": "党员志愿者", "claimant_type": "volunteer"}
            )
        )
        done = later(40)
        steps.append(Step("fulfil", worker, done, {"fulfilled_at": done, "notes": "已送达"}))
    else:
        visited = later(30)
        args = {"visited_at": visited, "duration_minutes": 40, "notes": "已上门", "outcome": None}
        steps.append(Step("visit", worker, visited, args))
    if rng.random() < 0.9:  # the rest are still open
        summary = {"resolution": "resolved", "summary": "已办结"}
        steps.append(Step("close", worker, later(60), summary))
        if rng.random() < 0.8:
            steps.append(Step("rate", clerk, later(24), {"rating": "satisfied", "comment": None}))
    return steps


def decide_in_memory(app: CaseWork, people: People, steps: list[Step]) -> Case:
    """The life decided by the aggregate itself, as the service's use cases decide it."""
    case: Case | None = None
    for step in steps:
        stamp = Stamp.create(
            actor_id=step.caller.actor_id,
            actor_role=step.caller.role,
            correlation_id=uuid4().hex,
            now=app.clock(),
            occurred_at=step.occurred_at,
        )
        a = step.args
        if step.name == "receive":
            case = _received(app, people, stamp, a)
            continue
        assert case is not None
        if step.name == "assign":
            case.assign(a["assignee"], a["note"], stamp)
        elif step.name == "visit":
            case.visit(a["visited_at"], a["duration_minutes"], a["notes"], a["outcome"], stamp)
        elif step.name == "mediate":
            assert isinstance(case, Dispute)
            case.hold_mediation(a["held_at"], a["participants"], a["outcome"], a["notes"], stamp)
        elif step.name == "claim":
            assert isinstance(case, MicroWish)
            case.claim_wish(a["claimant"], a["claimant_type"], stamp)
        elif step.name == "fulfil":
            assert isinstance(case, MicroWish)
            case.fulfil(a["fulfilled_at"], a["notes"], stamp)
        elif step.name == "close":
            case.close(a["resolution"], a["summary"], stamp)
        elif step.name == "rate":
            case.rate(a["rating"], a["comment"], stamp)
    assert case is not None
    return case


def _matter(a: dict[str, Any]) -> Matter:
    return Matter(a["category"], a["channel"], a["title"], a["description"], a["grid_id"])


def _received(app: CaseWork, people: People, stamp: Stamp, a: dict[str, Any]) -> Case:
    """As ``CaseWork.receive`` makes a case (without saving it)."""
    kind, key = Kind(a["kind"]), a["idempotency_key"]
    limit = app.time_limits[(kind, a["category"])]
    deadline = deadline_for(stamp.occurred_at, limit, app.calendar, app.zone)

    def resident_id(person: dict[str, Any]) -> str:
        phone = person["phone"]
        if phone not in people.residents:
            people.residents[phone] = app.identify_resident(person)
        return people.residents[phone]

    resident, parties = a["resident"], a["parties"]
    rid = resident_id(resident)
    return CASE_CLASSES[kind].receive(
        case_id=uuid5(IDEMPOTENCY_NAMESPACE, f"{stamp.actor_id}\n{key}") if key else uuid4(),
        matter=_matter(a),
        first_contact=stamp.actor_id,
        time_limit=limit,
        due_at=deadline.due_at,
        due_at_provisional=deadline.provisional,
        resident=resident,
        parties=parties,
        intake={"idempotency_key": key, "request_hash": _request_hash(a)},
        stamp=stamp,
        resident_id=rid,
        party_resident_ids=[
            rid if _is_the_resident(p, resident) else resident_id(p) for p in parties
        ],
    )


def _request_hash(a: dict[str, Any]) -> str | None:
    """What the POST /cases route hashes: the body as sent (parties only for a dispute)."""
    if a["idempotency_key"] is None:
        return None
    fields = ("kind", "category", "channel", "title", "description", "grid_id", "resident")
    body = {name: a[name] for name in fields}
    if a["parties"]:
        body["parties"] = a["parties"]
    return request_fingerprint(body)


def decide_via_service(app: CaseWork, steps: list[Step]) -> UUID:
    """The same life through the service's use cases, one save per command."""
    case_id: UUID | None = None
    for step in steps:
        a, c, at = step.args, step.caller, step.occurred_at
        if step.name == "receive":
            outcome = app.receive(
                kind=a["kind"],
                matter=_matter(a),
                resident=a["resident"],
                parties=a["parties"],
                caller=c,
                received_at=at,
                idempotency_key=a["idempotency_key"],
                request_hash=_request_hash(a),
            )
            case_id = outcome.case.id
            continue
        assert case_id is not None
        command = {
            "assign": commands.Assign,
            "visit": commands.Visit,
            "mediate": commands.HoldMediation,
            "claim": commands.Claim,
            "fulfil": commands.Fulfil,
            "close": commands.Close,
            "rate": commands.Rate,
        }[step.name]
        app.handle(case_id, command(**a), c, occurred_at=at)
    assert case_id is not None
    return case_id


def check_twins(services: Services, people: People) -> None:
    """Each kind's life made both ways must give the same events (but ids and clocks)."""
    app, auditor = services.cases, ChainAuditor(f"{CaseWork.name}_events")
    seen: set[str] = set()
    for seed in range(100):
        steps = plan_life(random.Random(seed), seed, 100, people)  # noqa: S311 - not secret
        kind = steps[0].args["kind"]
        if kind in seen or len(steps) < 5:
            continue
        seen.add(kind)
        twin = [Step(s.name, s.caller, s.occurred_at, dict(s.args)) for s in steps]
        if twin[0].args["idempotency_key"]:
            twin[0].args["idempotency_key"] += "-twin"  # else both would be one case
        held = decide_in_memory(app, people, steps)
        app.save(held)
        made = decide_via_service(app, twin)
        ours, theirs = app.history(held.id), app.history(made)
        assert [e.type for e in ours] == [e.type for e in theirs], (kind, ours, theirs)
        for mine, service in zip(ours, theirs, strict=True):
            assert _comparable(mine) == _comparable(service), (mine, service)
        with services.connect() as conn:
            for case_id in (held.id, made):
                verdict = auditor.verify_case(conn, case_id)
                assert verdict is not None and verdict.ok, verdict
            state = conn.execute(
                "SELECT state FROM casework_events WHERE originator_id = %s"
                " AND originator_version = 1",
                (held.id,),
            ).fetchone()
        assert state is not None and steps[0].args["resident"]["phone"].encode() not in state[0]
    assert seen == {str(k) for k in Kind}, seen


def _comparable(entry: Any) -> tuple[Any, ...]:
    data = dict(entry.data)
    if "intake" in data:  # its idempotency key differs on purpose
        data["intake"] = data["intake"]["request_hash"]
    return entry.version, entry.type, entry.occurred_at, entry.actor, data


def fill(services: Services, people: People, events: int) -> int:
    """Store exactly ``events`` events of case lives; return how many cases."""
    app, rng = services.cases, random.Random(2026)  # noqa: S311 - the same cases every fill
    cases_expected = events // 5
    stored = index = 0
    while stored < events:
        batch = []
        for _ in range(CASES_PER_SAVE):
            steps = plan_life(rng, index, cases_expected, people)[: events - stored]
            if not steps:
                break
            batch.append(decide_in_memory(app, people, steps))
            stored += len(steps)
            index += 1
        app.save(*batch)
    return index


def people_of(services: Services, url: str) -> People:
    """The users the cases are worked by: the context's clerk, and eight grid workers."""
    actors = prepare_service_database(url)
    clerk = services.users.authenticate(actors.clerk_token)
    assert clerk is not None
    workers = [services.users.add(f"网格员{n}", Role.WORKER, GRIDS[n % 4])[0] for n in range(8)]
    return People(
        clerk=Caller(str(clerk.id), clerk.role, ""),
        workers=[Caller(str(w.id), w.role, "") for w in workers],
    )


def earlier_fill(url: str, events: int) -> str | None:
    """How the database was filled, if it holds exactly ``events`` events from a fill that
    finished (recorded in bench_fill at the end of it)."""
    try:
        with psycopg.connect(url) as conn:
            fill = conn.execute("SELECT cases, seconds, filled_at FROM bench_fill").fetchone()
            count = conn.execute("SELECT count(*) FROM casework_events").fetchone()
    except psycopg.Error:  # no such database, or no fill finished there
        return None
    if fill is None or count is None or count[0] != events:
        return None
    cases, seconds, filled_at = fill
    return (
        f"{events:,} events of {cases:,} cases, filled on {filled_at:%Y-%m-%d} in {seconds:.0f} s"
    )


def filled_database(ctx: BenchContext, events: int) -> tuple[str, str]:
    """A database holding exactly ``events`` case events; reused if one is there already."""
    name = f"catchup_{events // 1000}k"
    url = ctx.database_url(f"casework_bench_{name}")
    earlier = earlier_fill(url, events)
    if earlier is not None:
        return url, f"{earlier} (reused)"
    url = ctx.scratch_database(name)
    started = time.perf_counter()
    services = _services(url)
    try:
        people = people_of(services, url)
        check_twins(services, people)
        with services.connect() as conn:  # the twins are not part of the count
            conn.execute("TRUNCATE casework_events, casework_chain_heads")
        cases = fill(services, people, events)
        seconds = time.perf_counter() - started
        with services.connect() as conn:
            conn.execute(
                "CREATE TABLE bench_fill AS SELECT %s::int AS cases, %s::float AS seconds,"
                " now() AS filled_at",
                (cases, seconds),
            )
    finally:
        services.close()
    print(f"catchup: filled {events:,} events ({cases:,} cases) in {seconds:.0f} s", flush=True)
    return url, f"{events:,} events of {cases:,} cases, filled in {seconds:.0f} s"


def _services(url: str) -> Services:
    return bootstrap(Settings(database_url=url, run_projections=False))


def run(ctx: BenchContext) -> list[Figure]:
    events = 1_000_000 if ctx.full else 50_000
    url, fill_note = filled_database(ctx, events)
    ctx.notes.append(f"Projection catch-up: {fill_note}.")
    services = _services(url)
    figures = []
    try:
        for name in READ_MODELS:
            started = time.perf_counter()
            rebuild(name, services.cases, services.connect, lambda _progress: None)
            seconds = time.perf_counter() - started
            rate = events / seconds
            figures.append(
                Figure(
                    section=SECTION,
                    name=f"{name}: rebuild from the first of {events:,} events",
                    value=rate,
                    unit="events/s",
                    target=f">= {TARGET:,} events/s",
                    met=rate >= TARGET,
                    note=f"{seconds:.1f} s; {fill_note}",
                )
            )
    finally:
        services.close()
    return figures


def main(argv: list[str] | None = None) -> None:
    run_alone(run, "python -m bench.catchup", __doc__, "1,000,000 events (else 50,000)", argv)


if __name__ == "__main__":
    main()
