"""Residents: finding earlier cases of the same resident (重复件), and erasing their data.

The phone is sent in a POST body, never in a URL, so that it stays out of access logs.
"""

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from psycopg import Connection
from pydantic import BaseModel, Field

from api.access import Access, AccessDep, Authorized
from api.dependencies import ServicesDep
from api.i18n import _
from api.local_time import LocalTime
from api.problems import PROBLEM_RESPONSES, ApiProblem
from api.requests import Phone, Strict, text
from api.routes.read_models import ReadYourWrites
from infra.personal.keys import UnknownResident
from infra.personal.residents import Erasure
from projections.case_list.queries import CaseFilter, list_cases, resident_reached

# Who may do what here is in api/access.py, like every other route.
router = APIRouter(
    prefix="/residents",
    tags=["residents"],
    responses=PROBLEM_RESPONSES,
    dependencies=[Authorized],
)


class LookupRequest(Strict):
    phone: Phone = Field(examples=["13812345678"])


class EarlierCase(BaseModel):
    id: UUID
    kind: str
    category: str
    title: str
    status: str
    grid_id: str
    received_at: LocalTime
    closed_at: LocalTime | None
    resolution: str | None


class LookupAnswer(BaseModel):
    resident_id: UUID | None = Field(description="null: no resident has come with this phone")
    cases: list[EarlierCase] = Field(
        description="the cases this resident brought in the caller's area, newest first "
        "(at most 100)"
    )
    total: int


@router.post(
    "/lookup",
    dependencies=[ReadYourWrites],
    summary="Find a resident and their earlier cases by phone (重复件)",
    description="Matched by a keyed hash of the normalised number (+86, spaces and dashes "
    "do not matter); the number itself is never stored. A resident named in no case the "
    "caller reaches is answered as no match. For clerk, worker, supervisor, admin.",
)
def lookup(body: LookupRequest, services: ServicesDep, access: AccessDep) -> LookupAnswer:
    resident_id = services.residents.find(body.phone)
    # Only the cases the caller reaches: their area's, and a worker's own. A resident named
    # in none of them is answered as no match, so their id is not disclosed.
    if resident_id is not None and access.grids is not None:
        with services.pool.connection() as conn:
            if not _reached(conn, resident_id, access):
                resident_id = None
    services.reads.record(access.user.id, access.user.role, "resident_lookup", None, resident_id)
    if resident_id is None:
        return LookupAnswer(resident_id=None, cases=[], total=0)
    filters = CaseFilter(resident_id=resident_id, **access.reach_filter())
    with services.pool.connection() as conn:
        page = list_cases(conn, filters, now=datetime.now(UTC), limit=100)
    zone = services.settings.zone
    return LookupAnswer(
        resident_id=UUID(resident_id),
        cases=[
            EarlierCase(
                **{
                    k: v.astimezone(zone) if isinstance(v, datetime) else v
                    for k, v in row.items()
                    if k in EarlierCase.model_fields
                }
            )
            for row in page.items
        ],
        total=page.total,
    )


class ErasureOut(BaseModel):
    resident_id: UUID
    erased_at: LocalTime
    erased_by: dict[str, str | None] = Field(description="id, role and name of who erased it")
    via: str = Field(description="api or cli")
    reference: str | None = Field(description="e.g. the ticket of the resident's request")
    phone_lookups_deleted: int
    already_erased: bool = Field(
        default=False, description="true: it had been erased before; nothing new was done"
    )


def erasure_out(erasure: Erasure, zone: object, names: dict[str, str] | None = None) -> ErasureOut:
    return ErasureOut(
        resident_id=UUID(erasure.resident_id),
        erased_at=erasure.erased_at.astimezone(zone),  # type: ignore[arg-type]
        erased_by={
            "id": erasure.actor_id,
            "role": erasure.actor_role,
            "name": (names or {}).get(erasure.actor_id),
        },
        via=erasure.via,
        reference=erasure.reference,
        phone_lookups_deleted=erasure.phone_lookups_deleted,
        already_erased=erasure.already_erased,
    )


@router.delete(
    "/{resident_id}/personal-data",
    dependencies=[ReadYourWrites],
    summary="Erase a resident's personal data (crypto-shredding); admin only",
    description="Deletes the resident's data key and their phone's lookup entry. From then on "
    'every case, history and export shows their personal data as {"erased": true}; the '
    "cases, their timelines and every figure stay as they were. Recorded with who and when "
    "(GET /residents/erasures). Erasing again answers the first erasure. A resident named "
    "in no case of the caller's area answers 404, like one that does not exist.",
)
def erase(
    resident_id: UUID,
    services: ServicesDep,
    access: AccessDep,
    reference: Annotated[
        text(200) | None,
        Query(
            description="your reference for the request, e.g. a ticket number; "
            "no personal data here",
        ),
    ] = None,
) -> ErasureOut:
    if access.grids is not None:
        with services.pool.connection() as conn:
            if not _reached(conn, str(resident_id), access):
                raise _unknown(resident_id)
    try:
        erasure = services.residents.erase(
            str(resident_id),
            actor_id=str(access.user.id),
            actor_role=access.user.role,
            via="api",
            reference=reference,
        )
    except UnknownResident:
        raise _unknown(resident_id) from None
    names = services.users.names([erasure.actor_id])  # an earlier erasure: maybe another's
    return erasure_out(erasure, services.settings.zone, names)


@router.get(
    "/erasures",
    dependencies=[ReadYourWrites],
    summary="Every erasure: whose, by whom, when (admin, auditor)",
    description="Only of residents named in a case of the caller's area (city-wide: all).",
)
def erasures(
    services: ServicesDep, access: AccessDep, resident_id: UUID | None = None
) -> list[ErasureOut]:
    found = services.residents.erasures(
        str(resident_id) if resident_id else None, within_grids=access.grids
    )
    names = services.users.names(e.actor_id for e in found)
    return [erasure_out(e, services.settings.zone, names) for e in found]


def _reached(conn: Connection[Any], resident_id: str, access: Access) -> bool:
    """A resident is in reach when a case naming them is (as the one who came or a party)."""
    if access.grids is None:
        return True
    return resident_reached(conn, resident_id, CaseFilter(**access.reach_filter()))


def _unknown(resident_id: UUID) -> ApiProblem:
    return ApiProblem(
        404,
        "resident_not_found",
        _("No such resident"),
        _("no resident with id {resident_id}", resident_id=resident_id),
    )
