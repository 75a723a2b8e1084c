"""Rating links (回访 without a call): the case's own rules for the resident's answer."""

from uuid import UUID

from domain import errors
from domain.application import Caller
from domain.commands import IssueRatingLink, Rate
from domain.stamp import RESIDENT

RESIDENT_CALLER = Caller("resident-li", RESIDENT, "req-resident")


def issued(cases, case_id: UUID) -> str:
    outcome = cases.app.handle(case_id, IssueRatingLink(), cases.people.clerk)
    latest = outcome.case.latest_rating_link()
    assert latest is not None
    return latest[0]


def answer(cases, case_id: UUID, link_id: str | None, **answers: object):
    fields = {"rating": "satisfied", "contacted": True, "solved": "solved", **answers}
    return cases.app.handle(case_id, Rate(link_id=link_id, **fields), RESIDENT_CALLER)


def test_a_link_is_issued_for_a_closed_case_and_expires_after_the_set_days(cases) -> None:
    case_id = cases.closed()
    link_id = issued(cases, case_id)
    event = cases.app.history(case_id)[-1]
    assert event.type == "RatingLinkIssued"
    assert event.data["link_id"] == link_id
    assert (event.data["expires_at"] - event.occurred_at).days == 7
    assert event.data["resident_id"] == str(cases.app.get_case(case_id).resident_id)


def test_a_link_needs_a_closed_unrated_case(cases, refused) -> None:
    open_case = cases.assigned()
    with refused(errors.CaseNotClosed, "case_not_closed"):
        cases.app.handle(open_case, IssueRatingLink(), cases.people.clerk)


def test_the_resident_answers_once_through_a_link(cases, refused) -> None:
    case_id = cases.closed()
    link_id = issued(cases, case_id)

    rated = answer(cases, case_id, link_id)

    assert rated.case.status == "rated"
    last = cases.app.history(case_id)[-1]
    assert last.actor["role"] == RESIDENT and last.data["link_id"] == link_id
    with refused(errors.RatingLinkUsed, "rating_link_used"):
        answer(cases, case_id, link_id)


def test_a_resident_is_taken_only_through_a_link_of_the_case(cases, refused) -> None:
    case_id = cases.closed()
    issued(cases, case_id)
    with refused(errors.UnknownRatingLink, "unknown_rating_link"):
        answer(cases, case_id, None)
    with refused(errors.UnknownRatingLink, "unknown_rating_link"):
        answer(cases, case_id, "5f1f2c44-0000-4000-8000-000000000000")


def test_an_expired_link_is_refused(cases, clock, refused) -> None:
    case_id = cases.closed()
    link_id = issued(cases, case_id)
    clock.advance(days=7, seconds=1)
    with refused(errors.RatingLinkExpired, "rating_link_expired"):
        answer(cases, case_id, link_id)


def test_a_link_of_an_earlier_closure_is_refused(cases, refused) -> None:
    case_id = cases.closed()
    link_id = issued(cases, case_id)
    cases.app.reopen(case_id, "居民来电说灯又坏了", cases.people.supervisor)
    with refused(errors.CaseNotClosed, "case_not_closed"):
        answer(cases, case_id, link_id)
    cases.close(case_id)
    with refused(errors.RatingLinkOutdated, "rating_link_outdated"):
        answer(cases, case_id, link_id)


def test_the_residents_not_solved_and_dissatisfied_sends_it_back_for_redo(cases) -> None:
    case_id = cases.closed()
    link_id = issued(cases, case_id)

    outcome = answer(cases, case_id, link_id, rating="dissatisfied", solved="not_solved")

    assert not outcome.case.is_closed
    assert [e.type for e in cases.app.history(case_id)[-2:]] == ["Rated", "Reopened"]


def test_a_closure_issues_a_link_by_itself_when_set_so(cases) -> None:
    cases.app.rating_link_on_closure = True
    case_id = cases.closed()
    closing, link = cases.app.history(case_id)[-2:]
    assert (closing.type, link.type) == ("Closed", "RatingLinkIssued")
    assert link.actor["role"] == "system" and link.occurred_at == closing.occurred_at


def test_a_closure_as_a_duplicate_issues_no_link(cases) -> None:
    cases.app.rating_link_on_closure = True
    original, repeat = cases.assigned(), cases.assigned()
    cases.app.close_case(
        repeat, "duplicate", "重复来电", cases.people.worker, duplicate_of=original
    )
    assert cases.app.history(repeat)[-1].type == "Closed"
