"""Small factories for pure domain tests: an in-memory CaseWork driven by a clock we control."""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from domain.application import Caller, CaseWork
from domain.errors import DomainError
from domain.matter import Matter
from domain.stamp import Stamp
from domain.vocabulary import Kind
from infra.calendar import ChineseWorkingCalendar
from infra.time_limit_catalogue import load_time_limits
from tests.helpers import CaseWorkWithVerbs

# The catalogue that ships with the service: the published default limits.
TIME_LIMITS = load_time_limits()

ZONE = ZoneInfo("Asia/Shanghai")
MONDAY_MORNING = datetime(2025, 11, 3, 9, 0, tzinfo=ZONE)  # an ordinary working Monday

DEFAULT_CATEGORY = {
    Kind.RESIDENT_REQUEST: "consultation",
    Kind.DISPUTE: "neighbour",
    Kind.MICRO_WISH: "goods",
}

# Personal data that must stay inside the events' ``personal`` part.
RESIDENT = {
    "name": "张秀英",
    "phone": "13800138000",
    "address": "幸福路12号3单元501室",
    "id_number": "220102195003031234",
}
PARTIES = [
    {"name": "刘建国", "phone": "13911112222", "address": "幸福路12号3单元601室"},
    {"name": "陈美兰", "phone": "13733334444", "address": "幸福路12号3单元401室"},
]
PARTICIPANTS = ["刘建国", "陈美兰", "人民调解员 周立"]


