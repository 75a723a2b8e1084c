"""The facts the compliance report counts, applied from the event log in batches.

Tables (per generation, ``<base>_g<N>``; views without the suffix):

- ``cr_cases``: one row per case: what never changes (kind, category, grid, received_at)
  and the state the projection needs to apply later events (assignee, deadline in force,
  open, suspended since, working seconds spent suspended, current span, last closure and
  reopening). Kept here, not in memory, so a restart or a rebuild comes out exact.
- ``cr_spans``: the case's state over time: one span (valid_from, valid_to] per stretch in
  which open, suspended, due_at and assignee stay the same; valid_to is 'infinity' for the
  current one. A span holds the state after every event that occurred up to and including
  valid_from, until (and including) valid_to: "the case at T" is the span holding T, as
  every event before T left it. ``overdue_range`` is the range of T at which the span
  counts as overdue and open (see OVERDUE_RANGE), under a GiST index.
- ``cr_closures``: every Closed, with the deadline in force then, whether it was on time,
  the handling time in working hours, the assignee, and when the case's next closure
  came ('infinity' until it does): the last closure of a case in [F, T) is the one with
  F <= closed_at < T <= next_closed_at.
- ``cr_ratings``: every Rated, with the assignee then.
- ``cr_reopens``: every Reopened, with the assignee then and the next reopening's time.
- ``cr_visits``: every Visited, by visited_at, with the visit's worker.
- ``cr_daily``: running totals per local day (in the model's zone) of the facts that add
  up: receptions, closures, closures on time, reopenings, ratings and visits, per grid,
  per category and per worker (``dimension``), so that a period's report reads a few
  thousand rows instead of every fact. Receptions are not totalled per worker: a case
  received counts for its assignee at the period's end.

Every fact row carries the case's grid, kind and category, so the report groups without
joining back to the case.
"""

from collections.abc import Sequence
from datetime import date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql

from domain.time_limits import WorkingCalendar
from projections.compliance.working_time import working_seconds
from projections.runner import ReadModel

# valid_to and next_*_at of what has not ended (yet); only ever written, through COPY.
INFINITY = "infinity"

CASE_COLUMNS = (
    "case_id",
    "kind",
    "category",
    "grid_id",
    "received_at",
    "assignee",
    "due_at",
    "open",
    "suspended_since",
    "suspended_seconds",
    "span_seq",
    "span_from",
    "last_closure",
    "last_reopen",
    "version",
    "position",
)

SHANGHAI = ZoneInfo("Asia/Shanghai")

SPAN_COLUMNS = (
    "case_id",
    "seq",
    "valid_from",
    "valid_to",
    "open",
    "suspended",
    "due_at",
    "worker",
    "grid_id",
    "kind",
    "category",
    "received_at",
)
CLOSURE_COLUMNS = (
    "case_id",
    "position",
    "closed_at",
    "next_closed_at",
    "due_at",
    "on_time",
    "handling_hours",
    "worker",
    "grid_id",
    "kind",
    "category",
)
RATING_COLUMNS = (
    "case_id",
    "position",
    "rated_at",
    "rating",
    "worker",
    "grid_id",
    "kind",
    "category",
)
REOPEN_COLUMNS = (
    "case_id",
    "position",
    "reopened_at",
    "next_reopened_at",
    "worker",
    "grid_id",
    "kind",
    "category",
)
VISIT_COLUMNS = (
    "case_id",
    "position",
    "visited_at",
    "duration_minutes",
    "worker",
    "grid_id",
    "kind",
    "category",
)

