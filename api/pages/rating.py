"""The resident's rating page, /r/<token>: the call-back (回访) answered without a call.

No sign-in: the link's signed token is the resident's only key, good for one answer to the
closure it was issued for, until it expires. The page shows the matter's title and the
handler's closing summary, nothing of anyone's personal data. The answer is recorded as a
call-back by the actor role ``resident`` and counts like a phone call-back.

Forgery across sites: there is no session to ride on, and the token alone lets its holder
answer; what is defended is a page elsewhere posting an answer through a visitor's browser.
Each page sets a fresh nonce in an HttpOnly, SameSite=Lax cookie scoped to its own link's
path and puts the same nonce in the form (double submit); the post must carry both, equal,
and come from our own origin (Origin / Sec-Fetch-Site), as the workbench's sign-in form.
"""

from datetime import UTC, datetime
from typing import Any, Literal

from asgi_correlation_id import correlation_id
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from api.dependencies import ServicesDep
from api.pages import messages
from api.pages.web import FormDep, csrf_ok, new_sign_in_value, render, set_cookie
from api.requests import Strict, text
from domain.application import Caller, CaseNotFound
from domain.case import Case
from domain.commands import Rate
from domain.errors import DomainError
from domain.stamp import RESIDENT
from domain.vocabulary import Rating, Solved
from infra.bootstrap import Services
from infra.rating_links import PATH, BadRatingLink, RatingLink

router = APIRouter(prefix=PATH.rstrip("/"), include_in_schema=False)
NONCE_COOKIE = "cw_rate"
ANSWER_FIELDS = ("contacted", "solved", "rating", "comment")


class ResidentAnswer(Strict):
    """The call-back's three answers as the resident gives them (a valid call-back: one
    who opens the link was reached)."""

    contacted: Literal["yes", "no"]
    solved: Solved
    rating: Literal[Rating.SATISFIED, Rating.BASICALLY_SATISFIED, Rating.DISSATISFIED]
    comment: text(1000) | None = None  # type: ignore[valid-type]


class Refused(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _opened(services: Services, token: str) -> tuple[RatingLink, Case]:
    """The link the token stands for, and its case; refused when no key of ours signed the
    token, when it has expired (before any case is read), or when the case is unknown."""
    try:
        link = services.rating_links.read(token)
    except BadRatingLink:
        raise Refused("unknown_rating_link") from None
    if link.expired(datetime.now(UTC)):
        raise Refused("rating_link_expired")
    try:
        return link, services.cases.get_case(link.case_id)
    except CaseNotFound:
        raise Refused("unknown_rating_link") from None


def _page(request: Request, status: int, heading: str, **context: Any) -> HTMLResponse:
    defaults: dict[str, Any] = {"detail": None, "matter": None, "form": False}
    return render(request, "rating.html", status, heading=heading, **{**defaults, **context})


def _refused(request: Request, code: str) -> HTMLResponse:
    status, heading, detail = messages.LINK_REFUSALS.get(code, messages.LINK_INVALID)
    return _page(request, status, heading, detail=detail)


def _form(
    request: Request,
    token: str,
    case: Case,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    nonce = new_sign_in_value()
    response = _page(
        request,
        status,
        "办理结果回访",
        matter=case,
        form=True,
        questions=messages.RATING_QUESTIONS,
        action=PATH + token,
        nonce=nonce,
        values=values,
        errors=errors,
    )
    set_cookie(request, response, NONCE_COOKIE, nonce, path=PATH + token)
    return response


@router.get("/{token}")
def rating_page(request: Request, token: str, services: ServicesDep) -> HTMLResponse:
    try:
        link, case = _opened(services, token)
        case.check_rating_link(str(link.link_id), datetime.now(UTC))
    except Refused as refused:
        return _refused(request, refused.code)
    except DomainError as broken:
        return _refused(request, broken.code)
    return _form(request, token, case, {}, {})


def _invalid_fields(error: ValidationError) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else "form"
        if field == "comment":
            found[field] = messages.field_message(dict(item), field)
        else:
            found[field] = "请选择一项。"
    return found


@router.post("/{token}")
def answer(request: Request, token: str, services: ServicesDep, form: FormDep) -> HTMLResponse:
    values = {
        name: value.strip()
        for name in ANSWER_FIELDS
        if isinstance(value := form.get(name), str) and value.strip()
    }
    try:
        link, case = _opened(services, token)
        # A used link says so, whatever the post carries (the nonce went with the answer).
        case.check_rating_link(str(link.link_id), datetime.now(UTC))
        if not csrf_ok(request, form, request.cookies.get(NONCE_COOKIE)):
            raise Refused("csrf")
        try:
            given = ResidentAnswer.model_validate(values)
        except ValidationError as invalid:
            return _form(request, token, case, values, _invalid_fields(invalid), 422)
        caller = Caller(
            actor_id=case.resident_id or RESIDENT,
            role=RESIDENT,
            correlation_id=correlation_id.get() or "",
        )
        command = Rate(
            rating=given.rating,
            comment=given.comment,
            contacted=given.contacted == "yes",
            solved=given.solved,
            link_id=str(link.link_id),
        )
        outcome = services.cases.handle(case.id, command, caller, loaded=case)
    except Refused as refused:
        return _refused(request, refused.code)
    except DomainError as broken:
        return _refused(request, broken.code)
    heading, detail = messages.RATING_DONE
    if not outcome.case.is_closed:  # the answer sent it back for redo (重办)
        detail = f"{detail}{messages.RATING_REDO}"
    response = _page(request, 200, heading, detail=detail)
    response.delete_cookie(NONCE_COOKIE, path=PATH + token)
    return response
