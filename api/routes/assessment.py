"""The 3456 assessment (三四五六考核): the month's figures per worker, and the scores the
community and the street office give them."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from api.access import Access, AccessDep, Authorized
from api.dependencies import CallerDep, ServicesDep
from api.i18n import _
from api.local_time import LocalTime
from api.problems import PROBLEM_RESPONSES, ApiProblem
from api.report_files import (
    XLSX_TYPE,
    Format,
    assessment_disposition,
    assessment_xlsx,
    wanted_format,
)
from api.responses import HistoryEvent, history_out
from api.routes.reports import (
    MONTH,
    AcceptHeader,
    MonthFormatQuery,
    MonthQuery,
    month_days,
    month_table,
    report_weights,
)
from domain.time_limits import in_zone
from domain.vocabulary import Role, ScoringParty
from domain.worker_month import HIGHEST_SCORE, LOWEST_SCORE
from infra.bootstrap import Services
from projections.compliance.assessment import (
    ASSESSMENT_DEFINITIONS,
    assessment,
)
from projections.compliance.report import Period

router = APIRouter(tags=["reports"], responses=PROBLEM_RESPONSES, dependencies=[Authorized])


class AssessmentRow(BaseModel):
    worker: str
    name: str | None
    visit_count: int
    visit_minutes: int
    working_minutes: int
    grid_time_share: float | None = Field(description="在格时间占比: visit / working minutes")
    meets_floor: bool | None
    grid_time_score: float | None = Field(description="0-100")
    valid_callbacks: int
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    residents_score: float | None = Field(description="群众评价: the composite score, 0-100")
    community_score: int | None
    community_scored_by: str | None
    community_scored_at: LocalTime | None
    street_score: int | None
    street_scored_by: str | None
    street_scored_at: LocalTime | None
    total: float | None = Field(description="总分, 0-100 with weights adding up to 1")


class AssessmentWeights(BaseModel):
    grid_time: float
    residents: float
    community: float
    street: float


class Assessment(BaseModel):
    month: str
    working_days: int
    working_minutes: int
    floor: float = Field(description="the floor of grid_time_share")
    weights: AssessmentWeights
    rows: list[AssessmentRow]


@router.get(
    "/reports/assessment",
    **month_table(
        "The 3456 assessment (三四五六考核) of workers for a month",
        "one sheet 3456考核",
        ASSESSMENT_DEFINITIONS,
        Assessment,
        "the assessment",
    ),
)
def get_assessment(
    services: ServicesDep,
    access: AccessDep,
    month: MonthQuery,
    worker: Annotated[UUID | None, Query(description="only this worker")] = None,
    format_: MonthFormatQuery = None,
    accept: AcceptHeader = None,
) -> Any:
    wanted = wanted_format(None if format_ is None else Format(format_), accept)
    if worker is not None:
        _worker(services, worker)
    first, last = month_days(month)
    grids = sorted(access.grids) if access.grids is not None else None
    listed = services.users.directory(access.user.area, [Role.WORKER.value])
    workers = {str(user.id): user.name for user in listed if user.role == Role.WORKER}
    with services.pool.connection() as conn:
        table = assessment(
            conn,
            month,
            Period(first, last, services.settings.zone),
            services.cases.calendar,
            workers,
            grids,
            report_weights(services.settings),
            services.settings.assessment_rules,
            None if worker is None else str(worker),
        )
    if wanted == Format.XLSX:
        return Response(
            assessment_xlsx(table),
            media_type=XLSX_TYPE,
            headers={"Content-Disposition": assessment_disposition(table)},
        )
    zone = services.settings.zone
    for row in table["rows"]:
        for party in ("community", "street"):
            at = row[f"{party}_scored_at"]
            row[f"{party}_scored_at"] = None if at is None else in_zone(at, zone)
    return Assessment.model_validate(table)


class ScoreWorker(BaseModel):
    month: str = Field(pattern=MONTH, description="the month scored, YYYY-MM")
    party: ScoringParty = Field(description="community (社区) or street (街道办)")
    score: int = Field(ge=LOWEST_SCORE, le=HIGHEST_SCORE, description="0-100")


class PartyScore(BaseModel):
    score: int
    scored_by: str
    scored_at: LocalTime


class WorkerMonthOut(BaseModel):
    worker: str
    month: str
    position: int = Field(description="pass as min_position to see it in the assessment")
    scores: dict[str, PartyScore] = Field(description="the latest score of each party")
    history: list[HistoryEvent] = Field(
        description="every score of the month, oldest first, replaced ones too (Scored: "
        "party, score, previous_score; who and when)"
    )


@router.post(
    "/workers/{worker_id}/scores",
    status_code=201,
    summary="Score a worker's month for the 3456 assessment (社区、街道评分)",
    description="By a supervisor of the party's level (a community's for `community`, a "
    "street office's for `street`) whose area holds the worker's grid; anyone else 403 "
    "`not_the_scoring_level`. Recorded as an event (Scored) of the worker's month: a later "
    "score of the same month and party replaces the earlier one in the assessment, and both "
    "stay in its history.",
)
async def score_worker(
    services: ServicesDep,
    access: AccessDep,
    caller: CallerDep,
    worker_id: UUID,
    body: Annotated[ScoreWorker, Body()],
) -> WorkerMonthOut:
    def record() -> WorkerMonthOut:
        _check_scorer(services, access, worker_id, body.party)
        scored, position = services.cases.score_worker(
            str(worker_id), body.month, body.party.value, body.score, caller
        )
        zone = services.settings.zone
        history = services.cases.worker_month_history(str(worker_id), body.month)
        return WorkerMonthOut(
            worker=scored.worker,
            month=scored.month,
            position=position,
            scores={
                party: PartyScore(
                    score=s["score"],
                    scored_by=s["scored_by"],
                    scored_at=in_zone(s["scored_at"], zone),
                )
                for party, s in scored.scores.items()
            },
            history=history_out(
                worker_id, history, zone, access.user.role, services.users.names
            ).events,
        )

    return await run_in_threadpool(record)


def _worker(services: Services, worker_id: UUID) -> Any:
    user = services.users.get(worker_id)
    if user is None or user.role != Role.WORKER:
        raise ApiProblem(
            404,
            "unknown_worker",
            _("No such worker"),
            _("no worker with id {worker_id}", worker_id=worker_id),
        )
    return user


def _check_scorer(services: Services, access: Access, worker_id: UUID, party: str) -> None:
    """A supervisor of the party's level whose area holds the worker's grid."""
    worker = _worker(services, worker_id)
    caller = access.user
    level = None
    if caller.role == Role.SUPERVISOR and caller.area is not None:
        with services.pool.connection() as conn:
            row = conn.execute(
                "SELECT level FROM casework_areas WHERE id = %s", (caller.area,)
            ).fetchone()
        level = row[0] if row else None
    worker_grids = set(services.areas.grids_within(worker.area)) if worker.area else set()
    if level == party and worker_grids and worker_grids <= (access.grids or set()):
        return
    raise ApiProblem(
        403,
        "not_the_scoring_level",
        _("Not a supervisor of this level for this worker"),
        _(
            "the {party} score of a worker is given by a supervisor of a {party} whose area "
            "holds the worker's grid",
            party=party,
        ),
    )
