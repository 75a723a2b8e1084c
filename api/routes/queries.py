"""Queries on one case: as it stands, as it stood, and its whole history."""

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from api.access import Authorized, loaded_case
from api.case_reads import read_case
from api.date_windows import QUERY_WINDOW, QueryMoment
from api.dependencies import ServicesDep, UserDep
from api.problems import PROBLEM_RESPONSES
from api.responses import CaseOut, History, history_out
from domain.application import CaseNotFound

router = APIRouter(
    prefix="/cases", tags=["queries"], responses=PROBLEM_RESPONSES, dependencies=[Authorized]
)


@router.get("/{case_id}", summary="The case now, or as it stood at a version or a moment")
def get_case(
    request: Request,
    case_id: UUID,
    response: Response,
    services: ServicesDep,
    _user: UserDep,
    version: Annotated[
        int | None, Query(ge=1, le=10**9, description="the case as it stood at this version")
    ] = None,
    as_of: Annotated[
        QueryMoment | None,
        Query(
            description="the case as the service knew it at this moment (with timezone); "
            + QUERY_WINDOW
        ),
    ] = None,
) -> CaseOut:
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=services.settings.zone)
    now_case = loaded_case(request) if version is None and as_of is None else None
    case = now_case or services.cases.get_case(case_id, version=version, as_of=as_of)
    if version is not None and case.version < version:
        raise CaseNotFound(
            case_id, f"case {case_id} has no version {version}; it is at version {case.version}"
        )
    position = services.cases.position_of(case_id) if version is None and as_of is None else None
    response.headers["ETag"] = f'"{case.version}"'
    now = as_of or datetime.now(UTC)
    return read_case(services, _user, case, position, now, services.cases.time_left(case, now))


@router.get("/{case_id}/history", summary="Every event of the case, oldest first")
def get_history(case_id: UUID, services: ServicesDep, _user: UserDep) -> History:
    entries = services.cases.history(case_id)
    services.reads.record(_user.id, _user.role, "history", case_id)
    return history_out(case_id, entries, services.settings.zone, _user.role, services.users.names)
