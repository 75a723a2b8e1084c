"""The service layer: one method per use case, each of them get, decide, save.

``CaseWork`` is an eventsourcing ``Application``. What it needs from outside (the
clock, the working-day calendar, where an event landed in the store) is handed to it
by the bootstrap, so this module stays free of infrastructure.
"""

import hashlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from domain import errors
from domain.case import Case, command_scope
from domain.case_locks import CaseLocks
from domain.commands import CaseCommand, RecountDeadline
from domain.kinds import CASE_CLASSES
from domain.matter import Matter
from domain.stamp import Stamp
from domain.time_limits import (
    DEFAULT_LADDER,
    Deadline,
    LadderRules,
    Light,
    Thresholds,
    TimeLeft,
    TimeLimit,
    TimeLimits,
    WorkingCalendar,
    deadline_for,
    ladder_thresholds,
    light,
    moved_deadline,
    recounted_deadline,
    time_left,
)
from domain.vocabulary import Kind
from domain.worker_month import WorkerMonth, worker_month_id

IDEMPOTENCY_NAMESPACE = uuid5(NAMESPACE_URL, "urn:casework:idempotency-key")
# How long a command waits its turn on a busy case, and retries after other processes'
# commands took the version it meant to write, before it is refused as
# concurrent_modification. Between retries it backs off for a random time up to
# BACKOFF_SECONDS * 2**attempt, at most MAX_BACKOFF_SECONDS, so that colliding
# processes do not collide again in step.
BUSY_SECONDS = 10.0
BACKOFF_SECONDS = 0.002
MAX_BACKOFF_SECONDS = 0.1


class CaseNotFound(Exception):
    def __init__(self, case_id: UUID, message: str | None = None):
        super().__init__(message or f"no case with id {case_id}")
        self.case_id = case_id


class StaleVersion(Exception):
    """The caller's If-Match version is not the case's current version."""

    def __init__(self, expected: int, actual: int):
        super().__init__(f"the case is at version {actual}, not at the expected version {expected}")
        self.expected = expected
        self.actual = actual


class IdempotencyKeyReused(Exception):
    """The same Idempotency-Key came with a different request body."""


class ConcurrentChanges(errors.RuleBroken):
    code = "concurrent_modification"
    title = "The case kept changing under this command"


@dataclass(frozen=True)
class Caller:
    """Who sends a command, and under which request."""

    actor_id: str
    role: str
    correlation_id: str


@dataclass(frozen=True)
class CommandKey:
    """A command's Idempotency-Key, and the fingerprint of its request (see
    ``request_fingerprint``): the same key again with the same request is a retry."""

    key: str
    request_hash: str


@dataclass(frozen=True)
class Outcome:
    case: Case
    position: int | None
    created: bool = True


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    type: str
    occurred_at: datetime
    recorded_at: datetime
    actor: dict[str, str]
    correlation_id: str
    data: dict[str, Any]


_EVENT_METADATA = {
    "originator_id",
    "originator_version",
    "originator_topic",
    "timestamp",
    "actor",
    "occurred_at",
    "correlation_id",
}


def _is_the_resident(party: dict[str, Any], resident: dict[str, Any]) -> bool:
    """A party named as the resident, with no phone of their own, is the resident
    (the usual applicant of a dispute); a party with a phone is whoever has that phone."""
    return not party.get("phone") and party.get("name") == resident.get("name")


def _event_data(event: Any) -> dict[str, Any]:
    """An event's own fields; of a command sent with an Idempotency-Key, the key (its
    request's fingerprint is the service's own business)."""
    data = {k: v for k, v in vars(event).items() if k not in _EVENT_METADATA}
    idempotency = data.pop("idempotency", None)
    if idempotency is not None:
        data["idempotency_key"] = idempotency["key"]
    return data


def _history_entry(event: Any) -> HistoryEntry:
    return HistoryEntry(
        version=event.originator_version,
        type=type(event).__name__,
        occurred_at=event.occurred_at,
        recorded_at=event.timestamp,
        actor=event.actor,
        correlation_id=event.correlation_id,
        data=_event_data(event),
    )


