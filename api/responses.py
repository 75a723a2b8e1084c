"""What clients get back: the case as it stands, and its history."""

from datetime import datetime
from itertools import zip_longest
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from domain.application import HistoryEntry
from domain.case import Case
from domain.time_limits import TimeLeft, in_zone
from infra.personal.masking import event_data_for, resident_part


class Visit(BaseModel):
    visited_at: datetime
    duration_minutes: int
    worker: str


class MediationSession(BaseModel):
    held_at: datetime
    outcome: str
    mediator: str


class ClaimOut(BaseModel):
    claimant: str
    claimant_type: str
    claimed_at: datetime


class TimeLeftOut(BaseModel):
    hours: float = Field(
        description="clock hours from now until due_at (2 decimals); negative once overdue. "
        "While the case is suspended the clock stands still: counted from the suspension"
    )
    working_days: int | None = Field(
        description="for limits in working or calendar days: the working days (China's "
        "calendar, Asia/Shanghai) after today up to and including due_at's day, so 0 when "
        "due by the end of today; once that day has passed, minus the working days after it "
        "up to and including today. null for limits in hours"
    )


class CaseOut(BaseModel):
    id: UUID
    kind: str
    category: str
    status: str
    version: int = Field(description="the number of events in the case's history")
    position: int | None = Field(
        description="where the case's last event stands in the store's order of all events"
    )
    channel: str
    title: str
    description: str
    grid_id: str
    level: str = Field(description="grid, community or street: where the case is handled")
    received_at: datetime
    due_at: datetime
    due_at_provisional: bool = Field(
        description="true when the deadline reaches into a year whose holiday calendar is "
        "not loaded, so it was counted on weekends only"
    )
    overdue: bool
    time_left: TimeLeftOut | None = Field(
        default=None, description="the working time left on an open case; null once closed"
    )
    first_contact: str = Field(description="首问负责人: user id of who first received it")
    assignee: str | None
    resident: dict[str, Any] = Field(
        description="resident_id, then name, phone, address, id_number: in clear for "
        "clerk, worker and supervisor, masked for other roles (138****5678); "
        '{"resident_id": ..., "erased": true} once the resident\'s data was erased'
    )
    parties: list[dict[str, Any]] = Field(description="each as the resident part")
    suspended_since: datetime | None
    visits: list[Visit]
    closed_at: datetime | None
    resolution: str | None
    closure_summary: str | None
    rating: str | None
    reopen_count: int
    mediations: list[MediationSession] | None = None
    claim: ClaimOut | None = None
    fulfilled_at: datetime | None = None


def case_out(
    case: Case,
    position: int | None,
    zone: ZoneInfo,
    now: datetime,
    time_left: TimeLeft | None = None,
    role: str | None = None,
) -> CaseOut:
    """``role``: the reader's, which decides whether personal data is masked (unknown:
    masked)."""

    def local(moment: datetime | None) -> datetime | None:
        return in_zone(moment, zone) if moment is not None else None

    return CaseOut(
        id=case.id,
        kind=case.kind,
        category=case.category,
        status=case.status,
        version=case.version,
        position=position,
        channel=case.channel,
        title=case.title,
        description=case.description,
        grid_id=case.grid_id,
        level=case.level,
        received_at=local(case.received_at),
        due_at=local(case.due_at),
        due_at_provisional=case.due_at_provisional,
        overdue=not case.is_closed and not case.is_suspended and now > case.due_at,
        time_left=TimeLeftOut(**vars(time_left)) if time_left is not None else None,
        first_contact=case.first_contact,
        assignee=case.assignee,
        resident=resident_part(case.resident, case.resident_id, role),
        parties=[
            resident_part(party, rid, role)
            for party, rid in zip_longest(case.parties, case.party_resident_ids)
            if party is not None
        ],
        suspended_since=local(case.suspended_since),
        visits=[Visit(**{**v, "visited_at": local(v["visited_at"])}) for v in case.visits],
        closed_at=local(case.closed_at),
        resolution=case.resolution,
        closure_summary=case.closure_summary,
        rating=case.rating,
        reopen_count=case.reopen_count,
        mediations=[
            MediationSession(**{**m, "held_at": local(m["held_at"])})
            for m in getattr(case, "mediations", None) or []
        ]
        if case.kind == "dispute"
        else None,
        claim=ClaimOut(**case.claim) if getattr(case, "claim", None) else None,
        fulfilled_at=local(getattr(case, "fulfilled_at", None)),
    )


class HistoryEvent(BaseModel):
    version: int
    type: str = Field(examples=["Received", "Assigned", "Visited", "Closed", "Rated"])
    occurred_at: datetime = Field(description="when it happened, as the actor said")
    recorded_at: datetime = Field(description="when the service recorded it")
    actor: dict[str, str] = Field(description="id and role of who did it")
    correlation_id: str
    data: dict[str, Any]


class History(BaseModel):
    case_id: UUID
    events: list[HistoryEvent]


def history_out(
    case_id: UUID, entries: list[HistoryEntry], zone: ZoneInfo, role: str | None = None
) -> History:
    """``role``: the reader's, which decides whether personal data is masked."""
    return History(
        case_id=case_id,
        events=[
            HistoryEvent(
                version=e.version,
                type=e.type,
                occurred_at=in_zone(e.occurred_at, zone),
                recorded_at=in_zone(e.recorded_at, zone),
                actor=e.actor,
                correlation_id=e.correlation_id,
                data=event_data_for(e.data, role),
            )
            for e in entries
        ],
    )
