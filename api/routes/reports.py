"""The supervisors' compliance report (合规报表), as JSON, CSV or an Excel workbook."""

import calendar
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, Field

from api.access import AccessDep, Authorized
from api.date_windows import QUERY_WINDOW, QueryDay
from api.dependencies import ServicesDep
from api.i18n import _
from api.local_time import LocalTime
from api.problems import PROBLEM_RESPONSES, bad_field
from api.report_files import (
    CSV_TYPE,
    XLSX_TYPE,
    Format,
    content_disposition,
    league_disposition,
    league_xlsx,
    to_csv,
    to_xlsx,
    wanted_format,
)
from api.routes.read_models import ReadYourWrites
from infra.settings import Settings
from projections.compliance.league import LEAGUE_DEFINITIONS, league
from projections.compliance.report import (
    DEFINITIONS,
    GROUPINGS,
    MAX_PERIOD_DAYS,
    Period,
    Weights,
    compliance_report,
)


def report_weights(settings: Settings) -> Weights:
    return Weights(
        response=settings.weight_response,
        resolution=settings.weight_resolution,
        satisfaction=settings.weight_satisfaction,
        partly_solved=settings.weight_partly_solved,
        basically_satisfied=settings.weight_basically_satisfied,
    )


router = APIRouter(tags=["reports"], responses=PROBLEM_RESPONSES, dependencies=[Authorized])


class GroupBy(StrEnum):
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"
    CATEGORY = "category"
    WORKER = "worker"


assert tuple(GroupBy) == GROUPINGS


class ReportRow(BaseModel):
    group: str | None = Field(
        description="area id, kind.category, worker id or `unassigned`; null in totals"
    )
    name: str | None = Field(description="the area's, category's or worker's name")
    received: int
    closed: int
    closed_on_time: int
    overdue_open: int
    on_time_rate: float | None
    closure_rate: float | None
    satisfaction_rate: float | None
    reopen_rate: float | None
    handling_hours_p50: float | None
    handling_hours_p90: float | None
    visit_count: int
    visit_minutes: int
    ratings_valid: int
    ratings_satisfied: int
    reopened: int
    valid_callbacks: int
    callbacks_contacted: int
    callbacks_solved: int
    callbacks_partly_solved: int
    response_rate: float | None
    resolution_rate: float | None
    composite_score: float | None = Field(description="0-100")
    signed_for: int
    signed_on_time: int
    signed_on_time_rate: float | None
    assigned: int
    sent_back: int
    send_back_rate: float | None
    urged: int
    supervised: int
    publicly_noted: int


class ComplianceReport(BaseModel):
    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    group_by: str
    period_start: LocalTime = Field(description="F: `from` at 00:00 in the service's zone")
    period_end: LocalTime = Field(description="T: the day after `to` at 00:00, not included")
    rows: list[ReportRow]
    totals: ReportRow


DESCRIPTION = (
    "Per street, community, grid, category or worker, for a period: JSON by default; "
    "`format=csv` or `Accept: text/csv` for CSV (UTF-8 with a byte-order mark, Chinese "
    "column headings, a last line 合计 with the totals); `format=xlsx` or `Accept: "
    f"{XLSX_TYPE}` for an Excel workbook with one sheet per grouping (街道, 社区, 网格, 类别, "
    "社工), the requested one first. A period is at most "
    f"{MAX_PERIOD_DAYS} days.\n\n" + DEFINITIONS
)


