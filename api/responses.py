"""What clients get back: the case as it stands, and its history."""

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from itertools import zip_longest
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import Response
from pydantic import BaseModel, Field

from api.local_time import LocalData, LocalTime
from domain.application import HistoryEntry
from domain.case import Case
from domain.time_limits import Light, TimeLeft, in_zone
from infra.personal.masking import event_data_for, resident_part

Names = Callable[[Iterable[object]], dict[str, str]]
"""{user id: name} for the ids that are users (``Users.names``): one lookup per answer."""

# The fields of events and answers that hold a user's id; each gets a ``<field>_name``.
PERSON_FIELDS = ("first_contact", "assignee", "previous_assignee", "worker", "mediator", "claimant")


def _no_names(_ids: Iterable[object]) -> dict[str, str]:
    return {}


class Visit(BaseModel):
    visited_at: LocalTime
    duration_minutes: int
    worker: str
    worker_name: str | None = None


class MediationSession(BaseModel):
    held_at: LocalTime
    outcome: str
    mediator: str
    mediator_name: str | None = None


class ClaimOut(BaseModel):
    claimant: str
    claimant_name: str | None = Field(
        default=None, description="the user's name when the claimant is a user of the service"
    )
    claimant_type: str
    claimed_at: LocalTime


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


LIGHT_ABOUT = (
    "红黄灯: green while more than 1 working day is left (limits in hours: more than a "
    "quarter of the limit), yellow from then until due_at, red once overdue; it stands still "
    "while the case is suspended, and at the closure once closed"
)


class SupervisionFields(BaseModel):
    """What supervision adds to a case answer and a case-list row."""

    light: Light = Field(description=LIGHT_ABOUT)
    signed_for_at: LocalTime | None = Field(
        default=None, description="签收: when the current assignee signed for the case"
    )
    first_contacted_at: LocalTime | None = Field(
        default=None, description="响应: the first contact with the resident (a visit counts)"
    )
    supervised_by_level: str | None = Field(
        default=None,
        description="督办: community or street, the level whose supervisors supervise the case "
        "since it turned red; null if never",
    )
    publicly_noted: bool = Field(
        default=False, description="通报: still open 5 working days after its deadline"
    )


class CallbackOut(BaseModel):
    satisfaction: str = Field(
        description="satisfied, basically_satisfied, dissatisfied, unreachable or refused"
    )
    valid: bool = Field(
        description="the resident gave a verdict (not unreachable or refused): it counts in "
        "the three rates"
    )
    contacted: bool | None = Field(description="did the handler contact the resident (响应)")
    solved: str | None = Field(description="solved, partly_solved or not_solved (解决情况)")


class CaseOut(SupervisionFields):
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
    received_at: LocalTime
    due_at: LocalTime
    due_at_provisional: bool = Field(
        description="true when the deadline reaches into a year whose holiday calendar is "
        "not loaded, so it was counted on weekends only"
    )
    overdue: bool
    closed_on_time: bool | None = Field(
        default=None,
        description="按时办结: once closed, whether the closure came by the deadline in force "
        "then (after extensions and suspensions), as the compliance report counts it; null "
        "while open",
    )
    time_left: TimeLeftOut | None = Field(
        default=None, description="the working time left on an open case; null once closed"
    )
    first_contact: str = Field(description="首问负责人: user id of who first received it")
    first_contact_name: str | None = None
    assignee: str | None
    assignee_name: str | None = None
    resident: dict[str, Any] = Field(
        description="resident_id, then name, phone, address, id_number: in clear for "
        "clerk, worker and supervisor, masked for other roles (138****5678); "
        '{"resident_id": ..., "erased": true} once the resident\'s data was erased'
    )
    parties: list[dict[str, Any]] = Field(description="each as the resident part")
    suspended_since: LocalTime | None
    visits: list[Visit]
    closed_at: LocalTime | None
    resolution: str | None
    closure_summary: str | None
    rating: str | None
    callback: CallbackOut | None = Field(
        default=None,
        description="the call-back (回访) of the current closure, as the history's Rated names "
        "it; null before one (and once the case is reopened)",
    )
    reopen_count: int
    duplicate_of: UUID | None = Field(
        default=None, description="closed as a duplicate (重复件): the original case's id"
    )
    duplicates: list[UUID] = Field(
        default_factory=list,
        description="the cases closed as duplicates of this one (and not reopened since)",
    )
    mediations: list[MediationSession] | None = None
    claim: ClaimOut | None = None
    fulfilled_at: LocalTime | None = None


class RatingLinkOut(BaseModel):
    """The rating link just issued, for staff to send the resident (by SMS, WeChat)."""

    url: str = Field(
        description="the resident's page, /r/<token>, under CASEWORK_PUBLIC_URL if set: "
        "answered once, without signing in"
    )
    link_id: UUID = Field(description="the link's id, as the case's RatingLinkIssued records it")
    expires_at: LocalTime = Field(description="after this the link is refused")
    case: CaseOut


