"""Every problem ``code`` the service answers with, and its explanation page's text.

The API's own codes are registered here, in one place; the domain's come from the
``DomainError`` subclasses (their ``title``), with their explanations here too. Each code has
a page, GET /problems/{code}: what the problem means (and what usually causes it) and how
to fix it."""

from dataclasses import dataclass

from api.i18n import N_
from domain import application  # noqa: F401 (its ConcurrentChanges is a domain error too)
from domain.errors import DomainError, InvalidCommand
from infra.personal import keys  # noqa: F401 (its ResidentErased is a domain error too)


@dataclass(frozen=True)
class ProblemType:
    code: str
    status: int
    title: str  # msgids, all three
    meaning: str
    fix: str


_API: list[ProblemType] = [
    ProblemType(
        "validation_error",
        422,
        N_("Request is not valid"),
        N_(
            "A field of the request is missing, has the wrong form or lies outside its "
            "allowed range."
        ),
        N_(
            "Correct each field listed in errors (each says what a valid value looks like) "
            "and send the request again."
        ),
    ),
    ProblemType(
        "unknown_parameter",
        422,
        N_("Unknown query parameter"),
        N_(
            "The query names a parameter this route does not take, most often a misspelt "
            "filter; it is refused so that a list is never silently widened to everything."
        ),
        N_("Check the spelling against the parameters the message lists, and send it again."),
    ),
    ProblemType(
        "unauthenticated",
        401,
        N_("Not authenticated"),
        N_("The request has no bearer token, or its token is unknown, revoked or expired."),
        N_(
            "Send the header Authorization: Bearer <token>, with a token from the command "
            "casework users add; ask an administrator for a new token if yours has expired."
        ),
    ),
    ProblemType(
        "forbidden",
        403,
        N_("Not allowed for your role"),
        N_("Your role may not do this, whatever the case."),
        N_("Ask a colleague whose role may do it (see the table Who may do what in the README)."),
    ),
    ProblemType(
        "outside_area",
        403,
        N_("Outside your area"),
        N_("The grid named lies outside the area of your account."),
        N_("Choose a grid within your area, or ask a colleague of that area."),
    ),
    ProblemType(
        "not_the_scoring_level",
        403,
        N_("Not a supervisor of this level for this worker"),
        N_(
            "A worker's month is scored by a supervisor of the party's level (a community's "
            "supervisor for the community's score, a street office's for the street's) whose "
            "area holds the worker's grid."
        ),
        N_("Ask a supervisor of that community or street office to enter the score."),
    ),
    ProblemType(
        "unknown_worker",
        404,
        N_("No such worker"),
        N_("The id names no user of the service with the role worker."),
        N_("Take the worker's id from GET /users?role=worker."),
    ),
    ProblemType(
        "case_not_yet_received",
        404,
        N_("The case did not exist yet"),
        N_(
            "The case was asked for as it stood at a moment (as_of) before it was received "
            "or recorded: there was nothing to show then."
        ),
        N_("Ask for a moment after the case was received; the answer says when that was."),
    ),
    ProblemType(
        "case_not_found",
        404,
        N_("No such case"),
        N_(
            "No case has this id, or it lies outside your area (such a case is answered as "
            "if it did not exist), or it has no such version."
        ),
        N_(
            "Check the id (from the answer that filed the case, or from the list of cases) "
            "and that the case lies in your area."
        ),
    ),
    ProblemType(
        "resident_not_found",
        404,
        N_("No such resident"),
        N_("No resident has this id, or none of their cases lies in your area."),
        N_("Check the id, e.g. with a resident lookup by phone."),
    ),
    ProblemType(
        "case_history_broken",
        409,
        N_("The case's stored history is broken"),
        N_(
            "An event of this case is missing or out of order in the store, so the case can "
            "be neither shown nor changed."
        ),
        N_(
            "Tell an auditor: GET /cases/{case_id}/verify or casework audit verify shows "
            "where the history breaks."
        ),
    ),
    ProblemType(
        "stale_version",
        412,
        N_("The case has changed"),
        N_("If-Match named a version of the case, but someone has changed the case since."),
        N_(
            "Read the case again (its ETag is its version now), check the change still makes "
            "sense, and send it again with the new version in If-Match."
        ),
    ),
    ProblemType(
        "idempotency_key_reused",
        422,
        N_("Idempotency-Key reused"),
        N_("This Idempotency-Key was already used with a different request."),
        N_(
            "Use a new key for each new request; repeat a key only to retry exactly the "
            "same request."
        ),
    ),
    ProblemType(
        "unknown_user",
        422,
        N_("No such user"),
        N_("The user id named is not a user of the service."),
        N_("Take the user's id from the list of users, GET /users."),
    ),
    ProblemType(
        "wrong_role",
        422,
        N_("The user has the wrong role for this"),
        N_(
            "The user named may not take this part: a case is assigned only to a worker or a "
            "supervisor, and first received by a clerk, a worker or a supervisor."
        ),
        N_("Name a user with one of the roles the message lists (see GET /users)."),
    ),
    ProblemType(
        "unknown_grid",
        422,
        N_("No such grid"),
        N_("The grid id is not in the service's reference data of areas."),
        N_(
            "Use a grid id the service knows, e.g. tiansheng-01 (an administrator loads them "
            "with casework areas load)."
        ),
    ),
    ProblemType(
        "unknown_area",
        422,
        N_("No such area"),
        N_("The area id is not a street, community or grid of the service's reference data."),
        N_("Use an area id the service knows, e.g. tiansheng (a community) or tiansheng-01."),
    ),
    ProblemType(
        "empty_query",
        422,
        N_("Empty search"),
        N_("The search text holds no Chinese character, letter or digit."),
        N_("Give at least one Chinese character, letter or digit in q."),
    ),
    ProblemType(
        "export_too_large",
        422,
        N_("Too many cases to export"),
        N_("More cases match the filters than one export holds."),
        N_("Narrow the filters, e.g. to a grid, a status or a due_before day."),
    ),
    ProblemType(
        "period_reversed",
        422,
        N_("The period ends before it starts"),
        N_("The report's to day is before its from day."),
        N_("Give a from day on or before the to day."),
    ),
    ProblemType(
        "period_too_long",
        422,
        N_("The period is too long"),
        N_("A report covers a limited number of days."),
        N_("Ask for a shorter period, or for several reports."),
    ),
    ProblemType(
        "position_beyond_head",
        422,
        N_("Position beyond the log's head"),
        N_("min_position names a position no command has reached, so waiting could not help."),
        N_("Pass the position from a command's answer."),
    ),
    ProblemType(
        "read_model_behind",
        503,
        N_("Read model behind"),
        N_("The read models did not catch up with the position asked for in time."),
        N_("Retry shortly (after the seconds in Retry-After)."),
    ),
    ProblemType(
        "database_unavailable",
        503,
        N_("Database unavailable"),
        N_("The case store cannot be reached right now."),
        N_(
            "Retry in a few seconds with the same Idempotency-Key, so that the request is "
            "recorded once; tell the administrator if it lasts."
        ),
    ),
    ProblemType(
        "not_found",
        404,
        N_("Not found"),
        N_("The service has no such address."),
        N_("Check the path against the routes listed at /docs."),
    ),
    ProblemType(
        "method_not_allowed",
        405,
        N_("Method not allowed"),
        N_("This address does not take this HTTP method."),
        N_("Use one of the methods the Allow header lists."),
    ),
    ProblemType(
        "http_error",
        400,
        N_("The request cannot be handled"),
        N_("The request is wrong at the level of HTTP: its method, headers or framing."),
        N_("Check the request against the routes described at /docs."),
    ),
    ProblemType(
        "internal_error",
        500,
        N_("Internal error"),
        N_("The service failed unexpectedly; the error is logged."),
        N_(
            "Try again later, and tell the administrator the time and the X-Correlation-ID "
            "of the answer."
        ),
    ),
]

