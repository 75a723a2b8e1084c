"""The 3456 assessment (三四五六考核) of workers for a month, from the compliance report's
worker rows and the scores the community and the street office gave (``cr_scores``)."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import psycopg

from domain.time_limits import WorkingCalendar
from projections.compliance.report import Period, Weights, compliance_report
from projections.compliance.working_time import is_working_day

PARTIES = ("community", "street")


@dataclass(frozen=True)
class AssessmentRules:
    """The floor of grid time and the parts' weights (CASEWORK_ASSESSMENT_* settings)."""

    floor: float = 0.5
    hours_per_day: float = 8.0
    grid_time: float = 0.3
    residents: float = 0.3
    community: float = 0.2
    street: float = 0.2


ASSESSMENT_DEFINITIONS = """\
One row per worker: every worker of the caller's area (GET /users) and every worker with a
fact of the month in it (a visit, a closure, a call-back, ...), or only `worker`. Figures
count the facts of the caller's grids only, as in the compliance report.

- `working_minutes` = 60 × `CASEWORK_ASSESSMENT_HOURS_PER_DAY` (8) × the working days of the
  month on the working-day calendar (the whole month, also while it runs).
- `visit_minutes`: the sum of `duration_minutes` of the worker's visits whose `visited_at`
  falls in the month; `grid_time_share` = visit_minutes / working_minutes (在格时间占比);
  `meets_floor`: grid_time_share ≥ the floor (`CASEWORK_ASSESSMENT_FLOOR`, 0.5; Hubei uses
  two thirds); `grid_time_score` = 100 × min(1, grid_time_share / floor).
- Residents' verdicts (群众评价): the worker's `valid_callbacks`, `response_rate`,
  `resolution_rate`, `satisfaction_rate` and `composite_score` of the month, as the
  compliance report defines them; `residents_score` = composite_score.
- `community_score`, `street_score` (0-100): the latest score the community's and the street
  office's supervisors gave for the month (POST /workers/{worker_id}/scores), with who gave it
  (`*_scored_by`) and when (`*_scored_at`); null until given.
- `total` (总分) = w_t × grid_time_score + w_r × residents_score + w_c × community_score +
  w_s × street_score, weights `CASEWORK_ASSESSMENT_WEIGHT_GRID_TIME`, `_RESIDENTS`,
  `_COMMUNITY`, `_STREET` (defaults 0.3, 0.3, 0.2, 0.2); null while any part is null.

Rows are ordered by name, then worker id.
"""


def working_days(calendar: WorkingCalendar, first: date, last: date) -> int:
    days, day = 0, first
    while day <= last:
        days += is_working_day(calendar, day)
        day += timedelta(days=1)
    return days


def assessment(
    conn: psycopg.Connection[Any],
    month: str,
    period: Period,
    calendar: WorkingCalendar,
    workers: dict[str, str | None],
    grids: list[str] | None,
    weights: Weights,
    rules: AssessmentRules,
    only: str | None = None,
) -> dict[str, Any]:
    """``workers``: id -> name of the workers to list whatever their facts (the caller's
    area's); ``grids``: the caller's grids (None: the city); ``only``: one worker."""
    report = compliance_report(conn, period, "worker", grids, weights)
    facts = {row["group"]: row for row in report["rows"] if row["group"] != "unassigned"}
    names = {**{w: row["name"] for w, row in facts.items()}, **workers}
    if only is not None:
        names = {only: names.get(only)}
    scores: dict[tuple[str, str], tuple[int, str, datetime]] = {
        (worker, party): (score, by, at)
        for worker, party, score, by, at in conn.execute(
            "SELECT worker, party, score, scored_by, scored_at FROM cr_scores"
            " WHERE month = %s AND worker = ANY(%s)",
            (month, list(names)),
        ).fetchall()
    }
    days = working_days(calendar, period.first, period.last)
    working_minutes = round(days * rules.hours_per_day * 60)
    rows = [
        worker_row(worker, name, facts.get(worker, {}), scores, working_minutes, rules)
        for worker, name in sorted(names.items(), key=lambda item: (item[1] or "", item[0]))
    ]
    return {
        "month": month,
        "working_days": days,
        "working_minutes": working_minutes,
        "floor": rules.floor,
        "weights": {
            "grid_time": rules.grid_time,
            "residents": rules.residents,
            "community": rules.community,
            "street": rules.street,
        },
        "rows": rows,
    }


def worker_row(
    worker: str,
    name: str | None,
    facts: dict[str, Any],
    scores: dict[tuple[str, str], tuple[int, str, datetime]],
    working_minutes: int,
    rules: AssessmentRules,
) -> dict[str, Any]:
    """A worker's line: ``facts`` their compliance report row (empty without facts),
    ``scores`` (worker, party) -> (score, by, at)."""
    minutes = facts.get("visit_minutes", 0)
    share = minutes / working_minutes if working_minutes else None
    time_score = None if share is None else 100 * min(1.0, share / rules.floor)
    row: dict[str, Any] = {
        "worker": worker,
        "name": name,
        "visit_count": facts.get("visit_count", 0),
        "visit_minutes": minutes,
        "working_minutes": working_minutes,
        "grid_time_share": share,
        "meets_floor": None if share is None else share >= rules.floor,
        "grid_time_score": time_score,
        "valid_callbacks": facts.get("valid_callbacks", 0),
        "response_rate": facts.get("response_rate"),
        "resolution_rate": facts.get("resolution_rate"),
        "satisfaction_rate": facts.get("satisfaction_rate"),
        "residents_score": facts.get("composite_score"),
    }
    for party in PARTIES:
        score, by, at = scores.get((worker, party), (None, None, None))
        row[f"{party}_score"] = score
        row[f"{party}_scored_by"] = by
        row[f"{party}_scored_at"] = at
    parts = (
        (rules.grid_time, time_score),
        (rules.residents, row["residents_score"]),
        (rules.community, row["community_score"]),
        (rules.street, row["street_score"]),
    )
    row["total"] = (
        None if any(v is None for _, v in parts) else sum(w * v for w, v in parts if v is not None)
    )
    return row
