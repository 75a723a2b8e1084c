"""What can be asked of a case: one frozen dataclass per command, named by its verb.

The verb is the concept's one name from the request to the event: the request ``Visit``,
the command ``Visit``, the case's ``visit``, the event ``Visited``. Each command decides on
the loaded case through the case's own rules; ``CaseWork.handle`` loads, guards and saves.
A command that needs more than the case (the calendar, a duplicate's original) asks the
``Context`` the service hands it.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar
from uuid import UUID, uuid4

from domain import errors
from domain.case import Case
from domain.kinds import Dispute, MicroWish
from domain.stamp import Stamp
from domain.time_limits import Deadline, Thresholds

# What a command changed besides its own case (a duplicate's original), saved with it.
Others = Iterable[Case] | None


class Context(Protocol):
    def moved_deadline(self, case: Case, move: dict[str, Any]) -> Deadline:
        """The case's deadline moved by a suspension or by extra working days."""

    def recounted_deadline(self, case: Case) -> Deadline:
        """The case's deadline counted again from its history, on the calendar known now."""

    def original(self, case_id: UUID) -> Case:
        """A duplicate's original, if the caller may see it (else ``UnknownOriginal``)."""

    def case(self, case_id: UUID) -> Case:
        """Another case, unguarded (the original a reopened duplicate leaves)."""

    @property
    def redo_on_not_solved(self) -> bool:
        """A valid call-back saying not solved and dissatisfied reopens the case."""

    def thresholds(self, case: Case) -> Thresholds:
        """When the case's deadline in force turns it yellow, red, publicly noted."""

    @property
    def rating_link_lifetime(self) -> timedelta:
        """How long a rating link may be answered after it is issued."""

    @property
    def rating_link_on_closure(self) -> bool:
        """A closure issues a rating link to the resident by itself."""


@dataclass(frozen=True)
class CaseCommand:
    def decide(self, case: Case, stamp: Stamp, context: Context) -> Others:
        raise NotImplementedError


@dataclass(frozen=True)
class Assign(CaseCommand):
    assignee: str
    note: str | None = None

    def decide(self, case: Case, stamp: Stamp, context: Context) -> Others:
        case.assign(self.assignee, self.note, stamp)
        return None


@dataclass(frozen=True)
class Reassign(CaseCommand):
    assignee: str
    reason: str

    def decide(self, case: Case, stamp: Stamp, context: Context) -> Others:
        case.reassign(self.assignee, self.reason, stamp)
        return None


@dataclass(frozen=True)
class SignFor(CaseCommand):
    def decide(self, case: Case, stamp: Stamp, context: Context) -> Others:
        case.sign_for(stamp)
        return None


@dataclass(frozen=True)
class SendBack(CaseCommand):
    reason: str

    def decide(self, case: Case, stamp: Stamp, context: Context) -> Others:
        case.send_back(self.reason, stamp)
        return None


@dataclass(frozen=True)
class Contact(CaseCommand):
    contacted_at: datetime
    channel: str
    notes: str

    def decide(self, case: Case, stamp: Stamp, context: Context) -> Others:
        case.contact(self.contacted_at, self.channel, self.notes, stamp)
        return None


@dataclass(frozen=True)
class Urge(CaseCommand):
    """A supervisor's urge by hand (催办)."""

    message: str

    def decide(self, case: Case, stamp: Stamp, context: Context) -> Others:
        case.urge(self.message, stamp)
        return None


@dataclass(frozen=True)
class ClimbLadder(CaseCommand):
    """The service's own command: take every step of the ladder whose moment has passed
    and that was not taken on the deadline in force, each dated at its moment. Records
    nothing when there is none (so it may be sent any number of times)."""

    def decide(self, case: Case, stamp: Stamp, context: Context) -> Others:
        if case.is_closed:
            return None
        # While suspended the clock stands still: no step falls due.
        clock = stamp.occurred_at
        if case.suspended_since is not None:
            clock = min(clock, case.suspended_since)
        for step, at in context.thresholds(case).steps():
            if at <= clock and step not in case.ladder_steps:
                case.take_step(step, at, stamp)
        return None


@dataclass(frozen=True)
class Visit(CaseCommand):
    visited_at: datetime
    duration_minutes: int
    notes: str
    outcome: str | None = None

    def decide(self, case: Case, stamp: Stamp, context: Context) -> Others:
        case.visit(self.visited_at, self.duration_minutes, self.notes, self.outcome, stamp)
        return None


@dataclass(frozen=True)
class Escalate(CaseCommand):
    level: str
    reason: str

    def decide(self, case: Case, stamp: Stamp, context: Context) -> Others:
        case.escalate(self.level, self.reason, stamp)
        return None


@dataclass(frozen=True)
class Suspend(CaseCommand):
    reason: str

    def decide(self, case: Case, stamp: Stamp, context: Context) -> Others:
        case.suspend(self.reason, stamp)
        return None


@dataclass(frozen=True)
class Resume(CaseCommand):
    reason: str

    def decide(self, case: Case, stamp: Stamp, context: Context) -> Others:
        deadline = Deadline(case.due_at, case.due_at_provisional)
        if case.suspended_since is not None:
            move = {"suspended_at": case.suspended_since, "resumed_at": stamp.occurred_at}
            deadline = context.moved_deadline(case, move)
        case.resume(self.reason, deadline.due_at, stamp, provisional=deadline.provisional)
        return None


