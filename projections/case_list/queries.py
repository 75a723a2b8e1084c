"""Questions the case list answers, straight from its table (never by replaying cases)."""

import base64
import dataclasses
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from domain.time_limits import Light, light

SORTS = {
    # name: (column, descending)
    "-received_at": ("received_at", True),
    "received_at": ("received_at", False),
    "due_at": ("due_at", False),
    "-due_at": ("due_at", True),
    "-updated_at": ("updated_at", True),
}

OPEN = sql.SQL("closed_at IS NULL")
OVERDUE = sql.SQL("(closed_at IS NULL AND suspended_since IS NULL AND due_at < %(now)s)")
# The moment a case's clock stands at: now, its suspension, its closure (see domain light()).
CLOCK = "LEAST(%(now)s, suspended_since, closed_at)"
LIGHTS = {
    "red": sql.SQL(f"{CLOCK} > due_at"),
    "yellow": sql.SQL(f"{CLOCK} BETWEEN yellow_at AND due_at"),
    "green": sql.SQL(f"{CLOCK} < yellow_at"),
}


def row_light(row: dict[str, Any], now: datetime) -> Light:
    """A row's light, as the case answer has it: the clock stands at a suspension, and at
    the closure."""
    clock = min(m for m in (now, row["suspended_since"], row["closed_at"]) if m is not None)
    return light(row["due_at"], row["yellow_at"], clock)


@dataclass
class CaseFilter:
    kind: str | None = None
    category: str | None = None
    status: list[str] = field(default_factory=list)
    street_id: str | None = None
    community_id: str | None = None
    grid_id: str | None = None
    assignee: str | None = None
    first_contact: str | None = None
    overdue: bool | None = None
    due_before: datetime | None = None
    provisional: bool | None = None
    light: str | None = None
    supervised: bool | None = None
    # Open (not closed) or closed cases only.
    open: bool | None = None
    resident_id: str | None = None
    # A to_tsquery text (see search.query_terms) over titles and descriptions.
    text: str | None = None
    # The caller's reach: only these grids (None: all), and cases assigned to this worker.
    within_grids: list[str] | None = None
    assigned_to: str | None = None
    # Open311's filters: these cases only, received in [received_from, received_before).
    ids: list[UUID] | None = None
    received_from: datetime | None = None
    received_before: datetime | None = None

    def where(self, now: datetime) -> tuple[sql.Composable, dict[str, Any]]:
        clauses, params = self._counted_clauses()
        params["now"] = now
        _add_set(self, _OTHER_CLAUSES, into=(clauses, params))
        if self.overdue is not None:
            clauses.append(OVERDUE if self.overdue else sql.SQL("NOT ") + OVERDUE)
        if self.light is not None:
            clauses.append(LIGHTS[self.light])
        if self.supervised is not None:
            clauses.append(
                sql.SQL(f"supervised_by_level IS {'NOT ' if self.supervised else ''}NULL")
            )
        if self.open is not None:
            clauses.append(OPEN if self.open else sql.SQL("NOT ") + OPEN)
        if self.within_grids is not None and self.assigned_to is not None:
            clauses.append(
                sql.SQL("(grid_id = ANY(%(within_grids)s) OR assignee = %(assigned_to)s)")
            )
            params["within_grids"] = self.within_grids
            params["assigned_to"] = self.assigned_to
        return _joined(clauses), params

    def counted_where(self) -> tuple[sql.Composable, dict[str, Any]] | None:
        """The filter over rm_case_counts, when it filters on nothing those rows lack."""
        others = (*_OTHER_CLAUSES, "overdue", "light", "supervised", "open", "assigned_to")
        if any(getattr(self, name) is not None for name in others):
            return None
        clauses, params = self._counted_clauses()
        return _joined(clauses), params

    def _counted_clauses(self) -> tuple[list[sql.Composable], dict[str, Any]]:
        clauses: list[sql.Composable] = []
        params: dict[str, Any] = {}
        _add_set(self, _COUNTED_CLAUSES, into=(clauses, params))
        if self.status:
            clauses.append(sql.SQL("status = ANY(%(status)s)"))
            params["status"] = self.status
        if self.within_grids is not None and self.assigned_to is None:
            clauses.append(sql.SQL("grid_id = ANY(%(within_grids)s)"))
            params["within_grids"] = self.within_grids
        return clauses, params


def _equal(*columns: str) -> dict[str, sql.Composable]:
    return {c: sql.SQL("{} = %({})s").format(sql.Identifier(c), sql.SQL(c)) for c in columns}


