"""Who hears of what: the notifications an event of a case causes, as a table.

Each entry maps an event's stable name to the notification it causes: whom it is for and
what it says. Adding a kind of notification is one entry (and its event in the read model's
``handled``). An audience is either a user (by id) or a role at a place: the role's users
whose area reaches the case's grid, at one level (a community's, a street's) or at any. The
read model stores audiences as they are; the inbox resolves them for its caller, so people
who join an area later see what was addressed to their role there.

Nobody is notified of what they did themselves (the inbox leaves out the caller's own acts).
A notification for nobody in the service (say, a rating link for a resident) is recorded all
the same: webhooks carry it to the gateway that sends it on.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CLERK, WORKER, SUPERVISOR = "clerk", "worker", "supervisor"
COMMUNITY = "community"


@dataclass(frozen=True)
class Audience:
    """A user (``user``), or the users of ``role`` whose area reaches ``grid_id`` and is of
    ``level`` (None: of any level, the whole city's included)."""

    user: str | None = None
    role: str | None = None
    grid_id: str | None = None
    level: str | None = None


@dataclass
class CaseFacts:
    """What the read model keeps of a case to address its notifications."""

    grid_id: str
    level: str = "grid"
    assignee: str | None = None
    # Who last assigned the case (派单): a send-back goes back to them.
    dispatcher: str | None = None


@dataclass(frozen=True)
class Notice:
    type: str
    audience: tuple[Audience, ...]
    data: dict[str, Any] = field(default_factory=dict)


def _user(user_id: str | None) -> tuple[Audience, ...]:
    return (Audience(user=user_id),) if user_id else ()


def _role(role: str, case: CaseFacts, level: str | None = None) -> Audience:
    return Audience(role=role, grid_id=case.grid_id, level=level)


def _dispatchers(case: CaseFacts) -> tuple[Audience, ...]:
    """Whoever assigned the case, and the clerks and supervisors of its community (the
    service window that dispatches its grids' cases)."""
    return (
        *_user(case.dispatcher),
        _role(CLERK, case, COMMUNITY),
        _role(SUPERVISOR, case, COMMUNITY),
    )


def _handler(case: CaseFacts) -> tuple[Audience, ...]:
    """The case's handler; a case nobody handles yet: those who would assign it."""
    return _user(case.assignee) or _dispatchers(case)


def _urged(event: Any, case: CaseFacts) -> Notice:
    return Notice(
        "Urged",
        _handler(case),
        {"message": event.message, "automatic": event.automatic, "due_at": event.due_at},
    )


def _supervised(event: Any, case: CaseFacts) -> Notice:
    # 督办 by the level above the one handling the case: that level's supervisors.
    audience = (_role(SUPERVISOR, case, event.level), *_handler(case))
    return Notice("Supervised", audience, {"level": event.level, "due_at": event.due_at})


def _publicly_noted(event: Any, case: CaseFacts) -> Notice:
    # 通报 names the grid and the handler: every supervisor over the grid hears of it.
    audience = (*_user(case.assignee), _role(SUPERVISOR, case))
    return Notice("PubliclyNoted", audience, {"due_at": event.due_at})


def _assigned(event: Any, case: CaseFacts) -> Notice:
    return Notice("Assigned", _user(event.assignee), {"note": event.note})


def _reassigned(event: Any, case: CaseFacts) -> Notice:
    data = {"previous_assignee": event.previous_assignee, "reason": event.reason}
    return Notice("Reassigned", _user(event.assignee), data)


def _sent_back(event: Any, case: CaseFacts) -> Notice:
    return Notice("SentBack", _dispatchers(case), {"reason": event.reason})


def _rating_link_issued(event: Any, case: CaseFacts) -> Notice:
    # For the resident, whom the service does not know as a user: no inbox shows it; a
    # webhook carries it to the SMS or WeChat gateway, with the link (added when it is sent,
    # since the read model holds no key to sign it) and the resident to look up.
    data = {"link_id": event.link_id, "expires_at": event.expires_at}
    return Notice("RatingLinkIssued", (), {**data, "resident_id": event.resident_id})


Rule = Callable[[Any, CaseFacts], Notice]

# Event name -> the notification it causes. Its name is the notification's `type`, in the
# inbox and in webhooks.
RULES: dict[str, Rule] = {
    "Urged": _urged,
    "Supervised": _supervised,
    "PubliclyNoted": _publicly_noted,
    "Assigned": _assigned,
    "Reassigned": _reassigned,
    "SentBack": _sent_back,
    "RatingLinkIssued": _rating_link_issued,
}

# Free texts people wrote (an urge's message, a reason): they may name residents, so they
# stay in the inbox, for people of the service, and never leave it in a webhook.
FREE_TEXT = frozenset({"message", "note", "reason"})


def notices(event: Any, case: CaseFacts) -> list[Notice]:
    """The notifications ``event`` causes, given the case as it stood before it; each with
    the case's grid, level and handler, so a reader needs nothing else to place it."""
    rule = RULES.get(type(event).__name__)
    if rule is None:
        return []
    notice = rule(event, case)
    # The handler it concerns: the new assignee, the one who sent it back, or the case's.
    handler = getattr(event, "assignee", None) or case.assignee
    context = {"grid_id": case.grid_id, "level": case.level, "assignee": handler}
    return [Notice(notice.type, notice.audience, {**context, **notice.data})]


def track(event: Any, case: CaseFacts) -> None:
    """Keep what the rules need of the case, after its notifications are made."""
    name = type(event).__name__
    if name in ("Assigned", "Reassigned"):
        case.assignee = event.assignee
        case.dispatcher = event.actor.get("id")
    elif name == "SentBack":
        case.assignee = None
    elif name == "Escalated":
        case.level = event.level
