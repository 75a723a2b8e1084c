"""Named groups of a case's events, for the read models that handle or ignore them alike."""

# The events that move a case's deadline: a pause, its end, an extension, a recount.
DEADLINE_MOVES = frozenset({"Suspended", "Resumed", "Extended", "DeadlineRecounted"})
# A case's end and what may follow it: the closure, the resident's rating, a reopening.
CLOSURE = frozenset({"Closed", "Rated", "Reopened"})
# A wish's claim (认领) by a helper, its release and its fulfilment.
WISH_CLAIMS = frozenset({"Claimed", "ClaimReleased", "Fulfilled"})
# An original's side of a duplicate (重复件) link.
DUPLICATE_LINKS = frozenset({"DuplicateLinked", "DuplicateUnlinked"})
