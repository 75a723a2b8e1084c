"""Every call the workbench makes into the service layer and the read models, in one place.

The pages validate a form with the API's own request models (api.requests), then call one
function here; these do what the API's routes do: the same commands, the same access gate
(api.access), the same masking and names (api.responses), the same read log.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from asgi_correlation_id import correlation_id

from api.access import PERMISSIONS, Access, Action
from api.case_reads import read_case
from api.dependencies import HANDLERS, ensure_user
from api.intake import file_case
from api.requests import CASE_COMMANDS, Assign, CaseCommand
from api.responses import CaseOut, History, history_out
from domain import commands
from domain.application import Caller, CaseNotFound, CommandKey, Outcome, request_fingerprint
from domain.time_limits import TimeLimit, Unit
from infra.bootstrap import Services
from infra.sessions import Session, Sessions
from infra.users import User
from projections.case_list.queries import CaseFilter, list_cases, row_light
from projections.case_list.search import query_terms

OPEN_STATUSES = ["assigned", "in_progress", "claimed", "fulfilled", "suspended"]


# -- who ------------------------------------------------------------------------------


def sessions(services: Services) -> Sessions:
    return Sessions(services.pool)


def sign_in(services: Services, token: str) -> str | None:
    """A new session id for a valid token, or None."""
    user = services.users.authenticate(token)
    if user is None:
        return None
    return sessions(services).open(user.id, token)


def session_of(services: Services, session_id: str) -> Session | None:
    return sessions(services).find(session_id)


def sign_out(services: Services, session_id: str) -> None:
    sessions(services).end(session_id)


COMMANDS_BY_ACTION = {command.action: command for command in CASE_COMMANDS}


def may(user: User, action: Action | type[CaseCommand] | str) -> bool:
    """The API's permission table: a route's action, or a case command's own roles (either
    by its request model or by its action's name, as the templates ask)."""
    if isinstance(action, str) and action in COMMANDS_BY_ACTION:
        action = COMMANDS_BY_ACTION[action]
    if isinstance(action, type):
        return user.role in action.roles
    return user.role in PERMISSIONS[Action(action)]


def access_of(services: Services, user: User) -> Access:
    """The API's gate for this user: the grids they reach (None: the whole city)."""
    if user.area is None:
        return Access(user=user, grids=None)
    return Access(user=user, grids=frozenset(services.areas.grids_within(user.area)))


def _caller(user: User) -> Caller:
    return Caller(actor_id=str(user.id), role=user.role, correlation_id=correlation_id.get() or "")


def _key(form_key: str | None, command: str, fields: dict[str, Any]) -> CommandKey | None:
    if not form_key:
        return None
    return CommandKey(form_key, request_fingerprint({"command": command, "body": fields}))


# -- areas and people -----------------------------------------------------------------


def grids_of(services: Services, access: Access) -> list[tuple[str, str]]:
    """(id, name) of the grids a user may file cases into, by name."""
    with services.pool.connection() as conn:
        rows = conn.execute(
            "SELECT id, name FROM casework_areas WHERE level = 'grid'"
            " AND (%(all)s OR id = ANY(%(grids)s)) ORDER BY name, id",
            {"all": access.grids is None, "grids": sorted(access.grids or [])},
        ).fetchall()
    return [(row[0], row[1]) for row in rows]


def area_name(services: Services, area_id: str | None) -> str | None:
    if area_id is None:
        return None
    with services.pool.connection() as conn:
        row = conn.execute("SELECT name FROM casework_areas WHERE id = %s", (area_id,)).fetchone()
    return row[0] if row else area_id


def handlers_of_grid(
    services: Services, grid_id: str, roles: tuple[str, ...] = HANDLERS
) -> list[dict[str, Any]]:
    """Who a case of this grid can be handed to: its workers, then the supervisors above
    (``roles``: only some of them)."""
    listed = services.users.directory(grid_id, list(roles))
    ordered = sorted(listed, key=lambda p: (p.role != "worker", p.name))
    return [{"id": str(p.id), "name": p.name, "role": p.role} for p in ordered if p.active]


# -- commands -------------------------------------------------------------------------


@dataclass(frozen=True)
class Filed:
    case_id: UUID
    created: bool