# Each filter's clause, applied when the filter is set, the filter's value its parameter.
# These the case counts (rm_case_counts) answer too:
_COUNTED_CLAUSES: dict[str, sql.Composable] = {
    **_equal("kind", "category", "grid_id"),
    # The area's grids first, as one array: the planner then picks the case indexes by
    # grid instead of joining the areas table to a million rows.
    "community_id": sql.SQL(
        "grid_id = ANY(ARRAY(SELECT id FROM casework_areas WHERE parent_id = %(community_id)s))"
    ),
    "street_id": sql.SQL(
        "grid_id = ANY(ARRAY(SELECT g.id FROM casework_areas g JOIN casework_areas c"
        " ON c.id = g.parent_id WHERE c.parent_id = %(street_id)s))"
    ),
}
# These only the case list does:
_OTHER_CLAUSES: dict[str, sql.Composable] = {
    **_equal("assignee", "first_contact", "resident_id"),
    "due_before": sql.SQL("due_at < %(due_before)s AND ") + OPEN,
    "provisional": sql.SQL("due_at_provisional = %(provisional)s"),
    "text": sql.SQL("search @@ to_tsquery('simple', %(text)s)"),
    "ids": sql.SQL("id = ANY(%(ids)s)"),
    "received_from": sql.SQL("received_at >= %(received_from)s"),
    "received_before": sql.SQL("received_at < %(received_before)s"),
}


def _add_set(
    filters: CaseFilter,
    clauses: dict[str, sql.Composable],
    into: tuple[list[sql.Composable], dict[str, Any]],
) -> None:
    where, params = into
    for name, clause in clauses.items():
        value = getattr(filters, name)
        if value is not None:
            where.append(clause)
            params[name] = value


def _joined(clauses: list[sql.Composable]) -> sql.Composable:
    return sql.SQL(" AND ").join(clauses) if clauses else sql.SQL("TRUE")


# A text search counts its matches up to this many (or, when they are common, those among
# the first TEXT_WINDOW cases): the planner cannot tell how many cases hold a set of terms,
# and counting tens of thousands of them costs a second.
TEXT_COUNT_CAP = 1000


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int
    next_cursor: str | None
    total_capped: bool = False  # more than `total` match (text searches only)


