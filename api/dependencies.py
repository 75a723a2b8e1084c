"""What every endpoint takes: the services, the authenticated caller, the If-Match version."""

import re
from typing import Annotated
from uuid import UUID

from asgi_correlation_id import correlation_id
from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.i18n import Msg, _
from api.problems import ApiProblem, bad_field
from domain.application import Caller
from infra.bootstrap import Services
from infra.users import User

_bearer = HTTPBearer(auto_error=False, description="a token from `casework users add`")


# Dependencies are `async def` where they do no blocking I/O: FastAPI runs a plain `def`
# dependency in a worker thread, and the hop costs more than the work. The ones that may
# block hand that part to the thread pool themselves.


async def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


async def current_user(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    if credentials is None:
        raise _unauthenticated(_("send the header Authorization: Bearer <token>"))
    answered, user = services.users.known(credentials.credentials)
    if not answered:
        user = await run_in_threadpool(services.users.authenticate, credentials.credentials)
    if user is None:
        raise _unauthenticated(_("the bearer token is unknown, revoked or expired"))
    return user


def _unauthenticated(detail: Msg) -> ApiProblem:
    return ApiProblem(
        401,
        "unauthenticated",
        _("Not authenticated"),
        detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


UserDep = Annotated[User, Depends(current_user)]


async def current_caller(user: UserDep) -> Caller:
    """The actor of a command: always the authenticated user, never the body."""
    return Caller(actor_id=str(user.id), role=user.role, correlation_id=correlation_id.get() or "")


CallerDep = Annotated[Caller, Depends(current_caller)]

_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,18})"?\s*$')


async def expected_version(
    if_match: Annotated[
        str | None,
        Header(description='"<version>" from the ETag: the command applies only at that version'),
    ] = None,
) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    match = _ETAG.match(if_match)
    if match is None:
        raise bad_field(["header", "If-Match"], _('expected a version as an ETag, e.g. "3"'))
    return int(match.group(1))


ExpectedVersion = Annotated[int | None, Depends(expected_version)]


def ensure_user(
    services: Services, user_id: str, loc: list[str | int], roles: tuple[str, ...]
) -> None:
    """Cases are handed to, and first received by, people the service knows in such roles."""
    try:
        user = services.users.get(UUID(user_id))
    except ValueError:
        user = None
    if user is None:
        raise bad_field(loc, _("no user with id {user_id}", user_id=user_id), "unknown_user")
    if user.role not in roles:
        raise bad_field(
            loc,
            _(
                "user {user_id} is a {role}; expected one of: {roles}",
                user_id=user_id,
                role=user.role,
                roles=", ".join(roles),
            ),
            "wrong_role",
        )


HANDLERS = ("worker", "supervisor")
RECEIVERS = ("clerk", "worker", "supervisor")


def ensure_grid(services: Services, grid_id: str, loc: list[str | int]) -> None:
    """Cases belong to a grid of the reference data; its community and street follow."""
    if services.areas.place_of_grid(grid_id) is None:
        raise bad_field(
            loc,
            _(
                "no grid '{grid_id}' in the reference data (see `casework areas load`)",
                grid_id=grid_id,
            ),
            "unknown_grid",
        )


_known_queries: dict[int, frozenset[str]] = {}


def _query_names(route: APIRoute) -> frozenset[str]:
    """Every query parameter a route declares, its dependencies' included (cached per route)."""
    names = _known_queries.get(id(route))
    if names is None:
        names = _known_queries[id(route)] = frozenset(_declared_queries(route.dependant))
    return names


def _declared_queries(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _declared_queries(dependency)
    return names


async def reject_unknown_queries(request: Request) -> None:
    """A misspelt or unsupported filter must not silently widen a list to everything."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    unknown = sorted(set(request.query_params) - _query_names(route))
    if unknown:
        names = ", ".join(sorted(_query_names(route)))
        allowed = names or _("none")
        raise ApiProblem(
            422,
            "unknown_parameter",
            _("Unknown query parameter"),
            _(
                "unknown query parameter(s): {unknown}; this route takes: {allowed}",
                unknown=", ".join(unknown),
                allowed=allowed,
            ),
            errors=[
                {
                    "loc": ["query", name],
                    "message": _("unknown parameter; this route takes: {allowed}", allowed=allowed),
                    "type": "unknown_parameter",
                }
                for name in unknown
            ],
        )
