"""Commands: each records one event in a case's life, or refuses with a named rule."""

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Header, Request, Response, status
from pydantic import BaseModel

from api.access import AccessDep, Authorized
from api.dependencies import (
    HANDLERS,
    RECEIVERS,
    CallerDep,
    ExpectedVersion,
    ServicesDep,
    ensure_grid,
    ensure_user,
)
from api.problems import PROBLEM_RESPONSES
from api.requests import (
    INTAKE_EXAMPLE,
    Assign,
    Claim,
    Close,
    Escalate,
    Extend,
    Fulfil,
    Intake,
    Mediation,
    Rate,
    Reassign,
    Visit,
    WithReason,
)
from api.responses import CaseOut, case_out
from domain.application import Caller, CommandKey, Outcome, request_fingerprint
from infra.bootstrap import Services

router = APIRouter(
    prefix="/cases", tags=["commands"], responses=PROBLEM_RESPONSES, dependencies=[Authorized]
)


def answer(outcome: Outcome, response: Response, services: Services, caller: Caller) -> CaseOut:
    response.headers["ETag"] = f'"{outcome.case.version}"'
    now = datetime.now(UTC)
    time_left = services.cases.time_left(outcome.case, now)
    return case_out(
        outcome.case,
        outcome.position,
        services.settings.zone,
        now,
        time_left,
        caller.role,
        services.users.names,
    )


IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=200,
        description="a retry with the same key and body is recorded once and answered as "
        "the first time (the case as that command left it); the same key with another body "
        "is 422. Keys are the caller's own, per case",
    ),
]


def keyed(key: str | None, command: str, body: BaseModel) -> CommandKey | None:
    """The command's key and its request's fingerprint; the command's name is part of the
    request, so one key cannot stand for two different commands on a case."""
    if key is None:
        return None
    fields = body.model_dump(mode="json", exclude_unset=True)
    return CommandKey(key, request_fingerprint({"command": command, "body": fields}))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Receive a new matter (受理)",
    responses={200: {"model": CaseOut, "description": "a retry with the same Idempotency-Key"}},
)
def receive(
    request: Request,
    response: Response,
    body: Annotated[Intake, Body(openapi_examples={"help": {"value": INTAKE_EXAMPLE}})],
    services: ServicesDep,
    caller: CallerDep,
    access: AccessDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=200,
            description="the same key with the same body records the case once",
        ),
    ] = None,
) -> CaseOut:
    ensure_grid(services, body.grid_id, ["body", body.kind, "grid_id"])
    access.check_grid(body.grid_id)
    if body.first_contact is not None:
        ensure_user(services, body.first_contact, ["body", "first_contact"], RECEIVERS)
    fields: dict[str, Any] = body.model_dump(mode="json", exclude_unset=True)
    outcome = services.cases.receive(
        kind=body.kind,
        category=body.category,
        channel=body.channel,
        title=body.title,
        description=body.description,
        grid_id=body.grid_id,
        resident=body.resident.model_dump(exclude_none=True),
        parties=[p.model_dump(exclude_none=True) for p in getattr(body, "parties", [])],
        caller=caller,
        received_at=body.received_at,
        first_contact=body.first_contact,
        idempotency_key=idempotency_key,
        request_hash=request_fingerprint(fields) if idempotency_key else None,
    )
    if not outcome.created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = str(request.url_for("get_case", case_id=outcome.case.id))
    return answer(outcome, response, services, caller)


