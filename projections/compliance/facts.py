"""Events to facts, with no database: what each event of a case adds to the compliance
model's rows (``Batch``), from the case's row as the model keeps it. Unit-tested alone;
``model`` reads the rows before and writes the batch after."""

from datetime import date, datetime, tzinfo
from typing import Any

from domain.time_limits import TimeLimit, Unit, WorkingCalendar, deadline_for
from domain.vocabulary import VALID_RATINGS
from projections.case_events import (
    CLOSURE,
    DEADLINE_MOVES,
    DUPLICATE_LINKS,
    WISH_CLAIMS,
    case_events,
)
from projections.compliance.schema import DAILY_FIGURES, INFINITY, SHANGHAI
from projections.compliance.working_time import working_seconds
from projections.received import received_fields
from projections.runner import UnknownEvent

SATISFIED_RATINGS = frozenset({"satisfied", "basically_satisfied"})
# Sign-for (签收) is on time within 1 working day of the assignment; urgent cases, 1 hour.
SIGN_FOR_LIMIT = TimeLimit(1, Unit.WORKING_DAYS)
URGENT_SIGN_FOR_LIMIT = TimeLimit(1, Unit.HOURS)
# The daily totals' key for facts without an assignee.
NO_WORKER = ""

Row = dict[str, Any]


class Batch:
    """What one batch of events adds and changes, written at the end in a few statements."""

    def __init__(self) -> None:
        self.spans: list[Row] = []
        self.closures: list[Row] = []
        self.ratings: list[Row] = []
        self.reopens: list[Row] = []
        self.visits: list[Row] = []
        self.steps: list[Row] = []
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
        chain = (self.closures, self.new_closure, self.closure_links)
        self._add_linked(case, row, position, "last_closure", "closed_at", *chain)

    def add_reopen(self, case: Row, row: Row, position: int) -> None:
        chain = (self.reopens, self.new_reopen, self.reopen_links)
        self._add_linked(case, row, position, "last_reopen", "reopened_at", *chain)

    @staticmethod
    def _add_linked(
        case: Row,
        row: Row,
        position: int,
        last: str,
        at: str,
        rows: list[Row],
        new: dict[Any, Row],
        stored: list[tuple[datetime, Any, int]],
    ) -> None:
        """Add the row (a closure or a reopening, at its ``at``): its time is the next one's
        on the case's previous one, in this batch (``new``) or stored (``stored`` links),
        and it is the case's ``last`` until a next one comes (next_<at>: infinity)."""
        previous = new.get(case["case_id"])
        if previous is not None:
            previous[f"next_{at}"] = row[at]
        elif case[last] is not None:
            stored.append((row[at], case["case_id"], case[last]))
        row[f"next_{at}"] = INFINITY
        rows.append(row)
        new[case["case_id"]] = row
        case[last] = position


def _category(case: Row) -> str:
    return f"{case['kind']}.{case['category']}"


def _facts(case: Row) -> Row:
    return {"grid_id": case["grid_id"], "kind": case["kind"], "category": case["category"]}


# Supervision steps the report counts by the event's name alone (each event once, on the
# day it occurred, for the case's grid, category and assignee): counted as soon as the
# domain records them, whichever of them it does.
COUNTED_BY_NAME = {
    "SentBack": "sent_back",
    "Urged": "urged",
    "Supervised": "supervised",
    "PubliclyNoted": "publicly_noted",
}


# The events the facts come from; every other event of a case's life changes nothing the
# report counts, and is named here so that a new one is a decision, not an accident.
HANDLED = frozenset(
    {
        "Received",
        "Assigned",
        "Reassigned",
        *DEADLINE_MOVES,
        *CLOSURE,
        "Visited",
        "SignedFor",
        *(COUNTED_BY_NAME.keys() & case_events()),
    }
)
IGNORED = frozenset(
    {
        "Escalated",
        "MediationHeld",
        *WISH_CLAIMS,
        *DUPLICATE_LINKS,
        # The first contact: its rate comes from the call-backs' answers, not from here.
        "Contacted",
        # Only the resident's answer (a Rated, like a phone call-back's) counts.
        "RatingLinkIssued",
    }
)


