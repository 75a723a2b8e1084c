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
- ``cr_ratings``: every Rated (call-back), its answers (null in ratings recorded before
  call-backs had them), with the assignee then.
- ``cr_reopens``: every Reopened, with the assignee then and the next reopening's time.
- ``cr_visits``: every Visited, by visited_at, with the visit's worker.
- ``cr_steps``: every step of the supervision chain (assignment, sign-for and whether it
  came within its limit, send-back, urge, supervision, public notice), with the assignee
  then.
- ``cr_scores``: the 3456 assessment's scores of a worker's month (WorkerMonth.Scored), the
  latest of each party (community, street), with who gave it and when.
- ``cr_daily``: running totals per local day (in the model's zone) of the facts that add
  up: receptions, closures, closures on time, reopenings, ratings and visits, per grid,
  per category and per worker (``dimension``), so that a period's report reads a few
  thousand rows instead of every fact. Receptions are not totalled per worker: a case
  received counts for its assignee at the period's end.

Every fact row carries the case's grid, kind and category, so the report groups without
joining back to the case.
"""

from collections.abc import Sequence
from datetime import tzinfo
from typing import Any

import psycopg
from psycopg import sql

from domain.case import Case
from domain.time_limits import WorkingCalendar
from domain.worker_month import WorkerMonth
from projections.compliance.facts import HANDLED, IGNORED, Batch, Facts, Row
from projections.compliance.schema import (
    CASE_COLUMNS,
    CLOSURE_COLUMNS,
    DAILY_FIGURES,
    DDL,
    RATING_COLUMNS,
    REOPEN_COLUMNS,
    SCORE_COLUMNS,
    SHANGHAI,
    SPAN_COLUMNS,
    STEP_COLUMNS,
    TABLES,
    VISIT_COLUMNS,
)
from projections.runner import ReadModel


class ComplianceFacts(ReadModel):
    name = "compliance"
    schema_version = 8
    tables = tuple(TABLES.values())
    # The cases' events, and the scores of the 3456 assessment.
    aggregates = (Case, WorkerMonth)
    handled = HANDLED | {"Scored"}
    ignored = IGNORED | {"Started"}

    def __init__(self, calendar: WorkingCalendar, zone: tzinfo = SHANGHAI):
        """See ``Facts``: the calendar of working days, the zone of the days."""
        self.facts = Facts(calendar, zone)

    def create(self, cursor: psycopg.Cursor[Any], generation: int) -> None:
        names = {key: sql.Identifier(self.table(base, generation)) for key, base in TABLES.items()}
        cursor.execute(sql.SQL(DDL).format(**names))

    def apply(
        self, cursor: psycopg.Cursor[Any], generation: int, events: Sequence[tuple[int, Any]]
    ) -> None:
        table = {key: sql.Identifier(self.table(base, generation)) for key, base in TABLES.items()}
        scores = [e for _, e in events if isinstance(e, WorkerMonth.Event)]
        if scores:
            self._write_scores(cursor, table["scores"], scores, events)
            events = [(p, e) for p, e in events if not isinstance(e, WorkerMonth.Event)]
            if not events:
                return
        ids = list({event.originator_id for _, event in events})
        cursor.execute(
            sql.SQL("SELECT {columns} FROM {table} WHERE case_id = ANY(%s)").format(
                columns=_columns(CASE_COLUMNS), table=table["cases"]
            ),
            (ids,),
        )
        cases = {row[0]: dict(zip(CASE_COLUMNS, row, strict=True)) for row in cursor.fetchall()}
        batch = Batch()
        touched: set[Any] = set()
        for position, event in events:
            if type(event).__name__ == "Received":
                case = cases[event.originator_id] = self.facts.received(batch, event)
            else:
                case = cases[event.originator_id]
                self.facts.apply(batch, case, event, position)
            case["version"] = event.originator_version
            case["position"] = position
            touched.add(event.originator_id)
        self._write(cursor, table, batch, [cases[case_id] for case_id in touched])

    @staticmethod
    def _write_scores(
        cursor: psycopg.Cursor[Any],
        table: sql.Identifier,
        scores: list[Any],
        events: Sequence[tuple[int, Any]],
    ) -> None:
        """The latest score of each party, a later one over an earlier one (Started, the
        month's first event, carries no score)."""
        position = {id(event): p for p, event in events}
        rows = [
            (
                e.worker,
                e.month,
                e.party,
                e.score,
                e.actor["id"],
                e.occurred_at,
                position[id(e)],
            )
            for e in scores
            if type(e).__name__ == "Scored"
        ]
        if not rows:
            return
        # (worker, month, party) is the row's key; the score at the later position stays.
        upsert = _upsert(
            table,
            SCORE_COLUMNS[:3],
            SCORE_COLUMNS[3:],
            "{0} = excluded.{0}",
            where="d.position < excluded.position",
        )
        cursor.executemany(upsert, rows)

    @staticmethod
    def _write(
        cursor: psycopg.Cursor[Any],
        table: dict[str, sql.Identifier],
        batch: Batch,
        cases: list[Row],
    ) -> None:
        for key, columns, rows in (
            ("spans", SPAN_COLUMNS, batch.spans),
            ("closures", CLOSURE_COLUMNS, batch.closures),
            ("ratings", RATING_COLUMNS, batch.ratings),
            ("reopens", REOPEN_COLUMNS, batch.reopens),
            ("visits", VISIT_COLUMNS, batch.visits),
            ("steps", STEP_COLUMNS, batch.steps),
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
        upsert = _upsert(table["cases"], CASE_COLUMNS[:1], CASE_COLUMNS[1:], "{0} = excluded.{0}")
        cursor.executemany(upsert, [tuple(case[c] for c in CASE_COLUMNS) for case in cases])
        if batch.daily:
            keys = ("dimension", "day", "key")
            add = _upsert(table["daily"], keys, DAILY_FIGURES, "{0} = d.{0} + excluded.{0}")
            cursor.executemany(
                add, [(*key, *figures) for key, figures in sorted(batch.daily.items())]
            )


def _upsert(
    table: sql.Identifier,
    keys: Sequence[str],
    others: Sequence[str],
    setting: str,
    where: str | None = None,
) -> sql.Composed:
    """INSERT a row of ``keys`` then ``others``; where a row with those keys is there,
    ``setting`` sets each of ``others``, only if ``where`` holds when given (``{0}`` the
    column; ``d`` the row there, ``excluded`` the new one)."""
    columns = [*keys, *others]
    query = sql.SQL(
        "INSERT INTO {table} AS d ({columns}) VALUES ({values})"
        " ON CONFLICT ({keys}) DO UPDATE SET {sets}"
    ).format(
        table=table,
        columns=_columns(columns),
        values=sql.SQL(", ").join(sql.Placeholder() * len(columns)),
        keys=_columns(keys),
        sets=sql.SQL(", ").join(sql.SQL(setting).format(sql.Identifier(c)) for c in others),
    )
    return query if where is None else query + sql.SQL(" WHERE " + where)


def _columns(names: Sequence[str]) -> sql.Composable:
    return sql.SQL(", ").join(map(sql.Identifier, names))
