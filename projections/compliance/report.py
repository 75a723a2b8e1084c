"""The compliance report (合规报表) for a period, answered from the compliance read model.

One query per report: the daily totals of the period's days, corrected so that a case
closed (reopened) more than once in the period counts once; the spans overdue at the
period's end; and the handling hours of the counted closures for the percentiles; summed
per group of the requested grouping and, for the totals, not grouped at all.

The daily totals are kept per local day of the read model's zone, and a period is whole
local days of the zone it is given in: the service sets both from CASEWORK_TIMEZONE.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

import psycopg
from psycopg import sql

from domain.names import CATEGORY_NAMES, KIND_NAMES
from domain.vocabulary import VALID_RATINGS
from projections.compliance.facts import SATISFIED_RATINGS
from projections.compliance.schema import DAILY_FIGURES

GROUPINGS = ("street", "community", "grid", "category", "worker")

MAX_PERIOD_DAYS = 366

UNASSIGNED = "unassigned"
UNKNOWN = "unknown"


OTHER_NAMES = {UNASSIGNED: "未分派", UNKNOWN: "未知"}

# Stated in the OpenAPI description of GET /reports/compliance, word for word.
DEFINITIONS = """\
**Period.** `from` and `to` are dates, both included, in the service's time zone
(Asia/Shanghai by default): the period is [F, T) with F = `from` 00:00 and T = the day after
`to` 00:00. "At T" means as the case stood after every event that occurred before T; an event
at T itself belongs to the next period.

**Figures** (each row counts the facts of its group; `totals` counts every fact once):

- `received`: cases whose Received occurred in the period.
- `closed`: cases with a Closed in the period, each counted once, by its last closure in the
  period.
- `closed_on_time`: those of them whose counted closure came at or before the deadline in
  force at that moment (after extensions, the shifts for suspensions and recounts).
- `overdue_open`: cases open at T (received before T and not closed at T), not suspended at
  T, whose deadline in force at T is before T; the same meaning as the `overdue` flag of
  GET /cases. A case extended past T is not overdue.
- `ratings_valid` (= `valid_callbacks`): call-backs (Rated) in the period that are
  satisfied, basically_satisfied or dissatisfied; every call-back counts (a case reopened
  and called back again counts twice); unreachable and refused are not valid call-backs.
  `ratings_satisfied`: the satisfied and basically_satisfied ones. `callbacks_contacted`,
  `callbacks_solved`, `callbacks_partly_solved`: the valid call-backs that say the handler
  contacted the resident, that the matter is solved, partly solved.
- `reopened`: cases with a Reopened in the period, each counted once, by its last reopening
  in the period.
- `visit_count`, `visit_minutes`: visits whose `visited_at` falls in the period, and the sum
  of their `duration_minutes`.
- `on_time_rate` = closed_on_time / (closed + overdue_open);
  `closure_rate` = closed / received;
  `reopen_rate` = reopened / closed.
- The three rates over valid call-backs (响应率, 解决率, 满意率). The answers `contacted` and
  `solved` are optional, and ratings recorded before call-backs had them have neither: each
  rate is over the valid call-backs that gave its answer (a rating without the answers
  still counts in the satisfaction rate).
  `response_rate` = callbacks_contacted / valid call-backs that answered `contacted`;
  `resolution_rate` = (callbacks_solved + callbacks_partly_solved × w_partly) / valid
  call-backs that answered `solved` (w_partly: CASEWORK_WEIGHT_PARTLY_SOLVED, default 0);
  `satisfaction_rate` = (satisfied + basically_satisfied × w_basic) / valid_callbacks
  (w_basic: CASEWORK_WEIGHT_BASICALLY_SATISFIED, default 1, with which it is
  ratings_satisfied / ratings_valid, as before call-backs).
- `composite_score` (综合得分, 0-100) = 100 × (w_r × response_rate + w_s × resolution_rate
  + w_m × satisfaction_rate), weights CASEWORK_WEIGHT_RESPONSE, _RESOLUTION and
  _SATISFACTION (defaults 0.1, 0.5, 0.4); null while any of the three rates is null.
- `signed_for`: SignedFor (签收) in the period; `signed_on_time`: those within the limit
  from the case's last assignment (Assigned or Reassigned): by the end of the first working
  day after the day of the assignment, urgent cases (resident_request.urgent) within 1 hour;
  `signed_on_time_rate` = signed_on_time / signed_for.
- `assigned`: Assigned and Reassigned in the period; `sent_back`: SentBack (退回) in the
  period; `send_back_rate` = sent_back / assigned.
