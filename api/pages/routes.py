"""The workbench's pages under /app: sign-in, intake, dispatch, my queue, the case, history.

Pages are no API routes (include_in_schema=False): they answer HTML, and act through
api.pages.actions with the same gate as the API. A failed form is shown again with its
values and each error in Chinese next to its field.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from api.access import Action
from api.dependencies import ServicesDep
from api.pages import actions, forms, messages
from api.pages.forms import FIELD_MODELS
from api.pages.web import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    FormDep,
    PageError,
    Signed,
    SignedDep,
    check_csrf,
    forbidden,
    new_sign_in_value,
    not_found,
    render,
    same_origin,
    set_cookie,
)
from api.problems import ApiProblem
from api.requests import Assign, text
from domain.application import CaseNotFound, IdempotencyKeyReused, StaleVersion
from domain.errors import DomainError
from domain.time_limits import Light
from domain.vocabulary import Status
from infra.bootstrap import Services

router = APIRouter(prefix="/app", include_in_schema=False)

ACTION_OF = FIELD_MODELS  # each form's command: its request model says who may send it
DONE = {
    "received": "已受理，事项已登记。",
    "assign": "已派单。",
    "visit": "已记录走访。",
    "mediation": "已记录调解。",
    "claim": "已记录认领。",
    "fulfil": "已记录心愿实现。",
    "suspend": "已挂起。",
    "resume": "已恢复办理。",
    "close": "已办结。",
    "sign": "已签收。",
    "send_back": "已退回，等待重新派单。",
    "contact": "已记录联系居民。",
    "escalate": "已上报。",
    "urge": "已催办。",
    "extend": "已延期。",
    "reassign": "已转派。",
    "rate": "已记录回访评价。",
    "reopen": "已发回重办。",
}
# A refusal that is about one field shows next to it; any other above the form.
FIELD_OF_RULE = {
    "duplicate_of_required": "duplicate_of",
    "duplicate_of_not_applicable": "duplicate_of",
    "duplicate_of_itself": "duplicate_of",
    "unknown_original": "duplicate_of",
    "original_is_duplicate": "duplicate_of",
    "wish_not_fulfilled": "resolution",
    "no_mediated_agreement": "resolution",
    "escalation_not_upward": "level",
    "same_assignee": "assignee",
    "extension_not_later": "new_due_at",
    "extension_too_far": "new_due_at",
}
Done = Annotated[str | None, Query(max_length=20)]


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@contextmanager
def refused_as_errors() -> Iterator[dict[str, str]]:
    """Turn what the service layer refuses into a message for the form (key "form")."""
    errors: dict[str, str] = {}
    try:
        yield errors
    except forms.FormInvalid as invalid:
        errors.update(invalid.errors)
    except DomainError as error:
        errors[FIELD_OF_RULE.get(error.code, "form")] = messages.rule_message(
            error.code, error.title
        )
    except StaleVersion:
        errors["form"] = messages.rule_message("stale_version")
    except IdempotencyKeyReused:
        errors["form"] = messages.rule_message("idempotency_key_reused")
    except ApiProblem as problem:
        if problem.status == 403 and problem.code == "forbidden":
            raise forbidden() from None
        field, told = "form", problem.title
        if problem.errors:
            field, told = str(problem.errors[0]["loc"][-1]), problem.errors[0]["message"]
        errors[field] = messages.rule_message(problem.code, told)


# -- signing in -------------------------------------------------------------------------


@router.get("")
def home(signed: SignedDep) -> Response:
    user = signed.user
    if user.role == "clerk":
        return see_other("/app/intake")
    if user.role == "worker":
        return see_other("/app/queue")
    if user.role == "claimant":
        return see_other("/app/board")
    if user.role == "supervisor":
        return see_other("/app/dashboard")
    if signed.may(Action.LIST_CASES):
        return see_other("/app/cases")
    raise forbidden()


@router.get("/login")
def login_page(request: Request) -> Response:
    value = new_sign_in_value()
    response = render(request, "login.html", signed=None, csrf=value, error=None)
    set_cookie(request, response, SIGN_IN_COOKIE, value)
    return response


@router.post("/login")
def login(request: Request, services: ServicesDep, form: FormDep) -> Response:
    check_csrf(request, form, request.cookies.get(SIGN_IN_COOKIE))
    token = form.get("token")
    session_id = actions.sign_in(services, token.strip()) if isinstance(token, str) else None
    if session_id is None:
        value = new_sign_in_value()
        response = render(
            request,
            "login.html",
            status_code=401,
            signed=None,
            csrf=value,
            error=messages.rule_message("bad_token"),
        )
        set_cookie(request, response, SIGN_IN_COOKIE, value)
        return response
    response = see_other("/app")
    set_cookie(request, response, SESSION_COOKIE, session_id)
    response.delete_cookie(SIGN_IN_COOKIE, path="/app")
    return response


def _link_refused(request: Request) -> Response:
    return render(
        request,
        "error.html",
        status_code=410,
        signed=None,
        title="登录链接已失效",
        detail="此登录链接已用过、已过期或不完整（每个链接只能登录一次）。"
        "请向管理员索取新的链接，或用令牌登录。",
        back=("/app/login", "用令牌登录"),
    )


@router.get("/sign-in/link/{secret}")
def sign_in_link_page(request: Request, services: ServicesDep, secret: str) -> Response:
    """A one-time link (casework users link) asks for a click before it is spent, so that a
    chat app fetching the link to preview it does not use it up."""
    if len(secret) > 100 or not actions.sessions(services).link_valid(secret):
        return _link_refused(request)
    value = new_sign_in_value()
    response = render(request, "link.html", signed=None, csrf=value, secret=secret)
    set_cookie(request, response, SIGN_IN_COOKIE, value)
    return response


@router.post("/sign-in/link/{secret}")
def sign_in_by_link(
    request: Request, services: ServicesDep, secret: str, form: FormDep
) -> Response:
    check_csrf(request, form, request.cookies.get(SIGN_IN_COOKIE))
    session_id = None if len(secret) > 100 else actions.sessions(services).open_by_link(secret)
    if session_id is None:
        return _link_refused(request)
    response = see_other("/app")
    set_cookie(request, response, SESSION_COOKIE, session_id)
    response.delete_cookie(SIGN_IN_COOKIE, path="/app")
    return response


@router.post("/logout")
def logout(request: Request, services: ServicesDep, signed: SignedDep, form: FormDep) -> Response:
    check_csrf(request, form, signed.session.csrf)
    actions.sign_out(services, request.cookies[SESSION_COOKIE])
    response = see_other("/app/login")
    response.delete_cookie(SESSION_COOKIE, path="/app")
    return response


# -- the clerk at the window ------------------------------------------------------------


def _intake_page(
    request: Request,
    services: Services,
    signed: Signed,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "intake.html",
        status_code=status_code,
        signed=signed,
        grids=actions.grids_of(services, signed.access),
        values=values or {},
        errors=errors or {},
        form_key=str(uuid4()),
        party_rows=range(forms.PARTY_ROWS),
    )


@router.get("/intake")
def intake_page(request: Request, services: ServicesDep, signed: SignedDep) -> Response:
    signed.require(Action.RECEIVE)
    return _intake_page(request, services, signed)


@router.post("/intake")
def intake(request: Request, services: ServicesDep, signed: SignedDep, form: FormDep) -> Response:
    signed.require(Action.RECEIVE)
    check_csrf(request, form, signed.session.csrf)
    key = form.get("form_key")
    with refused_as_errors() as errors:
        body = forms.intake(form)
        filed = actions.receive(
            services, signed.access, body, key if isinstance(key, str) and key else None
        )
        return see_other(f"/app/cases/{filed.case_id}?done=received")
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    return _intake_page(request, services, signed, values, errors, status_code=422)


@router.get("/dispatch")
def dispatch(
    request: Request, services: ServicesDep, signed: SignedDep, done: Done = None
) -> Response:
    signed.require(Assign)
    rows = actions.case_rows(services, signed.access, status=["received"], sort="received_at")
    handlers: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row["grid_id"] not in handlers:
            handlers[row["grid_id"]] = actions.handlers_of_grid(services, row["grid_id"])
    return render(
        request,
        "dispatch.html",
        signed=signed,
        rows=rows,
        handlers=handlers,
        done=DONE.get(done or ""),
        new_key=lambda: str(uuid4()),
    )


@router.post("/cases/{case_id}/assign")
def assign(
    request: Request, case_id: UUID, services: ServicesDep, signed: SignedDep, form: FormDep
) -> Response:
    signed.require(Assign)
    check_csrf(request, form, signed.session.csrf)
    assignee, key = form.get("assignee"), form.get("form_key")
    if not isinstance(assignee, str) or not assignee:
        raise PageError(422, "未选择承办人", "请选择一位网格员后再派单。")
    with refused_as_errors() as errors, _case_found():
        actions.assign(
            services, signed.access, case_id, assignee, key if isinstance(key, str) else None
        )
        back = form.get("back")
        if back == "case":
            return see_other(f"/app/cases/{case_id}?done=assign")
        return see_other("/app/dispatch?done=assign")
    raise PageError(409, "未能派单", next(iter(errors.values())))


# -- the grid worker --------------------------------------------------------------------


@router.get("/queue")
def queue(request: Request, services: ServicesDep, signed: SignedDep) -> Response:
    if signed.user.role not in ("worker", "supervisor"):
        raise forbidden()
    rows = actions.case_rows(
        services,
        signed.access,
        status=actions.OPEN_STATUSES,
        assignee=str(signed.user.id),
        sort="due_at",
        limit=500,
    )
    # By time left, not by deadline: a suspended case's clock stands still.
    rows.sort(key=lambda row: row["time_left"].hours if row["time_left"] else float("inf"))
    return render(request, "queue.html", signed=signed, rows=rows)


@router.get("/cases")
def case_list(
    request: Request,
    services: ServicesDep,
    signed: SignedDep,
    case_id: Annotated[str | None, Query(max_length=100)] = None,
    q: Annotated[text(100, min_length=0) | None, Query()] = None,
    status: Annotated[text(20, min_length=0) | None, Query()] = None,
    grid_id: Annotated[text(64, min_length=0) | None, Query()] = None,
    assignee: Annotated[text(64, min_length=0) | None, Query()] = None,
    overdue: bool | None = None,
    light: Annotated[text(10, min_length=0) | None, Query()] = None,
    supervised: bool | None = None,
    open_: Annotated[bool | None, Query(alias="open")] = None,
    community_id: Annotated[text(64, min_length=0) | None, Query()] = None,
) -> Response:
    """The list, filtered as the dashboard's counts link to it (a form's empty field, or a
    status no case has, filters nothing); ``open``: the cases not closed."""
    q, grid_id, assignee = q or None, grid_id or None, assignee or None
    status = status if status in set(Status) else None
    light = light if light in set(Light) else None
    signed.require(Action.LIST_CASES)
    if case_id:
        try:
            return see_other(f"/app/cases/{UUID(case_id.strip())}")
        except ValueError:
            pass
    filters = {"q": q, "status": status, "grid_id": grid_id, "assignee": assignee}
    rows = actions.case_rows(
        services,
        signed.access,
        status=[status] if status else None,
        grid_id=grid_id,
        assignee=assignee,
        overdue=overdue,
        text=q,
        limit=50,
        light=light,
        supervised=supervised,
        open=open_,
        community_id=community_id or None,
    )
    more = {"light": light, "supervised": supervised, "open": open_}
    return render(
        request,
        "cases.html",
        signed=signed,
        rows=rows,
        searched=case_id,
        filters={**filters, "overdue": overdue, **more, "community_id": community_id or None},
    )


@contextmanager
def _case_found() -> Iterator[None]:
    try:
        yield
    except CaseNotFound:
        raise not_found() from None


def _available(case: Any, signed: Signed) -> list[str]:
    """The forms the case's state and the user's role allow, in the order work goes (the
    domain's rules decide in the end; this only leaves out what they would refuse)."""
    open_ = case.status not in ("closed", "rated")
    suspended = case.status == "suspended"
    active = open_ and not suspended
    handled = open_ and case.assignee is not None
    mine = handled and case.assignee == str(signed.user.id)
    wish = case.kind == "micro_wish"
    offered = {
        "sign": mine and case.signed_for_at is None,
        "send_back": mine and case.signed_for_at is None,
        "contact": handled,
        "visit": active and handled,
        "mediation": active and handled and case.kind == "dispute",
        "claim": active and wish and case.claim is None,
        "fulfil": active and wish and case.claim is not None and case.fulfilled_at is None,
        "close": active and handled,
        "suspend": active,
        "resume": suspended,
        "escalate": active and case.level != "street",
        "urge": open_,
        "extend": active and not case.overdue,
        "reassign": handled,
        "rate": case.status == "closed",
        "reopen": not open_,
    }
    return [name for name in messages.ACTIONS if offered[name] and signed.may(ACTION_OF[name])]


def _case_page(
    request: Request,
    services: Services,
    signed: Signed,
    case_id: UUID,
    *,
    done: str | None = None,
    open_form: str | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    signed.require(Action.READ_CASE)
    with _case_found():
        case = actions.case_view(services, signed.access, case_id)
    handlers = []
    if case.status == "received" and signed.may(Assign):
        handlers = actions.handlers_of_grid(services, case.grid_id)
    available = _available(case, signed)
    workers = []  # whom the case may be handed on to: the grid's other workers
    if "reassign" in available:
        workers = [
            p
            for p in actions.handlers_of_grid(services, case.grid_id, ("worker",))
            if p["id"] != case.assignee
        ]
    return render(
        request,
        "case.html",
        status_code=status_code,
        signed=signed,
        case=case,
        grid_name=actions.area_name(services, case.grid_id),
        available=available,
        handlers=handlers,
        workers=workers,
        done=DONE.get(done or ""),
        open_form=open_form,
        values=values or {},
        errors=errors or {},
        form_key=str(uuid4()),
        now_local=_now_local(services),
    )


def _now_local(services: Services) -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).astimezone(services.settings.zone).strftime("%Y-%m-%dT%H:%M")


@router.get("/cases/{case_id}")
def case_page(
    request: Request, case_id: UUID, services: ServicesDep, signed: SignedDep, done: Done = None
) -> Response:
    return _case_page(request, services, signed, case_id, done=done)


@router.post("/cases/{case_id}/{name}")
def case_command(
    request: Request,
    case_id: UUID,
    name: str,
    services: ServicesDep,
    signed: SignedDep,
    form: FormDep,
) -> Response:
    if name not in ACTION_OF:
        raise not_found()
    signed.require(ACTION_OF[name])
    check_csrf(request, form, signed.session.csrf)
    key = form.get("form_key")
    # An extension is approved by the supervisor who records it.
    given = {"approved_by": str(signed.user.id)} if name == "extend" else None
    with refused_as_errors() as errors, _case_found():
        body = forms.field_command(name, form, services.settings.zone, given)
        actions.command(
            services,
            signed.access,
            case_id,
            name,
            body,
            key if isinstance(key, str) and key else None,
        )
        return see_other(f"/app/cases/{case_id}?done={name}")
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    return _case_page(
        request,
        services,
        signed,
        case_id,
        open_form=name,
        values=values,
        errors=errors,
        status_code=422,
    )


# -- the auditor ------------------------------------------------------------------------


@router.get("/cases/{case_id}/history")
def history_page(
    request: Request, case_id: UUID, services: ServicesDep, signed: SignedDep
) -> Response:
    signed.require(Action.READ_HISTORY)
    with _case_found():
        history = actions.history(services, signed.access, case_id)
    return render(request, "history.html", signed=signed, history=history, case_id=case_id)


@router.get("/cases/{case_id}/versions/{version}")
def version_page(
    request: Request, case_id: UUID, version: int, services: ServicesDep, signed: SignedDep
) -> Response:
    signed.require(Action.READ_CASE)
    if not 1 <= version <= 10**9:
        raise not_found()
    with _case_found():
        latest = actions.case_view(services, signed.access, case_id).version
        case = actions.case_view(services, signed.access, case_id, version=version)
    return render(
        request,
        "version.html",
        signed=signed,
        case=case,
        grid_name=actions.area_name(services, case.grid_id),
        latest=latest,
        may_history=signed.may(Action.READ_HISTORY),
    )


__all__ = ["router", "same_origin"]
