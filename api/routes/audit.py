"""Tamper evidence: check that a case's stored events are as they were appended."""

from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from api.access import PERMISSIONS, Access, Action, access_for, case_id_of
from api.dependencies import ServicesDep, UserDep
from api.problems import PROBLEM_RESPONSES
from domain.application import CaseNotFound
from infra.audit import case_auditor
from infra.bootstrap import Services

router = APIRouter(prefix="/cases", tags=["audit"], responses=PROBLEM_RESPONSES)


class ChainVerdict(BaseModel):
    case_id: UUID
    ok: bool = Field(description="every stored event and the head match the hash chain")
    events_checked: int = Field(description="stored events checked, up to the first fault")
    head_version: int | None = Field(description="the newest version the chain's head records")
    first_bad_version: int | None = Field(description="the first version that does not match")
    problem: str | None = Field(description="what does not match, in words")


def authorize_verify(request: Request, user: UserDep, services: ServicesDep) -> None:
    """The service's one gate (``api.access.authorize``), for cases that may not replay.

    The gate finds a case's area by loading the case. A tampered case may fail to load (a
    version missing, a state that no longer decodes) or seem not to exist (every event
    deleted), and must still be verifiable: then its grid comes from the case list read
    model, which hand edits of the events table do not touch. A case not found there is
    verifiable only by users of the whole city (others get 404, as for any unknown case).
    """
    case_id = case_id_of(request)
    if (
        case_id is None
        or user.role not in PERMISSIONS[Action.VERIFY]
        or _replays(services, case_id)
    ):
        access_for(request, user, services)  # answers 403 for a role that may not verify
        return
    if user.area is None:
        return
    access = Access(user=user, grids=frozenset(services.areas.grids_within(user.area)))
    grid_id = _grid_in_read_model(services, case_id)
    if grid_id is None or not access.reaches_grid(grid_id):
        raise CaseNotFound(case_id)


@router.get(
    "/{case_id}/verify",
    summary="Verify the case's hash chain: no event changed, deleted or reordered",
    dependencies=[Depends(authorize_verify)],
)
def verify_case(case_id: UUID, services: ServicesDep, _user: UserDep) -> ChainVerdict:
    with services.pool.connection() as conn:
        verdict = case_auditor().verify_case(conn, case_id)
    if verdict is None:
        raise CaseNotFound(case_id)
    return ChainVerdict.model_validate(verdict, from_attributes=True)


def _replays(services: Services, case_id: UUID) -> bool:
    try:
        services.cases.get_case(case_id)
    except Exception:  # noqa: BLE001 - whatever a tampered history makes replaying raise
        return False
    return True


def _grid_in_read_model(services: Services, case_id: UUID) -> str | None:
    with services.pool.connection() as conn:
        row = conn.execute("SELECT grid_id FROM rm_cases WHERE id = %s", (case_id,)).fetchone()
    return row[0] if row else None
