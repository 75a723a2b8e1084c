"""Every error as RFC 9457 problem details, with a stable machine-readable ``code``."""

import logging
from typing import Any

import psycopg
from eventsourcing.domain import OriginatorVersionError
from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg_pool import PoolTimeout
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from api.local_time import local, localise_text
from domain.application import CaseNotFound, IdempotencyKeyReused, StaleVersion
from domain.errors import CaseNotYetReceived, DomainError, InvalidCommand
from infra.database import DatabaseUnavailable

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://casework.example/problems/"


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


class ApiProblem(Exception):
    """An error the API raises itself, outside the domain's rules."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers


def bad_field(loc: list[str | int], message: str, code: str = "validation_error") -> ApiProblem:
    return ApiProblem(
        422,
        code,
        "Request is not valid",
        f"{'.'.join(map(str, loc))}: {message}",
        errors=[{"loc": loc, "message": message, "type": code}],
    )


def problem_response(
    request: Request,
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    # Moments named in a detail (the domain's messages write them as they were given) are
    # answered in the service's zone, like every other moment of the API.
    body = Problem(
        type=TYPE_BASE + code,
        title=title,
        status=status,
        detail=localise_text(detail),
        code=code,
        instance=request.url.path,
        errors=[FieldError(**{**e, "message": localise_text(str(e["message"]))}) for e in errors]
        if errors is not None
        else None,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


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
    return [{"loc": list(e["loc"]), "message": e["msg"], "type": e["type"]} for e in exc.errors()]


def _allowed_methods(request: Request) -> str:
    """Every documented method at this path (Starlette names only the first route's:
    GET and POST /cases are two routes)."""
    methods: set[str] = set()
    for path, operations in request.app.openapi()["paths"].items():
        if compile_path(path)[0].match(request.url.path):
            methods |= {method.upper() for method in operations}
    return ", ".join(sorted(methods))


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['message']}" for e in errors[:5])
        return problem_response(
            request, 422, "validation_error", "Request is not valid", detail, errors
        )

    @app.exception_handler(ApiProblem)
    def api_problem(request: Request, exc: ApiProblem) -> JSONResponse:
        return problem_response(
            request, exc.status, exc.code, exc.title, exc.detail, exc.errors, exc.headers
        )

    @app.exception_handler(DomainError)
    def broken_rule(request: Request, exc: DomainError) -> JSONResponse:
        status = 422 if isinstance(exc, InvalidCommand) else 409
        return problem_response(request, status, exc.code, exc.title, exc.message)

    @app.exception_handler(CaseNotFound)
    def unknown_case(request: Request, exc: CaseNotFound) -> JSONResponse:
        return problem_response(request, 404, "case_not_found", "No such case", str(exc))

    @app.exception_handler(CaseNotYetReceived)
    def not_yet_received(request: Request, exc: CaseNotYetReceived) -> JSONResponse:
        return problem_response(
            request,
            404,
            exc.code,
            "The case did not exist yet",
            f"case {exc.case_id} did not exist yet at {local(exc.as_of).isoformat()}; it was "
            f"received at {local(exc.received_at).isoformat()} and recorded at "
            f"{local(exc.recorded_at).isoformat()}: ask for a moment from then on",
        )

    @app.exception_handler(OriginatorVersionError)
    def broken_history(request: Request, exc: OriginatorVersionError) -> JSONResponse:
        # An event of the case is missing or out of order in the store (deleted or edited
        # by hand): the case cannot be replayed, and guessing its state would be worse.
        log.error("a case's stored history does not replay on %s: %s", request.url.path, exc)
        return problem_response(
            request,
            409,
            "case_history_broken",
            "The case's stored history is broken",
            "an event of this case is missing or out of order in the store, so the case "
            "cannot be shown or changed; an auditor can see where with GET "
            "/cases/{case_id}/verify or `casework audit verify`",
        )

    @app.exception_handler(StaleVersion)
    def stale(request: Request, exc: StaleVersion) -> JSONResponse:
        return problem_response(
            request,
            412,
            "stale_version",
            "The case has changed",
            str(exc),
            headers={"ETag": f'"{exc.actual}"'},
        )

    @app.exception_handler(IdempotencyKeyReused)
    def key_reused(request: Request, exc: IdempotencyKeyReused) -> JSONResponse:
        return problem_response(
            request,
            422,
            "idempotency_key_reused",
            "Idempotency-Key reused",
            str(exc),
            [
                {
                    "loc": ["header", "Idempotency-Key"],
                    "message": str(exc),
                    "type": "idempotency_key_reused",
                }
            ],
        )

    def database_down(request: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable: %s", exc)
        return problem_response(
            request,
            503,
            "database_unavailable",
            "Database unavailable",
            "the case store cannot be reached right now; retry later (with the same "
            "Idempotency-Key, so that it is recorded once)",
            headers={"Retry-After": "5"},
        )

    for unavailable in (
        DatabaseUnavailable,
        PoolTimeout,
        psycopg.OperationalError,
        StoreOperationalError,
        StoreInterfaceError,
    ):
        app.add_exception_handler(unavailable, database_down)

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.__cause__ is not None:
            # FastAPI's answer to a body it could not even decode (e.g. not UTF-8): a bad
            # body like any other, so the same 422 the OpenAPI document promises.
            message = "the body is not JSON in UTF-8"
            return problem_response(
                request,
                422,
                "validation_error",
                "Request is not valid",
                f"body: {message}",
                [{"loc": ["body"], "message": message, "type": "json_invalid"}],
            )
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": _allowed_methods(request)}
        return problem_response(
            request,
            exc.status_code,
            code,
            str(exc.detail),
            str(exc.detail),
            headers=headers,
        )

    @app.exception_handler(Exception)
    def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem_response(
            request,
            500,
            "internal_error",
            "Internal error",
            "the service failed unexpectedly; the error is logged",
        )
