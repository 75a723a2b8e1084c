"""Queries answered from the read models: case lists, the dashboard, projection health."""

import asyncio
import time
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from api import case_list_files
from api.access import AccessDep, Authorized
from api.date_windows import QUERY_WINDOW, QueryAwareMoment
from api.dependencies import ServicesDep, UserDep
from api.i18n import _
from api.local_time import LocalTime
from api.problems import PROBLEM_RESPONSES, ApiProblem, bad_field
from api.report_files import CSV_TYPE, XLSX_TYPE, Format, wanted_format
from api.requests import text
from api.responses import SupervisionFields, TimeLeftOut
from domain.application import CaseWork
from domain.time_limits import Light, TimeLimit, Unit, in_zone
from domain.vocabulary import Kind, Status
from infra.bootstrap import Services
from infra.projections import READ_MODELS, projection_status
from projections.case_list.queries import (
    SORTS,
    TEXT_COUNT_CAP,
    TEXT_WINDOW,
    CaseFilter,
    dashboard_summary,
    list_cases,
    row_light,
)
from projections.case_list.search import query_terms
from projections.runner import read_models_and_head

router = APIRouter(tags=["read models"], responses=PROBLEM_RESPONSES, dependencies=[Authorized])


# Positions are PostgreSQL bigints: anything larger is refused as a bad field, not a 500.
MAX_POSITION = 2**63 - 1
# How often a waiting query looks again: soon at first (the projector usually lands the
# event within milliseconds), then less often, so many waiters cost the database little.
FIRST_LOOK_SECONDS = 0.005
LOOK_AT_MOST_EVERY_SECONDS = 0.05


async def read_your_writes(
    services: ServicesDep,
    min_position: Annotated[
        int | None,
        Query(
            ge=0,
            le=MAX_POSITION,
            description="answer only once the read models have applied the event at "
            "this position (the `position` of a command's answer); a position beyond the "
            "log's head is refused with 422 `position_beyond_head`",
        ),
    ] = None,
    x_min_position: Annotated[
        int | None,
        Header(ge=0, le=MAX_POSITION, description="the same as min_position, as a header"),
    ] = None,
) -> None:
    """Wait until the read models have applied ``position``.

    Each look at the positions is one short checkout of a pooled connection, released before
    the next sleep, and the sleep holds no worker thread: many waiting queries cannot starve
    the pool that commands and other queries need.
    """
    if min_position is not None:
        position, loc = min_position, ["query", "min_position"]
    elif x_min_position is not None:
        position, loc = x_min_position, ["header", "X-Min-Position"]
    else:
        return
    timeout = services.settings.read_wait_seconds
    deadline = time.monotonic() + timeout
    names = list(READ_MODELS)
    events_table = f"{CaseWork.name}_events"

    def look() -> tuple[int, int]:
        with services.pool.connection() as conn:
            return read_models_and_head(conn, names, events_table)

    reached, head = await run_in_threadpool(look)
    if reached >= position:
        return
    if position > head:
        # No command has answered this position: waiting could not help.
        raise ApiProblem(
            422,
            "position_beyond_head",
            _("Position beyond the log's head"),
            _(
                "{field}: position {position} is beyond the log's head, position {head}; "
                "pass the `position` of a command's answer",
                field=".".join(loc),
                position=position,
                head=head,
            ),
            errors=[
                {
                    "loc": loc,
                    "message": _("beyond the log's head (position {head})", head=head),
                    "type": "position_beyond_head",
                }
            ],
        )
    pause = FIRST_LOOK_SECONDS
    while time.monotonic() < deadline:
        await asyncio.sleep(min(pause, max(deadline - time.monotonic(), 0)))
        pause = min(pause * 2, LOOK_AT_MOST_EVERY_SECONDS)
        reached, head = await run_in_threadpool(look)
        if reached >= position:
            return
    raise ApiProblem(
        503,
        "read_model_behind",
        _("Read model behind"),
        _(
            "the read models did not reach position {position} (the log's head is {head}) "
            "within {timeout} s; retry shortly",
            position=position,
            head=head,
            timeout=timeout,
        ),
        headers={"Retry-After": "1"},
    )


ReadYourWrites = Depends(read_your_writes)