DDL = """
CREATE TABLE {cases} (
    case_id uuid PRIMARY KEY,
    kind text NOT NULL,
    category text NOT NULL,
    grid_id text NOT NULL,
    received_at timestamptz NOT NULL,
    assignee text,
    due_at timestamptz NOT NULL,
    open boolean NOT NULL,
    suspended_since timestamptz,
    suspended_seconds double precision NOT NULL,
    span_seq integer NOT NULL,
    span_from timestamptz NOT NULL,
    last_closure bigint,
    last_reopen bigint,
    version integer NOT NULL,
    position bigint NOT NULL
);
-- Within an area (a report by category or worker counts from the facts of its grids):
-- each fact table by grid and moment.
CREATE INDEX ON {cases} (grid_id, received_at) INCLUDE (kind, category);

CREATE TABLE {spans} (
    case_id uuid NOT NULL,
    seq integer NOT NULL,
    valid_from timestamptz NOT NULL,
    valid_to timestamptz NOT NULL,
    open boolean NOT NULL,
    suspended boolean NOT NULL,
    due_at timestamptz NOT NULL,
    worker text,
    grid_id text NOT NULL,
    kind text NOT NULL,
    category text NOT NULL,
    received_at timestamptz NOT NULL,
    overdue_range tstzrange GENERATED ALWAYS AS (OVERDUE_RANGE) STORED,
    PRIMARY KEY (case_id, seq)
);
-- The cases overdue and open at T: spans whose overdue_range holds T.
CREATE INDEX ON {spans} USING gist (overdue_range) INCLUDE (worker, grid_id, kind, category)
    WHERE open AND NOT suspended;
-- The assignee at T of the cases received in [F, T): their spans holding T.
CREATE INDEX ON {spans} (received_at) INCLUDE (valid_from, valid_to, worker, grid_id);

CREATE TABLE {closures} (
    case_id uuid NOT NULL,
    position bigint NOT NULL,
    closed_at timestamptz NOT NULL,
    next_closed_at timestamptz NOT NULL,
    due_at timestamptz NOT NULL,
    on_time boolean NOT NULL,
    handling_hours double precision NOT NULL,
    worker text,
    grid_id text NOT NULL,
    kind text NOT NULL,
    category text NOT NULL,
    worker_key text GENERATED ALWAYS AS (coalesce(worker, '')) STORED,
    PRIMARY KEY (case_id, position)
);
-- The handling times of the counted closures, group by group (grid, category, worker).
CREATE INDEX ON {closures} (grid_id, closed_at)
    INCLUDE (next_closed_at, handling_hours, on_time, kind, category, worker);
CREATE INDEX ON {closures} (kind, category, closed_at) INCLUDE (next_closed_at, handling_hours);
CREATE INDEX ON {closures} (worker_key, closed_at) INCLUDE (next_closed_at, handling_hours);
-- The closures that were followed by another: the daily totals count them all, the
-- report takes back those followed by another in the same period.
CREATE INDEX ON {closures} (closed_at)
    INCLUDE (next_closed_at, on_time, worker, grid_id, kind, category)
    WHERE next_closed_at < 'infinity';

CREATE TABLE {ratings} (
    case_id uuid NOT NULL,
    position bigint NOT NULL,
    rated_at timestamptz NOT NULL,
    rating text NOT NULL,
    worker text,
    grid_id text NOT NULL,
    kind text NOT NULL,
    category text NOT NULL,
    PRIMARY KEY (case_id, position)
);
CREATE INDEX ON {ratings} (grid_id, rated_at) INCLUDE (rating, kind, category, worker);

CREATE TABLE {reopens} (
    case_id uuid NOT NULL,
    position bigint NOT NULL,
    reopened_at timestamptz NOT NULL,
    next_reopened_at timestamptz NOT NULL,
    worker text,
    grid_id text NOT NULL,
    kind text NOT NULL,
    category text NOT NULL,
    PRIMARY KEY (case_id, position)
);
CREATE INDEX ON {reopens} (grid_id, reopened_at) INCLUDE (kind, category, worker);
CREATE INDEX ON {reopens} (reopened_at)
    INCLUDE (next_reopened_at, worker, grid_id, kind, category)
    WHERE next_reopened_at < 'infinity';

CREATE TABLE {visits} (
    case_id uuid NOT NULL,
    position bigint NOT NULL,
    visited_at timestamptz NOT NULL,
    duration_minutes integer NOT NULL,
    worker text,
    grid_id text NOT NULL,
    kind text NOT NULL,
    category text NOT NULL,
    PRIMARY KEY (case_id, position)
);
CREATE INDEX ON {visits} (grid_id, visited_at)
    INCLUDE (duration_minutes, kind, category, worker);

CREATE TABLE {daily} (
    dimension text NOT NULL CHECK (dimension IN ('grid', 'category', 'worker')),
    day date NOT NULL,
    key text NOT NULL,
    received integer NOT NULL,
    closed integer NOT NULL,
    closed_on_time integer NOT NULL,
    reopened integer NOT NULL,
    ratings_valid integer NOT NULL,
    ratings_satisfied integer NOT NULL,
    visit_count integer NOT NULL,
    visit_minutes bigint NOT NULL,
    PRIMARY KEY (dimension, day, key) INCLUDE (received, closed, closed_on_time, reopened,
        ratings_valid, ratings_satisfied, visit_count, visit_minutes)
);
"""

