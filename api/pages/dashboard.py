"""The supervisor's dashboard (总览): its page, its data as JSON, and its live stream.

Everything comes from the read models (the case list and the compliance model), never
from replaying cases, and only from the cases of the caller's area. The page is drawn with
its data in place (it reads without JavaScript); static/dashboard.js draws the charts
with ECharts from the same data, and fetches it again each time the stream says the read
models moved.
"""

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from sse_starlette import EventSourceResponse

from api.access import Access, Action
from api.dependencies import ServicesDep
from api.pages import live
from api.pages.web import SignedDep, render
from domain.application import CaseWork
from domain.time_limits import in_zone
from infra.bootstrap import Services
from infra.projections import READ_MODELS
from projections.case_list.queries import CaseFilter, list_cases, open_summary
from projections.compliance.days import received_and_closed_by_day
from projections.compliance.report import Period, compliance_report
from projections.runner import read_models_and_head

router = APIRouter(prefix="/app", include_in_schema=False)

DAYS = 30  # the curve of received and closed: the last 30 local days, today included
LISTED = 10  # rows of the overdue and supervision lists (the counts link to all of them)
RATES = ("on_time_rate", "response_rate", "resolution_rate", "satisfaction_rate")


def position(services: Services) -> int:
    """How far every read model has got in the event log."""
    with services.pool.connection() as conn:
        reached, _head = read_models_and_head(conn, list(READ_MODELS), f"{CaseWork.name}_events")
    return reached


def _listed(
    rows: list[dict[str, Any]], services: Services, names: dict[str, str], grids: dict[str, str]
) -> list[dict[str, Any]]:
    zone = services.settings.zone
    return [
        {
            "id": str(row["id"]),
            "title": row["title"],
            "grid_id": row["grid_id"],
            "grid": grids.get(row["grid_id"], row["grid_id"]),
            "assignee": names.get(row["assignee"] or "") or "未派单",
            "due_at": in_zone(row["due_at"], zone).strftime("%Y-%m-%d %H:%M"),
            "level": row["supervised_by_level"],
        }
        for row in rows
    ]


def _rates(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "group": row["group"],
            "name": row["name"] or row["group"],
            "closed": row["closed"],
            "overdue_open": row["overdue_open"],
            "valid_callbacks": row["valid_callbacks"],
            **{rate: row[rate] for rate in RATES},
        }
        for row in report["rows"]
    ]


def dashboard_data(services: Services, access: Access) -> dict[str, Any]:
    """Every figure of the dashboard for the caller's area, JSON-ready."""
    now = datetime.now(UTC)
    zone = services.settings.zone
    today: date = now.astimezone(zone).date()
    reach = access.reach_filter()
    grids = sorted(access.grids) if access.grids is not None else None
    month = Period(today.replace(day=1), today, zone)
    weights = services.settings.weights
    # The position first: whatever moves while the figures are read is told again.
    reached = position(services)
    with services.pool.connection() as conn:
        summary = open_summary(conn, now=now, reach=CaseFilter(**reach))
        overdue = list_cases(
            conn, CaseFilter(overdue=True, **reach), now=now, sort="due_at", limit=LISTED
        )
        supervised = list_cases(
            conn,
            CaseFilter(supervised=True, open=True, **reach),
            now=now,
            sort="due_at",
            limit=LISTED,
        )
        days = received_and_closed_by_day(
            conn, today - timedelta(days=DAYS - 1), today, zone, grids
        )
        by_community = compliance_report(conn, month, "community", grids, weights)
        by_grid = compliance_report(conn, month, "grid", grids, weights)
    names = services.users.names(
        [row["worker"] for row in summary["workload"]]
        + [row["assignee"] for row in overdue.items + supervised.items]
    )
    grid_names = {row["grid_id"]: row["name"] or row["grid_id"] for row in summary["open_by_grid"]}
    counts = {
        key: value
        for key, value in summary.items()
        if key not in ("open_by_status", "open_by_grid", "workload")
    }
    # Today's received and closed are the curve's last day (the report's figures for today).
    counts.update(received_today=days[-1]["received"], closed_today=days[-1]["closed"])
    return {
        "position": reached,
        "today": today.isoformat(),
        "month": {"from": month.first.isoformat(), "to": month.last.isoformat()},
        "counts": {
            **counts,
            "overdue_listed": overdue.total,
            "supervised_listed": supervised.total,
        },
        "open_by_status": summary["open_by_status"],
        "open_by_grid": [
            {**row, "name": row["name"] or row["grid_id"]} for row in summary["open_by_grid"]
        ],
        "workload": [
            {**row, "name": names.get(row["worker"], row["worker"])} for row in summary["workload"]
        ],
        "overdue": _listed(overdue.items, services, names, grid_names),
        "supervised": _listed(supervised.items, services, names, grid_names),
        "days": [{**day, "day": day["day"].isoformat()} for day in days],
        "rates_by_community": _rates(by_community),
        "rates_by_grid": _rates(by_grid),
    }


@router.get("/dashboard")
def dashboard(request: Request, services: ServicesDep, signed: SignedDep) -> Response:
    """The supervisor's dashboard at a glance, each figure linking to the cases behind it."""
    signed.require(Action.DASHBOARD)
    data = dashboard_data(services, signed.access)
    return render(request, "dashboard.html", signed=signed, data=data)


@router.get("/dashboard/data")
def dashboard_json(services: ServicesDep, signed: SignedDep) -> Response:
    """The same figures as JSON, for the page's script to draw again."""
    signed.require(Action.DASHBOARD)
    return JSONResponse(
        dashboard_data(services, signed.access), headers={"Cache-Control": "no-store"}
    )


def watch_of(request: Request) -> live.PositionWatch:
    """The process's one watch of the read models' position (made at the first stream)."""
    state = request.app.state
    if getattr(state, "position_watch", None) is None:
        services: Services = state.services
        state.position_watch = live.PositionWatch(lambda: position(services))
    watch: live.PositionWatch = state.position_watch
    return watch


def _since(
    since: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> int | None:
    """Where a stream of changes starts: past ``since``, the position the page's data was
    read at, or past the last event's id that a browser coming back sends."""
    if last_event_id is not None and last_event_id.isdigit():
        return int(last_event_id)
    return since


Since = Annotated[int | None, Depends(_since)]


def change_stream(request: Request, since: int | None) -> Response:
    """Server-sent events: "changed" whenever the read models move past ``since``."""
    return EventSourceResponse(live.changes(watch_of(request), since), ping=15)


@router.get("/dashboard/events")
def dashboard_events(request: Request, signed: SignedDep, since: Since) -> Response:
    """The dashboard's cue to draw its figures again."""
    signed.require(Action.DASHBOARD)
    return change_stream(request, since)
