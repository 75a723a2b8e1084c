"""One row per case, as it stands now: what lists and dashboards read."""

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql

from domain.status import case_status
from domain.time_limits import (
    DEFAULT_LADDER,
    LadderRules,
    TimeLimit,
    TimeLimits,
    Unit,
    WorkingCalendar,
    ladder_thresholds,
)
from domain.vocabulary import Kind
from projections.case_list.search import document_terms
from projections.runner import ReadModel, UnknownEvent

COLUMNS = (
    "id",
    "kind",
    "category",
    "channel",
    "title",
    "grid_id",
    "level",
    "status",
    "assignee",
    "first_contact",
    "received_at",
    "due_at",
    "due_at_provisional",
    "suspended_since",
    "closed_at",
    "closed_on_time",
    "resolution",
    "rating",
    "reopen_count",
    "worked",
    "claimed",
    "fulfilled",
    "visit_count",
    "visit_minutes",
    "version",
    "position",
    "updated_at",
    "resident_id",
    "time_limit_amount",
    "time_limit_unit",
    "yellow_at",
    "notice_at",
    "signed_for_at",
    "first_contacted_at",
    "supervised_by_level",
    "publicly_noted",
    "ladder_steps",
)

DDL = """
CREATE TABLE {table} (
    id uuid PRIMARY KEY,
    kind text NOT NULL,
    category text NOT NULL,
    channel text NOT NULL,
    title text NOT NULL,
    grid_id text NOT NULL,
    level text NOT NULL,
    status text NOT NULL,
    assignee text,
    first_contact text NOT NULL,
    received_at timestamptz NOT NULL,
    due_at timestamptz NOT NULL,
    due_at_provisional boolean NOT NULL,
    time_limit_amount integer,
    time_limit_unit text,
    suspended_since timestamptz,
    closed_at timestamptz,
    closed_on_time boolean,
    resolution text,
    rating text,
    reopen_count integer NOT NULL,
    worked boolean NOT NULL,
    claimed boolean NOT NULL,
    fulfilled boolean NOT NULL,
    visit_count integer NOT NULL,
    visit_minutes integer NOT NULL,
    version integer NOT NULL,
    position bigint NOT NULL,
    updated_at timestamptz NOT NULL,
    resident_id uuid,
    yellow_at timestamptz NOT NULL,
    notice_at timestamptz NOT NULL,
    signed_for_at timestamptz,
    first_contacted_at timestamptz,
    supervised_by_level text,
    publicly_noted boolean NOT NULL,
    ladder_steps text[] NOT NULL,
    search tsvector
);
CREATE INDEX ON {table} (supervised_by_level, due_at) WHERE closed_at IS NULL;
CREATE INDEX ON {table} (received_at DESC, id DESC);
CREATE INDEX ON {table} USING gin (search);
CREATE INDEX ON {table} (due_at, id) WHERE closed_at IS NULL;
CREATE INDEX ON {table} (grid_id, due_at) INCLUDE (received_at, id)
    WHERE closed_at IS NULL AND suspended_since IS NULL;
CREATE INDEX ON {table} (grid_id, received_at DESC, id DESC);
CREATE INDEX ON {table} (assignee, received_at DESC, id DESC);
CREATE INDEX ON {table} (status, kind);
CREATE INDEX ON {table} (first_contact, received_at DESC, id DESC);
CREATE INDEX ON {table} (resident_id, received_at DESC) WHERE resident_id IS NOT NULL;
CREATE INDEX ON {table} (due_at_provisional) WHERE due_at_provisional;
"""

# How many cases there are of each kind, category and status in each grid: the exact total
# of a list filtered on these alone is a sum over a few thousand rows, not a count over
# millions. Kept by the same transaction that writes the cases' rows.
COUNTED = ("grid_id", "kind", "category", "status")
COUNTS_DDL = """
CREATE TABLE {table} (
    grid_id text NOT NULL,
    kind text NOT NULL,
    category text NOT NULL,
    status text NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (grid_id, kind, category, status)
);
"""

# The supervision ladder's next step of each open case that is not suspended, and when it
# falls due (infra/supervision.py takes the steps whose moment has passed).
THRESHOLDS_DDL = """
CREATE TABLE {table} (
    case_id uuid PRIMARY KEY,
    step text NOT NULL,
    due_at timestamptz NOT NULL
);
CREATE INDEX ON {table} (due_at);
"""

# Every resident a case names, as the one who came or as a party (rm_cases.resident_id holds
# only the first): where a resident is known, so that residents are found, erased and
# audited only within the area of their cases. Resident ids stay after an erasure.
RESIDENTS_DDL = """
CREATE TABLE {table} (
    resident_id uuid NOT NULL,
    case_id uuid NOT NULL,
    PRIMARY KEY (resident_id, case_id)
);
"""