def encode_cursor(value: Any, case_id: UUID) -> str:
    raw = json.dumps([value.isoformat(), str(case_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    """Raises ValueError for a cursor this service did not hand out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, case_id = json.loads(raw)
        return datetime.fromisoformat(value), UUID(case_id)
    except (TypeError, ValueError, json.JSONDecodeError) as error:
        raise ValueError("not a cursor from this service") from error


def list_cases(
    conn: psycopg.Connection[Any],
    filters: CaseFilter,
    *,
    now: datetime,
    sort: str = "-received_at",
    limit: int = 50,
    after: str | None = None,
    text_window: int | None = None,
) -> Page:
    column, descending = SORTS[sort]
    where, params = filters.where(now)
    keyset: sql.Composable = sql.SQL("")
    if after is not None:
        value, case_id = decode_cursor(after)
        params.update(after_value=value, after_id=case_id)
        comparison = sql.SQL("<") if descending else sql.SQL(">")
        keyset = sql.SQL(" AND ({col}, id) {cmp} (%(after_value)s, %(after_id)s)").format(
            col=sql.Identifier(column), cmp=comparison
        )
    order = sql.SQL("{col} {dir}, id {dir}").format(
        col=sql.Identifier(column), dir=sql.SQL("DESC") if descending else sql.SQL("ASC")
    )
    params["limit"] = limit + 1
    # The page's ids first, then their rows: the ids often come from an index alone, and
    # only the rows shown are read from the table.
    page = sql.SQL("SELECT id FROM rm_cases WHERE {where} ORDER BY {order} LIMIT %(limit)s")
    rows_of = sql.SQL(
        "SELECT *, {overdue} AS overdue FROM rm_cases JOIN ({ids}) AS page USING (id)"
        " ORDER BY {order}"
    )
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cursor:
        capped = False
        if filters.text is None:
            ids: sql.Composable = page.format(where=where + keyset, order=order)
            query = rows_of.format(overdue=OVERDUE, ids=ids, order=order)
            rows = cursor.execute(query, params).fetchall()
            total_row = cursor.execute(*_total_query(filters, where, params)).fetchone()
        else:
            window = TEXT_WINDOW if text_window is None else text_window
            hits, exhausted = _recent_matches(cursor, filters, now, keyset, order, params, window)
            if len(hits) >= params["limit"] or exhausted:
                # The newest cases held a page: count what they held (more may match
                # beyond them), or all of it when they were every candidate.
                total_row, capped = {"n": len(hits)}, not exhausted
                ids = sql.SQL("SELECT unnest(%(found)s::uuid[]) AS id")
                params["found"] = hits[: params["limit"]]
            else:
                total_row = cursor.execute(
                    sql.SQL(
                        "SELECT count(*) AS n FROM (SELECT 1 FROM rm_cases WHERE {} LIMIT {})"
                        " AS hits"
                    ).format(where, sql.Literal(TEXT_COUNT_CAP + 1)),
                    params,
                ).fetchone()
                capped = total_row is not None and total_row["n"] > TEXT_COUNT_CAP
                ids = page.format(where=where + keyset, order=order)
            query = rows_of.format(overdue=OVERDUE, ids=ids, order=order)
            rows = cursor.execute(query, params).fetchall()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(last[column], last["id"])
    total = min(int(total_row["n"]), TEXT_COUNT_CAP) if total_row else 0
    return Page(items=rows, total=total, next_cursor=next_cursor, total_capped=capped)


# How many of the newest cases (in the list's order) a text search tests one by one before
# it asks the text index instead.
TEXT_WINDOW = 4000


def _recent_matches(
    cursor: psycopg.Cursor[Any],
    filters: CaseFilter,
    now: datetime,
    keyset: sql.Composable,
    order: sql.Composable,
    params: dict[str, Any],
    window: int,
) -> tuple[list[Any], bool]:
    """A text search's matches among the first cases in the list's order, and whether those
    were every case the other filters let through.

    The planner cannot tell how many cases hold a set of terms; it takes them for rare and
    gathers every match from the text index, then sorts: a second for a common word. So the
    first ``window`` cases that pass the other filters are tested in order first; when
    they do not hold a page, the matches are rare enough for the index."""
    others = dataclasses.replace(filters, text=None)
    where, _ = others.where(now)
    # The window's ids first (from an index alone where one serves the filters and order),
    # then each one's text: sorting whole rows would read every candidate's text.
    tested = cursor.execute(
        sql.SQL(
            "SELECT id, search @@ to_tsquery('simple', %(text)s) AS hit FROM rm_cases JOIN ("
            " SELECT id FROM rm_cases WHERE {where} ORDER BY {order} LIMIT {window}"
            ") AS window_ids USING (id) ORDER BY {order}"
        ).format(where=where + keyset, order=order, window=sql.Literal(window)),
        params,
    ).fetchall()
    return [row["id"] for row in tested if row["hit"]], len(tested) < window


def _total_query(
    filters: CaseFilter, where: sql.Composable, params: dict[str, Any]
) -> tuple[sql.Composed, dict[str, Any]]:
    counted = filters.counted_where()
    if counted is not None:
        counted_where, counted_params = counted
        return (
            sql.SQL("SELECT coalesce(sum(n), 0) AS n FROM rm_case_counts WHERE {}").format(
                counted_where
            ),
            counted_params,
        )
    return sql.SQL("SELECT count(*) AS n FROM rm_cases WHERE {}").format(where), params


# The open cases' figures, each over the same rows: one pass over them, grouped four ways
# (all, by status, by grid, by assignee), instead of one pass per grouping.
OPEN_FIGURES = """
SELECT GROUPING(status) = 0 AS by_status, GROUPING(grid_id) = 0 AS by_grid,
       GROUPING(assignee) = 0 AS by_worker, status, grid_id, assignee,
       count(*) AS open,
       count(*) FILTER (WHERE {overdue}) AS overdue,
       count(*) FILTER (WHERE suspended_since IS NULL AND due_at >= %(now)s
                        AND due_at < %(soon)s) AS due_within_24h,
       count(*) FILTER (WHERE kind = 'micro_wish' AND NOT claimed) AS unclaimed_micro_wishes,
       count(*) FILTER (WHERE {green}) AS green,
       count(*) FILTER (WHERE {yellow}) AS yellow,
       count(*) FILTER (WHERE {red}) AS red,
       count(*) FILTER (WHERE supervised_by_level IS NOT NULL) AS under_supervision
  FROM rm_cases
 WHERE closed_at IS NULL AND {seen}
 GROUP BY GROUPING SETS ((), (status), (grid_id), (assignee))
"""


def open_summary(
    conn: psycopg.Connection[Any], *, now: datetime, reach: CaseFilter
) -> dict[str, Any]:
    """The open cases ``reach`` lets the caller see: counted (open, overdue, due within 24
    hours, unclaimed micro-wishes, on each light, under supervision), by status, by grid
    (with each light) and by assignee."""
    seen, params = reach.where(now)
    params["soon"] = now + timedelta(hours=24)
    query = sql.SQL(OPEN_FIGURES).format(overdue=OVERDUE, seen=seen, **LIGHTS)
    with conn.cursor(row_factory=dict_row) as cursor:
        rows = cursor.execute(query, params).fetchall()
        grids = [row["grid_id"] for row in rows if row["by_grid"]]
        cursor.execute("SELECT id, name FROM casework_areas WHERE id = ANY(%s)", (grids,))
        names = {r["id"]: r["name"] for r in cursor.fetchall()}
    totals = next((r for r in rows if not (r["by_status"] or r["by_grid"] or r["by_worker"])), None)
    figures = ("open", "overdue", "green", "yellow", "red")
    return {
        "open": totals["open"] if totals else 0,
        "overdue_now": totals["overdue"] if totals else 0,
        "due_within_24h": totals["due_within_24h"] if totals else 0,
        "unclaimed_micro_wishes": totals["unclaimed_micro_wishes"] if totals else 0,
        "open_green": totals["green"] if totals else 0,
        "open_yellow": totals["yellow"] if totals else 0,
        "open_red": totals["red"] if totals else 0,
        "under_supervision": totals["under_supervision"] if totals else 0,
        "open_by_status": {
            r["status"]: r["open"]
            for r in sorted((r for r in rows if r["by_status"]), key=lambda r: r["status"])
        },
        "open_by_grid": [
            {"grid_id": r["grid_id"], "name": names.get(r["grid_id"]), **{f: r[f] for f in figures}}
            for r in sorted((r for r in rows if r["by_grid"]), key=lambda r: r["grid_id"])
        ],
        "workload": [
            {"worker": r["assignee"], "open": r["open"], "overdue": r["overdue"]}
            for r in sorted(
                (r for r in rows if r["by_worker"] and r["assignee"] is not None),
                key=lambda r: (-r["open"], r["assignee"]),
            )
        ],
    }


def dashboard_summary(
    conn: psycopg.Connection[Any], *, now: datetime, zone: ZoneInfo, reach: CaseFilter
) -> dict[str, Any]:
    """Counts over the cases ``reach`` lets the caller see: the open ones (open_summary) and
    those received and closed today."""
    today: date = now.astimezone(zone).date()
    day_start = datetime.combine(today, datetime.min.time(), tzinfo=zone)
    seen, params = reach.where(now)
    params.update(day_start=day_start, day_end=day_start + timedelta(days=1))
    with conn.cursor(row_factory=dict_row) as cursor:
        today_row = cursor.execute(
            sql.SQL(
                "SELECT count(*) FILTER (WHERE received_at >= %(day_start)s"
                "   AND received_at < %(day_end)s) AS received_today,"
                " count(*) FILTER (WHERE closed_at >= %(day_start)s"
                "   AND closed_at < %(day_end)s) AS closed_today"
                " FROM rm_cases WHERE {seen}"
            ).format(seen=seen),
            params,
        ).fetchone()
    return {**open_summary(conn, now=now, reach=reach), **(today_row or {})}


def resident_in_grids(resident: sql.Composable) -> sql.Composable:
    """A condition for filters over other tables: the resident ``resident`` (a uuid column)
    is named in a case (as the one who came or as a party) of the grids ``%(grids)s``."""
    return sql.SQL(
        "EXISTS (SELECT 1 FROM rm_case_residents named JOIN rm_cases named_case"
        " ON named_case.id = named.case_id"
        " WHERE named.resident_id = {} AND named_case.grid_id = ANY(%(grids)s))"
    ).format(resident)


def resident_reached(conn: psycopg.Connection[Any], resident_id: str, reach: CaseFilter) -> bool:
    """Whether a case naming this resident is one ``reach`` lets the caller see."""
    where, params = reach.where(datetime.now(UTC))
    params["resident"] = UUID(resident_id)
    query = sql.SQL(
        "SELECT EXISTS (SELECT 1 FROM rm_cases WHERE id IN"
        " (SELECT case_id FROM rm_case_residents WHERE resident_id = %(resident)s) AND {})"
    ).format(where)
    row = conn.execute(query, params).fetchone()
    return bool(row and row[0])


def status_changes(
    conn: psycopg.Connection[Any],
    first_contact: str,
    changed_from: datetime,
    changed_before: datetime,
    limit: int,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """The status changes of the cases whose first contact is ``first_contact``, changed in
    [changed_from, changed_before), oldest first: a page never moves as new changes come."""
    with conn.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(
            "SELECT position, case_id, previous_status, status, note, changed_at"
            " FROM rm_status_changes WHERE first_contact = %s"
            " AND changed_at >= %s AND changed_at < %s"
            " ORDER BY changed_at, position LIMIT %s OFFSET %s",
            (first_contact, changed_from, changed_before, limit, offset),
        ).fetchall()
