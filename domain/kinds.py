"""The three kinds of community case, each with the rules of its own work."""

from datetime import datetime
from typing import Any

from eventsourcing.domain import event

from domain import errors
from domain.case import Case
from domain.stamp import Stamp
from domain.topics import register_stable_topics
from domain.vocabulary import (
    ClaimantType,
    Kind,
    MediationOutcome,
    Resolution,
    Role,
    parse,
)


class ResidentRequest(Case):
    """居民诉求: consultation, help, complaint, suggestion or an urgent matter."""

    KIND = Kind.RESIDENT_REQUEST


class Dispute(Case):
    """矛盾纠纷调解: two or more parties, one or more mediation sessions."""

    KIND = Kind.DISPUTE

    @classmethod
    def _check_parties(cls, parties: list[dict[str, Any]]) -> None:
        if len(parties) < 2:
            raise errors.DisputeNeedsTwoParties(
                f"a dispute needs at least two parties; {len(parties)} given"
            )

    def _start_kind_state(self) -> None:
        self.mediations: list[dict[str, Any]] = []
        self.agreed_since_opened = False

    def hold_mediation(
        self,
        held_at: datetime,
        participants: list[str],
        outcome: str,
        notes: str,
        stamp: Stamp,
    ) -> None:
        self._check_active(stamp)
        mediator = self._check_assigned()
        stamp.check_not_after(held_at, "held_at")
        outcome = str(parse(MediationOutcome, outcome, "outcome"))
        self._signs_by_acting(stamp, "mediate")
        self._hold_mediation(
            held_at=held_at,
            outcome=outcome,
            notes=notes,
            mediator=mediator,
            personal={"participants": participants},
            resident_ids=self.resident_ids(),
            **stamp.event_fields(),
        )

    @event("MediationHeld")
    def _hold_mediation(
        self,
        held_at: datetime,
        outcome: str,
        notes: str,
        mediator: str,
        personal: dict[str, Any],
        actor: dict[str, str],
        occurred_at: datetime,
        correlation_id: str,
        # Whose the participants' names may be (None in events recorded before ids).
        resident_ids: list[str] | None = None,
        idempotency: dict[str, str] | None = None,  # see Case.Event
    ) -> None:
        self.mediations.append({"held_at": held_at, "outcome": outcome, "mediator": mediator})
        if outcome == MediationOutcome.AGREEMENT:
            self.agreed_since_opened = True
        self.worked_since_opened = True
        self.last_occurred_at = occurred_at

    def _check_can_close(self, resolution: Resolution) -> None:
        super()._check_can_close(resolution)
        if resolution == Resolution.RESOLVED and not self.agreed_since_opened:
            raise errors.NoMediatedAgreement(
                "a dispute closes as resolved only after a mediation session that reached "
                "an agreement" + (" since it was reopened" if self.reopen_count else "")
            )

    def _on_reopened(self) -> None:
        # The resident was not satisfied with the old agreement: a new one is needed.
        self.agreed_since_opened = False
        super()._on_reopened()


