"""Who did a thing, when, and under which request: carried by every event."""

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from domain.errors import NaiveTimestamp, OccurredInFuture

# The actor id and role of what the service records by itself.
SYSTEM = "system"
# The actor role of a resident answering a call-back through a rating link: not a user's
# role (residents hold no token), and taken by a case only with a link it issued.
RESIDENT = "resident"


def aware(moment: datetime, field: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise NaiveTimestamp(f"{field} {moment.isoformat()} has no timezone")
    return moment


@dataclass(frozen=True)
class Stamp:
    actor_id: str
    actor_role: str
    occurred_at: datetime
    correlation_id: str
    # The command's Idempotency-Key and request fingerprint, recorded in its event(s) so a
    # retry finds the first answer: {"key": ..., "request_hash": ...}.
    idempotency: dict[str, str] | None = None

    @classmethod
    def create(
        cls,
        *,
        actor_id: str,
        actor_role: str,
        correlation_id: str,
        now: datetime,
        occurred_at: datetime | None = None,
        idempotency: dict[str, str] | None = None,
    ) -> "Stamp":
        """Stamp a command; ``now`` comes from the caller so the domain never reads a clock."""
        when = aware(now if occurred_at is None else occurred_at, "occurred_at")
        if when > now:
            raise OccurredInFuture(
                f"occurred_at {when.isoformat()} lies in the future (now is {now.isoformat()})"
            )
        return cls(actor_id, actor_role, when, correlation_id, idempotency)

    def check_not_after(self, moment: datetime, field: str) -> None:
        """Work done (a visit, a session) cannot be later than when it is recorded as done."""
        if aware(moment, field) > self.occurred_at:
            raise OccurredInFuture(
                f"{field} {moment.isoformat()} lies after the time the command is dated "
                f"({self.occurred_at.isoformat()})"
            )

    def event_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "actor": {"id": self.actor_id, "role": self.actor_role},
            "occurred_at": self.occurred_at,
            "correlation_id": self.correlation_id,
        }
        if self.idempotency is not None:  # only commands sent with a key carry one
            fields["idempotency"] = self.idempotency
        return fields

    def by_system(self) -> "Stamp":
        """The same moment and request, with the service itself as the actor: for what
        the service records on its own account as a consequence of the command."""
        # The caller's key answers for the whole command: a retry gets the case as it
        # stood after this event too, and the key stays the caller's.
        idempotency = (
            None
            if self.idempotency is None
            else {
                **self.idempotency,
                "caller": self.actor_id,
            }
        )
        return replace(self, actor_id=SYSTEM, actor_role=SYSTEM, idempotency=idempotency)

    def without_key(self) -> dict[str, Any]:
        """The fields for an event a command records on another case than its own: the
        key answers for the command's own case only."""
        return replace(self, idempotency=None).event_fields()
