"""Counting provisional deadlines again once the year they reached into is known."""

from dataclasses import dataclass, field
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.application import Caller, CaseWork
from domain.case import Case
from domain.errors import DomainError
from domain.kinds import CASE_CLASSES

# The events that set a deadline and say whether it is provisional.
_DEADLINE_EVENTS = ("Received", "Resumed", "Extended", "DeadlineRecounted")
_BATCH = 1000


def deadline_topics() -> list[str]:
    """The stored topics of the events that set a deadline.

    The library stores a case's Received under its kind's class (``casework:dispute.Received``)
    but every later event under the class that declares it, ``Case``
    (``casework:case.Extended``): ask for both spellings of each, as either may be stored.
    """
    return sorted(
        {
            get_topic(getattr(case_class, name))
            for case_class in (Case, *CASE_CLASSES.values())
            for name in _DEADLINE_EVENTS
        }
    )


def cases_with_provisional_deadlines(app: CaseWork) -> list[UUID]:
    """Cases whose deadline stands provisional, in the order they were received.

    Scans the whole event log (only the events that set deadlines); a read model of
    provisional deadlines will answer this instead once there is one.
    """
    topics = deadline_topics()
    provisional: dict[UUID, bool] = {}
    start = 1
    while batch := app.recorder.select_notifications(start, _BATCH, topics=topics):
        for notification in batch:
            event = app.mapper.to_domain_event(notification)
            flag = getattr(event, "due_at_provisional", None)
            if flag is not None:  # None: a Resumed recorded before it carried the flag
                provisional[event.originator_id] = flag
        start = batch[-1].id + 1
    return [case_id for case_id, flag in provisional.items() if flag]


@dataclass
class Recount:
    recounted: list[UUID] = field(default_factory=list)
    still_provisional: list[UUID] = field(default_factory=list)
    closed: list[UUID] = field(default_factory=list)
    refused: dict[UUID, str] = field(default_factory=dict)


def recount_provisional_deadlines(app: CaseWork, reason: str, caller: Caller) -> Recount:
    """Count every provisional deadline again on the calendar as known now.

    A case whose count changes gets a DeadlineRecounted event; a closed case keeps its
    deadline (it no longer runs); a case one rule refuses is reported, not fatal.
    """
    result = Recount()
    for case_id in cases_with_provisional_deadlines(app):
        case = app.get_case(case_id)
        if case.is_closed:
            result.closed.append(case_id)
            continue
        try:
            outcome = app.recount_deadline(case_id, reason, caller)
        except DomainError as error:
            result.refused[case_id] = error.message
            continue
        if outcome is not None:
            result.recounted.append(case_id)
            case = outcome.case
        if case.due_at_provisional:
            result.still_provisional.append(case_id)
    return result