- `urged`, `supervised`, `publicly_noted`: Urged (催办), Supervised (督办) and PubliclyNoted
  (通报) events in the period, each event once (a case urged twice counts twice).
  Rates are fractions from 0 to 1, unrounded; null where the denominator is 0.
- `handling_hours_p50`, `handling_hours_p90`: the median and 90th percentile (continuous,
  as PostgreSQL's percentile_cont) over the counted closures of the handling time: from
  the case's receipt to that closure, the hours that fall on working days (each working day
  of the working-day calendar counts whole, 24 hours from local midnight; a day of a year
  the calendar does not know counts if it is a weekday), less the hours on working days
  during which the case was suspended. Rounded to 2 decimals; null without closures.

**Grouping** (`group_by`): `grid` is the case's grid; `community` and `street` follow
from the grid in the reference data (`unknown` for a grid not in it); `category` is
`kind.category` (e.g. `dispute.other`, named 矛盾纠纷·其他); `worker` is the case's assignee
at the moment of the fact (closure, call-back, reopening, assignment: the new assignee,
sign-for, send-back, urge, supervision, public notice), the visit's worker for a visit,
and the assignee at T for `received` and `overdue_open`; `unassigned` when there is none.
`name` is the area's name, the category's Chinese name or the worker's name. Rows are the
groups with at least one fact in the period, ordered by `group`.
"""


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    zone: tzinfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), tzinfo=self.zone)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), tzinfo=self.zone)


@dataclass(frozen=True)
class Weights:
    """The composite score's weights and what partly solved and basically satisfied count
    as (the service's CASEWORK_WEIGHT_* settings)."""

    response: float = 0.1
    resolution: float = 0.5
    satisfaction: float = 0.4
    partly_solved: float = 0.0
    basically_satisfied: float = 1.0


def category_name(code: str) -> str | None:
    kind, _, category = code.partition(".")
    names = CATEGORY_NAMES.get(kind, {})
    if kind not in KIND_NAMES or category not in names:
        return None
    return f"{KIND_NAMES[kind]}·{names[category]}"


# The daily totals' figures, and the cases overdue and open at the period's end (counted
# from the cases' spans, not the daily totals), in the report's order.
FIGURES = (*DAILY_FIGURES[:3], "overdue_open", *DAILY_FIGURES[3:])
STEPS = ("assigned", "signed_for", "sent_back", "urged", "supervised", "publicly_noted")


def _select(**values: str) -> str:
    """A row of every figure in FIGURES' order, named: the values given, 0 for the rest.
    Only constants of this module go in (hence the noqa S608 below)."""
    return ", ".join(f"{values.get(figure, '0')} AS {figure}" for figure in FIGURES)


# Every figure of the period but the handling hours, per base key (a grid, a category, a
# worker or '' for none): the daily totals of the period's days; less the closures (and
# reopenings) that another closure (reopening) of the same case followed within the
# period, so that each case counts once, by its last; and the cases overdue and open at
# T. Columns: base, then FIGURES.
COUNTS = f"""
{{totals}}
UNION ALL
SELECT {{base}}, {_select(closed="-1", closed_on_time="-(on_time::int)")}
  FROM cr_closures
 WHERE closed_at >= %(start)s AND next_closed_at < %(end)s AND next_closed_at < 'infinity'
   AND (%(grids)s::text[] IS NULL OR grid_id = ANY(%(grids)s))
UNION ALL
SELECT {{base}}, {_select(reopened="-1")}
  FROM cr_reopens
 WHERE reopened_at >= %(start)s AND next_reopened_at < %(end)s
   AND next_reopened_at < 'infinity'
   AND (%(grids)s::text[] IS NULL OR grid_id = ANY(%(grids)s))
UNION ALL
SELECT {{base}}, {_select(overdue_open="1")}
  FROM cr_spans
 WHERE open AND NOT suspended AND overdue_range @> %(end)s::timestamptz
   AND (%(grids)s::text[] IS NULL OR grid_id = ANY(%(grids)s))
{{received_by_worker}}"""  # noqa: S608 (our own figure names and expressions)

DAILY_TOTALS = f"""
SELECT key AS base, {_select(**{f: f for f in FIGURES if f != "overdue_open"})}
  FROM cr_daily
 WHERE dimension = %(dimension)s AND day >= %(first)s AND day <= %(last)s
   AND (%(grids)s::text[] IS NULL OR key = ANY(%(grids)s))"""  # noqa: S608 (our own figure names and expressions)

# What a call-back (cr_ratings row) adds: valid ones count, and their answers where given.
_VALID = "rating = ANY(%(valid)s)"
CALLBACK_FIGURES = {
    "ratings_valid": f"({_VALID})::int",
    "ratings_satisfied": "(rating = ANY(%(satisfied)s))::int",
    "ratings_basic": "(rating = 'basically_satisfied')::int",
    "callbacks_contact_answered": f"({_VALID} AND contacted IS NOT NULL)::int",
    "callbacks_contacted": f"({_VALID} AND coalesce(contacted, false))::int",
    "callbacks_solve_answered": f"({_VALID} AND solved IS NOT NULL)::int",
    "callbacks_solved": f"({_VALID} AND coalesce(solved = 'solved', false))::int",
    "callbacks_partly": f"({_VALID} AND coalesce(solved = 'partly_solved', false))::int",
}
STEP_FIGURES = {
    **{step: f"(step = '{step}')::int" for step in STEPS},
    "signed_on_time": "(step = 'signed_for' AND on_time)::int",
}

# Within an area, by category or by worker: the daily totals are kept per grid, per category
# and per worker, not per grid and category, so the same figures are counted from the facts
# they are made of, cut to the area's grids (each fact on the local day of its moment, as
# the daily totals count it). Receptions by worker come from RECEIVED_BY_WORKER.
FACT_TOTALS = f"""
SELECT {{base}} AS base, {_select(closed="1", closed_on_time="on_time::int")}
  FROM cr_closures
 WHERE closed_at >= %(start)s AND closed_at < %(end)s AND grid_id = ANY(%(grids)s)
UNION ALL
SELECT {{base}}, {_select(reopened="1")}
  FROM cr_reopens
 WHERE reopened_at >= %(start)s AND reopened_at < %(end)s AND grid_id = ANY(%(grids)s)
UNION ALL
SELECT {{base}}, {_select(**CALLBACK_FIGURES)}
  FROM cr_ratings
 WHERE rated_at >= %(start)s AND rated_at < %(end)s AND grid_id = ANY(%(grids)s)
UNION ALL
SELECT {{base}}, {_select(visit_count="1", visit_minutes="duration_minutes")}
  FROM cr_visits
 WHERE visited_at >= %(start)s AND visited_at < %(end)s AND grid_id = ANY(%(grids)s)
UNION ALL
SELECT {{base}}, {_select(**STEP_FIGURES)}
  FROM cr_steps
 WHERE at >= %(start)s AND at < %(end)s AND grid_id = ANY(%(grids)s)"""  # noqa: S608 (our own figure names and expressions)

RECEIVED_IN_AREA = f"""
UNION ALL
SELECT kind || '.' || category, {_select(received="1")}
  FROM cr_cases
 WHERE received_at >= %(start)s AND received_at < %(end)s AND grid_id = ANY(%(grids)s)"""  # noqa: S608 (our own figure names and expressions)

# Per worker, a case received in the period counts for its assignee at T: the worker of
# its span holding T (the daily totals keep no receptions per worker).
RECEIVED_BY_WORKER = f"""UNION ALL
SELECT coalesce(worker, ''), {_select(received="1")}
  FROM cr_spans
 WHERE received_at >= %(start)s AND received_at < %(end)s
   AND valid_from < %(end)s AND valid_to >= %(end)s
   AND (%(grids)s::text[] IS NULL OR grid_id = ANY(%(grids)s))
"""  # noqa: S608 (our own figure names and expressions)

# The handling hours of the counted closures (each case's last closure in the period),
# group by group: every base key with facts in the period, in the order of its group,
# and each one's closures by index (OFFSET 0 keeps the planner from turning that into a
# join over all the period's closures); so the percentiles need no sort of all the rows.
HOURS = """
SELECT CASE WHEN GROUPING(k.key) = 0 THEN k.key END AS grp,
       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY x.hours) AS hours
  FROM (SELECT {key} AS key, p.base FROM ({bases}) p {joins} ORDER BY 1) k
 CROSS JOIN LATERAL (
       SELECT c.handling_hours AS hours
         FROM cr_closures c
        WHERE {match} AND c.closed_at >= %(start)s AND c.closed_at < %(end)s
          AND c.next_closed_at >= %(end)s
          AND (%(grids)s::text[] IS NULL OR c.grid_id = ANY(%(grids)s))
       OFFSET 0) x
 GROUP BY GROUPING SETS ((k.key), ())
"""

DAILY_BASES = """
SELECT DISTINCT key AS base FROM cr_daily
 WHERE dimension = %(dimension)s AND day >= %(first)s AND day <= %(last)s
   AND (%(grids)s::text[] IS NULL OR key = ANY(%(grids)s))"""

# Within an area, by category or worker: the area's counted closures are few, so the
# percentiles are taken over them directly (the city-wide HOURS walks each group's index).
HOURS_IN_AREA = """
SELECT CASE WHEN GROUPING(x.key) = 0 THEN x.key END AS grp,
       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY x.hours) AS hours
  FROM (SELECT {key} AS key, p.hours
          FROM (SELECT {base} AS base, handling_hours AS hours FROM cr_closures
                 WHERE closed_at >= %(start)s AND closed_at < %(end)s
                   AND next_closed_at >= %(end)s AND grid_id = ANY(%(grids)s)) p) x
 GROUP BY GROUPING SETS ((x.key), ())
"""

# A closure of the base key k.base, per dimension (as the closures' indexes have it).
MATCHES = {
    "grid": "c.grid_id = k.base",
    "category": "c.kind = split_part(k.base, '.', 1) AND c.category = split_part(k.base, '.', 2)",
    "worker": "c.worker_key = k.base",
}

# The base key of a fact row, per dimension of the daily totals.
BASES = {
    "grid": "grid_id",
    "category": "kind || '.' || category",
    "worker": "coalesce(worker, '')",
}

# Per grouping: its dimension, the group's key from the base key (in byte order, which
# sorts fast) and the joins it needs.
GROUPS = {
    "grid": ("grid", 'p.base COLLATE "C"', ""),
    "community": (
        "grid",
        f"coalesce(g.parent_id, '{UNKNOWN}') COLLATE \"C\"",
        "LEFT JOIN casework_areas g ON g.id = p.base",
    ),
    "street": (
        "grid",
        f"coalesce(s.parent_id, '{UNKNOWN}') COLLATE \"C\"",
        "LEFT JOIN casework_areas g ON g.id = p.base"
        " LEFT JOIN casework_areas s ON s.id = g.parent_id",
    ),
    "category": ("category", 'p.base COLLATE "C"', ""),
    "worker": ("worker", f"coalesce(nullif(p.base, ''), '{UNASSIGNED}') COLLATE \"C\"", ""),
}

# Per group and in total (the group null).
GROUPED = """
SELECT CASE WHEN GROUPING(f.key) = 0 THEN f.key END AS grp, {aggregates}
  FROM (SELECT {key} AS key, p.* FROM ({parts}) p {joins}) f
 GROUP BY GROUPING SETS ((f.key), ())
"""


def _queries(group_by: str, in_area: bool) -> tuple[sql.Composed, sql.Composed, str]:
    dimension, key, joins = GROUPS[group_by]
    base = sql.SQL(BASES[dimension])
    from_facts = in_area and dimension != "grid"
    totals = FACT_TOTALS if from_facts else DAILY_TOTALS
    if from_facts and dimension != "worker":
        totals += RECEIVED_IN_AREA
    counts = sql.SQL(COUNTS).format(
        totals=sql.SQL(totals).format(base=base),
        base=base,
        received_by_worker=sql.SQL(RECEIVED_BY_WORKER if dimension == "worker" else ""),
    )
    sums = sql.SQL(", ").join(
        sql.SQL("sum(f.{0})::bigint AS {0}").format(sql.Identifier(figure)) for figure in FIGURES
    )
    if from_facts:
        hours = sql.SQL(HOURS_IN_AREA).format(key=sql.SQL(key), base=base)
    else:
        hours = sql.SQL(HOURS).format(
            key=sql.SQL(key),
            joins=sql.SQL(joins),
            match=sql.SQL(MATCHES[dimension]),
            bases=sql.SQL(DAILY_BASES),
        )
    grouped = sql.SQL(GROUPED).format(
        key=sql.SQL(key), joins=sql.SQL(joins), parts=counts, aggregates=sums
    )
    return grouped, hours, dimension


def compliance_report(
    conn: psycopg.Connection[Any],
    period: Period,
    group_by: str,
    grids: list[str] | None = None,
    weights: Weights = Weights(),
) -> dict[str, Any]:
    """{from, to, group_by, period_start, period_end, rows, totals}; see DEFINITIONS.

    ``grids``: only the cases of these grids (the caller's area); None for the whole city.
    """
    if group_by not in GROUPINGS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPINGS)}")
    counts, hours, dimension = _queries(group_by, in_area=grids is not None)
    params = {
        "grids": grids,
        "valid": sorted(VALID_RATINGS),
        "satisfied": sorted(SATISFIED_RATINGS),
        "dimension": dimension,
        "first": period.first,
        "last": period.last,
        "start": period.start,
        "end": period.end,
    }
    with conn.transaction(), conn.cursor() as cursor:
        # Both queries see the read model as of one moment.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        # Sorts for the percentiles in memory; no JIT compilation, which costs more than
        # it saves on these row counts.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(counts, params)
        columns = [d.name for d in cursor.description or ()]
        found = {row[0]: dict(zip(columns, row, strict=True)) for row in cursor.fetchall()}
        cursor.execute(hours, params)
        percentiles = dict(cursor.fetchall())
        # A group whose only facts were closures taken back (the case closed again in the
        # period, by another worker) has no fact in the period.
        keys = sorted(k for k, r in found.items() if k is not None and any(r[f] for f in FIGURES))
        names = _names(cursor, group_by, keys)
    return {
        "from": period.first,
        "to": period.last,
        "group_by": group_by,
        "period_start": period.start,
        "period_end": period.end,
        "rows": [_figures(found[k], percentiles.get(k), k, names.get(k), weights) for k in keys],
        "totals": _figures(found.get(None), percentiles.get(None), None, "合计", weights),
    }