class Facts:
    """``calendar`` says which days are working days (handling times are in working
    hours); ``zone`` is the zone whose midnights bound the days."""

    def __init__(self, calendar: WorkingCalendar, zone: tzinfo = SHANGHAI):
        self.calendar = calendar
        self.zone = zone

    def received(self, batch: Batch, event: Any) -> Row:
        case = self._received(event)
        batch.start_span(case, case["received_at"])
        batch.add_up(case, self._day(case["received_at"]), None, False, received=1)
        return case

    def apply(self, batch: Batch, case: Row, event: Any, position: int) -> None:
        name = type(event).__name__
        if name in IGNORED:
            return
        if name not in HANDLED and name not in COUNTED_BY_NAME:
            raise UnknownEvent("compliance", event)
        self._apply(batch, case, name, event, position)

    @staticmethod
    def _received(event: Any) -> Row:
        return {
            "case_id": event.originator_id,
            **received_fields(event, "category", "grid_id", "due_at"),
            "received_at": event.occurred_at,
            "assignee": None,
            "open": True,
            "suspended_since": None,
            "suspended_seconds": 0.0,
            "span_seq": 1,
            "span_from": event.occurred_at,
            "last_closure": None,
            "last_reopen": None,
            "assigned_at": None,
        }

    def _day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def _apply(self, batch: Batch, case: Row, name: str, event: Any, position: int) -> None:
        at = event.occurred_at
        if name in ("Assigned", "Reassigned"):
            batch.change(case, at, assignee=event.assignee)
            case["assigned_at"] = at
            self._step(batch, case, at, position, "assigned")
        elif name == "SignedFor":
            on_time = self._signed_on_time(case, at)
            self._step(batch, case, at, position, "signed_for", on_time)
        elif name in COUNTED_BY_NAME:
            self._step(batch, case, at, position, COUNTED_BY_NAME[name])
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
            # Ratings recorded before call-backs had answers carry neither field.
            contacted = getattr(event, "contacted", None)
            solved = getattr(event, "solved", None)
            valid = event.rating in VALID_RATINGS
            batch.add_up(
                case,
                self._day(at),
                case["assignee"],
                ratings_valid=valid,
                ratings_satisfied=event.rating in SATISFIED_RATINGS,
                ratings_basic=event.rating == "basically_satisfied",
                callbacks_contact_answered=valid and contacted is not None,
                callbacks_contacted=valid and contacted is True,
                callbacks_solve_answered=valid and solved is not None,
                callbacks_solved=valid and solved == "solved",
                callbacks_partly=valid and solved == "partly_solved",
            )
            batch.ratings.append(
                {
                    "case_id": case["case_id"],
                    "position": position,
                    "rated_at": at,
                    "rating": event.rating,
                    "contacted": contacted,
                    "solved": solved,
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

    def _signed_on_time(self, case: Row, at: datetime) -> bool:
        assigned_at = case["assigned_at"]
        if assigned_at is None:
            return False
        urgent = case["kind"] == "resident_request" and case["category"] == "urgent"
        limit = URGENT_SIGN_FOR_LIMIT if urgent else SIGN_FOR_LIMIT
        return bool(at <= deadline_for(assigned_at, limit, self.calendar, self.zone).due_at)

    def _step(
        self, batch: Batch, case: Row, at: datetime, position: int, step: str, on_time: bool = False
    ) -> None:
        """A step of the supervision chain (assignment, sign-for, send-back, urge, ...),
        counted for the case's assignee of the moment."""
        figures = {step: 1}
        if step == "signed_for":
            figures["signed_on_time"] = int(on_time)
        batch.add_up(case, self._day(at), case["assignee"], True, **figures)
        batch.steps.append(
            {
                "case_id": case["case_id"],
                "position": position,
                "at": at,
                "step": step,
                "on_time": on_time,
                "worker": case["assignee"],
                **_facts(case),
            }
        )
