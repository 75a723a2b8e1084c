"""Commands: each records one event in a case's life, or refuses with a named rule."""

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Header, Request, Response, status
from pydantic import BaseModel

from api.access import AccessDep, Authorized, loaded_case
from api.dependencies import (
    CallerDep,
    ExpectedVersion,
    ServicesDep,
    ensure_user,
)
from api.intake import file_case
from api.problems import PROBLEM_RESPONSES
from api.requests import CASE_COMMANDS, INTAKE_EXAMPLE, CaseCommand, Intake, IssueRatingLink
from api.responses import CaseOut, RatingLinkOut, case_out, json_answer
from domain.application import Caller, CommandKey, Outcome, request_fingerprint
from infra.bootstrap import Services

router = APIRouter(
    prefix="/cases", tags=["commands"], responses=PROBLEM_RESPONSES, dependencies=[Authorized]
)


def case_answer(outcome: Outcome, services: Services, caller: Caller) -> CaseOut:
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
        services.cases.light_of(outcome.case, now),
    )


def answer(
    outcome: Outcome,
    services: Services,
    caller: Caller,
    status_code: int = status.HTTP_200_OK,
    headers: dict[str, str] | None = None,
) -> Response:
    """The case as the command left it, with its version as the ETag."""
    etag = {"ETag": f'"{outcome.case.version}"'}
    return json_answer(case_answer(outcome, services, caller), status_code, etag | (headers or {}))


def link_answer(outcome: Outcome, services: Services, caller: Caller, request: Request) -> Response:
    """The case, and the link its last RatingLinkIssued stands for (the one this command
    issued; on a retry with its key, the one it issued then)."""
    case = case_answer(outcome, services, caller)
    latest = outcome.case.latest_rating_link()
    assert latest is not None  # the command has just issued one
    link_id, expires_at = latest
    url = services.rating_links.url(
        outcome.case.id, UUID(link_id), expires_at, str(request.base_url)
    )
    link = RatingLinkOut(url=url, link_id=UUID(link_id), expires_at=expires_at, case=case)
    return json_answer(link, headers={"ETag": f'"{outcome.case.version}"'})


def case_url(request: Request, case_id: UUID) -> str:
    """GET /cases/{case_id} of this service, as ``request.url_for("get_case", ...)`` gives it
    (which looks the route up among all of them: a tenth of an intake's CPU)."""
    return f"{str(request.base_url).rstrip('/')}/cases/{case_id}"


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
    response_model=CaseOut,
    summary="Receive a new matter (受理)",
    responses={200: {"model": CaseOut, "description": "a retry with the same Idempotency-Key"}},
)
def receive(
    request: Request,
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
) -> Response:
    outcome = file_case(
        services, access, body, caller, idempotency_key, ["body", body.kind, "grid_id"]
    )
    created = status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK
    location = {"Location": case_url(request, outcome.case.id)}
    return answer(outcome, services, caller, created, location)


def _register(request_type: type[CaseCommand]) -> None:
    """POST /cases/{case_id}/<path> for one command: its body checked, the users it names
    checked, the domain command handled on the case the caller may see (one load)."""

    def endpoint(
        request: Request,
        case_id: UUID,
        body: request_type,  # type: ignore[valid-type]  # the body model of this route
        services: ServicesDep,
        caller: CallerDep,
        version: ExpectedVersion,
        access: AccessDep,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        for field, roles in request_type.users.items():
            ensure_user(services, getattr(body, field), ["body", field], roles)
        outcome = services.cases.handle(
            case_id,
            body.to_command(),
            caller,
            occurred_at=body.occurred_at,
            expected_version=version,
            command_key=keyed(idempotency_key, request_type.path, body),
            visible=access.reaches,  # a case (or original) out of reach is answered as unknown
            loaded=loaded_case(request),
        )
        if request_type is IssueRatingLink:
            return link_answer(outcome, services, caller, request)
        return answer(outcome, services, caller)

    # What api.access checks: who may send it.
    endpoint.roles = request_type.roles  # type: ignore[attr-defined]
    endpoint.action = request_type.action  # type: ignore[attr-defined]
    router.add_api_route(
        f"/{{case_id}}/{request_type.path}",
        endpoint,
        methods=["POST"],
        response_model=RatingLinkOut if request_type is IssueRatingLink else CaseOut,
        name=request_type.action,
        summary=request_type.about,
    )


for _request_type in CASE_COMMANDS:
    _register(_request_type)
