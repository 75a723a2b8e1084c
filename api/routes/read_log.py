"""For auditors: who read which case's history or personal data, and when."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.access import AccessDep, Authorized
from api.date_windows import QUERY_WINDOW, QueryAwareMoment
from api.dependencies import ServicesDep
from api.local_time import LocalTime
from api.problems import PROBLEM_RESPONSES
from infra.read_log import Area

router = APIRouter(tags=["audit"], responses=PROBLEM_RESPONSES, dependencies=[Authorized])


class ReadOut(BaseModel):
    id: int
    read_at: LocalTime
    user_id: UUID | None
    user_name: str | None = None
    role: str
    what: str
    case_id: UUID | None
    resident_id: str | None
    actor: str | None = Field(description="a reader who is no service user, e.g. cli:<os user>")


@router.get(
    "/audit/reads",
    summary="Reads of case histories and personal data, newest first",
    description="Only the reads about the caller's area: of its cases, of residents named in "
    "its cases, and lookups that found no one by users of the area (city-wide callers: all).",
)
def get_reads(
    services: ServicesDep,
    access: AccessDep,
    case_id: UUID | None = None,
    user_id: UUID | None = None,
    since: Annotated[QueryAwareMoment | None, Query(description=QUERY_WINDOW)] = None,
    until: Annotated[QueryAwareMoment | None, Query(description=QUERY_WINDOW)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ReadOut]:
    within = None
    if access.grids is not None and access.user.area is not None:
        within = Area(access.user.area, access.grids)
    reads = services.reads.find(
        case_id=case_id, user_id=user_id, since=since, until=until, limit=limit, within=within
    )
    zone = services.settings.zone
    names = services.users.names(r.user_id for r in reads)
    return [
        ReadOut(
            **{**vars(r), "read_at": r.read_at.astimezone(zone)},
            user_name=names.get(str(r.user_id)),
        )
        for r in reads
    ]