def receive(services: Services, access: Access, intake: Any, form_key: str | None) -> Filed:
    """File a case (POST /cases): the same checks, the same idempotency."""
    outcome = file_case(
        services, access, intake, _caller(access.user), form_key, ["body", "grid_id"]
    )
    return Filed(outcome.case.id, outcome.created)


def assign(
    services: Services, access: Access, case_id: UUID, assignee: str, form_key: str | None
) -> Outcome:
    return command(services, access, case_id, "assign", Assign(assignee=assignee), form_key)


def command(
    services: Services, access: Access, case_id: UUID, name: str, body: Any, key: str | None
) -> Outcome:
    """One of the case's commands, ``name`` as the page's form names it, ``body`` the API's
    request model for it: handled as the API handles it (the users it names checked, one
    load, the same guard)."""
    for field, roles in type(body).users.items():
        ensure_user(services, getattr(body, field), ["body", field], roles)
    return services.cases.handle(
        case_id,
        body.to_command(),
        _caller(access.user),
        command_key=_key(key, name, body.model_dump(mode="json", exclude_unset=True)),
        visible=access.reaches,
    )


def board_command(
    services: Services,
    access: Access,
    case_id: UUID,
    name: str,
    command: commands.CaseCommand,
    fields: dict[str, Any],
    key: str | None,
) -> Outcome:
    """A claimant's claim, fulfilment or release from the board's page, as the board's API
    route handles it (api/routes/board.py): the caller is the claimant."""
    return services.cases.handle(
        case_id,
        command,
        _caller(access.user),
        command_key=_key(key, f"board.{name}", fields),
        visible=access.reaches,
    )


# -- queries --------------------------------------------------------------------------


def case_view(
    services: Services, access: Access, case_id: UUID, version: int | None = None
) -> CaseOut:
    """The case now or at a version, as GET /cases/{id} answers it (masked for the role);
    the read is recorded. Out of reach or no such version: CaseNotFound."""
    access.check_case(services.cases.get_case(case_id))  # reach is decided on the case now
    case = services.cases.get_case(case_id, version=version)
    if version is not None and case.version < version:
        raise CaseNotFound(case_id)
    now = datetime.now(UTC)
    time_left = services.cases.time_left(case, now) if version is None else None
    return read_case(services, access.user, case, None, now, time_left)


def history(services: Services, access: Access, case_id: UUID) -> History:
    user = access.user
    access.check_case(services.cases.get_case(case_id))
    entries = services.cases.history(case_id)
    services.reads.record(user.id, user.role, "history", case_id)
    return history_out(case_id, entries, services.settings.zone, user.role, services.users.names)


def case_rows(
    services: Services,
    access: Access,
    *,
    status: list[str] | None = None,
    assignee: str | None = None,
    grid_id: str | None = None,
    overdue: bool | None = None,
    text: str | None = None,
    sort: str = "-received_at",
    limit: int = 100,
    **more: Any,
) -> list[dict[str, Any]]:
    """Rows of the case list read model in the user's reach, with names and time left;
    ``text``: a search (see projections/case_list/search.py); ``more``: other CaseFilter
    fields (light, supervised, open, community_id)."""
    filters = CaseFilter(
        status=status or [],
        assignee=assignee,
        grid_id=grid_id,
        overdue=overdue,
        **more,
        text=query_terms(text) if text else None,
        **access.reach_filter(),
    )
    now = datetime.now(UTC)
    with services.pool.connection() as conn:
        page = list_cases(conn, filters, now=now, sort=sort, limit=limit)
    names = services.users.names(
        [row[f] for row in page.items for f in ("assignee", "first_contact")]
    )
    rows = []
    for row in page.items:
        left = None
        if row["closed_at"] is None:
            recorded = (
                TimeLimit(row["time_limit_amount"], Unit(row["time_limit_unit"]))
                if row["time_limit_unit"]
                else None
            )
            limit_of = services.cases.time_limit_for(row["kind"], row["category"], recorded)
            left = services.cases.time_left_on(row["due_at"], limit_of, row["suspended_since"], now)
        rows.append(
            {
                **row,
                "assignee_name": names.get(row["assignee"] or ""),
                "time_left": left,
                "light": row_light(row, now).value,
            }
        )
    return rows