# A span of an open case that is not suspended is overdue at T when it holds at T
# (valid_from < T <= valid_to) and its deadline is before T: T lies in this range, empty
# when the deadline is not before the span's end.
OVERDUE_RANGE = "tstzrange(least(greatest(valid_from, due_at), valid_to), valid_to, '(]')"
DDL = DDL.replace("OVERDUE_RANGE", OVERDUE_RANGE)

# Base name of each table, by the name DDL gives it.
TABLES = {
    "cases": "cr_cases",
    "spans": "cr_spans",
    "closures": "cr_closures",
    "ratings": "cr_ratings",
    "reopens": "cr_reopens",
    "visits": "cr_visits",
    "daily": "cr_daily",
}

# The figures the daily totals keep, in their columns' order.
DAILY_FIGURES = (
    "received",
    "closed",
    "closed_on_time",
    "reopened",
    "ratings_valid",
    "ratings_satisfied",
    "visit_count",
    "visit_minutes",
)
VALID_RATINGS = frozenset({"satisfied", "basically_satisfied", "dissatisfied"})
SATISFIED_RATINGS = frozenset({"satisfied", "basically_satisfied"})
# The daily totals' key for facts without an assignee.
NO_WORKER = ""

Row = dict[str, Any]


class _Batch:
    """What one batch of events adds and changes, written at the end in a few statements."""

    def __init__(self) -> None:
        self.spans: list[Row] = []
        self.closures: list[Row] = []
        self.ratings: list[Row] = []
        self.reopens: list[Row] = []
        self.visits: list[Row] = []
        # Rows created in this batch, by case: changed in memory until written.
        self.open_span: dict[Any, Row] = {}
        self.new_closure: dict[Any, Row] = {}
        self.new_reopen: dict[Any, Row] = {}
        # Changes to rows stored before this batch: (moment, case_id, key).
        self.span_ends: list[tuple[datetime, Any, int]] = []
        self.closure_links: list[tuple[datetime, Any, int]] = []
        self.reopen_links: list[tuple[datetime, Any, int]] = []
        # Additions to the daily totals: (dimension, day, key) -> figures.
        self.daily: dict[tuple[str, date, str], list[int]] = {}

    def add_up(
        self, case: Row, day: date, worker: str | None, by_worker: bool = True, **figures: int
    ) -> None:
        """Add figures to the case's grid's, category's and (``by_worker``) worker's
        totals of the day."""
        keys = [("grid", day, case["grid_id"]), ("category", day, _category(case))]
        if by_worker:
            keys.append(("worker", day, worker or NO_WORKER))
        for key in keys:
            totals = self.daily.setdefault(key, [0] * len(DAILY_FIGURES))
            for figure, amount in figures.items():
                totals[DAILY_FIGURES.index(figure)] += amount

    # -- spans -----------------------------------------------------------------------

    @staticmethod
    def span_state(case: Row) -> Row:
        return {
            "open": case["open"],
            "suspended": case["suspended_since"] is not None,
            "due_at": case["due_at"],
            "worker": case["assignee"],
        }

    def start_span(self, case: Row, at: datetime) -> None:
        span = {
            "case_id": case["case_id"],
            "seq": case["span_seq"],
            "valid_from": at,
            "valid_to": INFINITY,
            **self.span_state(case),
            **_facts(case),
            "received_at": case["received_at"],
        }
        self.spans.append(span)
        self.open_span[case["case_id"]] = span

    def change(self, case: Row, at: datetime, **changes: Any) -> None:
        """Change the case's state at ``at``: a new span when open, suspended, due_at or
        the assignee change."""
        before = self.span_state(case)
        case.update(changes)
        if self.span_state(case) == before:
            return
        current = self.open_span.get(case["case_id"])
        if current is not None:
            current["valid_to"] = at
        else:
            self.span_ends.append((at, case["case_id"], case["span_seq"]))
        case["span_seq"] += 1
        case["span_from"] = at
        self.start_span(case, at)

    # -- closures and reopenings, each linked to the case's next one -----------------

    def add_closure(self, case: Row, row: Row, position: int) -> None:
        self._link(
            case,
            "last_closure",
            "next_closed_at",
            self.new_closure,
            self.closure_links,
            row["closed_at"],
        )
        row["next_closed_at"] = INFINITY
        self.closures.append(row)
        self.new_closure[case["case_id"]] = row
        case["last_closure"] = position

    def add_reopen(self, case: Row, row: Row, position: int) -> None:
        self._link(
            case,
            "last_reopen",
            "next_reopened_at",
            self.new_reopen,
            self.reopen_links,
            row["reopened_at"],
        )
        row["next_reopened_at"] = INFINITY
        self.reopens.append(row)
        self.new_reopen[case["case_id"]] = row
        case["last_reopen"] = position

    @staticmethod
    def _link(
        case: Row,
        last: str,
        next_column: str,
        new: dict[Any, Row],
        stored: list[tuple[datetime, Any, int]],
        at: datetime,
    ) -> None:
        """Set ``at`` as the next one's time on the case's previous closure (reopening)."""
        previous = new.get(case["case_id"])
        if previous is not None:
            previous[next_column] = at
        elif case[last] is not None:
            stored.append((at, case["case_id"], case[last]))