def json_answer(
    model: BaseModel, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """``model`` as the answer's JSON, serialised once. An endpoint that returns its model
    has FastAPI validate it again against the route's response model and then serialise
    it (for a plain ``def`` endpoint, the validation in a thread of its own); a Response is
    sent as it is. The route still names its response model, for the OpenAPI document."""
    return Response(
        model.model_dump_json(by_alias=True),
        status_code=status_code,
        headers=headers,
        media_type="application/json",
    )


def case_out(
    case: Case,
    position: int | None,
    zone: ZoneInfo,
    now: datetime,
    time_left: TimeLeft | None = None,
    role: str | None = None,
    names: Names = _no_names,
    light: Light = Light.GREEN,
) -> CaseOut:
    """``role``: the reader's, which decides whether personal data is masked (unknown:
    masked). ``names``: how to name the people the case refers to."""

    def local(moment: datetime | None) -> datetime | None:
        return in_zone(moment, zone) if moment is not None else None

    visits = case.visits
    mediations = getattr(case, "mediations", None) or []
    claim = getattr(case, "claim", None)
    named = names(
        [
            case.first_contact,
            case.assignee,
            *(v["worker"] for v in visits),
            *(m["mediator"] for m in mediations),
            claim["claimant"] if claim else None,
        ]
    )

    return CaseOut(
        light=light,
        signed_for_at=local(getattr(case, "signed_for_at", None)),
        first_contacted_at=local(getattr(case, "first_contacted_at", None)),
        supervised_by_level=getattr(case, "supervised_by_level", None),
        publicly_noted=getattr(case, "publicly_noted", False),
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
        closed_on_time=case.closed_at <= case.due_at if case.closed_at is not None else None,
        time_left=TimeLeftOut(**vars(time_left)) if time_left is not None else None,
        first_contact=case.first_contact,
        first_contact_name=named.get(case.first_contact),
        assignee=case.assignee,
        assignee_name=named.get(case.assignee) if case.assignee else None,
        resident=resident_part(case.resident, case.resident_id, role),
        parties=[
            resident_part(party, rid, role)
            for party, rid in zip_longest(case.parties, case.party_resident_ids)
            if party is not None
        ],
        suspended_since=local(case.suspended_since),
        visits=[
            Visit(**{**v, "visited_at": local(v["visited_at"])}, worker_name=named.get(v["worker"]))
            for v in visits
        ],
        closed_at=local(case.closed_at),
        resolution=case.resolution,
        closure_summary=case.closure_summary,
        rating=case.rating,
        callback=CallbackOut(**case.callback) if case.callback is not None else None,
        reopen_count=case.reopen_count,
        duplicate_of=getattr(case, "duplicate_of", None),
        duplicates=list(getattr(case, "duplicates", [])),
        mediations=[
            MediationSession(
                **{**m, "held_at": local(m["held_at"])}, mediator_name=named.get(m["mediator"])
            )
            for m in mediations
        ]
        if case.kind == "dispute"
        else None,
        claim=ClaimOut(**claim, claimant_name=named.get(claim["claimant"])) if claim else None,
        fulfilled_at=local(getattr(case, "fulfilled_at", None)),
    )


class HistoryEvent(BaseModel):
    version: int
    type: str = Field(examples=["Received", "Assigned", "Visited", "Closed", "Rated"])
    occurred_at: LocalTime = Field(description="when it happened, as the actor said")
    recorded_at: LocalTime = Field(description="when the service recorded it")
    actor: dict[str, str | None] = Field(
        description="id, role and name of who did it (name null for an actor who is no "
        "user of the service, e.g. cli:<os user>)"
    )
    correlation_id: str
    data: LocalData = Field(
        description="the event's fields; each that holds a user's id (assignee, worker, "
        "mediator, ...) has that user's name beside it as `<field>_name`"
    )


class History(BaseModel):
    case_id: UUID
    events: list[HistoryEvent]


def history_out(
    case_id: UUID,
    entries: list[HistoryEntry],
    zone: ZoneInfo,
    role: str | None = None,
    names: Names = _no_names,
) -> History:
    """``role``: the reader's, which decides whether personal data is masked."""
    named = names(
        [e.actor.get("id") for e in entries]
        + [e.data.get(field) for e in entries for field in PERSON_FIELDS]
    )
    return History(
        case_id=case_id,
        events=[
            HistoryEvent(
                version=e.version,
                type=e.type,
                occurred_at=in_zone(e.occurred_at, zone),
                recorded_at=in_zone(e.recorded_at, zone),
                actor={**e.actor, "name": named.get(e.actor.get("id", ""))},
                correlation_id=e.correlation_id,
                data=with_names(event_data_for(e.data, role), named),
            )
            for e in entries
        ],
    )


def with_names(data: dict[str, Any], named: dict[str, str]) -> dict[str, Any]:
    """An event's fields with ``<field>_name`` beside each that holds a user's id."""
    extra = {
        f"{field}_name": named.get(str(data[field]))
        for field in PERSON_FIELDS
        if data.get(field) is not None and not isinstance(data[field], dict)
    }
    return {**data, **extra}