@router.get(
    "/reports/compliance",
    dependencies=[ReadYourWrites],
    summary="The compliance report (合规报表) for a period",
    description=DESCRIPTION,
    response_model=ComplianceReport,
    response_model_by_alias=True,
    responses={
        200: {
            "content": {
                CSV_TYPE: {"schema": {"type": "string"}},
                XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
            "description": "the report; files come with a Content-Disposition file name",
        }
    },
)
def get_compliance_report(
    services: ServicesDep,
    access: AccessDep,
    from_: Annotated[
        QueryDay,
        Query(
            alias="from", description=f"first day of the period, e.g. 2026-10-01; {QUERY_WINDOW}"
        ),
    ],
    to: Annotated[
        QueryDay,
        Query(description=f"last day of the period (included), e.g. 2026-10-31; {QUERY_WINDOW}"),
    ],
    group_by: Annotated[GroupBy, Query(description="how rows are grouped")] = GroupBy.COMMUNITY,
    format_: Annotated[
        Format | None, Query(alias="format", description="json, csv or xlsx; default: Accept")
    ] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Any:
    if to < from_:
        raise bad_field(
            ["query", "to"],
            _("{to} is before from {from_}", to=to, from_=from_),
            "period_reversed",
        )
    days = (to - from_).days + 1
    if days > MAX_PERIOD_DAYS:
        raise bad_field(
            ["query", "to"],
            _(
                "the period has {days} days; at most {most} are allowed",
                days=days,
                most=MAX_PERIOD_DAYS,
            ),
            "period_too_long",
        )
    wanted = wanted_format(format_, accept)
    period = Period(from_, to, services.settings.zone)
    # A caller with an area sees only its grids' cases, in every grouping.
    grids = sorted(access.grids) if access.grids is not None else None
    order = [group_by.value, *(g for g in GROUPINGS if g != group_by.value)]
    weights = report_weights(services.settings)
    with services.pool.connection() as conn:
        if wanted == Format.XLSX:
            reports = [compliance_report(conn, period, g, grids, weights) for g in order]
        else:
            reports = [compliance_report(conn, period, group_by.value, grids, weights)]
    report = reports[0]
    if wanted == Format.CSV:
        return Response(
            to_csv(report),
            media_type=f"{CSV_TYPE}; charset=utf-8",
            headers={"Content-Disposition": content_disposition(report, "csv")},
        )
    if wanted == Format.XLSX:
        return Response(
            to_xlsx(reports),
            media_type=XLSX_TYPE,
            headers={"Content-Disposition": content_disposition(report, "xlsx")},
        )
    zone = services.settings.zone
    report["period_start"] = report["period_start"].astimezone(zone)
    report["period_end"] = report["period_end"].astimezone(zone)
    return ComplianceReport.model_validate(report)


class MonthFormat(StrEnum):
    """What the month's tables (league, assessment) come as."""

    JSON = "json"
    XLSX = "xlsx"


class LeagueGroupBy(StrEnum):
    GRID = "grid"
    WORKER = "worker"


class LeagueRow(BaseModel):
    rank: int
    group: str = Field(description="grid id or worker id")
    name: str | None
    valid_callbacks: int
    callbacks_contacted: int
    callbacks_solved: int
    callbacks_partly_solved: int
    ratings_satisfied: int
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    composite_score: float | None
    closed: int
    on_time_rate: float | None
    reopened: int


class League(BaseModel):
    month: str
    group_by: str
    red: list[LeagueRow] = Field(description="红榜: the first places")
    black: list[LeagueRow] = Field(description="黑榜: the last places, lowest first")
    rows: list[LeagueRow] = Field(description="every ranked group, by rank")


MONTH = r"^(20\d\d|2100)-(0[1-9]|1[0-2])$"


def month_days(month: str) -> tuple[date, date]:
    """The first and the last day of a month given as YYYY-MM (checked by MONTH)."""
    year, number = (int(part) for part in month.split("-"))
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


# The parameters of the month's tables (GET /reports/league, /reports/assessment).
MonthQuery = Annotated[str, Query(pattern=MONTH, description="the month, YYYY-MM")]
MonthFormatQuery = Annotated[
    MonthFormat | None, Query(alias="format", description="json or xlsx; default: Accept")
]
AcceptHeader = Annotated[str | None, Header(include_in_schema=False)]


def month_table(summary: str, sheets: str, definitions: str, model: type, what: str) -> Any:
    """The route arguments of a month's table: JSON, or a workbook of these sheets."""
    return {
        "dependencies": [ReadYourWrites],
        "summary": summary,
        "description": f"JSON by default; `format=xlsx` or `Accept: {XLSX_TYPE}` for an Excel "
        f"workbook ({sheets}; Chinese headings).\n\n{definitions}",
        "response_model": model,
        "responses": {
            200: {
                "content": {XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}},
                "description": f"{what}; the workbook comes with a file name",
            }
        },
    }


@router.get(
    "/reports/league",
    **month_table(
        "The league table (红黑榜) of a month, by grid or by worker",
        "sheets 红榜, 黑榜, 排名",
        LEAGUE_DEFINITIONS,
        League,
        "the league table",
    ),
)
def get_league(
    services: ServicesDep,
    access: AccessDep,
    month: MonthQuery,
    group_by: Annotated[LeagueGroupBy, Query(description="grid or worker")] = LeagueGroupBy.GRID,
    format_: MonthFormatQuery = None,
    accept: AcceptHeader = None,
) -> Any:
    wanted = wanted_format(None if format_ is None else Format(format_), accept)
    first, last = month_days(month)
    grids = sorted(access.grids) if access.grids is not None else None
    with services.pool.connection() as conn:
        report = compliance_report(
            conn,
            Period(first, last, services.settings.zone),
            group_by.value,
            grids,
            report_weights(services.settings),
        )
    table = {"month": month, "group_by": group_by.value, **league(report["rows"])}
    if wanted == Format.XLSX:
        return Response(
            league_xlsx(table),
            media_type=XLSX_TYPE,
            headers={"Content-Disposition": league_disposition(table)},
        )
    return League.model_validate(table)