def _names(cursor: psycopg.Cursor[Any], group_by: str, keys: list[str]) -> dict[str, str]:
    names: dict[str, str] = {k: OTHER_NAMES[k] for k in keys if k in OTHER_NAMES}
    if group_by == "category":
        names.update({k: n for k in keys if (n := category_name(k)) is not None})
    elif group_by == "worker":
        cursor.execute(
            "SELECT id::text, name FROM casework_users WHERE id::text = ANY(%s)", (keys,)
        )
        names.update(dict(cursor.fetchall()))
    else:
        cursor.execute("SELECT id, name FROM casework_areas WHERE id = ANY(%s)", (keys,))
        names.update(dict(cursor.fetchall()))
    return names


def _rate(numerator: float, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _figures(
    found: dict[str, Any] | None,
    hours: list[float] | None,
    group: str | None,
    name: str | None,
    weights: Weights,
) -> dict[str, Any]:
    counts = {figure: int(found[figure] or 0) if found else 0 for figure in FIGURES}
    return {
        "group": group,
        "name": name,
        "received": counts["received"],
        "closed": counts["closed"],
        "closed_on_time": counts["closed_on_time"],
        "overdue_open": counts["overdue_open"],
        "on_time_rate": _rate(counts["closed_on_time"], counts["closed"] + counts["overdue_open"]),
        "closure_rate": _rate(counts["closed"], counts["received"]),
        "reopen_rate": _rate(counts["reopened"], counts["closed"]),
        "handling_hours_p50": _hours(hours[0]) if hours else None,
        "handling_hours_p90": _hours(hours[1]) if hours else None,
        "visit_count": counts["visit_count"],
        "visit_minutes": counts["visit_minutes"],
        "ratings_valid": counts["ratings_valid"],
        "ratings_satisfied": counts["ratings_satisfied"],
        "reopened": counts["reopened"],
        **callback_rates(counts, weights),
        "signed_for": counts["signed_for"],
        "signed_on_time": counts["signed_on_time"],
        "signed_on_time_rate": _rate(counts["signed_on_time"], counts["signed_for"]),
        "assigned": counts["assigned"],
        "sent_back": counts["sent_back"],
        "send_back_rate": _rate(counts["sent_back"], counts["assigned"]),
        "urged": counts["urged"],
        "supervised": counts["supervised"],
        "publicly_noted": counts["publicly_noted"],
    }


def callback_rates(counts: dict[str, int], weights: Weights) -> dict[str, Any]:
    """The three rates over valid call-backs and the composite score (see DEFINITIONS)."""
    satisfied_only = counts["ratings_satisfied"] - counts["ratings_basic"]
    response = _rate(counts["callbacks_contacted"], counts["callbacks_contact_answered"])
    resolution = _rate(
        counts["callbacks_solved"] + counts["callbacks_partly"] * weights.partly_solved,
        counts["callbacks_solve_answered"],
    )
    satisfaction = _rate(
        satisfied_only + counts["ratings_basic"] * weights.basically_satisfied,
        counts["ratings_valid"],
    )
    rates = (response, resolution, satisfaction)
    composite = (
        None
        if None in rates
        else 100
        * (
            weights.response * response  # type: ignore[operator]
            + weights.resolution * resolution  # type: ignore[operator]
            + weights.satisfaction * satisfaction  # type: ignore[operator]
        )
    )
    return {
        "valid_callbacks": counts["ratings_valid"],
        "callbacks_contacted": counts["callbacks_contacted"],
        "callbacks_solved": counts["callbacks_solved"],
        "callbacks_partly_solved": counts["callbacks_partly"],
        "response_rate": response,
        "resolution_rate": resolution,
        "satisfaction_rate": satisfaction,
        "composite_score": composite,
    }