@dataclass(frozen=True)
class Extend(CaseCommand):
    """To ``new_due_at``, or by ``extra_working_days`` (exactly one of them)."""

    reason: str
    approved_by: str
    new_due_at: datetime | None = None
    extra_working_days: int | None = None

    def decide(self, case: Case, stamp: Stamp, context: Context) -> Others:
        if self.new_due_at is not None:
            case.extend(self.new_due_at, self.reason, self.approved_by, stamp)
        elif self.extra_working_days is not None:
            days = self.extra_working_days
            deadline = context.moved_deadline(case, {"extra_working_days": days})
            case.extend(
                deadline.due_at,
                self.reason,
                self.approved_by,
                stamp,
                provisional=deadline.provisional,
                extra_working_days=days,
            )
        else:
            raise errors.ExtensionNeedsDeadline("give new_due_at or extra_working_days")
        return None


@dataclass(frozen=True)
class RecountDeadline(CaseCommand):
    """Count the deadline again (after a calendar year was loaded); records nothing when
    it comes out the same."""

    reason: str

    def decide(self, case: Case, stamp: Stamp, context: Context) -> Others:
        case.recount_deadline(context.recounted_deadline(case), self.reason, stamp)
        return None


@dataclass(frozen=True)
class Close(CaseCommand):
    """``duplicate_of``: the original of a case closed as a duplicate (重复件)."""

    resolution: str
    summary: str
    duplicate_of: UUID | None = None

    def decide(self, case: Case, stamp: Stamp, context: Context) -> Others:
        original = None if self.duplicate_of is None else context.original(self.duplicate_of)
        case.close(self.resolution, self.summary, stamp, original)
        # The service's own step, as the redo is: the closing worker decides nothing. A
        # duplicate (重复件) is not called back: the verdict is its original's.
        if context.rating_link_on_closure and original is None:
            _issue_rating_link(case, stamp.by_system(), context)
        return [] if original is None else [original]


def _issue_rating_link(case: Case, stamp: Stamp, context: Context) -> None:
    # In whole seconds: the link's token carries it so.
    expires_at = (stamp.occurred_at + context.rating_link_lifetime).replace(microsecond=0)
    case.issue_rating_link(str(uuid4()), expires_at, stamp)


@dataclass(frozen=True)
class IssueRatingLink(CaseCommand):
    """A clerk or supervisor asks for a rating link (a new one, whatever was issued)."""

    def decide(self, case: Case, stamp: Stamp, context: Context) -> Others:
        _issue_rating_link(case, stamp, context)
        return None


@dataclass(frozen=True)
class Rate(CaseCommand):
    """The call-back (回访). One that is valid and says not solved and dissatisfied
    reopens the case for redo (重办) in the same save, when the service is set so: the
    Reopened is the service's own (actor ``system``), since no person decided it and the
    clerk who records a call-back may not reopen; its reason names the call-back."""

    rating: str
    comment: str | None = None
    contacted: bool | None = None
    solved: str | None = None
    link_id: str | None = None  # the resident's own answer, through a rating link

    def decide(self, case: Case, stamp: Stamp, context: Context) -> Others:
        case.rate(self.rating, self.comment, stamp, self.contacted, self.solved, self.link_id)
        if not (context.redo_on_not_solved and case.calls_for_redo()):
            return None
        return _reopen(case, redo_reason(self.comment), stamp.by_system(), context)


def redo_reason(comment: str | None) -> str:
    reason = "回访：未解决且不满意，自动发回重办 (call-back: not solved and dissatisfied)"
    return reason if not comment else f"{reason}: {comment}"


def _reopen(case: Case, reason: str, stamp: Stamp, context: Context) -> Others:
    # A duplicate reopened is no longer one: its original drops it.
    original = None if case.duplicate_of is None else context.case(UUID(case.duplicate_of))
    case.reopen(reason, stamp, original)
    return [] if original is None else [original]


@dataclass(frozen=True)
class Reopen(CaseCommand):
    reason: str

    def decide(self, case: Case, stamp: Stamp, context: Context) -> Others:
        return _reopen(case, self.reason, stamp, context)


@dataclass(frozen=True)
class HoldMediation(CaseCommand):
    held_at: datetime
    participants: list[str]
    outcome: str
    notes: str

    def decide(self, case: Case, stamp: Stamp, context: Context) -> Others:
        dispute = _of_kind(case, Dispute, "mediation sessions")
        dispute.hold_mediation(self.held_at, self.participants, self.outcome, self.notes, stamp)
        return None


@dataclass(frozen=True)
class Claim(CaseCommand):
    claimant: str
    claimant_type: str

    def decide(self, case: Case, stamp: Stamp, context: Context) -> Others:
        _of_kind(case, MicroWish, "claims").claim_wish(self.claimant, self.claimant_type, stamp)
        return None


@dataclass(frozen=True)
class Fulfil(CaseCommand):
    fulfilled_at: datetime
    notes: str
    photo_url: str | None = None

    def decide(self, case: Case, stamp: Stamp, context: Context) -> Others:
        _of_kind(case, MicroWish, "fulfilment").fulfil(
            self.fulfilled_at, self.notes, stamp, self.photo_url
        )
        return None


@dataclass(frozen=True)
class ReleaseClaim(CaseCommand):
    reason: str | None = None

    def decide(self, case: Case, stamp: Stamp, context: Context) -> Others:
        _of_kind(case, MicroWish, "releases of claims").release_claim(self.reason, stamp)
        return None


K = TypeVar("K", bound=Case)


def _of_kind(case: Case, kind_class: type[K], what: str) -> K:
    """The case as its kind, which narrows it; a command for another kind is refused."""
    if not isinstance(case, kind_class):
        raise errors.NotApplicableToKind(
            f"{what} apply to {kind_class.KIND} cases, and this case is a {case.KIND}"
        )
    return case
