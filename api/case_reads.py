"""A case as a user reads it, on the API and on the workbench's pages alike."""

from datetime import datetime

from api.responses import CaseOut, case_out
from domain.case import Case
from domain.time_limits import TimeLeft
from infra.bootstrap import Services
from infra.users import User


def read_case(
    services: Services,
    user: User,
    case: Case,
    position: int | None,
    now: datetime,
    time_left: TimeLeft | None,
) -> CaseOut:
    """``case`` as GET /cases/{id} answers it (masked for ``user``'s role, its light at
    ``now``); the read is recorded, as every read of a resident's data is."""
    services.reads.record(user.id, user.role, "case", case.id, case.resident_id)
    return case_out(
        case,
        position,
        services.settings.zone,
        now,
        time_left,
        user.role,
        services.users.names,
        services.cases.light_of(case, now),
    )
