"""Named errors for every broken rule of a case's life.

Each error has a stable machine-readable ``code`` that clients may rely on, and a
plain-words message. ``RuleBroken`` errors mean the command conflicts with the
case's state (HTTP 409); ``InvalidCommand`` errors mean the command itself is
malformed whatever the state (HTTP 422).
"""

from datetime import datetime


class DomainError(Exception):
    code = "domain_error"
    title = "Domain rule"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class CaseNotYetReceived(Exception):
    """A case asked for as of a moment before the service recorded it (HTTP 404, but not
    ``case_not_found``: the case exists, only not yet then)."""

    code = "case_not_yet_received"

    def __init__(
        self, case_id: object, as_of: datetime, received_at: datetime, recorded_at: datetime
    ):
        super().__init__(f"case {case_id} did not exist yet at {as_of.isoformat()}")
        self.case_id = case_id
        self.as_of = as_of
        self.received_at = received_at
        self.recorded_at = recorded_at


class RuleBroken(DomainError):
    """The command breaks a rule of the case's life in its current state."""


class InvalidCommand(DomainError):
    """The command cannot be valid for any case state."""


class CaseClosed(RuleBroken):
    code = "case_closed"
    title = "The case is closed"


class CaseNotClosed(RuleBroken):
    code = "case_not_closed"
    title = "The case is not closed"


class AlreadyRated(RuleBroken):
    code = "already_rated"
    title = "This closure is already rated"


class NoAssignee(RuleBroken):
    code = "no_assignee"
    title = "The case has no assignee"


class AlreadyAssigned(RuleBroken):
    code = "already_assigned"
    title = "The case already has an assignee"


class SameAssignee(RuleBroken):
    code = "same_assignee"
    title = "The case is already assigned to that worker"


class NoClaimant(RuleBroken):
    code = "no_claimant"
    title = "The micro-wish has not been claimed"


class AlreadyClaimed(RuleBroken):
    code = "already_claimed"
    title = "The micro-wish already has a standing claim"


class AlreadyFulfilled(RuleBroken):
    code = "already_fulfilled"
    title = "The micro-wish is already fulfilled"


class NotTheClaimant(RuleBroken):
    code = "not_the_claimant"
    title = "Only the wish's claimant may do this"


class ReleaseAfterFulfilment(RuleBroken):
    code = "release_after_fulfilment"
    title = "A fulfilled wish's claim cannot be released"


class WishNotFulfilled(RuleBroken):
    code = "wish_not_fulfilled"
    title = "The micro-wish has not been fulfilled"


class NoMediatedAgreement(RuleBroken):
    code = "no_mediated_agreement"
    title = "The dispute has no mediation that reached an agreement"


class CaseSuspended(RuleBroken):
    code = "case_suspended"
    title = "The case is suspended"


class NotSuspended(RuleBroken):
    code = "not_suspended"
    title = "The case is not suspended"


class NotTheAssignee(RuleBroken):
    code = "not_the_assignee"
    title = "Only the case's assignee may do this"


class AlreadySigned(RuleBroken):
    code = "already_signed"
    title = "The assignee has already signed for the case"


class SendBackAfterSigning(RuleBroken):
    code = "send_back_after_signing"
    title = "A case signed for can no longer be sent back"


class AlreadyUrged(RuleBroken):
    code = "already_urged"
    title = "The service has already urged this case for the deadline in force"


class AlreadySupervised(RuleBroken):
    code = "already_supervised"
    title = "The case is already under supervision for the deadline in force"


class AlreadyPubliclyNoted(RuleBroken):
    code = "already_publicly_noted"
    title = "The case is already publicly noted for the deadline in force"


class ThresholdNotReached(RuleBroken):
    code = "threshold_not_reached"
    title = "The case has not reached this step of the supervision ladder"


class EscalationNotUpward(RuleBroken):
    code = "escalation_not_upward"
    title = "Escalation goes only upwards"


class ExtensionAfterDeadline(RuleBroken):
    code = "extension_after_deadline"
    title = "An extension must be approved before the deadline"


class ExtensionNotLater(RuleBroken):
    code = "extension_not_later"
    title = "An extension must move the deadline later"


class ExtensionTooFar(RuleBroken):
    code = "extension_too_far"
    title = "An extension may set a deadline at most two years after it is approved"


class OccurredOutOfOrder(RuleBroken):
    code = "occurred_out_of_order"
    title = "The command is dated before the case's last event"


class NotApplicableToKind(RuleBroken):
    code = "not_applicable_to_kind"
    title = "The command does not apply to this kind of case"


class OccurredInFuture(InvalidCommand):
    code = "occurred_in_future"
    title = "The command is dated in the future"


class DisputeNeedsTwoParties(InvalidCommand):
    code = "dispute_needs_two_parties"
    title = "A dispute needs at least two parties"


class UnknownCategory(InvalidCommand):
    code = "unknown_category"
    title = "Unknown category for this kind"


class NaiveTimestamp(InvalidCommand):
    code = "naive_timestamp"
    title = "A timestamp needs a timezone"


class ExtensionNeedsDeadline(InvalidCommand):
    code = "extension_needs_deadline"
    title = "An extension needs a new deadline or a number of working days"


class InvalidValue(InvalidCommand):
    code = "invalid_value"
    title = "A value is not one of those allowed"


class OriginalIsDuplicate(RuleBroken):
    code = "original_is_duplicate"
    title = "The case named as the original is itself closed as a duplicate"


class DuplicateOfRequired(InvalidCommand):
    code = "duplicate_of_required"
    title = "A closure as a duplicate names the original case"


class DuplicateOfNotApplicable(InvalidCommand):
    code = "duplicate_of_not_applicable"
    title = "Only a closure as a duplicate names an original case"


class DuplicateOfItself(InvalidCommand):
    code = "duplicate_of_itself"
    title = "A case cannot be a duplicate of itself"


class UnknownOriginal(InvalidCommand):
    code = "unknown_original"
    title = "No such original case"


class UnknownRatingLink(RuleBroken):
    code = "unknown_rating_link"
    title = "No such rating link for this case"


class RatingLinkUsed(RuleBroken):
    code = "rating_link_used"
    title = "The rating link has already been answered"


class RatingLinkExpired(RuleBroken):
    code = "rating_link_expired"
    title = "The rating link has expired"


class RatingLinkOutdated(RuleBroken):
    code = "rating_link_outdated"
    title = "The rating link was issued for an earlier closure of the case"


class ScoreOutOfRange(InvalidCommand):
    code = "score_out_of_range"
    title = "A score is from 0 to 100"