def request_fingerprint(body: dict[str, Any]) -> str:
    """A stable hash of a request body, to tell a retry from a different request."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class CaseWork(Application[UUID]):
    name = "casework"

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        calendar: WorkingCalendar,
        zone: tzinfo,
        clock: Callable[[], datetime],
        position_of: Callable[[UUID], int | None] = lambda case_id: None,
        time_limits: TimeLimits,
        identify_resident: Callable[[dict[str, Any]], str] | None = None,
        busy_seconds: float = BUSY_SECONDS,
        redo_on_not_solved: bool = True,
        rating_link_lifetime: timedelta = timedelta(days=7),
        rating_link_on_closure: bool = False,  # the service's setting turns it on
        ladder: LadderRules = DEFAULT_LADDER,
    ):
        super().__init__(env)
        self.redo_on_not_solved = redo_on_not_solved
        self.rating_link_lifetime = rating_link_lifetime
        self.rating_link_on_closure = rating_link_on_closure
        # When the supervision ladder's steps fall due (settings CASEWORK_LADDER_*).
        self.ladder = ladder
        self.busy_seconds = busy_seconds
        self._case_locks = CaseLocks()
        self.calendar = calendar
        self.zone = zone
        self.clock = clock
        self.position_of = position_of
        # The catalogue of limits per kind and category, loaded by the bootstrap.
        self.time_limits = time_limits
        # Who a person is (their resident_id), e.g. from a keyed hash of their phone,
        # handed in by the bootstrap; without it every person is a new resident.
        self.identify_resident = identify_resident or (lambda person: str(uuid4()))

    # -- intake -------------------------------------------------------------------

    def receive(
        self,
        *,
        kind: Kind,
        matter: Matter,
        resident: dict[str, Any],
        parties: list[dict[str, Any]],
        caller: Caller,
        received_at: datetime | None = None,
        first_contact: str | None = None,
        idempotency_key: str | None = None,
        request_hash: str | None = None,
    ) -> Outcome:
        """Record a new matter, once, however often the client retries it."""
        stamp = self._stamp(caller, received_at)
        case_class = CASE_CLASSES[Kind(kind)]
        limit = self.time_limits.get((Kind(kind), matter.category))
        if limit is None:
            raise errors.UnknownCategory(f"category '{matter.category}' is not one of {kind}'s")
        if idempotency_key is None:
            case_id = uuid4()
        else:
            case_id = uuid5(IDEMPOTENCY_NAMESPACE, f"{caller.actor_id}\n{idempotency_key}")
            # A retry is answered before its people are identified again: identifying may
            # record a phone, and the phone of a resident erased since must stay unknown.
            # (A concurrent twin is still found when its save fails, below.)
            earlier = self._earlier_intake(case_id, request_hash)
            if earlier is not None:
                return earlier
        deadline = deadline_for(stamp.occurred_at, limit, self.calendar, self.zone)
        case_class._check_parties(parties)  # before anyone is given an id for nothing
        resident_id = self.identify_resident(resident)
        party_resident_ids = [
            resident_id if _is_the_resident(party, resident) else self.identify_resident(party)
            for party in parties
        ]
        case = case_class.receive(
            case_id=case_id,
            matter=matter,
            first_contact=first_contact or caller.actor_id,
            time_limit=limit,
            due_at=deadline.due_at,
            due_at_provisional=deadline.provisional,
            resident=resident,
            parties=parties,
            intake={"idempotency_key": idempotency_key, "request_hash": request_hash},
            stamp=stamp,
            resident_id=resident_id,
            party_resident_ids=party_resident_ids,
        )
        try:
            recordings = self.save(case)
        except IntegrityError:
            # A request with the same key came first (a retry, or a concurrent twin): answer
            # as it was answered.
            earlier = self._earlier_intake(case_id, request_hash)
            if earlier is None:
                raise
            return earlier
        return Outcome(case, recordings[-1].notification.id)

    def _earlier_intake(self, case_id: UUID, request_hash: str | None) -> Outcome | None:
        try:
            case: Case = self.repository.get(case_id)
        except AggregateNotFoundError:
            return None
        first_hash = case.intake.get("request_hash")
        # Once a resident of the case is erased, so is the hash of the request that named
        # them (it is no str any more): the key alone then tells it is the same request.
        if (first_hash is None or isinstance(first_hash, str)) and first_hash != request_hash:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was already used with a different request body"
            )
        return Outcome(case, self.position_of(case_id), created=False)

    # -- the case's life ----------------------------------------------------------

    def handle(
        self,
        case_id: UUID,
        command: CaseCommand,
        caller: Caller,
        *,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
        command_key: CommandKey | None = None,
        visible: Callable[[Case], bool] = lambda case: True,
        loaded: Case | None = None,
    ) -> Outcome:
        """Any command on a case: load it once, check the caller may see it (``visible``,
        else it is answered as unknown), let the command decide, save.

        A duplicate's original named by the command must be ``visible`` too. ``loaded``:
        the case as the caller's gate already loaded it (to check its area), decided on
        first instead of being read again; if it has moved on since, the command is
        decided again on the case read fresh."""
        return self._change(
            case_id, caller, occurred_at, expected_version, command, command_key, visible, loaded
        )

    def recount_deadline(
        self, case_id: UUID, reason: str, caller: Caller, occurred_at: datetime | None = None
    ) -> Outcome | None:
        """Count the case's deadline again from its own history, on the calendar as known
        now (after a missing year was loaded); None when it comes out the same."""
        outcome = self.handle(case_id, RecountDeadline(reason), caller, occurred_at=occurred_at)
        return outcome if outcome.created else None

    # -- the 3456 assessment ---------------------------------------------------------

    def score_worker(
        self, worker: str, month: str, party: str, score: int, caller: Caller
    ) -> tuple[WorkerMonth, int]:
        """Record a party's score of a worker's month (a later one replaces it); the worker's
        month and the position of the score in the store. Who may score is the caller's
        business (the API checks the level and the area)."""
        deadline = time.monotonic() + self.busy_seconds
        while True:
            stamp = self._stamp(caller, None)
            try:
                scored: WorkerMonth = self.repository.get(worker_month_id(worker, month))
            except AggregateNotFoundError:
                scored = WorkerMonth.start(worker, month, stamp)
            scored.score(party, score, stamp)
            try:
                recordings = self.save(scored)
            except IntegrityError:
                # Another score of the same month came first: score on top of it.
                if time.monotonic() >= deadline:
                    raise ConcurrentChanges(
                        f"the worker's month kept changing for {self.busy_seconds:g} s"
                    ) from None
                time.sleep(random.uniform(0, BACKOFF_SECONDS * 8))  # noqa: S311
                continue
            return scored, max(r.notification.id for r in recordings)

    def worker_month(self, worker: str, month: str) -> WorkerMonth | None:
        try:
            found: WorkerMonth = self.repository.get(worker_month_id(worker, month))
        except AggregateNotFoundError:
            return None
        return found

    def worker_month_history(self, worker: str, month: str) -> list[HistoryEntry]:
        """Every score of the worker's month, the replaced ones too, with who and when."""
        return [_history_entry(e) for e in self.events.get(worker_month_id(worker, month))]

    # -- what commands ask of the service (see _Context) --------------------------------

    def moved_deadline(self, case: Case, move: dict[str, Any]) -> Deadline:
        deadline = Deadline(case.due_at, case.due_at_provisional)
        return moved_deadline(deadline, move, self.time_limit_of(case), self.calendar, self.zone)

    def recounted_deadline(self, case: Case) -> Deadline:
        return recounted_deadline(
            case.received_at,
            self.time_limit_of(case),
            case.deadline_moves,
            self.calendar,
            self.zone,
        )

    # -- deadlines ----------------------------------------------------------------

    def time_limit_of(self, case: Case) -> TimeLimit:
        """The limit the case was received with; the catalogue's for cases received before
        limits were recorded in the Received event."""
        return self.time_limit_for(case.kind, case.category, case.time_limit)

    def time_limit_for(self, kind: str, category: str, recorded: TimeLimit | None) -> TimeLimit:
        """The recorded limit, else the catalogue's for the kind and category."""
        return recorded or self.time_limits[(Kind(kind), category)]

    def time_left(self, case: Case, now: datetime) -> TimeLeft | None:
        """The working time left on an open case (see ``time_limits.time_left``); None once
        it is closed."""
        if case.is_closed:
            return None
        return self.time_left_on(case.due_at, self.time_limit_of(case), case.suspended_since, now)

    def time_left_on(
        self, due_at: datetime, limit: TimeLimit, suspended_since: datetime | None, now: datetime
    ) -> TimeLeft:
        """While a case is suspended its clock stands at the suspension."""
        if suspended_since is not None:
            now = min(now, suspended_since)
        return time_left(due_at, limit, now, self.calendar, self.zone)

    def thresholds(self, case: Case) -> Thresholds:
        """The ladder's moments for the case's deadline in force."""
        limit = self.time_limit_of(case)
        return ladder_thresholds(case.due_at, limit, self.calendar, self.zone, self.ladder)

    def light_of(self, case: Case, now: datetime) -> Light:
        """Green, yellow or red at ``now``; the light stands still while the case is
        suspended, and at its closure once closed."""
        clock = min(m for m in (now, case.suspended_since, case.closed_at) if m is not None)
        return light(case.due_at, self.thresholds(case).urge, clock)

    # -- reading ------------------------------------------------------------------

    def get_case(
        self, case_id: UUID, version: int | None = None, as_of: datetime | None = None
    ) -> Case:
        """The case now, at a version, or as the store knew it at a moment."""
        if as_of is not None:
            events = self._events(case_id)
            known = [e.originator_version for e in events if e.timestamp <= as_of]
            if not known:
                raise errors.CaseNotYetReceived(
                    case_id, as_of, events[0].occurred_at, events[0].timestamp
                )
            version = known[-1] if version is None else min(version, known[-1])
        try:
            found: object = self.repository.get(case_id, version=version)
        except AggregateNotFoundError:
            raise CaseNotFound(case_id) from None
        if not isinstance(found, Case):  # a worker's month, say: no case
            raise CaseNotFound(case_id)
        return found

    def history(self, case_id: UUID) -> list[HistoryEntry]:
        return [_history_entry(e) for e in self._events(case_id)]

    def _events(self, case_id: UUID) -> list[Any]:
        events = list(self.events.get(case_id))
        if not events or not isinstance(events[0], Case.Event):
            raise CaseNotFound(case_id)
        return events

    # -- the one way every command changes a case ------------------------------------

    def _stamp(
        self, caller: Caller, occurred_at: datetime | None, command_key: CommandKey | None = None
    ) -> Stamp:
        return Stamp.create(
            actor_id=caller.actor_id,
            actor_role=caller.role,
            correlation_id=caller.correlation_id,
            now=self.clock(),
            occurred_at=occurred_at,
            idempotency=None
            if command_key is None
            else {"key": command_key.key, "request_hash": command_key.request_hash},
        )

    def _change(
        self,
        case_id: UUID,
        caller: Caller,
        occurred_at: datetime | None,
        expected_version: int | None,
        command: CaseCommand,
        command_key: CommandKey | None,
        visible: Callable[[Case], bool],
        loaded: Case | None = None,
    ) -> Outcome:
        """Load the case, let the command decide on it, save what it decided.

        The case is loaded once per attempt: ``visible`` (the caller's area) is checked on
        that same case. The command returns the other cases it changed too, if any (a
        duplicate's original),
        saved in the same transaction. Commands on one case take turns in this process
        (see ``CaseLocks``); a command that finds its version taken by another process
        is decided again on the fresh case after a random back-off, so it lands exactly
        once or is refused by the case's rules, within ``busy_seconds``. With an expected
        version (If-Match) a concurrent change makes the command stale. With a
        ``command_key`` already answered on this case (a retry whose answer was lost, or
        its twin that came first) the command is not decided again: it gets the first
        answer.
        """
        deadline = time.monotonic() + self.busy_seconds
        with self._case_locks.held(case_id, self.busy_seconds) as got_turn:
            if not got_turn:
                raise ConcurrentChanges(
                    f"other commands kept the case busy for {self.busy_seconds:g} s; send it again"
                )
            attempt = 0
            while True:
                # The gate's copy is used once: it may be older than the store by now.
                preloaded, case = loaded is not None, loaded or self.get_case(case_id)
                loaded = None
                if not visible(case):
                    raise CaseNotFound(case_id)  # out of reach: as if it did not exist
                if command_key is not None:
                    earlier = self._earlier_answer(case, caller, command_key)
                    if earlier is not None:
                        return earlier
                if expected_version is not None and case.version != expected_version:
                    if preloaded:
                        continue  # the gate's copy may be stale: judge on the store's
                    raise StaleVersion(expected_version, case.version)
                stamp = self._stamp(caller, occurred_at, command_key)
                others = list(command.decide(case, stamp, _Context(self, visible)) or [])
                try:
                    recordings = self.save(case, *others)
                except IntegrityError:
                    if time.monotonic() >= deadline:
                        raise ConcurrentChanges(
                            f"the case kept changing for {self.busy_seconds:g} s while this "
                            "command was decided; send it again"
                        ) from None
                    # With If-Match the command is stale now (unless its own twin came
                    # first, see above), or only a duplicate's original moved, or the
                    # gate's copy was stale: no wait.
                    if expected_version is None and not preloaded:
                        # Jitter, not security: colliding processes must not retry in step.
                        pause = min(MAX_BACKOFF_SECONDS, BACKOFF_SECONDS * 2**attempt)
                        time.sleep(random.uniform(0, pause))  # noqa: S311
                        attempt += 1
                    continue
                if not recordings:  # the case decided that nothing changes
                    return Outcome(case, self.position_of(case_id), created=False)
                return Outcome(case, max(r.notification.id for r in recordings))

    def _earlier_answer(
        self, case: Case, caller: Caller, command_key: CommandKey
    ) -> Outcome | None:
        """The first answer to this caller's command with this key on this case: the case
        as that command left it."""
        answered = case.answered_commands.get(command_scope(caller.actor_id, command_key.key))
        if answered is None:
            return None
        request_hash, version = answered
        if request_hash != command_key.request_hash:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was already used on this case with a different request"
            )
        return Outcome(
            self.get_case(case.id, version=version), self.position_of(case.id), created=False
        )


@dataclass(frozen=True)
class _Context:
    """What a command may ask of the service while it decides (``commands.Context``)."""

    service: CaseWork
    visible: Callable[[Case], bool]

    def moved_deadline(self, case: Case, move: dict[str, Any]) -> Deadline:
        return self.service.moved_deadline(case, move)

    def recounted_deadline(self, case: Case) -> Deadline:
        return self.service.recounted_deadline(case)

    def case(self, case_id: UUID) -> Case:
        return self.service.get_case(case_id)

    @property
    def redo_on_not_solved(self) -> bool:
        return self.service.redo_on_not_solved

    def thresholds(self, case: Case) -> Thresholds:
        return self.service.thresholds(case)

    @property
    def rating_link_lifetime(self) -> timedelta:
        return self.service.rating_link_lifetime

    @property
    def rating_link_on_closure(self) -> bool:
        return self.service.rating_link_on_closure

    def original(self, case_id: UUID) -> Case:
        try:
            original = self.service.get_case(case_id)
        except CaseNotFound:
            original = None
        if original is None or not self.visible(original):
            raise errors.UnknownOriginal(f"duplicate_of: no case with id {case_id}")
        return original
