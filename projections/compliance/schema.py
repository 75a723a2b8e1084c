"""The compliance model's tables: their columns and DDL (see ``model`` for what they hold)."""

from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

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
    "assigned_at",
    "version",
    "position",
)

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
    "contacted",
    "solved",
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
STEP_COLUMNS = (
    "case_id",
    "position",
    "at",
    "step",
    "on_time",
    "worker",
    "grid_id",
    "kind",
    "category",
)
SCORE_COLUMNS = ("worker", "month", "party", "score", "scored_by", "scored_at", "position")
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
    assigned_at timestamptz,
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
    contacted boolean,
    solved text,
    worker text,
    grid_id text NOT NULL,
    kind text NOT NULL,
    category text NOT NULL,
    PRIMARY KEY (case_id, position)
);
CREATE INDEX ON {ratings} (grid_id, rated_at)
    INCLUDE (rating, contacted, solved, kind, category, worker);

-- The steps of the supervision chain: assigned, signed_for (on_time: within its limit),
-- sent_back, urged, supervised, publicly_noted.
CREATE TABLE {steps} (
    case_id uuid NOT NULL,
    position bigint NOT NULL,
    at timestamptz NOT NULL,
    step text NOT NULL,
    on_time boolean NOT NULL,
    worker text,
    grid_id text NOT NULL,
    kind text NOT NULL,
    category text NOT NULL,
    PRIMARY KEY (case_id, position)
);
CREATE INDEX ON {steps} (grid_id, at) INCLUDE (step, on_time, kind, category, worker);

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

-- The 3456 assessment's scores (WorkerMonth.Scored): the latest of each party per worker
-- and month; the replaced ones stay in the event store.
CREATE TABLE {scores} (
    worker text NOT NULL,
    month text NOT NULL,
    party text NOT NULL,
    score integer NOT NULL,
    scored_by text NOT NULL,
    scored_at timestamptz NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (month, worker, party)
);
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
    -- (figures added with the supervision issue: 0 by default for writers that predate them)
    ratings_basic integer NOT NULL DEFAULT 0,
    callbacks_contact_answered integer NOT NULL DEFAULT 0,
    callbacks_contacted integer NOT NULL DEFAULT 0,
    callbacks_solve_answered integer NOT NULL DEFAULT 0,
    callbacks_solved integer NOT NULL DEFAULT 0,
    callbacks_partly integer NOT NULL DEFAULT 0,
    assigned integer NOT NULL DEFAULT 0,
    signed_for integer NOT NULL DEFAULT 0,
    signed_on_time integer NOT NULL DEFAULT 0,
    sent_back integer NOT NULL DEFAULT 0,
    urged integer NOT NULL DEFAULT 0,
    supervised integer NOT NULL DEFAULT 0,
    publicly_noted integer NOT NULL DEFAULT 0,
    PRIMARY KEY (dimension, day, key) INCLUDE (DAILY_INCLUDE)
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
    "steps": "cr_steps",
    "scores": "cr_scores",
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
    "ratings_basic",
    "callbacks_contact_answered",
    "callbacks_contacted",
    "callbacks_solve_answered",
    "callbacks_solved",
    "callbacks_partly",
    "assigned",
    "signed_for",
    "signed_on_time",
    "sent_back",
    "urged",
    "supervised",
    "publicly_noted",
)
DDL = DDL.replace("DAILY_INCLUDE", ", ".join(DAILY_FIGURES))