class MicroWish(Case):
    """微心愿: a small wish claimed by a volunteer, party member or organisation."""

    KIND = Kind.MICRO_WISH

    def _start_kind_state(self) -> None:
        self.claim: dict[str, Any] | None = None
        self.fulfilled_at: datetime | None = None

    def _stage_flags(self) -> dict[str, bool]:
        return {"claimed": self.claim is not None, "fulfilled": self.fulfilled_at is not None}

    def claim_wish(self, claimant: str, claimant_type: str, stamp: Stamp) -> None:
        self._check_active(stamp)
        if self.claim is not None:
            raise errors.AlreadyClaimed(f"the wish is already claimed by {self.claim['claimant']}")
        self._claim_wish(
            claimant=claimant,
            claimant_type=str(parse(ClaimantType, claimant_type, "claimant_type")),
            **stamp.event_fields(),
        )

    @event("Claimed")
    def _claim_wish(
        self,
        claimant: str,
        claimant_type: str,
        actor: dict[str, str],
        occurred_at: datetime,
        correlation_id: str,
        idempotency: dict[str, str] | None = None,  # see Case.Event
    ) -> None:
        self.claim = {
            "claimant": claimant,
            "claimant_type": claimant_type,
            "claimed_at": occurred_at,
        }
        self.last_occurred_at = occurred_at

    def release_claim(self, reason: str | None, stamp: Stamp) -> None:
        """The claimant gives the wish back (or a supervisor takes it off them): it is open
        to claims again. Not once fulfilled: then the claim is what the wish was done by."""
        self._check_open(stamp)
        claim = self._check_claimed("there is no claim to release")
        if self.fulfilled_at is not None:
            raise errors.ReleaseAfterFulfilment(
                f"the wish was fulfilled at {self.fulfilled_at.isoformat()}: its claim stays"
            )
        self._check_claimant(stamp, "release the claim")
        self._release_claim(
            claimant=claim["claimant"],
            reason=reason,
            **stamp.event_fields(),
        )

    def _check_claimed(self, so: str) -> dict[str, Any]:
        """The standing claim; without one, ``so`` says what cannot happen."""
        if self.claim is None:
            raise errors.NoClaimant(f"the wish has not been claimed: {so}")
        return self.claim

    def _check_claimant(self, stamp: Stamp, doing: str) -> None:
        assert self.claim is not None
        holder = self.claim["claimant"]
        if stamp.actor_id != holder and stamp.actor_role != Role.SUPERVISOR:
            raise errors.NotTheClaimant(
                f"only the wish's claimant ({holder}) or a supervisor may {doing}"
            )

    @event("ClaimReleased")
    def _release_claim(
        self,
        reason: str | None,
        claimant: str,
        actor: dict[str, str],
        occurred_at: datetime,
        correlation_id: str,
        idempotency: dict[str, str] | None = None,  # see Case.Event
    ) -> None:
        # The claim ends; the wish is open to a claim again (the claim's record is the event).
        self.claim, self.last_occurred_at = None, occurred_at

    def fulfil(
        self, fulfilled_at: datetime, notes: str, stamp: Stamp, photo_url: str | None = None
    ) -> None:
        self._check_active(stamp)
        self._check_claimed("nobody can fulfil it yet")
        if self.fulfilled_at is not None:
            raise errors.AlreadyFulfilled(
                f"the wish was already fulfilled at {self.fulfilled_at.isoformat()}"
            )
        if stamp.actor_role == Role.CLAIMANT:
            # A claimant from the board fulfils only the wish they hold; staff record
            # fulfilment for whoever claimed it.
            self._check_claimant(stamp, "mark it fulfilled")
        stamp.check_not_after(fulfilled_at, "fulfilled_at")
        self._signs_by_acting(stamp, "fulfil")
        # Only a fulfilment with a photo records the field at all.
        extra: dict[str, Any] = {} if photo_url is None else {"photo_url": photo_url}
        self._fulfil(fulfilled_at=fulfilled_at, notes=notes, **extra, **stamp.event_fields())

    @event("Fulfilled")
    def _fulfil(
        self,
        fulfilled_at: datetime,
        notes: str,
        actor: dict[str, str],
        occurred_at: datetime,
        correlation_id: str,
        idempotency: dict[str, str] | None = None,  # see Case.Event
        photo_url: str | None = None,  # a link to a photo of the wish fulfilled, if given
    ) -> None:
        self.fulfilled_at = fulfilled_at
        self.last_occurred_at = occurred_at

    def _check_can_close(self, resolution: Resolution) -> None:
        # A wish is closed by whoever stands for it: its assigned worker or its claimant.
        if self.assignee is None and self.claim is None:
            raise errors.NoAssignee(
                "the wish has neither an assignee nor a claimant: assign or claim it first"
            )
        if resolution == Resolution.RESOLVED and self.fulfilled_at is None:
            raise errors.WishNotFulfilled("a wish closes as resolved only once it is fulfilled")

    def _on_reopened(self) -> None:
        # A wish reopened because the resident was not satisfied must be fulfilled again.
        self.fulfilled_at = None
        super()._on_reopened()


CASE_CLASSES: dict[Kind, type[Case]] = {
    Kind.RESIDENT_REQUEST: ResidentRequest,
    Kind.DISPUTE: Dispute,
    Kind.MICRO_WISH: MicroWish,
}

register_stable_topics(Case, "case")
for _kind, _cls in CASE_CLASSES.items():
    register_stable_topics(_cls, _kind.value)
