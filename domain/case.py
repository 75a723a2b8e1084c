"""The life every community case shares, from intake to the resident's verdict.

Public methods check the rules and raise a named ``DomainError`` when one is broken;
the private ``@event`` methods only apply the change, because they run again on
every replay of the case's history.
"""

from dataclasses import asdict, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain import errors
from domain.matter import Matter
from domain.stamp import RESIDENT, Stamp, aware, stamped
from domain.status import case_status
from domain.time_limits import LONGEST_EXTENSION, Deadline, TimeLimit
from domain.vocabulary import (
    CATEGORIES,
    VALID_RATINGS,
    ContactChannel,
    Kind,
    Level,
    Rating,
    Resolution,
    Solved,
    parse,
)


def command_scope(actor_id: str, key: str) -> str:
    """Idempotency keys belong to their caller: two callers' same key are two commands."""
    return f"{actor_id}\n{key}"


class Case(Aggregate):
    # Each kind of case sets KIND (no annotation: the library would make the class a dataclass).
    KIND = Kind.RESIDENT_REQUEST

    class Event(Aggregate.Event):
        """What every event of a case's life does besides its own change: a command sent
        with an Idempotency-Key leaves the key in its event, so the case knows, on every
        replay, which of its caller's keys it has answered and at which version."""

        def apply(self, aggregate: Any) -> None:
            idempotency = getattr(self, "idempotency", None)
            if idempotency is not None:
                # An event the service records on its own account as part of a caller's
                # command names that caller (see Stamp.by_system).
                caller = idempotency.get("caller") or getattr(self, "actor", {})["id"]
                aggregate.answered_commands[command_scope(caller, idempotency["key"])] = (
                    idempotency["request_hash"],
                    self.originator_version,
                )

    # Fields every event carries besides its own: see Stamp.event_fields().
    # actor: {"id", "role"}; occurred_at: aware datetime; correlation_id: str

    @classmethod
    def receive(
        cls,
        *,
        case_id: UUID,
        matter: Matter,
        first_contact: str,
        time_limit: TimeLimit,
        due_at: datetime,
        due_at_provisional: bool,
        resident: dict[str, Any],
        parties: list[dict[str, Any]],
        intake: dict[str, Any],
        stamp: Stamp,
        resident_id: str | None = None,
        party_resident_ids: list[str] | None = None,
    ) -> "Case":
        if matter.category not in CATEGORIES[cls.KIND].__members__.values():
            allowed = ", ".join(CATEGORIES[cls.KIND])
            raise errors.UnknownCategory(
                f"category '{matter.category}' is not one of {cls.KIND}'s categories: {allowed}"
            )
        cls._check_parties(parties)
        return cls(
            id=case_id,
            **asdict(matter),
            first_contact=first_contact,
            due_at=due_at,
            due_at_provisional=due_at_provisional,
            time_limit=time_limit.to_json(),
            personal={"resident": resident, "parties": parties},
            # Who the people are, outside the personal part (an id is not personal data
            # by itself): the store seals each person's data under their own key.
            resident_id=resident_id,
            party_resident_ids=party_resident_ids or [],
            intake=intake,
            **stamp.event_fields(),
        )

    @classmethod
    def _check_parties(cls, parties: list[dict[str, Any]]) -> None:
        """Kinds with rules about parties override this."""

    @event("Received")
    def __init__(
        self,
        id: UUID,  # noqa: A002 - the library takes the aggregate id by this name
        category: str,
        channel: str,
        title: str,
        description: str,
        grid_id: str,
        first_contact: str,
        due_at: datetime,
        due_at_provisional: bool,
        personal: dict[str, Any],
        intake: dict[str, Any],
        actor: dict[str, str],
        occurred_at: datetime,
        correlation_id: str,
        # The limit the deadline was counted from, so it can be counted again later.
        # None only in events recorded before limits were recorded.
        time_limit: dict[str, Any] | None = None,
        # None and [] only in events recorded before residents had ids.
        resident_id: str | None = None,
        party_resident_ids: list[str] | None = None,
    ) -> None:
        self.kind = self.KIND
        self.category = category
        self.channel = channel
        self.title = title
        self.description = description
        self.grid_id = grid_id
        self.level = Level.GRID.value
        self.first_contact = first_contact
        self.received_at = occurred_at
        self.received_by = actor
        self.due_at = due_at
        self.due_at_provisional = due_at_provisional
        self.time_limit = TimeLimit.from_json(time_limit) if time_limit else None
        # Every later move of the deadline, in order: what a recount replays.
        self.deadline_moves: list[dict[str, Any]] = []
        self.resident = personal["resident"]
        self.parties = personal["parties"]
        self.resident_id = resident_id
        self.party_resident_ids = list(party_resident_ids or [])
        self.intake = intake
        self.worked_since_opened = False
        self.assignee: str | None = None
        self.signed_for = False  # by the current assignee (签收); a reassignment unsigns
        self.signed_for_at: datetime | None = None
        self.first_contacted_at: datetime | None = None  # 响应: a Contacted or a Visited
        # The supervision ladder: which deadline in force (an approved extension starts a
        # new ladder) and the automatic steps already taken on it.
        self.ladder = 1
        self.ladder_steps: set[str] = set()
        self.supervised_by_level: str | None = None
        self.publicly_noted = False
        self.suspended_since: datetime | None = None
        self.visits: list[dict[str, Any]] = []
        self._not_closed()
        self.closures = 0
        # The rating links issued to the resident (回访 without a call), by link id.
        self.rating_links: dict[str, dict[str, Any]] = {}
        self.reopen_count = 0
        self.last_occurred_at = occurred_at
        # An original lists the cases closed as its duplicates.
        self.duplicates: list[str] = []
        # command_scope(actor, Idempotency-Key) -> (request fingerprint, version it made)
        self.answered_commands: dict[str, tuple[str, int]] = {}
        self._start_kind_state()

    def _not_closed(self) -> None:
        """A case as received, and again once reopened: no closure in force, no verdict."""
        self.closed_at: datetime | None = None
        self.resolution: str | None = None
        self.closure_summary: str | None = None
        # A case closed as a duplicate names its original.
        self.duplicate_of: str | None = None
        self.rating: str | None = None
        self.rating_comment: str | None = None
        self.rating_solved: str | None = None
        self.rating_contacted: bool | None = None

    def _start_kind_state(self) -> None:
        """Kinds that keep more state set it up here; runs on every replay."""

    # -- rules shared by commands -------------------------------------------------

    def resident_ids(self) -> list[str]:
        """Every resident of the case, the one who came first and then the parties."""
        ids = [self.resident_id, *self.party_resident_ids]
        return list(dict.fromkeys(str(rid) for rid in ids if rid is not None))

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def is_suspended(self) -> bool:
        return self.suspended_since is not None

    def _check_stamp(self, stamp: Stamp) -> None:
        if stamp.occurred_at < self.last_occurred_at:
            raise errors.OccurredOutOfOrder(
                f"occurred_at {stamp.occurred_at.isoformat()} is before the case's last "
                f"event at {self.last_occurred_at.isoformat()}"
            )

    def _check_open(self, stamp: Stamp) -> None:
        self._check_stamp(stamp)
        if self.is_closed:
            raise errors.CaseClosed("the case is closed: it can only be rated or reopened")

    def _check_active(self, stamp: Stamp) -> None:
        """Open and not waiting on the resident."""
        self._check_open(stamp)
        if self.is_suspended:
            raise errors.CaseSuspended(
                "the case is suspended waiting on the resident: resume it first"
            )

    def _check_assigned(self) -> str:
        """The assignee; refused when there is none."""
        if self.assignee is None:
            raise errors.NoAssignee("the case has no assignee: assign it first")
        return self.assignee

    def _check_by_assignee(self, stamp: Stamp, doing: str) -> str:
        """The open case's assignee, who alone may be ``doing`` this; anyone else is refused."""
        self._check_open(stamp)
        assignee = self._check_assigned()
        if stamp.actor_id != assignee:
            raise errors.NotTheAssignee(f"only the case's assignee ({assignee}) may {doing}")
        return assignee

    def _check_work(
        self,
        done_at: datetime,
        field: str,
        stamp: Stamp,
        action: str,
        *,
        suspended_too: bool = False,
    ) -> str:
        """Work the assignee did on the open case (not suspended, unless ``suspended_too``),
        ``done_at`` no later than the command is dated; the assignee, who signs for the case
        by doing it if they had not yet."""
        if suspended_too:
            self._check_open(stamp)
        else:
            self._check_active(stamp)
        worker = self._check_assigned()
        stamp.check_not_after(done_at, field)
        self._signs_by_acting(stamp, action)
        return worker

    @property
    def status(self) -> str:
        """Where the case stands, derived from its state so it can never disagree with it."""
        return case_status(
            closed=self.is_closed,
            rated=self.rating is not None,
            suspended=self.is_suspended,
            worked=self.worked_since_opened,
            assigned=self.assignee is not None,
            **self._stage_flags(),
        ).value

    def _stage_flags(self) -> dict[str, bool]:
        """Stages only some kinds go through; a micro-wish is claimed and fulfilled."""
        return {"claimed": False, "fulfilled": False}

    # -- assignment ---------------------------------------------------------------

    def assign(self, assignee: str, note: str | None, stamp: Stamp) -> None:
        self._check_open(stamp)
        if self.assignee is not None:
            raise errors.AlreadyAssigned(
                f"the case is already assigned to {self.assignee}: reassign it instead"
            )
        self._assign(assignee=assignee, note=note, **stamp.event_fields())

    @event("Assigned")
    @stamped
    def _assign(self, assignee: str, note: str | None, occurred_at: datetime) -> None:
        self._hand_to(assignee, occurred_at)

    def _hand_to(self, assignee: str | None, occurred_at: datetime) -> None:
        """A new handler (None: back to the dispatcher), who has not signed for the case."""
        self.assignee = assignee
        self.signed_for = False
        self.signed_for_at = None
        self.last_occurred_at = occurred_at

    def reassign(self, assignee: str, reason: str, stamp: Stamp) -> None:
        self._check_open(stamp)
        previous = self._check_assigned()
        if assignee == previous:
            raise errors.SameAssignee(f"the case is already assigned to {assignee}")
        self._reassign(
            assignee=assignee,
            previous_assignee=previous,
            reason=reason,
            **stamp.event_fields(),
        )

    @event("Reassigned")
    @stamped
    def _reassign(
        self, assignee: str, previous_assignee: str, reason: str, occurred_at: datetime
    ) -> None:
        self._hand_to(assignee, occurred_at)

    def sign_for(self, stamp: Stamp) -> None:
        """The assignee takes the case on (签收): once per assignment, by them only."""
        assignee = self._check_by_assignee(stamp, "sign for it")
        if self.signed_for:
            raise errors.AlreadySigned(f"{assignee} has already signed for the case")
        self._sign_for(assignee=assignee, **stamp.event_fields())

    def _signs_by_acting(self, stamp: Stamp, action: str) -> None:
        """The assignee's first action on a case not signed for counts as signing for it
        (签收), so that assign -> visit -> close keeps working: a SignedFor is recorded
        first, dated at the action, naming it. Called once the action's rules passed."""
        if self.assignee is None or stamp.actor_id != self.assignee:
            return
        if getattr(self, "signed_for", False):
            return
        # The action's own event carries the caller's Idempotency-Key, not this one.
        self._sign_for(assignee=self.assignee, by_action=action, **stamp.without_key())

    @event("SignedFor")
    @stamped
    def _sign_for(
        self,
        assignee: str,
        occurred_at: datetime,
        idempotency: dict[str, str] | None = None,  # see Case.Event
        by_action: str | None = None,  # signed by acting (visit, contact, close, ...)
    ) -> None:
        self.signed_for = True
        self.signed_for_at = occurred_at
        self.last_occurred_at = occurred_at

    def send_back(self, reason: str, stamp: Stamp) -> None:
        """The assignee hands the case back to the dispatcher (退回), before signing for it."""
        assignee = self._check_by_assignee(stamp, "send it back")
        if self.signed_for:
            raise errors.SendBackAfterSigning(
                f"{assignee} has signed for the case: it is theirs; ask a supervisor to reassign it"
            )
        self._send_back(assignee=assignee, reason=reason, **stamp.event_fields())

    @event("SentBack")
    @stamped
    def _send_back(self, assignee: str, reason: str, occurred_at: datetime) -> None:
        self._hand_to(None, occurred_at)

    # -- field work ---------------------------------------------------------------

    def visit(
        self,
        visited_at: datetime,
        duration_minutes: int,
        notes: str,
        outcome: str | None,
        stamp: Stamp,
    ) -> None:
        worker = self._check_work(visited_at, "visited_at", stamp, "visit")
        self._visit(
            visited_at=visited_at,
            duration_minutes=duration_minutes,
            notes=notes,
            outcome=outcome,
            worker=worker,
            **stamp.event_fields(),
        )

    @event("Visited")
    @stamped
    def _visit(
        self,
        visited_at: datetime,
        duration_minutes: int,
        notes: str,
        outcome: str | None,
        worker: str,
        occurred_at: datetime,
    ) -> None:
        self.visits.append(
            {"visited_at": visited_at, "duration_minutes": duration_minutes, "worker": worker}
        )
        self.worked_since_opened = True
        if self.first_contacted_at is None:
            self.first_contacted_at = visited_at
        self.last_occurred_at = occurred_at

    def contact(self, contacted_at: datetime, channel: str, notes: str, stamp: Stamp) -> None:
        """The handler reached the resident (响应), by phone, message, a visit or otherwise."""
        channel = str(parse(ContactChannel, channel, "channel"))
        worker = self._check_work(
            contacted_at, "contacted_at", stamp, "contact", suspended_too=True
        )
        self._contact(
            contacted_at=contacted_at,
            channel=channel,
            notes=notes,
            worker=worker,
            **stamp.event_fields(),
        )

    @event("Contacted")
    @stamped
    def _contact(
        self, contacted_at: datetime, channel: str, notes: str, worker: str, occurred_at: datetime
    ) -> None:
        if self.first_contacted_at is None:
            self.first_contacted_at = contacted_at
        self.last_occurred_at = occurred_at

    # -- the supervision ladder (催办 -> 督办 -> 通报) ----------------------------------

    def urge(self, message: str, stamp: Stamp) -> None:
        """A supervisor urges the handler by hand (催办), at any time the case is open."""
        self._check_open(stamp)
        self._urge(
            message=message,
            automatic=False,
            ladder=self.ladder,
            due_at=self.due_at,
            **stamp.event_fields(),
        )

    def take_step(self, step: str, at: datetime, stamp: Stamp) -> None:
        """The service takes a step of the ladder, dated ``at``, the moment its threshold
        was crossed, whenever it noticed it: each step once per deadline in force.

        Dated in the past, a step may come after later work in the history: it is not
        checked against the case's last event, and does not move it back."""
        if self.is_closed:
            raise errors.CaseClosed("the case is closed: the ladder has stopped")
        if at > stamp.occurred_at:
            raise errors.ThresholdNotReached(
                f"the step {step} is due at {at.isoformat()}, not yet reached"
            )
        refused = {
            "urge": errors.AlreadyUrged,
            "supervise": errors.AlreadySupervised,
            "notice": errors.AlreadyPubliclyNoted,
        }[step]
        if step in self.ladder_steps:
            raise refused(
                f"step {step} was already taken for the deadline {self.due_at.isoformat()}"
            )
        fields = replace(stamp, occurred_at=at).without_key()
        ladder, due_at = self.ladder, self.due_at
        if step == "urge":
            message = "the case turned yellow: less than a working day is left"
            self._urge(message=message, automatic=True, ladder=ladder, due_at=due_at, **fields)
        elif step == "supervise":
            above = {Level.GRID: Level.COMMUNITY}.get(Level(self.level), Level.STREET)
            self._supervise(
                level=above.value,
                handling_level=self.level,
                ladder=ladder,
                due_at=due_at,
                **fields,
            )
        else:
            self._note_publicly(
                grid_id=self.grid_id, handler=self.assignee, ladder=ladder, due_at=due_at, **fields
            )

    @event("Urged")
    @stamped
    def _urge(
        self, message: str, automatic: bool, ladder: int, due_at: datetime, occurred_at: datetime
    ) -> None:
        if automatic:
            self.ladder_steps.add("urge")
        self.last_occurred_at = max(self.last_occurred_at, occurred_at)

    @event("Supervised")
    @stamped
    def _supervise(
        self, level: str, handling_level: str, ladder: int, due_at: datetime, occurred_at: datetime
    ) -> None:
        self.ladder_steps.add("supervise")
        self.supervised_by_level = level
        self.last_occurred_at = max(self.last_occurred_at, occurred_at)

    @event("PubliclyNoted")
    @stamped
    def _note_publicly(
        self,
        grid_id: str,
        handler: str | None,
        ladder: int,
        due_at: datetime,
        occurred_at: datetime,
    ) -> None:
        self.ladder_steps.add("notice")
        self.publicly_noted = True
        self.last_occurred_at = max(self.last_occurred_at, occurred_at)

    def escalate(self, level: str, reason: str, stamp: Stamp) -> None:
        self._check_active(stamp)
        if parse(Level, level, "level").rank <= Level(self.level).rank:
            raise errors.EscalationNotUpward(
                f"the case is handled at {self.level} level; it can only go up "
                f"(grid -> community -> street), not to {level}"
            )
        self._signs_by_acting(stamp, "escalate")
        self._escalate(
            level=str(level), previous_level=self.level, reason=reason, **stamp.event_fields()
        )

    @event("Escalated")
    @stamped
    def _escalate(
        self, level: str, previous_level: str, reason: str, occurred_at: datetime
    ) -> None:
        self.level = level
        self.last_occurred_at = occurred_at

    # -- the clock ----------------------------------------------------------------

    def suspend(self, reason: str, stamp: Stamp) -> None:
        self._check_open(stamp)
        if self.is_suspended:
            raise errors.CaseSuspended("the case is already suspended")
        self._signs_by_acting(stamp, "suspend")
        self._suspend(reason=reason, **stamp.event_fields())

    @event("Suspended")
    @stamped
    def _suspend(self, reason: str, occurred_at: datetime) -> None:
        self.suspended_since = occurred_at
        self.last_occurred_at = occurred_at

    def resume(
        self, reason: str, due_at: datetime, stamp: Stamp, *, provisional: bool = False
    ) -> None:
        """``due_at`` is the deadline moved by the working time spent suspended;
        ``provisional``: it was counted through a year with no calendar."""
        self._check_open(stamp)
        if not self.is_suspended:
            raise errors.NotSuspended("the case is not suspended")
        self._resume(
            reason=reason, due_at=due_at, due_at_provisional=provisional, **stamp.event_fields()
        )

    @event("Resumed")
    @stamped
    def _resume(
        self,
        reason: str,
        due_at: datetime,
        occurred_at: datetime,
        due_at_provisional: bool | None = None,  # None in events recorded before it was
    ) -> None:
        self.deadline_moves.append(
            {"suspended_at": self.suspended_since, "resumed_at": occurred_at}
        )
        self.suspended_since = None
        self.due_at = due_at
        if due_at_provisional is not None:
            self.due_at_provisional = due_at_provisional
        self.last_occurred_at = occurred_at

    def extend(
        self,
        due_at: datetime,
        reason: str,
        approved_by: str,
        stamp: Stamp,
        *,
        provisional: bool = False,
        extra_working_days: int | None = None,
    ) -> None:
        """``provisional``: the new deadline was counted into a year with no calendar;
        ``extra_working_days``: it was counted, not given, so a recount counts it again."""
        self._check_active(stamp)
        aware(due_at, "new_due_at")
        if stamp.occurred_at > self.due_at:
            raise errors.ExtensionAfterDeadline(
                f"the deadline {self.due_at.isoformat()} has passed; an extension must be "
                "approved before it"
            )
        if due_at > stamp.occurred_at + LONGEST_EXTENSION:
            raise errors.ExtensionTooFar(
                f"the new deadline {due_at.isoformat()} is more than {LONGEST_EXTENSION.days} "
                f"days after the extension ({stamp.occurred_at.isoformat()})"
            )
        if due_at <= self.due_at:
            raise errors.ExtensionNotLater(
                f"the new deadline {due_at.isoformat()} is not after the current one "
                f"{self.due_at.isoformat()}"
            )
        self._extend(
            due_at=due_at,
            due_at_provisional=provisional,
            previous_due_at=self.due_at,
            reason=reason,
            approved_by=approved_by,
            extra_working_days=extra_working_days,
            **stamp.event_fields(),
        )

    @event("Extended")
    @stamped
    def _extend(
        self,
        due_at: datetime,
        due_at_provisional: bool,
        previous_due_at: datetime,
        reason: str,
        approved_by: str,
        occurred_at: datetime,
        extra_working_days: int | None = None,
    ) -> None:
        self.deadline_moves.append(
            {"new_due_at": due_at}
            if extra_working_days is None
            else {"extra_working_days": extra_working_days}
        )
        self.due_at = due_at
        self.due_at_provisional = due_at_provisional
        # An approved extension starts a new ladder (DOMAIN.md, "Supervision").
        self.ladder += 1
        self.ladder_steps = set()
        self.last_occurred_at = occurred_at

    def recount_deadline(self, deadline: Deadline, reason: str, stamp: Stamp) -> bool:
        """Set the deadline counted again from the case's history (after a calendar was
        loaded); False, and nothing recorded, when the count comes out the same."""
        self._check_stamp(stamp)
        if self.is_closed:
            raise errors.CaseClosed("the case is closed: its deadline is no longer counted")
        if (deadline.due_at, deadline.provisional) == (self.due_at, self.due_at_provisional):
            return False
        self._recount_deadline(
            due_at=deadline.due_at,
            due_at_provisional=deadline.provisional,
            previous_due_at=self.due_at,
            previous_due_at_provisional=self.due_at_provisional,
            reason=reason,
            **stamp.event_fields(),
        )
        return True

    @event("DeadlineRecounted")
    @stamped
    def _recount_deadline(
        self,
        due_at: datetime,
        due_at_provisional: bool,
        previous_due_at: datetime,
        previous_due_at_provisional: bool,
        reason: str,
        occurred_at: datetime,
    ) -> None:
        # Not a move: a recount replays the moves, it does not add one.
        self.due_at = due_at
        self.due_at_provisional = due_at_provisional
        self.last_occurred_at = occurred_at

    # -- the verdict --------------------------------------------------------------

    def close(
        self, resolution: str, summary: str, stamp: Stamp, original: "Case | None" = None
    ) -> None:
        """``original``: the case this one repeats, for a closure as a duplicate (重复件);
        it records the link too, so that its own history shows it."""
        parsed = parse(Resolution, resolution, "resolution")
        if parsed == Resolution.DUPLICATE and original is None:
            raise errors.DuplicateOfRequired(
                "a case closed as a duplicate names its original case in duplicate_of"
            )
        if parsed != Resolution.DUPLICATE and original is not None:
            raise errors.DuplicateOfNotApplicable(
                f"duplicate_of names an original only for resolution 'duplicate', not '{parsed}'"
            )
        if original is not None:
            self._check_original(original)
        self._check_active(stamp)
        self._check_can_close(parsed)
        # Only a closure as a duplicate records the field at all.
        extra: dict[str, Any] = {} if original is None else {"duplicate_of": str(original.id)}
        self._signs_by_acting(stamp, "close")
        self._close(resolution=str(resolution), summary=summary, **extra, **stamp.event_fields())
        if original is not None:
            original._link_duplicate(duplicate=str(self.id), **stamp.without_key())

    def _check_original(self, original: "Case") -> None:
        if original.id == self.id:
            raise errors.DuplicateOfItself("a case cannot be closed as a duplicate of itself")
        if original.duplicate_of is not None:
            # Links point at the root original, so that they can never form a loop.
            raise errors.OriginalIsDuplicate(
                f"case {original.id} is itself closed as a duplicate of case "
                f"{original.duplicate_of}: name that case as the original"
            )

    def _check_can_close(self, resolution: Resolution) -> None:
        """Kinds with further conditions on closing extend this."""
        self._check_assigned()

    @event("Closed")
    @stamped
    def _close(
        self,
        resolution: str,
        summary: str,
        occurred_at: datetime,
        duplicate_of: str | None = None,  # the original, for a closure as a duplicate
    ) -> None:
        self.closed_at = occurred_at
        self.resolution = resolution
        self.closure_summary = summary
        self.duplicate_of = duplicate_of
        self.closures += 1
        self.rating = None
        self.rating_comment = None
        self.last_occurred_at = occurred_at

    # The original's side of a duplicate: recorded by the command that closes (or reopens)
    # the duplicate, in the same transaction. Not work on the original: its clock and
    # status stay as they are, whatever its state.

    @event("DuplicateLinked")
    @stamped
    def _link_duplicate(self, duplicate: str) -> None:
        self.duplicates.append(duplicate)

    @event("DuplicateUnlinked")
    @stamped
    def _unlink_duplicate(self, duplicate: str) -> None:
        self.duplicates.remove(duplicate)

    def _links(self) -> dict[str, dict[str, Any]]:
        # A case loaded from a snapshot taken before rating links has none.
        links: dict[str, dict[str, Any]] | None = getattr(self, "rating_links", None)
        if links is None:
            links = self.rating_links = {}
        return links

    def issue_rating_link(self, link_id: str, expires_at: datetime, stamp: Stamp) -> None:
        """A single-use link for the resident to answer the call-back of this closure
        themselves, until ``expires_at``."""
        self._check_stamp(stamp)
        self._check_unrated_closure()
        self._issue_rating_link(
            link_id=link_id,
            expires_at=aware(expires_at, "expires_at"),
            closure=self.closures,
            # Whom to send it to: the webhook's receiver (an SMS gateway) finds the phone.
            resident_id=self.resident_id,
            **stamp.event_fields(),
        )

    @event("RatingLinkIssued")
    @stamped
    def _issue_rating_link(
        self,
        link_id: str,
        expires_at: datetime,
        closure: int,
        resident_id: str | None,
        occurred_at: datetime,
    ) -> None:
        self._links()[link_id] = {"expires_at": expires_at, "closure": closure, "used": False}
        self.last_occurred_at = occurred_at

    def latest_rating_link(self) -> tuple[str, datetime] | None:
        """The last link issued (its id and expiry), if any."""
        links = self._links()
        if not links:
            return None
        link_id = next(reversed(links))
        return link_id, links[link_id]["expires_at"]

    def check_rating_link(self, link_id: str | None, now: datetime) -> None:
        """Whether the resident may answer through this link now: issued by this case,
        not answered yet, not expired, for the closure in force, which is not rated."""
        link = self._links().get(link_id) if link_id is not None else None
        if link is None:
            raise errors.UnknownRatingLink("a resident answers only through a link of the case")
        if link["used"]:
            raise errors.RatingLinkUsed("this rating link has already been answered")
        if now > link["expires_at"]:
            raise errors.RatingLinkExpired(
                f"this rating link expired at {link['expires_at'].isoformat()}"
            )
        if link["closure"] != self.closures:
            raise errors.RatingLinkOutdated(
                "the case was reopened and closed again since this link was issued"
            )
        self._check_unrated_closure()

    def _check_unrated_closure(self) -> None:
        if not self.is_closed:
            raise errors.CaseNotClosed("only a closed case can be rated")
        if self.rating is not None:
            raise errors.AlreadyRated(
                f"this closure is already rated '{self.rating}'; reopen the case to rate again"
            )

    def rate(
        self,
        rating: str,
        comment: str | None,
        stamp: Stamp,
        contacted: bool | None = None,
        solved: str | None = None,
        link_id: str | None = None,
    ) -> None:
        """The call-back (回访): the verdict, and optionally whether the handler contacted
        the resident and whether the matter is solved. A resident gives it themselves only
        through a rating link of the case (``link_id``), once per link."""
        self._check_stamp(stamp)
        if stamp.actor_role == RESIDENT or link_id is not None:
            self.check_rating_link(link_id, stamp.occurred_at)
        self._check_unrated_closure()
        answers: dict[str, Any] = {}
        # Ratings recorded before call-backs had these answers carry neither field.
        if contacted is not None:
            answers["contacted"] = contacted
        if solved is not None:
            answers["solved"] = str(parse(Solved, solved, "solved"))
        if link_id is not None:  # only an answer through a rating link carries one
            answers["link_id"] = link_id
        self._rate(
            rating=str(parse(Rating, rating, "rating")),
            comment=comment,
            **answers,
            **stamp.event_fields(),
        )

    @property
    def callback(self) -> dict[str, Any] | None:
        """The call-back (回访) of the current closure: the verdict as `satisfaction`,
        whether it is valid (counts in the three rates), and the answers `contacted` and
        `solved` (None where not given, as in ratings recorded before they existed)."""
        if self.rating is None:
            return None
        return {
            "satisfaction": self.rating,
            "valid": self.rating in VALID_RATINGS,
            # getattr: a case loaded from a snapshot taken before call-backs has no answers.
            "contacted": getattr(self, "rating_contacted", None),
            "solved": getattr(self, "rating_solved", None),
        }

    def calls_for_redo(self) -> bool:
        """The last call-back is valid and says not solved and dissatisfied (重办)."""
        # getattr: a case loaded from a snapshot taken before call-backs has no answers.
        solved = getattr(self, "rating_solved", None)
        return self.rating == Rating.DISSATISFIED and solved == Solved.NOT_SOLVED

    @event("Rated")
    @stamped
    def _rate(
        self,
        rating: str,
        comment: str | None,
        occurred_at: datetime,
        # Before the call-back's answers, as Rated has always stored it (see stamped).
        idempotency: dict[str, str] | None = None,
        contacted: bool | None = None,  # the call-back's answers; absent from old ratings
        solved: str | None = None,
        link_id: str | None = None,  # the rating link the resident answered through
    ) -> None:
        if link_id is not None:
            self._links()[link_id]["used"] = True
        self.rating = rating
        self.rating_comment = comment
        self.rating_solved = solved
        self.rating_contacted = contacted
        self.last_occurred_at = occurred_at

    def reopen(self, reason: str, stamp: Stamp, original: "Case | None" = None) -> None:
        """``original``: the case this one was closed as a duplicate of, which drops it
        from its duplicates."""
        self._check_stamp(stamp)
        if not self.is_closed:
            raise errors.CaseNotClosed("only a closed case can be reopened")
        self._reopen(reason=reason, **stamp.event_fields())
        if original is not None:
            original._unlink_duplicate(duplicate=str(self.id), **stamp.without_key())

    @event("Reopened")
    @stamped
    def _reopen(self, reason: str, occurred_at: datetime) -> None:
        self._not_closed()
        self.reopen_count += 1
        self._on_reopened()
        self.last_occurred_at = occurred_at

    def _on_reopened(self) -> None:
        """Apply a reopening to the state; kinds with more state extend this."""
        self.worked_since_opened = False