# Each change of a case's status after it was received, oldest first: the feed that other
# systems follow (Open311 servicerequestupdates). ``note`` is the handler's closure summary
# on a closure (already shown with the case), never anything personal.
STATUS_CHANGES_DDL = """
CREATE TABLE {table} (
    position bigint NOT NULL,
    case_id uuid NOT NULL,
    first_contact text NOT NULL,
    previous_status text NOT NULL,
    status text NOT NULL,
    note text,
    changed_at timestamptz NOT NULL,
    PRIMARY KEY (case_id, position)
);
CREATE INDEX ON {table} (first_contact, changed_at, position);
"""

Row = dict[str, Any]
SHANGHAI = ZoneInfo("Asia/Shanghai")
# The events that set a case's deadline in force, and with it the ladder's moments.
DEADLINE_SETTERS = frozenset({"Received", "Resumed", "Extended", "DeadlineRecounted"})


class _Weekdays:
    """Until the bootstrap hands the service's calendar: Monday to Friday."""

    def is_working_day(self, day: date) -> bool | None:
        return day.weekday() < 5


def _received(event: Any) -> Row:
    return {
        "id": event.originator_id,
        "kind": event.originator_topic.rsplit(":", 1)[-1],
        "category": event.category,
        "channel": event.channel,
        "title": event.title,
        "grid_id": event.grid_id,
        "level": "grid",
        "assignee": None,
        "first_contact": event.first_contact,
        "received_at": event.occurred_at,
        "due_at": event.due_at,
        "due_at_provisional": event.due_at_provisional,
        # Recorded since deadlines are recounted; older cases take the catalogue's.
        "time_limit_amount": (event.time_limit or {}).get("amount"),
        "time_limit_unit": (event.time_limit or {}).get("unit"),
        "suspended_since": None,
        "closed_at": None,
        "closed_on_time": None,
        "resolution": None,
        "rating": None,
        "reopen_count": 0,
        "worked": False,
        "claimed": False,
        "fulfilled": False,
        "visit_count": 0,
        "visit_minutes": 0,
        # Who came (not personal data by itself): finds a resident's earlier cases.
        "resident_id": getattr(event, "resident_id", None),
        "signed_for_at": None,
        "first_contacted_at": None,
        "supervised_by_level": None,
        "publicly_noted": False,
        "ladder_steps": [],
        # Written with the new row only (titles and descriptions do not change).
        "search": document_terms(event.title, event.description),
    }


def _assigned(row: Row, event: Any) -> None:
    row["assignee"] = event.assignee
    row["signed_for_at"] = None


def _signed_for(row: Row, event: Any) -> None:
    row["signed_for_at"] = event.occurred_at


def _sent_back(row: Row, event: Any) -> None:
    row["assignee"] = None
    row["signed_for_at"] = None


def _contacted(row: Row, event: Any) -> None:
    if row["first_contacted_at"] is None:
        row["first_contacted_at"] = event.contacted_at


def _urged(row: Row, event: Any) -> None:
    if event.automatic:
        row["ladder_steps"] = [*row["ladder_steps"], "urge"]


def _supervised(row: Row, event: Any) -> None:
    row["ladder_steps"] = [*row["ladder_steps"], "supervise"]
    row["supervised_by_level"] = event.level


def _publicly_noted(row: Row, event: Any) -> None:
    row["ladder_steps"] = [*row["ladder_steps"], "notice"]
    row["publicly_noted"] = True


def _extended(row: Row, event: Any) -> None:
    _deadline_moved(row, event)
    row["ladder_steps"] = []  # an approved extension starts a new ladder


def _visited(row: Row, event: Any) -> None:
    row["worked"] = True
    row["visit_count"] += 1
    row["visit_minutes"] += event.duration_minutes
    if row["first_contacted_at"] is None:  # a visit counts as contact (响应)
        row["first_contacted_at"] = event.visited_at


def _escalated(row: Row, event: Any) -> None:
    row["level"] = event.level


def _suspended(row: Row, event: Any) -> None:
    row["suspended_since"] = event.occurred_at


def _resumed(row: Row, event: Any) -> None:
    row["suspended_since"] = None
    _deadline_moved(row, event)


def _deadline_moved(row: Row, event: Any) -> None:
    row["due_at"] = event.due_at
    provisional = getattr(event, "due_at_provisional", None)
    if provisional is not None:  # events from before the flag was recorded keep the old one
        row["due_at_provisional"] = provisional


def _closed(row: Row, event: Any) -> None:
    row["closed_at"] = event.occurred_at
    # By the deadline in force at the closure, as the compliance report judges it.
    row["closed_on_time"] = event.occurred_at <= row["due_at"]
    row["resolution"] = event.resolution
    row["rating"] = None


def _rated(row: Row, event: Any) -> None:
    row["rating"] = event.rating