class CaseSummary(SupervisionFields):
    id: UUID
    kind: str
    category: str
    channel: str
    title: str
    status: str
    grid_id: str
    level: str
    assignee: str | None
    assignee_name: str | None = None
    first_contact: str
    first_contact_name: str | None = None
    received_at: LocalTime
    due_at: LocalTime
    due_at_provisional: bool
    overdue: bool
    closed_on_time: bool | None = Field(
        default=None, description="as in GET /cases/{id}: null while open"
    )
    time_left: TimeLeftOut | None = Field(description="as in GET /cases/{id}; null once closed")
    suspended_since: LocalTime | None
    closed_at: LocalTime | None
    resolution: str | None
    rating: str | None
    reopen_count: int
    visit_count: int
    version: int
    position: int
    resident_id: UUID | None = Field(
        default=None, description="who came with the matter (null for older cases)"
    )


class CasePage(BaseModel):
    items: list[CaseSummary]
    total: int = Field(description="how many cases match the filters, over all pages")
    total_capped: bool = Field(
        default=False,
        description="true when more cases match than `total` says: a text search (`q`) "
        f"counts up to {TEXT_COUNT_CAP:,} matches, and when they are common only those among "
        f"the first {TEXT_WINDOW:,} cases in the list's order",
    )
    next_cursor: str | None = Field(description="pass as `after` for the next page")


EXPORT_LIMIT = 10_000


