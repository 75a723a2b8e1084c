"""The supervision list (督办): the cases a supervisor's level supervises in their area."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.access import AccessDep, Authorized
from api.dependencies import ServicesDep
from api.local_time import LocalTime
from api.problems import PROBLEM_RESPONSES
from domain.time_limits import in_zone

router = APIRouter(tags=["supervision"], responses=PROBLEM_RESPONSES, dependencies=[Authorized])

LIMIT = 500


class SupervisedCase(BaseModel):
    id: UUID
    kind: str
    category: str
    title: str
    grid_id: str
    level: str = Field(description="where the case is handled")
    assignee: str | None
    supervised_by_level: str
    publicly_noted: bool
    due_at: LocalTime
    overdue_hours: float = Field(
        description="clock hours since due_at (2 decimals); while suspended, up to the suspension"
    )


class SupervisionList(BaseModel):
    level: str | None = Field(description="the caller's level: community, street; null: the city")
    items: list[SupervisedCase] = Field(description=f"oldest deadline first, at most {LIMIT}")


@router.get(
    "/supervision",
    summary="Open cases under supervision of the caller's level, in their area (督办)",
    description="A community's supervisors see the cases their community supervises (its "
    "grids' cases that turned red), a street's those the street supervises; a supervisor of "
    "the whole city sees every case under supervision. Oldest deadline first.",
)
def get_supervision(services: ServicesDep, access: AccessDep) -> SupervisionList:
    level = None
    params: dict[str, Any] = {"now": datetime.now(UTC), "limit": LIMIT, "grids": None}
    if access.user.area is not None:
        level = services.areas.level_of(access.user.area)
        params["grids"] = sorted(access.grids or ())
    params["level"] = level
    with services.pool.connection() as conn:
        rows = conn.execute(
            "SELECT id, kind, category, title, grid_id, level, assignee, supervised_by_level,"
            " publicly_noted, due_at,"
            " extract(epoch FROM LEAST(%(now)s, suspended_since) - due_at) AS overdue"
            " FROM rm_cases WHERE closed_at IS NULL AND supervised_by_level IS NOT NULL"
            " AND (%(level)s::text IS NULL OR supervised_by_level = %(level)s)"
            " AND (%(grids)s::text[] IS NULL OR grid_id = ANY(%(grids)s))"
            " ORDER BY due_at, id LIMIT %(limit)s",
            params,
        ).fetchall()
    zone = services.settings.zone
    return SupervisionList(
        level=level,
        items=[
            SupervisedCase(
                id=r[0],
                kind=r[1],
                category=r[2],
                title=r[3],
                grid_id=r[4],
                level=r[5],
                assignee=r[6],
                supervised_by_level=r[7],
                publicly_noted=r[8],
                due_at=in_zone(r[9], zone),
                overdue_hours=round(float(r[10]) / 3600, 2),
            )
            for r in rows
        ],
    )
