"""Filing a case, as the API and the workbench's intake form both do it: the same checks,
the same idempotency (a retry with the same key and body records the case once)."""

from typing import Any

from api.access import Access
from api.dependencies import RECEIVERS, ensure_grid, ensure_user
from domain.application import Caller, Outcome, request_fingerprint
from domain.matter import Matter
from infra.bootstrap import Services


def file_case(
    services: Services,
    access: Access,
    intake: Any,
    caller: Caller,
    idempotency_key: str | None,
    grid_loc: list[str | int],
) -> Outcome:
    """``intake``: one of the request's intake models; ``grid_loc``: where a bad grid is
    reported."""
    ensure_grid(services, intake.grid_id, grid_loc)
    access.check_grid(intake.grid_id)
    if intake.first_contact is not None:
        ensure_user(services, intake.first_contact, ["body", "first_contact"], RECEIVERS)
    fields: dict[str, Any] = intake.model_dump(mode="json", exclude_unset=True)
    return services.cases.receive(
        kind=intake.kind,
        matter=Matter(
            intake.category, intake.channel, intake.title, intake.description, intake.grid_id
        ),
        resident=intake.resident.model_dump(exclude_none=True),
        parties=[p.model_dump(exclude_none=True) for p in getattr(intake, "parties", [])],
        caller=caller,
        received_at=intake.received_at,
        first_contact=intake.first_contact,
        idempotency_key=idempotency_key,
        request_hash=request_fingerprint(fields) if idempotency_key else None,
    )