def _reopened(row: Row, event: Any) -> None:
    row.update(
        closed_at=None,
        closed_on_time=None,
        resolution=None,
        rating=None,
        worked=False,
        fulfilled=False,
    )
    row["reopen_count"] += 1


def _mediation_held(row: Row, event: Any) -> None:
    row["worked"] = True


def _claimed(row: Row, event: Any) -> None:
    row["claimed"] = True


def _claim_released(row: Row, event: Any) -> None:
    row["claimed"] = False  # open to claims again


def _fulfilled(row: Row, event: Any) -> None:
    row["fulfilled"] = True


# Every event a case can have, and what it changes in its row, or in IGNORED: it changes no
# column of the list (only the row's version and position). An event in neither stops the
# projection on it with UnknownEvent (never skipped); tests/unit/test_read_models_cover.py
# fails first, naming it.
APPLY: dict[str, Callable[[Row, Any], None]] = {
    "Assigned": _assigned,
    "Reassigned": _assigned,
    "Visited": _visited,
    "Escalated": _escalated,
    "Suspended": _suspended,
    "Resumed": _resumed,
    "Extended": _extended,
    "DeadlineRecounted": _deadline_moved,
    "Closed": _closed,
    "Rated": _rated,
    "Reopened": _reopened,
    "MediationHeld": _mediation_held,
    "Claimed": _claimed,
    "ClaimReleased": _claim_released,
    "Fulfilled": _fulfilled,
    "SignedFor": _signed_for,
    "SentBack": _sent_back,
    "Contacted": _contacted,
    "Urged": _urged,
    "Supervised": _supervised,
    "PubliclyNoted": _publicly_noted,
}
IGNORED = frozenset(
    {
        # An original's side of a duplicate (重复件): the duplicate's own Closed carries it.
        "DuplicateLinked",
        "DuplicateUnlinked",
        # A link for the resident's own call-back: the Rated it may lead to counts.
        "RatingLinkIssued",
    }
)


