"""Where a case stands, as one pure function of its state.

The aggregate and the read models both call it, so a list of cases can never show a
status the case itself would not.
"""

from domain.vocabulary import Status


def case_status(
    *,
    closed: bool,
    rated: bool,
    suspended: bool,
    fulfilled: bool,
    claimed: bool,
    worked: bool,
    assigned: bool,
) -> Status:
    if closed:
        return Status.RATED if rated else Status.CLOSED
    if suspended:
        return Status.SUSPENDED
    if fulfilled:
        return Status.FULFILLED
    if claimed:
        return Status.CLAIMED
    if worked:
        return Status.IN_PROGRESS
    if assigned:
        return Status.ASSIGNED
    return Status.RECEIVED
