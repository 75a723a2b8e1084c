"""The report page (报表): the compliance report of a period and the month's league table
(红黑榜), with their Excel files, for the signed-in user's area.

The page answers through the API's own report endpoints (api.routes.reports), called with
the page's gate: the same figures, the same area, the same workbooks as GET
/reports/compliance and GET /reports/league.
"""

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import TypeAdapter, ValidationError

from api.access import Action
from api.date_windows import QueryDay
from api.dependencies import ServicesDep
from api.pages import messages
from api.pages.web import PageError, SignedDep, render
from api.problems import ApiProblem
from api.report_files import GROUPING_NAMES, Format
from api.routes import reports
from api.routes.reports import GroupBy, LeagueGroupBy, MonthFormat
from projections.compliance.report import MAX_PERIOD_DAYS

router = APIRouter(prefix="/app", include_in_schema=False)

# The report endpoint's refusals of a period, in the page's words.
PERIOD_ERRORS = {
    "period_reversed": "结束日期早于开始日期。",
    "period_too_long": f"期间太长：一次最多 {MAX_PERIOD_DAYS} 天。",
}
Text = Annotated[str | None, Query(max_length=20)]
DAY = TypeAdapter(QueryDay)


class BadPeriod(Exception):
    pass


def _day(value: str | None, default: date) -> date:
    if not value:
        return default
    try:
        return DAY.validate_python(value)
    except ValidationError:
        raise BadPeriod(
            f"日期“{value}”不对：请按 年-月-日 填写，在 2000 至 2100 年之间。"
        ) from None


def _month(value: str | None, default: str) -> str:
    if not value:
        return default
    if re.fullmatch(reports.MONTH, value) is None:
        raise BadPeriod(f"月份“{value}”不对：请按 年-月 填写，如 2026-10。")
    return value


def _choice(value: str | None, allowed: type[GroupBy] | type[LeagueGroupBy], default: Any) -> Any:
    return allowed(value) if value in {g.value for g in allowed} else default


def _compliance(
    services: Any, signed: Any, first: date, last: date, group_by: GroupBy, wanted: Format | None
) -> Any:
    try:
        return reports.get_compliance_report(services, signed.access, first, last, group_by, wanted)
    except ApiProblem as problem:
        raise BadPeriod(
            PERIOD_ERRORS.get(problem.code or "", messages.rule_message(problem.code or ""))
        ) from None


@router.get("/reports")
def report_page(
    request: Request,
    services: ServicesDep,
    signed: SignedDep,
    from_: Annotated[str | None, Query(alias="from", max_length=20)] = None,
    to: Text = None,
    group_by: Text = None,
    month: Text = None,
    league_by: Text = None,
) -> Response:
    """The period's report by the chosen grouping (this month so far by default), and the
    month's league table."""
    signed.require(Action.REPORTS)
    today = datetime.now(UTC).astimezone(services.settings.zone).date()
    grouping = _choice(group_by, GroupBy, GroupBy.COMMUNITY)
    ranking = _choice(league_by, LeagueGroupBy, LeagueGroupBy.GRID)
    values = {
        "from": from_ or today.replace(day=1).isoformat(),
        "to": to or today.isoformat(),
        "group_by": grouping.value,
        "month": month or today.strftime("%Y-%m"),
        "league_by": ranking.value,
    }
    error, report, league = None, None, None
    try:
        first = _day(from_, today.replace(day=1))
        last = _day(to, today)
        report = _compliance(services, signed, first, last, grouping, None)
        league = reports.get_league(
            services, signed.access, _month(month, values["month"]), ranking, None
        )
    except BadPeriod as bad:
        error = str(bad)
    return render(
        request,
        "reports.html",
        status_code=200 if error is None else 422,
        signed=signed,
        values=values,
        error=error,
        report=report,
        league=league,
        group_names=GROUPING_NAMES,  # as the report's files name them
    )


@router.get("/reports/compliance.xlsx")
def compliance_file(
    services: ServicesDep,
    signed: SignedDep,
    from_: Annotated[str | None, Query(alias="from", max_length=20)] = None,
    to: Text = None,
    group_by: Text = None,
) -> Response:
    """The report's workbook, as GET /reports/compliance?format=xlsx answers it."""
    signed.require(Action.REPORTS)
    today = datetime.now(UTC).astimezone(services.settings.zone).date()
    try:
        first, last = _day(from_, today.replace(day=1)), _day(to, today)
        answer: Response = _compliance(
            services,
            signed,
            first,
            last,
            _choice(group_by, GroupBy, GroupBy.COMMUNITY),
            Format.XLSX,
        )
    except BadPeriod as bad:
        raise PageError(422, "报表期间不对", str(bad)) from None
    return answer


@router.get("/reports/league.xlsx")
def league_file(
    services: ServicesDep, signed: SignedDep, month: Text = None, league_by: Text = None
) -> Response:
    """The league table's workbook, as GET /reports/league?format=xlsx answers it."""
    signed.require(Action.REPORTS)
    today = datetime.now(UTC).astimezone(services.settings.zone).date()
    try:
        wanted = _month(month, today.strftime("%Y-%m"))
    except BadPeriod as bad:
        raise PageError(422, "月份不对", str(bad)) from None
    answer: Response = reports.get_league(
        services,
        signed.access,
        wanted,
        _choice(league_by, LeagueGroupBy, LeagueGroupBy.GRID),
        MonthFormat.XLSX,
    )
    return answer