def _category(case: Row) -> str:
    return f"{case['kind']}.{case['category']}"


def _facts(case: Row) -> Row:
    return {"grid_id": case["grid_id"], "kind": case["kind"], "category": case["category"]}


class ComplianceFacts(ReadModel):
    name = "compliance"
    schema_version = 6
    tables = tuple(TABLES.values())

    def __init__(self, calendar: WorkingCalendar, zone: tzinfo = SHANGHAI):
        """``calendar`` says which days are working days (handling times are in working
        hours); ``zone`` is the zone whose midnights bound the days."""
        self.calendar = calendar
        self.zone = zone

    def create(self, cursor: psycopg.Cursor[Any], generation: int) -> None:
        names = {key: sql.Identifier(self.table(base, generation)) for key, base in TABLES.items()}
        cursor.execute(sql.SQL(DDL).format(**names))

    def apply(
        self, cursor: psycopg.Cursor[Any], generation: int, events: Sequence[tuple[int, Any]]
    ) -> None:
        table = {key: sql.Identifier(self.table(base, generation)) for key, base in TABLES.items()}
        ids = list({event.originator_id for _, event in events})
        cursor.execute(
            sql.SQL("SELECT {columns} FROM {table} WHERE case_id = ANY(%s)").format(
                columns=_columns(CASE_COLUMNS), table=table["cases"]
            ),
            (ids,),
        )
        cases = {row[0]: dict(zip(CASE_COLUMNS, row, strict=True)) for row in cursor.fetchall()}
        batch = _Batch()
        touched: set[Any] = set()
        for position, event in events:
            name = type(event).__name__
            if name == "Received":
                case = self._received(event)
                cases[event.originator_id] = case
                batch.start_span(case, case["received_at"])
                batch.add_up(case, self._day(case["received_at"]), None, False, received=1)
            else:
                case = cases[event.originator_id]
                self._apply(batch, case, name, event, position)
            case["version"] = event.originator_version
            case["position"] = position
            touched.add(event.originator_id)
        self._write(cursor, table, batch, [cases[case_id] for case_id in touched])

    @staticmethod
    def _received(event: Any) -> Row:
        return {
            "case_id": event.originator_id,
            "kind": event.originator_topic.rsplit(":", 1)[-1],
            "category": event.category,
            "grid_id": event.grid_id,
            "received_at": event.occurred_at,
            "assignee": None,
            "due_at": event.due_at,
            "open": True,
            "suspended_since": None,
            "suspended_seconds": 0.0,
            "span_seq": 1,
            "span_from": event.occurred_at,
            "last_closure": None,
            "last_reopen": None,
        }

    def _day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def _apply(self, batch: _Batch, case: Row, name: str, event: Any, position: int) -> None:
        at = event.occurred_at
        if name in ("Assigned", "Reassigned"):
            batch.change(case, at, assignee=event.assignee)
        elif name == "Suspended":
            batch.change(case, at, suspended_since=at)
        elif name == "Resumed":
            since = case["suspended_since"]
            if since is not None:
                case["suspended_seconds"] += working_seconds(since, at, self.calendar, self.zone)
            batch.change(case, at, suspended_since=None, due_at=event.due_at)
        elif name in ("Extended", "DeadlineRecounted"):
            batch.change(case, at, due_at=event.due_at)
        elif name == "Closed":
            worked = working_seconds(case["received_at"], at, self.calendar, self.zone)
            on_time = at <= case["due_at"]
            batch.add_up(case, self._day(at), case["assignee"], closed=1, closed_on_time=on_time)
            batch.add_closure(
                case,
                {
                    "case_id": case["case_id"],
                    "position": position,
                    "closed_at": at,
                    "due_at": case["due_at"],
                    "on_time": on_time,
                    "handling_hours": max(worked - case["suspended_seconds"], 0.0) / 3600,
                    "worker": case["assignee"],
                    **_facts(case),
                },
                position,
            )
            batch.change(case, at, open=False)
        elif name == "Rated":
            batch.add_up(
                case,
                self._day(at),
                case["assignee"],
                ratings_valid=event.rating in VALID_RATINGS,
                ratings_satisfied=event.rating in SATISFIED_RATINGS,
            )
            batch.ratings.append(
                {
                    "case_id": case["case_id"],
                    "position": position,
                    "rated_at": at,
                    "rating": event.rating,
                    "worker": case["assignee"],
                    **_facts(case),
                }
            )
        elif name == "Reopened":
            batch.add_up(case, self._day(at), case["assignee"], reopened=1)
            batch.add_reopen(
                case,
                {
                    "case_id": case["case_id"],
                    "position": position,
                    "reopened_at": at,
                    "worker": case["assignee"],
                    **_facts(case),
                },
                position,
            )
            batch.change(case, at, open=True)
        elif name == "Visited":
            batch.add_up(
                case,
                self._day(event.visited_at),
                event.worker,
                visit_count=1,
                visit_minutes=event.duration_minutes,
            )
            batch.visits.append(
                {
                    "case_id": case["case_id"],
                    "position": position,
                    "visited_at": event.visited_at,
                    "duration_minutes": event.duration_minutes,
                    "worker": event.worker,
                    **_facts(case),
                }
            )
        # Every other event (escalation, mediation, claim, fulfilment, an original's
        # DuplicateLinked and DuplicateUnlinked, ...) changes nothing the report counts.

    @staticmethod
    def _write(
        cursor: psycopg.Cursor[Any],
        table: dict[str, sql.Identifier],
        batch: _Batch,
        cases: list[Row],
    ) -> None:
        for key, columns, rows in (
            ("spans", SPAN_COLUMNS, batch.spans),
            ("closures", CLOSURE_COLUMNS, batch.closures),
            ("ratings", RATING_COLUMNS, batch.ratings),
            ("reopens", REOPEN_COLUMNS, batch.reopens),
            ("visits", VISIT_COLUMNS, batch.visits),
        ):
            if not rows:
                continue
            copy = sql.SQL("COPY {table} ({columns}) FROM STDIN").format(
                table=table[key], columns=_columns(columns)
            )
            with cursor.copy(copy) as writer:
                for row in rows:
                    writer.write_row(tuple(row[c] for c in columns))
        for key, column, keyed, changes in (
            ("spans", "valid_to", "seq", batch.span_ends),
            ("closures", "next_closed_at", "position", batch.closure_links),
            ("reopens", "next_reopened_at", "position", batch.reopen_links),
        ):
            if changes:
                cursor.executemany(
                    sql.SQL(
                        "UPDATE {table} SET {column} = %s WHERE case_id = %s AND {key} = %s"
                    ).format(
                        table=table[key],
                        column=sql.Identifier(column),
                        key=sql.Identifier(keyed),
                    ),
                    changes,
                )
        upsert = sql.SQL(
            "INSERT INTO {table} ({columns}) VALUES ({values})"
            " ON CONFLICT (case_id) DO UPDATE SET {updates}"
        ).format(
            table=table["cases"],
            columns=_columns(CASE_COLUMNS),
            values=sql.SQL(", ").join(sql.Placeholder() * len(CASE_COLUMNS)),
            updates=sql.SQL(", ").join(
                sql.SQL("{0} = excluded.{0}").format(sql.Identifier(c)) for c in CASE_COLUMNS[1:]
            ),
        )
        cursor.executemany(upsert, [tuple(case[c] for c in CASE_COLUMNS) for case in cases])
        if batch.daily:
            add = sql.SQL(
                "INSERT INTO {table} AS d (dimension, day, key, {figures}) VALUES ({values})"
                " ON CONFLICT (dimension, day, key) DO UPDATE SET {sums}"
            ).format(
                table=table["daily"],
                figures=_columns(DAILY_FIGURES),
                values=sql.SQL(", ").join(sql.Placeholder() * (3 + len(DAILY_FIGURES))),
                sums=sql.SQL(", ").join(
                    sql.SQL("{0} = d.{0} + excluded.{0}").format(sql.Identifier(f))
                    for f in DAILY_FIGURES
                ),
            )
            cursor.executemany(
                add, [(*key, *figures) for key, figures in sorted(batch.daily.items())]
            )


def _columns(names: Sequence[str]) -> sql.Composable:
    return sql.SQL(", ").join(map(sql.Identifier, names))
