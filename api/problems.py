"""Every error as RFC 9457 problem details, with a stable machine-readable ``code``.

Titles, details and field messages are told in the caller's language (Accept-Language:
Chinese or English, English by default; see api/i18n). Each problem's ``type`` is a page of
this service, /problems/{code}, that explains the problem and its fix (api/routes/problem_pages).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from eventsourcing.domain import OriginatorVersionError
from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from psycopg_pool import PoolTimeout
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from api.i18n import CHINESE, ENGLISH, TAGS, Msg, _, language_param, negotiate, tell
from api.i18n.pages import index_page, problem_page
from api.i18n.problem_types import problem_types
from api.i18n.validation import message as field_message
from api.local_time import local, localise_text
from domain.application import CaseNotFound, IdempotencyKeyReused, StaleVersion
from domain.errors import CaseNotYetReceived, DomainError, InvalidCommand
from infra.database import DatabaseUnavailable

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
PAGES = "/problems/"  # the explanation pages, served by the service itself


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="where the bad value is, e.g. body.resident.phone")
    message: str
    type: str


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    errors: list[FieldError] | None = None


Message = str | Msg  # a str is shown as it is; a Msg in the caller's language


@dataclass(eq=False)
class ApiProblem(Exception):
    """An error the API raises itself, outside the domain's rules; every problem the API
    answers is one (``problem_response``).

    Its ``code`` must be registered in api/i18n/problem_types.py (its page)."""

    status: int
    code: str
    title: Message
    detail: Message
    errors: list[dict[str, Any]] | None = None
    headers: dict[str, str] | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self.detail))


def _at(loc: list[Any], message: Message) -> Msg:
    return _("{field}: {message}", field=".".join(map(str, loc)), message=message)


def bad_field(loc: list[str | int], message: Message, code: str = "validation_error") -> ApiProblem:
    return ApiProblem(
        422,
        code,
        _("Request is not valid"),
        _at(loc, message),
        errors=[{"loc": loc, "message": message, "type": code}],
    )


def number_cursor(after: str | None) -> int | None:
    """A page's ``after`` where the service's cursors are plain numbers."""
    if after is None:
        return None
    if not after.isdigit() or len(after) > 18:
        raise bad_field(["query", "after"], _("not a cursor from this service: pass a next_cursor"))
    return int(after)


def language_of(request: Request) -> str:
    """The language of the caller's problems: a page may have chosen it (``?lang=``), else
    Accept-Language; English by default."""
    chosen = getattr(request.state, "language", None)
    return chosen or negotiate(request.headers.get("accept-language"))


def type_of(request: Request, code: str) -> str:
    # A relative reference (RFC 9457 §3.1.1), resolved against the request's own URL, so it
    # names this service whatever host or proxy prefix the client reached it by.
    return request.scope.get("root_path", "").rstrip("/") + PAGES + code


def explained(code: str) -> Msg:
    """What a problem means and how to fix it, from its page."""
    known = problem_types().get(code)
    if known is None:
        return _("The request could not be handled.")
    return _("{meaning} {fix}", meaning=Msg(known.meaning), fix=Msg(known.fix))


def problem_response(request: Request, problem: ApiProblem) -> JSONResponse:
    status, code, errors = problem.status, problem.code, problem.errors
    language = language_of(request)
    # Moments named in a detail (the domain's messages write them as they were given) are
    # answered in the service's zone, like every other moment of the API.
    body = Problem(
        type=type_of(request, code),
        title=tell(problem.title, language),
        status=status,
        detail=localise_text(tell(problem.detail, language)),
        code=code,
        instance=request.url.path,
        errors=[
            FieldError(**{**e, "message": localise_text(tell(e["message"], language))})
            for e in errors
        ]
        if errors is not None
        else None,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers={
            **(problem.headers or {}),
            "Content-Language": TAGS[language],
            "Vary": "Accept-Language",
        },
    )


def _english_or(request: Request, english: str, code: str) -> Message:
    """A detail the domain wrote in English (with its particulars), or the code's
    explanation in any other language."""
    return english if language_of(request) == ENGLISH else explained(code)


# Documented on every route, so clients see the problem shape in the OpenAPI document.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {MEDIA_TYPE: {}}, "description": description}
    for status, description in [
        (401, "missing, unknown, revoked or expired bearer token"),
        (403, "the role may not do this (`forbidden`), or not in this area (`outside_area`)"),
        (404, "no such case"),
        (409, "the command breaks a rule of the case's life; `code` names the rule"),
        (412, "If-Match names a version the case is no longer at"),
        (422, "the request does not validate; `errors` lists each bad field"),
        (503, "the database cannot be reached now; retry later"),
    ]
}


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": list(e["loc"]), "message": field_message(e), "type": e["type"]}
        for e in exc.errors()
    ]


def _allowed_methods(request: Request) -> str:
    """Every documented method at this path (Starlette names only the first route's:
    GET and POST /cases are two routes)."""
    methods: set[str] = set()
    for path, operations in request.app.openapi()["paths"].items():
        if compile_path(path)[0].match(request.url.path):
            methods |= {method.upper() for method in operations}
    return ", ".join(sorted(methods))


# Says which problem an exception is (see ``install``).
ToProblem = Callable[[Request, Any], ApiProblem]


def install(app: FastAPI) -> None:
    _install_pages(app)

    def answers(*kinds: type[Exception]) -> Callable[[ToProblem], ToProblem]:
        """Register a handler that says which problem an exception is: the one answer for
        all of them is made by ``problem_response``."""

        def register(to_problem: ToProblem) -> ToProblem:
            def handler(request: Request, exc: Exception) -> JSONResponse:
                return problem_response(request, to_problem(request, exc))

            for kind in kinds:
                app.add_exception_handler(kind, handler)
            return to_problem

        return register

    @answers(RequestValidationError)
    def invalid_request(request: Request, exc: RequestValidationError) -> ApiProblem:
        errors = _validation_errors(exc)
        language = language_of(request)
        separator = "；" if language == CHINESE else "; "
        detail = separator.join(tell(_at(e["loc"], e["message"]), language) for e in errors[:5])
        return ApiProblem(422, "validation_error", _("Request is not valid"), detail, errors)

    @answers(ApiProblem)
    def api_problem(request: Request, exc: ApiProblem) -> ApiProblem:
        return exc

    @answers(DomainError)
    def broken_rule(request: Request, exc: DomainError) -> ApiProblem:
        status = 422 if isinstance(exc, InvalidCommand) else 409
        detail = _english_or(request, exc.message, exc.code)
        return ApiProblem(status, exc.code, Msg(exc.title), detail)

    @answers(CaseNotFound)
    def unknown_case(request: Request, exc: CaseNotFound) -> ApiProblem:
        detail = _english_or(request, str(exc), "case_not_found")
        return ApiProblem(404, "case_not_found", _("No such case"), detail)

    @answers(CaseNotYetReceived)
    def not_yet_received(request: Request, exc: CaseNotYetReceived) -> ApiProblem:
        return ApiProblem(
            404,
            exc.code,
            "The case did not exist yet",
            f"case {exc.case_id} did not exist yet at {local(exc.as_of).isoformat()}; it was "
            f"received at {local(exc.received_at).isoformat()} and recorded at "
            f"{local(exc.recorded_at).isoformat()}: ask for a moment from then on",
        )

    @answers(OriginatorVersionError)
    def broken_history(request: Request, exc: OriginatorVersionError) -> ApiProblem:
        # An event of the case is missing or out of order in the store (deleted or edited
        # by hand): the case cannot be replayed, and guessing its state would be worse.
        log.error("a case's stored history does not replay on %s: %s", request.url.path, exc)
        return ApiProblem(
            409,
            "case_history_broken",
            _("The case's stored history is broken"),
            explained("case_history_broken"),
        )

    @answers(StaleVersion)
    def stale(request: Request, exc: StaleVersion) -> ApiProblem:
        return ApiProblem(
            412,
            "stale_version",
            _("The case has changed"),
            _(
                "the case is at version {actual}, not at the expected version {expected}; "
                'read it again and send the change with If-Match: "{actual}"',
                actual=exc.actual,
                expected=exc.expected,
            ),
            headers={"ETag": f'"{exc.actual}"'},
        )

    @answers(IdempotencyKeyReused)
    def key_reused(request: Request, exc: IdempotencyKeyReused) -> ApiProblem:
        detail = _english_or(request, str(exc), "idempotency_key_reused")
        return ApiProblem(
            422,
            "idempotency_key_reused",
            _("Idempotency-Key reused"),
            detail,
            [
                {
                    "loc": ["header", "Idempotency-Key"],
                    "message": detail,
                    "type": "idempotency_key_reused",
                }
            ],
        )

    @answers(
        DatabaseUnavailable,
        PoolTimeout,
        psycopg.OperationalError,
        StoreOperationalError,
        StoreInterfaceError,
    )
    def database_down(request: Request, exc: Exception) -> ApiProblem:
        log.warning("database unavailable: %s", exc)
        return ApiProblem(
            503,
            "database_unavailable",
            _("Database unavailable"),
            _(
                "the case store cannot be reached right now; retry later (with the same "
                "Idempotency-Key, so that it is recorded once)"
            ),
            headers={"Retry-After": "5"},
        )

    @answers(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException) -> ApiProblem:
        if exc.status_code == 400 and exc.__cause__ is not None:
            # FastAPI's answer to a body it could not even decode (e.g. not UTF-8): a bad
            # body like any other, so the same 422 the OpenAPI document promises.
            message = _("the body is not JSON in UTF-8")
            return ApiProblem(
                422,
                "validation_error",
                _("Request is not valid"),
                _at(["body"], message),
                [{"loc": ["body"], "message": message, "type": "json_invalid"}],
            )
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": _allowed_methods(request)}
        known = problem_types()[code]
        title: Message = Msg(known.title)
        if code == "http_error" and language_of(request) == ENGLISH:
            title = str(exc.detail)  # Starlette's words for the status, e.g. Bad Request
        return ApiProblem(exc.status_code, code, title, explained(code), headers=headers)

    @answers(Exception)
    def unexpected(request: Request, exc: Exception) -> ApiProblem:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return ApiProblem(
            500,
            "internal_error",
            _("Internal error"),
            _("the service failed unexpectedly; the error is logged"),
        )


def _install_pages(app: FastAPI) -> None:
    """GET /problems and /problems/{code}: each problem's ``type``, explained. Like /docs,
    they are pages for people, need no token and stay out of the OpenAPI document."""

    def page_language(request: Request, lang: str | None) -> str:
        # A page is read by a person at the service: Chinese unless asked otherwise.
        chosen = language_param(lang) or negotiate(
            request.headers.get("accept-language"), default=CHINESE
        )
        request.state.language = chosen  # its own 404 is told in the same language
        return chosen

    def html(text: str, language: str) -> HTMLResponse:
        return HTMLResponse(
            text, headers={"Content-Language": TAGS[language], "Vary": "Accept-Language"}
        )

    base = PAGES.rstrip("/")

    @app.get(base, include_in_schema=False)
    def problem_index(request: Request, lang: str | None = None) -> HTMLResponse:
        language = page_language(request, lang)
        listed = list(problem_types().values())
        return html(index_page(listed, language, type_of(request, "").rstrip("/")), language)

    @app.get(base + "/{code}", include_in_schema=False)
    def problem_explained(request: Request, code: str, lang: str | None = None) -> HTMLResponse:
        language = page_language(request, lang)
        known = problem_types().get(code)
        if known is None:
            raise ApiProblem(
                404,
                "not_found",
                _("Not found"),
                _("no problem has the code {code}; see the list at /problems", code=code),
            )
        return html(problem_page(known, language, type_of(request, "").rstrip("/")), language)