# The domain's rules: what each means and how to get past it (titles are the errors' own).
_DOMAIN: dict[str, tuple[str, str]] = {
    "case_closed": (
        N_("The case is closed: it can only be rated or reopened."),
        N_("Reopen the case first if the matter needs more work (a supervisor may)."),
    ),
    "case_not_closed": (
        N_("Only a closed case can be rated or reopened."),
        N_("Close the case first, or leave it as it is."),
    ),
    "already_rated": (
        N_("The resident's rating of this closure is already recorded."),
        N_("Nothing to do; a closure is rated once."),
    ),
    "not_the_assignee": (
        N_("Only the social worker the case is assigned to can sign for it or send it back."),
        N_("Ask the case's assignee to sign, or have a supervisor reassign the case to you."),
    ),
    "already_signed": (
        N_("The assignee has already signed for this assignment of the case."),
        N_("Nothing to do: the case is theirs. A reassignment needs a new signature."),
    ),
    "send_back_after_signing": (
        N_("The assignee has signed for the case, so it is theirs and can no longer be sent back."),
        N_("Ask a supervisor to reassign the case (POST /cases/{case_id}/reassign)."),
    ),
    "already_urged": (
        N_("The service urges a case once per deadline in force, when it turns yellow."),
        N_("Nothing to do; a supervisor may still urge by hand (POST /cases/{case_id}/urge)."),
    ),
    "already_supervised": (
        N_("The case was put under supervision when it turned red, once per deadline in force."),
        N_("Nothing to do: it stays in the supervision list until it closes."),
    ),
    "already_publicly_noted": (
        N_("The case was publicly noted once for its deadline in force."),
        N_("Nothing to do; an approved extension starts a new ladder."),
    ),
    "threshold_not_reached": (
        N_("The moment of this step of the supervision ladder has not come yet."),
        N_("Nothing to do: the service takes the step when its moment passes."),
    ),
    "no_assignee": (
        N_("The case has no assignee, so it cannot be worked on or closed yet."),
        N_("Assign the case to a social worker first (POST /cases/{case_id}/assign)."),
    ),
    "already_assigned": (
        N_("The case already has an assignee; assigning is for a case that has none."),
        N_("To hand it to someone else, reassign it (a supervisor, with a reason)."),
    ),
    "same_assignee": (
        N_("The case is already assigned to that worker."),
        N_("Name another worker, or leave the case as it is."),
    ),
    "no_claimant": (
        N_("Nobody has claimed the micro-wish yet, so it cannot be fulfilled."),
        N_("Record the claim first (POST /cases/{case_id}/claim)."),
    ),
    "already_claimed": (
        N_("The micro-wish already has a standing claim."),
        N_("Nothing to do, unless the claim is withdrawn first."),
    ),
    "already_fulfilled": (
        N_("The micro-wish is already fulfilled."),
        N_("Nothing to do; close the case if it is still open."),
    ),
    "not_the_claimant": (
        N_(
            "Only the claimant who holds the micro-wish (or a supervisor) may release it, and "
            "a claimant from the board fulfils only the wishes they hold."
        ),
        N_("Leave it to its claimant; a supervisor can release a claim that stalls."),
    ),
    "release_after_fulfilment": (
        N_("The micro-wish is fulfilled: the claim it was fulfilled under stays on record."),
        N_("Nothing to do; if the resident is not satisfied, a supervisor reopens the case."),
    ),
    "wish_not_fulfilled": (
        N_("A micro-wish closes as resolved only once it is fulfilled."),
        N_("Record the fulfilment first, or close with another resolution."),
    ),
    "no_mediated_agreement": (
        N_("A dispute closes as resolved only after a mediation that reached an agreement."),
        N_("Record such a mediation first, or close with another resolution."),
    ),
    "case_suspended": (
        N_("The case is suspended, so its work waits."),
        N_("Resume the case first (POST /cases/{case_id}/resume)."),
    ),
    "not_suspended": (
        N_("The case is not suspended, so it cannot be resumed."),
        N_("Nothing to do: the case is running."),
    ),
    "escalation_not_upward": (
        N_("A case is escalated only to a higher level than the one it is at."),
        N_("Choose a higher level: from the grid to the community, then to the street."),
    ),
    "extension_after_deadline": (
        N_("An extension must be approved before the deadline passes."),
        N_("Date the extension before the deadline, or record the case as overdue."),
    ),
    "extension_not_later": (
        N_("An extension must move the deadline later, not earlier."),
        N_("Give a new deadline after the current one."),
    ),
    "extension_too_far": (
        N_("An extension may set a deadline at most two years after it is approved."),
        N_("Give a nearer deadline."),
    ),
    "occurred_out_of_order": (
        N_("The command is dated before the case's last recorded event."),
        N_("Date it at or after the case's last event, or leave the date out (now)."),
    ),
    "not_applicable_to_kind": (
        N_("This command does not apply to this kind of case."),
        N_("Check the kind of the case: e.g. mediations are for disputes, claims for wishes."),
    ),
    "occurred_in_future": (
        N_("The command is dated in the future."),
        N_("Give a moment in the past, with its timezone, or leave it out (now)."),
    ),
    "dispute_needs_two_parties": (
        N_("A dispute needs at least two parties."),
        N_("Name every party of the dispute, at least two."),
    ),
    "unknown_category": (
        N_("The category is not one of this kind of case."),
        N_("Choose a category of this kind (listed at /docs, under the intake)."),
    ),
    "naive_timestamp": (
        N_("A moment was given without its timezone."),
        N_("Add the timezone, e.g. 2026-03-01T09:30:00+08:00."),
    ),
    "extension_needs_deadline": (
        N_("An extension needs a new deadline or a number of working days."),
        N_("Give exactly one of new_due_at and extra_working_days."),
    ),
    "score_out_of_range": (
        N_("A score of the 3456 assessment is a whole number from 0 to 100."),
        N_("Send a score from 0 to 100."),
    ),
    "invalid_value": (
        N_("A value is not one of those allowed."),
        N_("Choose one of the allowed values (listed at /docs)."),
    ),
    "original_is_duplicate": (
        N_("The case named as the original is itself closed as a duplicate."),
        N_(
            "Name the case that one repeats instead: its duplicate_of, shown by "
            "GET /cases/{case_id}."
        ),
    ),
    "duplicate_of_required": (
        N_("A closure as a duplicate must name the original case."),
        N_("Give duplicate_of: the id of the original case."),
    ),
    "duplicate_of_not_applicable": (
        N_("Only a closure as a duplicate names an original case."),
        N_("Leave duplicate_of out, or close with the resolution duplicate."),
    ),
    "duplicate_of_itself": (
        N_("A case cannot be a duplicate of itself."),
        N_("Name the other case, the original."),
    ),
    "unknown_original": (
        N_("No case with the id given as the original lies in your area."),
        N_("Check the id of the original case."),
    ),
    "resident_erased": (
        N_(
            "Every resident named in the case had their personal data erased on request, so "
            "no new personal data can be recorded for them."
        ),
        N_(
            "Record the work without personal details (names, phones, addresses), or file a "
            "new case if the resident comes again."
        ),
    ),
    "unknown_rating_link": (
        N_("The rating link was not issued by this case, or a resident answered without one."),
        N_("Send the resident a link of the case (POST /cases/{case_id}/rating-link)."),
    ),
    "rating_link_used": (
        N_("The resident has already answered through this rating link; a link is used once."),
        N_("Nothing to do; the answer is recorded as the call-back."),
    ),
    "rating_link_expired": (
        N_("The rating link is past its expiry (7 days by default) and no longer taken."),
        N_("Call the resident back, or send a new link (POST /cases/{case_id}/rating-link)."),
    ),
    "rating_link_outdated": (
        N_(
            "The rating link was issued for an earlier closure: the case has been reopened "
            "and closed again since."
        ),
        N_("Send a new link for the closure in force (POST /cases/{case_id}/rating-link)."),
    ),
    "concurrent_modification": (
        N_("Other commands kept the case busy, so this one could not be decided in time."),
        N_("Send the command again."),
    ),
}


def _domain_errors(base: type[DomainError]) -> list[type[DomainError]]:
    found = []
    for sub in base.__subclasses__():
        found += [sub, *_domain_errors(sub)]
    return found


def domain_types() -> dict[str, ProblemType]:
    types = {}
    for error in _domain_errors(DomainError):
        if error.code == DomainError.code:
            continue  # the abstract kinds of rule, never raised themselves
        meaning, fix = _DOMAIN.get(error.code, (error.title, ""))
        status = 422 if issubclass(error, InvalidCommand) else 409
        types[error.code] = ProblemType(error.code, status, error.title, meaning, fix)
    return types


API_TYPES: dict[str, ProblemType] = {t.code: t for t in _API}


def problem_types() -> dict[str, ProblemType]:
    """Every code, in the order of its page list: the API's own, then the domain's."""
    return {**API_TYPES, **domain_types()}
