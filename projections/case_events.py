"""Named groups of a case's events, for the read models that handle or ignore them alike."""

from eventsourcing.domain import CanMutateAggregate

from domain.kinds import CASE_CLASSES


def case_events() -> frozenset[str]:
    """The name of every event a case of any kind can have."""
    return frozenset(
        name
        for cls in CASE_CLASSES.values()
        for name, member in vars(cls).items()
        if isinstance(member, type)
        and issubclass(member, CanMutateAggregate)
        and name not in ("Event", "Created")
    )


def all_but(handled: frozenset[str]) -> frozenset[str]:
    """What a narrow read model ignores: every other event of a case. The case list and the
    compliance facts decide on each new event by name (a test holds them to it); a model
    that follows a few named events (the notifications, the wish claims) ignores the rest
    by this rule, so a new event touches neither."""
    return case_events() - handled


# The events that move a case's deadline: a pause, its end, an extension, a recount.
DEADLINE_MOVES = frozenset({"Suspended", "Resumed", "Extended", "DeadlineRecounted"})
# A case's end and what may follow it: the closure, the resident's rating, a reopening.
CLOSURE = frozenset({"Closed", "Rated", "Reopened"})
# A wish's claim (认领) by a helper, its release and its fulfilment.
WISH_CLAIMS = frozenset({"Claimed", "ClaimReleased", "Fulfilled"})
# An original's side of a duplicate (重复件) link.
DUPLICATE_LINKS = frozenset({"DuplicateLinked", "DuplicateUnlinked"})
