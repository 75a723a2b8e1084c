"""Who did a thing, when, and under which request: carried by every event."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import wraps
from inspect import Parameter, signature
from typing import Any, TypeVar

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


Apply = TypeVar("Apply", bound=Callable[..., None])

# The fields of Stamp.event_fields(), as an event declares them: the actor {"id", "role"},
# the aware moment, the request's id; then, last, the Idempotency-Key of a command sent
# with one (see Case.Event), absent from what the service records on its own account.
_STAMP_FIELDS = [
    Parameter("actor", Parameter.POSITIONAL_OR_KEYWORD, annotation=dict[str, str]),
    Parameter("occurred_at", Parameter.POSITIONAL_OR_KEYWORD, annotation=datetime),
    Parameter("correlation_id", Parameter.POSITIONAL_OR_KEYWORD, annotation=str),
]
_IDEMPOTENCY = Parameter(
    "idempotency",
    Parameter.POSITIONAL_OR_KEYWORD,
    annotation=dict[str, str] | None,
    default=None,
)


def stamped(apply: Apply) -> Apply:
    """An ``@event`` method (put this under ``@event``) whose event carries the stamp's
    fields besides its own, declared here once: the method names only those it reads
    (often ``occurred_at``). The event class, the calls that trigger it and every
    replay see the method with all of them, in the order events have always stored them:
    its own fields, the stamp's, its own optional ones, the Idempotency-Key (or where the
    method declares it)."""
    own = signature(apply)
    names = set(own.parameters)
    required = [p for p in own.parameters.values() if p.default is Parameter.empty]
    optional = [p for p in own.parameters.values() if p.default is not Parameter.empty]
    stamp = {p.name for p in _STAMP_FIELDS}
    fields = [
        *[p for p in required if p.name not in stamp],
        *_STAMP_FIELDS,
        *optional,
        # Last, unless the method declares it earlier among its optional fields.
        *([] if _IDEMPOTENCY.name in names else [_IDEMPOTENCY]),
    ]

    @wraps(apply)
    def with_stamp(case: Any, **given: Any) -> None:
        apply(case, **{name: value for name, value in given.items() if name in names})

    with_stamp.__signature__ = own.replace(parameters=fields)  # type: ignore[attr-defined]
    return with_stamp  # type: ignore[return-value]
