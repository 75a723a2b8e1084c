"""Who did a thing, when, and under which request: carried by every event."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.errors import NaiveTimestamp, OccurredInFuture


@dataclass(frozen=True)
class Stamp:
    actor_id: str
    actor_role: str
    occurred_at: datetime
    correlation_id: str

    @classmethod
    def create(
        cls,
        *,
        actor_id: str,
        actor_role: str,
        correlation_id: str,
        now: datetime,
        occurred_at: datetime | None = None,
    ) -> "Stamp":
        """Stamp a command; ``now`` comes from the caller so the domain never reads a clock."""
        when = now if occurred_at is None else occurred_at
        if when.tzinfo is None or when.utcoffset() is None:
            raise NaiveTimestamp(f"occurred_at {when.isoformat()} has no timezone")
        if when > now:
            raise OccurredInFuture(
                f"occurred_at {when.isoformat()} lies in the future (now is {now.isoformat()})"
            )
        return cls(actor_id, actor_role, when, correlation_id)

    def event_fields(self) -> dict[str, Any]:
        return {
            "actor": {"id": self.actor_id, "role": self.actor_role},
            "occurred_at": self.occurred_at,
            "correlation_id": self.correlation_id,
        }