class CaseList(ReadModel):
    name = "case_list"
    schema_version = 11
    handled = frozenset({"Received", *APPLY})
    ignored = IGNORED
    tables = (
        "rm_cases",
        "rm_case_counts",
        "rm_case_residents",
        "rm_next_thresholds",
        "rm_status_changes",
    )

    def __init__(
        self,
        calendar: WorkingCalendar | None = None,
        zone: tzinfo = SHANGHAI,
        time_limits: TimeLimits | None = None,
    ):
        """The calendar and the catalogue of limits count when a case turns yellow and is
        due a public notice; the bootstrap hands the service's own (``prepare``)."""
        self.calendar: WorkingCalendar = calendar or _Weekdays()
        self.zone = zone
        self.time_limits: TimeLimits = time_limits or {}
        # The ladder's rules (settings), handed by the bootstrap with the calendar.
        self.ladder: LadderRules = DEFAULT_LADDER

    def _thresholds(self, row: Row) -> None:
        """The ladder's moments of the row's deadline in force, counted on the calendar
        known when the deadline was set (a recount or a rebuild counts them again)."""
        limit = (
            TimeLimit(row["time_limit_amount"], Unit(row["time_limit_unit"]))
            if row["time_limit_unit"]
            else self.time_limits.get((Kind(row["kind"]), row["category"]))
        )
        moments = ladder_thresholds(row["due_at"], limit, self.calendar, self.zone, self.ladder)
        row["yellow_at"], row["notice_at"] = moments.urge, moments.notice

    @staticmethod
    def _next_step(row: Row) -> tuple[Any, str, Any] | None:
        if row["closed_at"] is not None or row["suspended_since"] is not None:
            return None
        for step, at in (
            ("urge", row["yellow_at"]),
            ("supervise", row["due_at"]),
            ("notice", row["notice_at"]),
        ):
            if step not in row["ladder_steps"]:
                return row["id"], step, at
        return None

    def create(self, cursor: psycopg.Cursor[Any], generation: int) -> None:
        cursor.execute(DDL.format(table=self.table("rm_cases", generation)))
        cursor.execute(THRESHOLDS_DDL.format(table=self.table("rm_next_thresholds", generation)))
        cursor.execute(COUNTS_DDL.format(table=self.table("rm_case_counts", generation)))
        cursor.execute(RESIDENTS_DDL.format(table=self.table("rm_case_residents", generation)))
        cursor.execute(STATUS_CHANGES_DDL.format(table=self.table("rm_status_changes", generation)))

    def apply(
        self, cursor: psycopg.Cursor[Any], generation: int, events: Sequence[tuple[int, Any]]
    ) -> None:
        table = sql.Identifier(self.table("rm_cases", generation))
        ids = list({event.originator_id for _, event in events})
        cursor.execute(
            sql.SQL("SELECT {columns} FROM {table} WHERE id = ANY(%s)").format(
                columns=sql.SQL(", ").join(map(sql.Identifier, COLUMNS)), table=table
            ),
            (ids,),
        )
        rows: dict[Any, Row] = {
            row[0]: dict(zip(COLUMNS, row, strict=True)) for row in cursor.fetchall()
        }
        counted_before = [_counted(row) for row in rows.values()]
        named: list[tuple[Any, Any]] = []
        changes: list[tuple[Any, ...]] = []
        for position, event in events:
            name = type(event).__name__
            previous = None
            if name == "Received":
                row = _received(event)
                rows[event.originator_id] = row
                named.extend((rid, event.originator_id) for rid in _named_residents(event))
            else:
                row = rows[event.originator_id]
                previous = row["status"]
                if name in APPLY:
                    APPLY[name](row, event)
                elif name not in IGNORED:
                    raise UnknownEvent(self.name, event)
            row["status"] = case_status(
                closed=row["closed_at"] is not None,
                rated=row["rating"] is not None,
                suspended=row["suspended_since"] is not None,
                fulfilled=row["fulfilled"],
                claimed=row["claimed"],
                worked=row["worked"],
                assigned=row["assignee"] is not None,
            ).value
            if previous is not None and previous != row["status"]:
                note = event.summary if name == "Closed" else None
                change = (row["id"], row["first_contact"], previous, row["status"], note)
                changes.append((position, *change, event.timestamp))
            if name in DEADLINE_SETTERS:
                self._thresholds(row)
            row["version"] = event.originator_version
            row["position"] = position
            row["updated_at"] = event.timestamp
        upsert = sql.SQL(
            "INSERT INTO {table} ({columns}, search) VALUES ({values}, to_tsvector('simple', %s))"
            " ON CONFLICT (id) DO UPDATE SET {updates}"
        ).format(
            table=table,
            columns=sql.SQL(", ").join(map(sql.Identifier, COLUMNS)),
            values=sql.SQL(", ").join(sql.Placeholder() * len(COLUMNS)),
            updates=sql.SQL(", ").join(
                sql.SQL("{0} = excluded.{0}").format(sql.Identifier(c)) for c in COLUMNS[1:]
            ),
        )
        cursor.executemany(
            upsert,
            [(*(row[c] for c in COLUMNS), row.get("search")) for row in rows.values()],
        )
        self._keep_next_steps(cursor, generation, rows)
        counts = Counter(_counted(row) for row in rows.values())
        counts.subtract(counted_before)  # keeps negative counts, unlike `-`
        self._count(cursor, generation, counts)
        _insert(
            cursor,
            self.table("rm_status_changes", generation),
            "INSERT INTO {table} (position, case_id, first_contact, previous_status, status,"
            " note, changed_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            changes,
        )
        _insert(
            cursor,
            self.table("rm_case_residents", generation),
            "INSERT INTO {table} (resident_id, case_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            named,
        )

    def _keep_next_steps(
        self, cursor: psycopg.Cursor[Any], generation: int, rows: dict[Any, Row]
    ) -> None:
        table = sql.Identifier(self.table("rm_next_thresholds", generation))
        cursor.execute(
            sql.SQL("DELETE FROM {table} WHERE case_id = ANY(%s)").format(table=table),
            (list(rows),),
        )
        steps = [step for row in rows.values() if (step := self._next_step(row)) is not None]
        if steps:
            cursor.executemany(
                sql.SQL("INSERT INTO {table} (case_id, step, due_at) VALUES (%s, %s, %s)").format(
                    table=table
                ),
                steps,
            )

    def _count(
        self, cursor: psycopg.Cursor[Any], generation: int, changes: "Counter[tuple[str, ...]]"
    ) -> None:
        changes = Counter({key: n for key, n in changes.items() if n})
        if not changes:
            return
        cursor.executemany(
            sql.SQL(
                "INSERT INTO {table} (grid_id, kind, category, status, n)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (grid_id, kind, category, status)"
                " DO UPDATE SET n = {table}.n + excluded.n"
            ).format(table=sql.Identifier(self.table("rm_case_counts", generation))),
            [(*key, n) for key, n in changes.items()],
        )


def _insert(
    cursor: psycopg.Cursor[Any], table: str, statement: str, rows: list[tuple[Any, ...]]
) -> None:
    if rows:
        cursor.executemany(sql.SQL(statement).format(table=sql.Identifier(table)), rows)


def _named_residents(event: Any) -> list[Any]:
    """The residents an intake names: the one who came, then each party (once each)."""
    ids = [getattr(event, "resident_id", None), *(getattr(event, "party_resident_ids", None) or [])]
    return list(dict.fromkeys(rid for rid in ids if rid))


def _counted(row: Row) -> tuple[str, ...]:
    return tuple(row[column] for column in COUNTED)