class Clock:
    """The service's clock, moved only by the test."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass(frozen=True)
class People:
    clerk: Caller
    worker: Caller
    other_worker: Caller
    supervisor: Caller
    volunteer: Caller


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_MORNING)


@pytest.fixture
def app(clock: Clock) -> CaseWork:
    return CaseWorkWithVerbs(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
        calendar=ChineseWorkingCalendar(),
        zone=ZONE,
        clock=clock,
        time_limits=TIME_LIMITS,
    )


@pytest.fixture
def people() -> People:
    return People(
        clerk=Caller("clerk-chen", "clerk", "req-intake"),
        worker=Caller("worker-wang", "worker", "req-worker"),
        other_worker=Caller("worker-liu", "worker", "req-other-worker"),
        supervisor=Caller("secretary-zhao", "supervisor", "req-supervisor"),
        volunteer=Caller("volunteer-sun", "worker", "req-volunteer"),
    )


@pytest.fixture
def stamp(clock: Clock) -> Callable[..., Stamp]:
    """A stamp for calling the aggregates directly; dated now unless told otherwise."""

    def make(
        actor_id: str = "worker-wang",
        role: str = "worker",
        occurred_at: datetime | None = None,
        correlation_id: str | None = None,
    ) -> Stamp:
        return Stamp.create(
            actor_id=actor_id,
            actor_role=role,
            correlation_id=correlation_id or f"req-{uuid4().hex[:8]}",
            now=clock(),
            occurred_at=occurred_at,
        )

    return make


class Cases:
    """Puts cases into a given point of their life through the CaseWork service."""

    resident = RESIDENT
    parties = PARTIES
    participants = PARTICIPANTS

    def __init__(self, app: CaseWork, people: People, clock: Clock):
        self.app = app
        self.people = people
        self.clock = clock

    def receive(self, kind: Kind = Kind.RESIDENT_REQUEST, **overrides: Any) -> UUID:
        matter: dict[str, Any] = {
            "category": DEFAULT_CATEGORY[kind],
            "channel": "window",
            "title": "楼道灯不亮",
            "description": "三单元楼道灯坏了一周",
            "grid_id": "grid-07",
        }
        fields: dict[str, Any] = {
            "kind": kind,
            "resident": dict(RESIDENT),
            "parties": [dict(p) for p in PARTIES] if kind == Kind.DISPUTE else [],
            "caller": self.people.clerk,
        }
        for name, value in overrides.items():
            (matter if name in matter else fields)[name] = value
        return self.app.receive(matter=Matter(**matter), **fields).case.id

    def assigned(self, kind: Kind = Kind.RESIDENT_REQUEST, **overrides: Any) -> UUID:
        case_id = self.receive(kind, **overrides)
        self.app.assign(case_id, "worker-wang", None, self.people.supervisor)
        return case_id

    def ready_to_close(self, kind: Kind) -> UUID:
        """Assigned, and for a dispute agreed, for a wish claimed and fulfilled."""
        case_id = self.assigned(kind)
        if kind == Kind.DISPUTE:
            self.mediate(case_id, "agreement")
        if kind == Kind.MICRO_WISH:
            self.app.claim(case_id, "party-member-he", "party_member", self.people.volunteer)
            self.app.fulfil(case_id, self.clock(), "送去一台电暖器", self.people.volunteer)
        return case_id

    def closed(self, kind: Kind = Kind.RESIDENT_REQUEST) -> UUID:
        case_id = self.ready_to_close(kind)
        self.close(case_id)
        return case_id

    def close(self, case_id: UUID, resolution: str = "resolved") -> Any:
        return self.app.close_case(case_id, resolution, "已办结", self.people.worker)

    def mediate(self, case_id: UUID, outcome: str) -> Any:
        return self.app.hold_mediation(
            case_id, self.clock(), list(PARTICIPANTS), outcome, "调解记录", self.people.worker
        )

    def visit(self, case_id: UUID) -> Any:
        return self.app.record_visit(
            case_id, self.clock(), 45, "上门了解情况", None, self.people.worker
        )

    def full_life(self, kind: Kind) -> tuple[UUID, list[tuple[str, Caller, datetime]]]:
        """Takes a case of this kind through every step it can take, an hour apart.

        Returns the case's id and, for each step, the event it should record, who sent
        it and when.
        """
        app, p = self.app, self.people
        recorded: list[tuple[str, Caller, datetime]] = []
        case_id = self.receive(kind)
        recorded.append(("Received", p.clerk, self.clock()))

        def step(event_types: str, caller: Caller, command: Callable[[], Any]) -> None:
            """``event_types``: the events the step records, space-separated."""
            self.clock.advance(hours=1)
            command()
            recorded.extend((name, caller, self.clock()) for name in event_types.split())

        def close(caller: Caller) -> None:
            app.close_case(case_id, "resolved", "已办结", caller)

        step(
            "Assigned",
            p.supervisor,
            lambda: app.assign(case_id, "worker-wang", "请跟进", p.supervisor),
        )
        if kind == Kind.RESIDENT_REQUEST:
            step(
                "SignedFor Visited",  # the assignee's first action signs for the case
                p.worker,
                lambda: app.record_visit(case_id, self.clock(), 40, "入户", "已核实", p.worker),
            )
            step(
                "Escalated",
                p.worker,
                lambda: app.escalate(case_id, "community", "需社区协调", p.worker),
            )
            step("Suspended", p.worker, lambda: app.suspend(case_id, "等待居民提供材料", p.worker))
            step("Resumed", p.worker, lambda: app.resume(case_id, "材料已收到", p.worker))
            step(
                "Extended",
                p.supervisor,
                lambda: app.extend(
                    case_id, "需协调物业", "secretary-zhao", p.supervisor, extra_working_days=2
                ),
            )
            step(
                "Reassigned",
                p.supervisor,
                lambda: app.reassign(case_id, "worker-liu", "工作调整", p.supervisor),
            )
            step("SignedFor Closed", p.other_worker, lambda: close(p.other_worker))
            step("Rated", p.clerk, lambda: app.rate(case_id, "dissatisfied", "灯又坏了", p.clerk))
            step("Reopened", p.supervisor, lambda: app.reopen(case_id, "居民不满意", p.supervisor))
            step("Closed", p.other_worker, lambda: close(p.other_worker))
            step("Rated", p.clerk, lambda: app.rate(case_id, "satisfied", None, p.clerk))
        elif kind == Kind.DISPUTE:
            step("SignedFor MediationHeld", p.worker, lambda: self.mediate(case_id, "no_agreement"))
            step("MediationHeld", p.worker, lambda: self.mediate(case_id, "agreement"))
            step("Closed", p.worker, lambda: close(p.worker))
            step("Rated", p.clerk, lambda: app.rate(case_id, "dissatisfied", None, p.clerk))
            step("Reopened", p.supervisor, lambda: app.reopen(case_id, "协议未履行", p.supervisor))
            step("MediationHeld", p.worker, lambda: self.mediate(case_id, "agreement"))
            step("Closed", p.worker, lambda: close(p.worker))
        else:
            step(
                "Claimed",
                p.volunteer,
                lambda: app.claim(case_id, "volunteer-sun", "volunteer", p.volunteer),
            )
            step("SignedFor Visited", p.worker, lambda: self.visit(case_id))
            step(
                "Fulfilled",
                p.volunteer,
                lambda: app.fulfil(case_id, self.clock(), "送去电暖器", p.volunteer),
            )
            step("Closed", p.worker, lambda: close(p.worker))
            step("Rated", p.clerk, lambda: app.rate(case_id, "dissatisfied", "电暖器坏了", p.clerk))
            step("Reopened", p.supervisor, lambda: app.reopen(case_id, "居民不满意", p.supervisor))
            step(
                "Fulfilled",
                p.volunteer,
                lambda: app.fulfil(case_id, self.clock(), "换了新的", p.volunteer),
            )
            step("Closed", p.volunteer, lambda: close(p.volunteer))
        return case_id, recorded

    def status(self, case_id: UUID) -> str:
        return self.app.get_case(case_id).status

    def event_count(self, case_id: UUID) -> int:
        return len(self.app.history(case_id))


@pytest.fixture
def cases(app: CaseWork, people: People, clock: Clock) -> Cases:
    return Cases(app, people, clock)


@pytest.fixture
def refused(app: CaseWork) -> Callable[[type[DomainError], str], AbstractContextManager[Any]]:
    """Expects the named error with its code, and that the store recorded nothing."""

    @contextmanager
    def expect(error: type[DomainError], code: str) -> Iterator[Any]:
        before = app.recorder.max_notification_id()
        with pytest.raises(error) as raised:
            yield raised
        assert raised.value.code == code
        assert app.recorder.max_notification_id() == before

    return expect