@router.get(
    "/cases",
    dependencies=[ReadYourWrites],
    summary="List cases (from the read model), or export them as CSV or XLSX",
    description="Filters combine with AND. `q` finds cases whose title or description holds "
    "every character pair of the query (Chinese) and every word (letters, digits; as a "
    "prefix). `format=csv` or `format=xlsx` (or the Accept header) exports every case "
    f"that matches, in the chosen order, up to {EXPORT_LIMIT:,} (`limit` and `after` "
    "apply to JSON pages only); more answers 422 `export_too_large`: narrow the filters.",
    responses={
        200: {
            "content": {
                CSV_TYPE: {"schema": {"type": "string"}},
                XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
            "description": "a page of cases, or the export as a file",
        }
    },
    response_model=CasePage,
)
def get_cases(
    services: ServicesDep,
    access: AccessDep,
    q: Annotated[
        text(100) | None,
        Query(description="text in the title or description, e.g. 楼道灯"),
    ] = None,
    kind: Kind | None = None,
    category: Annotated[text(40) | None, Query()] = None,
    status: Annotated[list[Status] | None, Query()] = None,
    street_id: Annotated[text(64) | None, Query()] = None,
    community_id: Annotated[text(64) | None, Query()] = None,
    grid_id: Annotated[text(64) | None, Query()] = None,
    assignee: Annotated[text(64) | None, Query()] = None,
    first_contact: Annotated[text(64) | None, Query()] = None,
    overdue: bool | None = None,
    due_before: Annotated[QueryAwareMoment | None, Query(description=QUERY_WINDOW)] = None,
    provisional: bool | None = Query(default=None, description="deadline is provisional"),
    light: Annotated[Light | None, Query(description="green, yellow or red, now")] = None,
    supervised: bool | None = Query(
        default=None, description="under supervision (督办) of a community or street, or not"
    ),
    resident_id: Annotated[
        UUID | None, Query(description="only this resident's cases (see POST /residents/lookup)")
    ] = None,
    sort: Literal[tuple(SORTS)] = "-received_at",  # type: ignore[valid-type]
    limit: int = Query(default=50, ge=1, le=500),
    after: Annotated[text(200) | None, Query(description="a next_cursor")] = None,
    format_: Annotated[
        Format | None, Query(alias="format", description="json, csv or xlsx; default: Accept")
    ] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Any:
    terms = None
    if q is not None:
        terms = query_terms(q)
        if terms is None:
            raise bad_field(
                ["query", "q"],
                _("give at least one Chinese character, letter or digit"),
                "empty_query",
            )
    filters = CaseFilter(
        text=terms,
        kind=kind,
        category=category,
        status=[s.value for s in status or []],
        street_id=street_id,
        community_id=community_id,
        grid_id=grid_id,
        assignee=assignee,
        first_contact=first_contact,
        overdue=overdue,
        due_before=due_before,
        provisional=provisional,
        light=light,
        supervised=supervised,
        resident_id=str(resident_id) if resident_id is not None else None,
        **access.reach_filter(),
    )
    wanted = wanted_format(format_, accept)
    if wanted != Format.JSON:
        return _export(services, filters, sort, wanted)
    with services.pool.connection() as conn:
        try:
            page = list_cases(
                conn, filters, now=datetime.now(UTC), sort=sort, limit=limit, after=after
            )
        except ValueError:
            raise bad_field(
                ["query", "after"], _("not a cursor from this service: pass a next_cursor")
            ) from None
    now = datetime.now(UTC)
    names = services.users.names(
        [row[field] for row in page.items for field in ("assignee", "first_contact")]
    )
    return CasePage(
        items=[_summary(row, services, now, names) for row in page.items],
        total=page.total,
        total_capped=page.total_capped,
        next_cursor=page.next_cursor,
    )


def _export(services: Services, filters: CaseFilter, sort: str, wanted: Format) -> Response:
    with services.pool.connection() as conn:
        page = list_cases(conn, filters, now=datetime.now(UTC), sort=sort, limit=EXPORT_LIMIT)
    if page.next_cursor is not None:
        total = f"{page.total}{'+' if page.total_capped else ''}"
        raise ApiProblem(
            422,
            "export_too_large",
            _("Too many cases to export"),
            _(
                "{total} cases match; an export holds at most {limit:,}: narrow the filters "
                "(e.g. a grid, a status or due_before)",
                total=total,
                limit=EXPORT_LIMIT,
            ),
        )
    now = datetime.now(UTC)
    for row in page.items:
        row["light"] = row_light(row, now).value
    zone = services.settings.zone
    today = datetime.now(zone).date().isoformat()
    if wanted == Format.CSV:
        return Response(
            case_list_files.to_csv(page.items, zone),
            media_type=f"{CSV_TYPE}; charset=utf-8",
            headers={"Content-Disposition": case_list_files.content_disposition(today, "csv")},
        )
    return Response(
        case_list_files.to_xlsx(page.items, zone),
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": case_list_files.content_disposition(today, "xlsx")},
    )


def _summary(
    row: dict[str, Any], services: Services, now: datetime, names: dict[str, str]
) -> CaseSummary:
    zone = services.settings.zone
    local = {k: in_zone(v, zone) if isinstance(v, datetime) else v for k, v in row.items()}
    left = None
    if row["closed_at"] is None:
        cases = services.cases
        recorded = (
            TimeLimit(row["time_limit_amount"], Unit(row["time_limit_unit"]))
            if row["time_limit_unit"]
            else None
        )
        limit = cases.time_limit_for(row["kind"], row["category"], recorded)
        left = TimeLeftOut(
            **vars(cases.time_left_on(row["due_at"], limit, row["suspended_since"], now))
        )
    return CaseSummary(
        **local,
        light=row_light(row, now),
        time_left=left,
        assignee_name=names.get(row["assignee"] or ""),
        first_contact_name=names.get(row["first_contact"]),
    )


@router.get(
    "/dashboard/summary",
    dependencies=[ReadYourWrites],
    summary="Counts for the supervisor's dashboard",
)
def get_dashboard(services: ServicesDep, access: AccessDep) -> dict[str, Any]:
    with services.pool.connection() as conn:
        summary = dashboard_summary(
            conn,
            now=datetime.now(UTC),
            zone=services.settings.zone,
            reach=CaseFilter(**access.reach_filter()),
        )
    names = services.users.names(row["worker"] for row in summary["workload"])
    summary["workload"] = [{**row, "name": names.get(row["worker"])} for row in summary["workload"]]
    return summary


class SkippedEvent(BaseModel):
    position: int
    skipped_by: str = Field(description="who ran `casework projections skip`")
    reason: str
    skipped_at: LocalTime


class ProjectionOut(BaseModel):
    name: str
    generation: int
    active: bool = Field(description="whether queries read this generation")
    position: int = Field(description="the last event applied")
    head: int = Field(description="the last event in the log")
    lag_events: int
    lag_seconds: float = Field(description="how long the oldest unapplied event has waited")
    failures: int
    error: str | None = Field(description="why the last attempt failed, naming the event")
    error_position: int | None
    updated_at: LocalTime
    skipped: list[SkippedEvent] = Field(
        description="events an operator made this read model pass over, with who and why"
    )


@router.get("/projections", summary="Each read model's position, the log's head and the lag")
def get_projections(services: ServicesDep, _user: UserDep) -> list[ProjectionOut]:
    with services.pool.connection() as conn:
        return [ProjectionOut(**vars(s)) for s in projection_status(conn, services.cases)]