@router.post("/{case_id}/assign", summary="Assign to a social worker (派单)")
def assign(
    case_id: UUID,
    body: Assign,
    response: Response,
    services: ServicesDep,
    caller: CallerDep,
    version: ExpectedVersion,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    ensure_user(services, body.assignee, ["body", "assignee"], HANDLERS)
    return answer(
        services.cases.assign(
            case_id,
            body.assignee,
            body.note,
            caller,
            body.occurred_at,
            version,
            keyed(idempotency_key, "assign", body),
        ),
        response,
        services,
        caller,
    )


@router.post("/{case_id}/reassign", summary="Hand to another social worker (转派)")
def reassign(
    case_id: UUID,
    body: Reassign,
    response: Response,
    services: ServicesDep,
    caller: CallerDep,
    version: ExpectedVersion,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    ensure_user(services, body.assignee, ["body", "assignee"], HANDLERS)
    return answer(
        services.cases.reassign(
            case_id,
            body.assignee,
            body.reason,
            caller,
            body.occurred_at,
            version,
            keyed(idempotency_key, "reassign", body),
        ),
        response,
        services,
        caller,
    )


@router.post("/{case_id}/visits", summary="Record a visit (上门/走访)")
def visit(
    case_id: UUID,
    body: Visit,
    response: Response,
    services: ServicesDep,
    caller: CallerDep,
    version: ExpectedVersion,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    return answer(
        services.cases.record_visit(
            case_id,
            body.visited_at,
            body.duration_minutes,
            body.notes,
            body.outcome,
            caller,
            body.occurred_at,
            version,
            keyed(idempotency_key, "visits", body),
        ),
        response,
        services,
        caller,
    )


@router.post("/{case_id}/escalate", summary="Escalate to community or street")
def escalate(
    case_id: UUID,
    body: Escalate,
    response: Response,
    services: ServicesDep,
    caller: CallerDep,
    version: ExpectedVersion,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    return answer(
        services.cases.escalate(
            case_id,
            body.level,
            body.reason,
            caller,
            body.occurred_at,
            version,
            keyed(idempotency_key, "escalate", body),
        ),
        response,
        services,
        caller,
    )


@router.post("/{case_id}/suspend", summary="Suspend while waiting on the resident")
def suspend(
    case_id: UUID,
    body: WithReason,
    response: Response,
    services: ServicesDep,
    caller: CallerDep,
    version: ExpectedVersion,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    return answer(
        services.cases.suspend(
            case_id,
            body.reason,
            caller,
            body.occurred_at,
            version,
            keyed(idempotency_key, "suspend", body),
        ),
        response,
        services,
        caller,
    )


@router.post("/{case_id}/resume", summary="Resume a suspended case")
def resume(
    case_id: UUID,
    body: WithReason,
    response: Response,
    services: ServicesDep,
    caller: CallerDep,
    version: ExpectedVersion,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    return answer(
        services.cases.resume(
            case_id,
            body.reason,
            caller,
            body.occurred_at,
            version,
            keyed(idempotency_key, "resume", body),
        ),
        response,
        services,
        caller,
    )


@router.post("/{case_id}/extend", summary="Extend the deadline (延期), approved")
def extend(
    case_id: UUID,
    body: Extend,
    response: Response,
    services: ServicesDep,
    caller: CallerDep,
    version: ExpectedVersion,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    ensure_user(services, body.approved_by, ["body", "approved_by"], ("supervisor",))
    return answer(
        services.cases.extend(
            case_id,
            body.reason,
            body.approved_by,
            caller,
            new_due_at=body.new_due_at,
            extra_working_days=body.extra_working_days,
            occurred_at=body.occurred_at,
            expected_version=version,
            command_key=keyed(idempotency_key, "extend", body),
        ),
        response,
        services,
        caller,
    )


@router.post("/{case_id}/close", summary="Close with a resolution (办结)")
def close(
    case_id: UUID,
    body: Close,
    response: Response,
    services: ServicesDep,
    caller: CallerDep,
    version: ExpectedVersion,
    access: AccessDep,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    return answer(
        services.cases.close_case(
            case_id,
            body.resolution,
            body.summary,
            caller,
            body.occurred_at,
            version,
            keyed(idempotency_key, "close", body),
            duplicate_of=body.duplicate_of,
            visible=access.reaches,  # an original out of reach is answered as unknown
        ),
        response,
        services,
        caller,
    )


@router.post("/{case_id}/rate", summary="Record the resident's verdict (回访评价)")
def rate(
    case_id: UUID,
    body: Rate,
    response: Response,
    services: ServicesDep,
    caller: CallerDep,
    version: ExpectedVersion,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    return answer(
        services.cases.rate(
            case_id,
            body.rating,
            body.comment,
            caller,
            body.occurred_at,
            version,
            keyed(idempotency_key, "rate", body),
        ),
        response,
        services,
        caller,
    )


@router.post("/{case_id}/reopen", summary="Reopen a closed case (发回重办)")
def reopen(
    case_id: UUID,
    body: WithReason,
    response: Response,
    services: ServicesDep,
    caller: CallerDep,
    version: ExpectedVersion,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    return answer(
        services.cases.reopen(
            case_id,
            body.reason,
            caller,
            body.occurred_at,
            version,
            keyed(idempotency_key, "reopen", body),
        ),
        response,
        services,
        caller,
    )


@router.post("/{case_id}/mediations", summary="Record a mediation session (disputes)")
def mediate(
    case_id: UUID,
    body: Mediation,
    response: Response,
    services: ServicesDep,
    caller: CallerDep,
    version: ExpectedVersion,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    return answer(
        services.cases.hold_mediation(
            case_id,
            body.held_at,
            body.participants,
            body.outcome,
            body.notes,
            caller,
            body.occurred_at,
            version,
            keyed(idempotency_key, "mediations", body),
        ),
        response,
        services,
        caller,
    )


@router.post("/{case_id}/claim", summary="Claim a micro-wish (认领)")
def claim(
    case_id: UUID,
    body: Claim,
    response: Response,
    services: ServicesDep,
    caller: CallerDep,
    version: ExpectedVersion,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    return answer(
        services.cases.claim(
            case_id,
            body.claimant,
            body.claimant_type,
            caller,
            body.occurred_at,
            version,
            keyed(idempotency_key, "claim", body),
        ),
        response,
        services,
        caller,
    )


@router.post("/{case_id}/fulfil", summary="Record a micro-wish fulfilled")
def fulfil(
    case_id: UUID,
    body: Fulfil,
    response: Response,
    services: ServicesDep,
    caller: CallerDep,
    version: ExpectedVersion,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    return answer(
        services.cases.fulfil(
            case_id,
            body.fulfilled_at,
            body.notes,
            caller,
            body.occurred_at,
            version,
            keyed(idempotency_key, "fulfil", body),
        ),
        response,
        services,
        caller,
    )
