"""Who may do what, and where: the permission table and the areas users act in.

Each user has a role and an area (a street, a community or a grid; none for the whole
city). A case lies in a user's area when its grid is that grid, or belongs to that
community or street. Social workers also reach the cases assigned to them wherever
they are. A case outside the caller's reach answers 404, so its existence is not
disclosed; a role that may not do a thing at all answers 403.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from api.dependencies import ServicesDep, UserDep
from api.i18n import N_, Msg, _
from api.problems import ApiProblem
from domain.application import CaseNotFound
from domain.case import Case
from domain.vocabulary import Role
from infra.bootstrap import Services
from infra.users import User


class Action(StrEnum):
    """What a route does; ``doing`` says it in words, for the refusal of a role."""

    RECEIVE = "receive"
    READ_CASE = "read_case"
    READ_HISTORY = "read_history"
    LIST_CASES = "list_cases"
    DASHBOARD = "dashboard"
    REPORTS = "reports"
    PROJECTIONS = "projections"
    VERIFY = "verify"
    READ_LOG = "read_log"
    LOOKUP_RESIDENT = "lookup_resident"
    ERASE_RESIDENT = "erase_resident"
    READ_ERASURES = "read_erasures"
    WHO_AM_I = "who_am_i"
    DIRECTORY = "directory"
    SUPERVISION = "supervision"
    HELD_WISHES = "held_wishes"
    CLAIM_WISH = "claim_wish"
    FULFIL_WISH = "fulfil_wish"
    RELEASE_WISH = "release_wish"
    WISH_CLAIMS = "wish_claims"
    SCORE = "score"
    NOTIFICATIONS = "notifications"
    WEBHOOKS = "webhooks"


# Each action (a route's, or a command's `action`) in words, after "may not".
DOING: dict[str, str] = {
    "receive": N_("file a case"),
    "assign": N_("assign a case"),
    "sign_for": N_("sign for a case"),
    "send_back": N_("send a case back"),
    "contact": N_("record contact with the resident"),
    "urge": N_("urge a case"),
    "supervision": N_("read the supervision list"),
    "score": N_("score a worker's month"),
    "reassign": N_("reassign a case"),
    "visit": N_("record a visit"),
    "escalate": N_("escalate a case"),
    "suspend": N_("suspend a case"),
    "resume": N_("resume a case"),
    "extend": N_("extend a deadline"),
    "close": N_("close a case"),
    "rate": N_("record a rating"),
    "issue_rating_link": N_("issue a rating link"),
    "reopen": N_("reopen a case"),
    "mediate": N_("record a mediation"),
    "claim": N_("record a claim of a micro-wish"),
    "fulfil": N_("record a micro-wish as fulfilled"),
    "release_claim": N_("release a micro-wish's claim"),
    "read_case": N_("read a case"),
    "read_history": N_("read a case's history"),
    "list_cases": N_("list cases"),
    "dashboard": N_("read the dashboard"),
    "reports": N_("read reports"),
    "projections": N_("read the state of the read models"),
    "verify": N_("verify a case's history"),
    "read_log": N_("read the log of reads"),
    "lookup_resident": N_("look up a resident"),
    "erase_resident": N_("erase a resident's personal data"),
    "read_erasures": N_("read the erasures of personal data"),
    "who_am_i": N_("read their own account"),
    "directory": N_("list the users"),
    "held_wishes": N_("list the micro-wishes they hold"),
    "claim_wish": N_("claim a micro-wish on the board"),
    "fulfil_wish": N_("mark a micro-wish they hold as fulfilled"),
    "release_wish": N_("release a micro-wish they hold"),
    "wish_claims": N_("read the claims of micro-wishes and the claimants' records"),
    "notifications": N_("read notifications"),
    "webhooks": N_("manage webhooks"),
}

ROLE_NAMES: dict[str, str] = {
    Role.CLERK: N_("clerk"),
    Role.WORKER: N_("worker"),
    Role.SUPERVISOR: N_("supervisor"),
    Role.AUDITOR: N_("auditor"),
    Role.ADMIN: N_("admin"),
    Role.CLIENT: N_("client"),
    Role.CLAIMANT: N_("claimant"),
}

C, W, S, A, ADMIN, CLIENT, CLAIMANT = (
    Role.CLERK,
    Role.WORKER,
    Role.SUPERVISOR,
    Role.AUDITOR,
    Role.ADMIN,
    Role.CLIENT,
    Role.CLAIMANT,
)
FIELD_WORK = frozenset({W, S})

# The README's permission table, as code (a command on a case says its roles itself, see
# api.requests.CaseCommand); tests/integration/test_permissions.py walks the table.
PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.RECEIVE: frozenset({C, W, S, CLIENT}),
    Action.READ_CASE: frozenset({C, W, S, A, ADMIN}),
    Action.READ_HISTORY: frozenset({W, S, A, ADMIN}),
    Action.LIST_CASES: frozenset({C, W, S, A, ADMIN}),
    Action.DASHBOARD: frozenset({C, W, S, A, ADMIN}),
    Action.REPORTS: frozenset({S, A, ADMIN}),
    Action.PROJECTIONS: frozenset({S, A, ADMIN}),
    Action.VERIFY: frozenset({A, ADMIN}),
    Action.READ_LOG: frozenset({A, ADMIN}),
    Action.LOOKUP_RESIDENT: frozenset({C, W, S, ADMIN}),
    Action.ERASE_RESIDENT: frozenset({ADMIN}),
    Action.READ_ERASURES: frozenset({A, ADMIN}),
    Action.WHO_AM_I: frozenset({C, W, S, A, ADMIN, CLIENT}),
    # Colleagues' names, roles and areas: for the people of the service, not other systems.
    Action.DIRECTORY: frozenset({C, W, S, A, ADMIN}),
    # The cases under supervision of the caller's level, in their area (督办).
    Action.SUPERVISION: frozenset({S}),
    # The micro-wish board (微心愿): a claimant does these and nothing else; the community
    # follows who claimed what.
    Action.HELD_WISHES: frozenset({CLAIMANT}),
    Action.CLAIM_WISH: frozenset({CLAIMANT}),
    Action.FULFIL_WISH: frozenset({CLAIMANT}),
    Action.RELEASE_WISH: frozenset({CLAIMANT}),
    Action.WISH_CLAIMS: frozenset({S, A, ADMIN}),
    # The 3456 assessment's scores: a supervisor of the party's level (checked by the route).
    Action.SCORE: frozenset({S}),
    # Everyone of the service has an inbox; other systems hear through webhooks.
    Action.NOTIFICATIONS: frozenset({C, W, S, A, ADMIN}),
    Action.WEBHOOKS: frozenset({ADMIN}),
}


@dataclass(frozen=True)
class Access:
    """The authenticated caller and the part of the city they reach."""

    user: User
    grids: frozenset[str] | None  # None: the whole city

    @property
    def own_cases_too(self) -> bool:
        return self.user.role == Role.WORKER

    def reaches_grid(self, grid_id: str) -> bool:
        return self.grids is None or grid_id in self.grids

    def reaches(self, case: Case) -> bool:
        if self.reaches_grid(case.grid_id):
            return True
        return self.own_cases_too and case.assignee == str(self.user.id)

    def reach_filter(self) -> dict[str, Any]:
        """CaseFilter fields that keep lists and counts to the cases the caller reaches."""
        if self.grids is None:
            return {}
        own = str(self.user.id) if self.own_cases_too else None
        return {"within_grids": sorted(self.grids), "assigned_to": own}

    def check_case(self, case: Case) -> None:
        """A case out of reach is answered as if it did not exist."""
        if not self.reaches(case):
            raise CaseNotFound(case.id)

    def check_grid(self, grid_id: str) -> None:
        if not self.reaches_grid(grid_id):
            raise ApiProblem(
                403,
                "outside_area",
                _("Outside your area"),
                _(
                    "grid {grid_id} is outside your area {area}",
                    grid_id=grid_id,
                    area=self.user.area,
                ),
            )


# Every other route's action: a route neither listed nor declaring its own roles is refused
# (deny by default).
ROUTES: dict[tuple[str, str], Action] = {
    ("POST", "/cases"): Action.RECEIVE,
    ("GET", "/cases/{case_id}"): Action.READ_CASE,
    ("GET", "/cases/{case_id}/history"): Action.READ_HISTORY,
    ("GET", "/cases/{case_id}/verify"): Action.VERIFY,
    ("GET", "/cases"): Action.LIST_CASES,
    ("GET", "/dashboard/summary"): Action.DASHBOARD,
    ("GET", "/reports/compliance"): Action.REPORTS,
    ("GET", "/reports/league"): Action.REPORTS,
    ("GET", "/reports/assessment"): Action.REPORTS,
    ("POST", "/workers/{worker_id}/scores"): Action.SCORE,
    ("GET", "/projections"): Action.PROJECTIONS,
    ("GET", "/audit/reads"): Action.READ_LOG,
    ("POST", "/residents/lookup"): Action.LOOKUP_RESIDENT,
    ("DELETE", "/residents/{resident_id}/personal-data"): Action.ERASE_RESIDENT,
    ("GET", "/residents/erasures"): Action.READ_ERASURES,
    ("GET", "/me"): Action.WHO_AM_I,
    ("GET", "/users"): Action.DIRECTORY,
    ("GET", "/supervision"): Action.SUPERVISION,
    ("GET", "/board/mine"): Action.HELD_WISHES,
    ("POST", "/board/wishes/{case_id}/claim"): Action.CLAIM_WISH,
    ("POST", "/board/wishes/{case_id}/fulfil"): Action.FULFIL_WISH,
    ("POST", "/board/wishes/{case_id}/release"): Action.RELEASE_WISH,
    ("GET", "/board/claims"): Action.WISH_CLAIMS,
    ("GET", "/board/claimants"): Action.WISH_CLAIMS,
    ("GET", "/me/notifications"): Action.NOTIFICATIONS,
    ("GET", "/me/notifications/stream"): Action.NOTIFICATIONS,
    ("POST", "/me/notifications/{notification_id}/read"): Action.NOTIFICATIONS,
    ("POST", "/webhooks"): Action.WEBHOOKS,
    ("GET", "/webhooks"): Action.WEBHOOKS,
    ("DELETE", "/webhooks/{webhook_id}"): Action.WEBHOOKS,
    ("GET", "/webhooks/{webhook_id}/deliveries"): Action.WEBHOOKS,
}


async def authorize(request: Request, user: UserDep, services: ServicesDep) -> Access:
    """The one gate of every route but /health and the docs: role, then area.

    Routers declare it as a dependency; endpoints that filter by area take ``AccessDep``.
    """
    if user.area is None:  # the whole city: nothing to look up, no thread needed
        _check_role(request, user)
        return Access(user=user, grids=None)
    if case_id_of(request) is None:
        grids = services.areas.known_grids_within(user.area)
        if grids is not None:  # looked up lately: no thread needed either
            _check_role(request, user)
            return Access(user=user, grids=frozenset(grids))
    return await run_in_threadpool(access_for, request, user, services)


def access_for(request: Request, user: User, services: Services) -> Access:
    """The gate itself, for callers outside the event loop (it may query the database)."""
    _check_role(request, user)
    if user.area is None:
        return Access(user=user, grids=None)
    access = Access(user=user, grids=frozenset(services.areas.grids_within(user.area)))
    case_id = case_id_of(request)
    if case_id is not None:
        # Checked before the body (a case out of reach is 404 whatever was sent), on the
        # case the route then works on: kept as the request's ``loaded_case``, not read again.
        case = services.cases.get_case(case_id)
        access.check_case(case)
        request.state.loaded_case = case
    return access


def loaded_case(request: Request) -> Case | None:
    """The case the gate loaded for an area-scoped caller (None for a city-wide one)."""
    return getattr(request.state, "loaded_case", None)


def _check_role(request: Request, user: User) -> None:
    route = request.scope.get("route")
    endpoint = getattr(route, "endpoint", None)
    roles: frozenset[str] | None = getattr(endpoint, "roles", None)
    action: str | None = getattr(endpoint, "action", None)
    if roles is None:
        known = ROUTES.get((request.method, getattr(route, "path", "")))
        if known is not None:
            roles, action = PERMISSIONS[known], known.value
    if roles is None or action is None:
        raise ApiProblem(
            403, "forbidden", _("Not allowed for your role"), _("no role may call this route")
        )
    if user.role not in roles:
        raise ApiProblem(
            403,
            "forbidden",
            _("Not allowed for your role"),
            _(
                "the role {role} may not {doing}",
                role=Msg(ROLE_NAMES.get(user.role, user.role)),
                doing=Msg(DOING[action]),
            ),
        )


def case_id_of(request: Request) -> UUID | None:
    """The route's case id, if it has a valid one."""
    raw = request.path_params.get("case_id")
    try:
        return UUID(raw) if raw is not None else None
    except ValueError:
        return None  # the route's own validation answers 422


Authorized = Depends(authorize)
AccessDep = Annotated[Access, Authorized]
