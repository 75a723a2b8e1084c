"""The routes of /open311/v2/: discovery, services, and filing and following requests.

A client system (role ``client``) sends its token as ``api_key`` (or as the password of HTTP
Basic auth, for clients that can only put it in the URL). It reads the requests whose first
contact it is: those it filed itself. Nothing personal leaves: no name, phone, address or
description, only what the service and the community do with the matter."""

import base64
import binascii
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

from asgi_correlation_id import correlation_id
from fastapi import APIRouter, Depends, FastAPI, Form, Query, Request, Response
from pydantic import TypeAdapter, ValidationError

from api.access import Access
from api.dependencies import ServicesDep
from api.intake import file_case
from api.open311 import catalogue, updates
from api.open311.formats import PREFIX, Open311Error, answer, error_answer, spec_status
from api.requests import Intake
from api.routes.read_models import read_your_writes
from domain.application import Caller
from domain.case import Case
from domain.vocabulary import Role, Status
from infra.bootstrap import Services
from infra.users import User
from projections.case_list.queries import CaseFilter, list_cases, status_changes

router = APIRouter(prefix=PREFIX, include_in_schema=False)

WINDOW = timedelta(days=90)  # the spec's default and widest window of requested_datetime
MOST_ROWS = 10_000  # page * page_size: paging reaches this far into a window
OPEN = [s.value for s in Status if s not in (Status.CLOSED, Status.RATED)]
CLOSED = [Status.CLOSED.value, Status.RATED.value]
ANONYMOUS = "未留名"  # the resident's name when the client sends none

Jurisdiction = Annotated[str | None, Query(description="accepted and ignored: one jurisdiction")]
Format = Annotated[str | None, Query(alias="format", pattern="^(json|xml)$")]
ApiKey = Annotated[str | None, Query()]


@dataclass
class Slice:
    """The window of ``start_date``..``end_date`` and a page of it (the paging extension most
    servers share: ``page`` from 1, the spec's limit of 1000 a page), for lists of either."""

    start_date: Annotated[datetime | None, Query()] = None
    end_date: Annotated[datetime | None, Query()] = None
    page: Annotated[int, Query(ge=1)] = 1
    page_size: Annotated[int, Query(ge=1, le=1000)] = 1000

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    def check(self) -> None:
        if self.page * self.page_size > MOST_ROWS:
            raise Open311Error(400, f"page * page_size may reach {MOST_ROWS} rows at most")


SliceDep = Annotated[Slice, Depends()]


def _spec_reads(jurisdiction_id: Jurisdiction = None, response_format: Format = None) -> None:
    """The queries every read of the spec may carry: its jurisdiction (accepted and ignored:
    there is one) and its format (checked here; ``answer`` reads it from the request)."""


READS = [Depends(_spec_reads)]


def _route(
    path: str,
    methods: list[str],
    endpoint: Callable[..., Any],
    dependencies: list[Any] | None = None,
) -> None:
    """The path as the spec writes it (``.json``, ``.xml``) and without a suffix."""
    for suffix in ("", ".json", ".xml"):
        router.add_api_route(path + suffix, endpoint, methods=methods, dependencies=dependencies)


def _without_suffix(name: str) -> str:
    for suffix in (".json", ".xml"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


# -- who is calling ---------------------------------------------------------------


def _basic_password(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        return base64.b64decode(value).decode().partition(":")[2] or None
    except (binascii.Error, UnicodeDecodeError):
        return None


def client_of(services: Services, request: Request, api_key: str | None) -> User:
    key = api_key or _basic_password(request)
    if not key:
        raise Open311Error(403, "api_key is required: a client system's token")
    user = services.users.authenticate(key)
    if user is None:
        raise Open311Error(403, "the api_key is unknown, revoked or expired")
    if user.role != Role.CLIENT:
        raise Open311Error(403, "the api_key is not a client system's (role client)")
    return user


def _calling_client(request: Request, services: ServicesDep, api_key: ApiKey = None) -> User:
    return client_of(services, request, api_key)


# The client system a GET comes from (its api_key in the query, or HTTP Basic auth).
ClientDep = Annotated[User, Depends(_calling_client)]


def access_of(services: Services, user: User) -> Access:
    if user.area is None:
        return Access(user=user, grids=None)
    return Access(user=user, grids=frozenset(services.areas.grids_within(user.area)))


# -- discovery and services ----------------------------------------------------------


def discovery(request: Request, response_format: Format = None) -> Response:
    base = str(request.base_url).rstrip("/") + PREFIX
    body = {
        "changeset": "2026-11-29T00:00:00+08:00",
        "contact": "the community social-work centre running this service",
        "key_service": "an api_key is a client system's token: `casework users add --role client`",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base,
                "changeset": "2026-11-29T00:00:00+08:00",
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return answer(request, "discovery", body)


def services_list(request: Request) -> Response:
    return answer(request, "services", catalogue.services())


def service_definition(
    request: Request,
    code: str,
) -> Response:
    code = _without_suffix(code)
    if code not in catalogue.SERVICES:
        raise Open311Error(404, f"no service {code}; see services for the codes")
    return answer(request, "service_definition", catalogue.definition(code))


_route("/discovery", ["GET"], discovery)
_route("/services", ["GET"], services_list, READS)
router.add_api_route("/services/{code}", service_definition, methods=["GET"], dependencies=READS)


# -- filing ------------------------------------------------------------------------

_intake = TypeAdapter(Intake)

# Where the intake's fields came from, to name them in an error as the client sent them.
FIELDS = {
    "grid_id": "attribute[grid_id]",
    "resident.name": "first_name/last_name",
    "resident.phone": "phone",
    "resident.address": "address_string",
    "title": "description",
    "description": "description",
    "parties.0.name": "first_name/last_name",
    "parties.0.phone": "phone",
    "parties.0.address": "address_string",
    "parties.1.name": "attribute[other_party]",
}


def _title(description: str) -> str:
    lines = description.strip().splitlines()
    return lines[0].strip()[:40] if lines else ""


def _intake_of(code: str, form: dict[str, str | None]) -> Any:
    kind, category = catalogue.SERVICES[code]
    name = "".join(filter(None, (form["last_name"], form["first_name"]))) or ANONYMOUS
    resident = {"name": name, "phone": form["phone"], "address": form["address_string"]}
    resident = {key: value for key, value in resident.items() if value}
    body: dict[str, Any] = {
        "kind": kind,
        "category": category,
        "channel": "api",
        "title": _title(form["description"] or ""),
        "description": form["description"] or "",
        "grid_id": form["grid_id"] or "",
        "resident": resident,
    }
    if kind == "dispute":
        other = {"name": form["other_party"] or "", "role": "respondent"}
        body["parties"] = [{**resident, "role": "applicant"}, other]
    try:
        return _intake.validate_python(body)
    except ValidationError as error:
        told = []
        for item in error.errors()[:5]:
            where = ".".join(str(part) for part in item["loc"][1:])
            told.append(f"{FIELDS.get(where, where)}: {item['msg']}")
        raise Open311Error(400, "; ".join(told)) from None


def _grid_of(
    services: Services, address: str | None, lat: float | None, longitude: float | None
) -> str:
    """The grid of the point, else of the address, in the mapping an administrator loaded
    (infra/places.py); a clear error when neither names one grid."""
    if (lat is None) != (longitude is None):
        raise Open311Error(400, "lat and long go together: send both, or neither")
    told = []
    if lat is not None and longitude is not None:
        found = services.places.by_point(lat, longitude)
        if found.grid_id:
            return found.grid_id
        told.append(_not_found("lat/long", found.grids))
    if address:
        found = services.places.by_address(address)
        if found.grid_id:
            return found.grid_id
        told.append(_not_found("address_string", found.grids))
    if not told:
        told.append("no attribute[grid_id], address_string or lat/long")
    raise Open311Error(
        400, "no grid for this request: " + "; ".join(told) + "; send attribute[grid_id]"
    )


def _not_found(what: str, grids: tuple[str, ...]) -> str:
    if grids:
        return f"{what} matches grids {', '.join(grids)} equally"
    return f"{what} matches no grid"


def post_request(
    request: Request,
    services: ServicesDep,
    api_key: Annotated[str | None, Form()] = None,
    service_code: Annotated[str | None, Form()] = None,
    description: Annotated[str | None, Form()] = None,
    address_string: Annotated[str | None, Form()] = None,
    first_name: Annotated[str | None, Form()] = None,
    last_name: Annotated[str | None, Form()] = None,
    phone: Annotated[str | None, Form()] = None,
    email: Annotated[str | None, Form()] = None,  # accepted; the service keeps no e-mail
    lat: Annotated[float | None, Form(ge=-90, le=90)] = None,
    longitude: Annotated[float | None, Form(alias="long", ge=-180, le=180)] = None,
    grid_id: Annotated[str | None, Form(alias="attribute[grid_id]")] = None,
    other_party: Annotated[str | None, Form(alias="attribute[other_party]")] = None,
    response_format: Format = None,
) -> Response:
    user = client_of(services, request, api_key)
    if not service_code:
        raise Open311Error(400, "service_code is required; see services for the codes")
    if service_code not in catalogue.SERVICES:
        raise Open311Error(400, f"unknown service_code {service_code}; see services")
    if not grid_id:
        grid_id = _grid_of(services, address_string, lat, longitude)
    form = {
        "description": description,
        "address_string": address_string,
        "first_name": first_name,
        "last_name": last_name,
        "phone": phone,
        "grid_id": grid_id,
        "other_party": other_party,
    }
    intake = _intake_of(service_code, form)
    caller = Caller(str(user.id), user.role, correlation_id.get() or "")
    outcome = file_case(
        services, access_of(services, user), intake, caller, None, ["attribute[grid_id]"]
    )
    response = answer(request, "requests", [{"service_request_id": str(outcome.case.id)}], 201)
    # Where the read models must be for GET requests to list it (X-Min-Position).
    response.headers["X-Position"] = str(outcome.position)
    return response


_route("/requests", ["POST"], post_request)


# -- following ----------------------------------------------------------------------


def _moment(services: Services, value: datetime) -> str:
    return value.astimezone(services.settings.zone).isoformat()


def _request_out(
    services: Services, row: dict[str, Any], notes: str | None, community: str | None
) -> dict[str, Any]:
    code = f"{row['kind']}.{row['category']}"
    return {
        "service_request_id": str(row["id"]),
        "status": "open" if row["closed_at"] is None else "closed",
        "status_notes": notes,
        "service_name": catalogue.service_name(code) if code in catalogue.SERVICES else None,
        "service_code": code,
        "agency_responsible": community,
        "requested_datetime": _moment(services, row["received_at"]),
        "updated_datetime": _moment(services, row["updated_at"]),
        "expected_datetime": _moment(services, row["due_at"]),
    }


def _case_row(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "kind": str(case.kind),
        "category": str(case.category),
        "closed_at": case.closed_at,
        "received_at": case.received_at,
        "updated_at": case.modified_on,
        "due_at": case.due_at,
    }


def get_request(
    request: Request,
    services: ServicesDep,
    user: ClientDep,
    request_id: str,
) -> Response:
    """From the case itself: a request just filed is there at once."""
    raw = _without_suffix(request_id)
    missing = Open311Error(404, f"no service request {raw}")
    try:
        case = services.cases.get_case(UUID(raw))
    except Exception as error:  # an id that is no UUID, or no case: both unknown
        raise missing from error
    if case.first_contact != str(user.id):
        raise missing  # another system's matter is not disclosed
    community = services.areas.community_names([case.grid_id]).get(case.grid_id)
    out = _request_out(services, _case_row(case), case.closure_summary, community)
    return answer(request, "requests", [out])


def _window(
    services: Services, start: datetime | None, end: datetime | None
) -> tuple[datetime, datetime]:
    zone = services.settings.zone
    start, end = (m.replace(tzinfo=zone) if m and m.tzinfo is None else m for m in (start, end))
    if end is None:
        end = (start + WINDOW) if start is not None else datetime.now(UTC)
    if start is None:
        start = end - WINDOW
    if end < start or end - start > WINDOW:
        raise Open311Error(400, "start_date to end_date must span at most 90 days, in order")
    return start, end


def get_requests(
    request: Request,
    services: ServicesDep,
    _caught_up: Annotated[None, Depends(read_your_writes)],
    user: ClientDep,
    service_request_id: Annotated[str | None, Query()] = None,
    service_code: Annotated[str | None, Query()] = None,
    status: Annotated[str | None, Query(pattern="^(open|closed)(,(open|closed))*$")] = None,
    *,
    paging: SliceDep,
) -> Response:
    paging.check()
    mine = CaseFilter(first_contact=str(user.id))
    if service_request_id:
        # The spec: a list of ids overrides every other filter.
        ids = []
        for raw in service_request_id.split(","):
            try:
                ids.append(UUID(raw.strip()))
            except ValueError:
                continue  # no such request
        filters = [CaseFilter(first_contact=mine.first_contact, ids=ids)]
    else:
        start, end = _window(services, paging.start_date, paging.end_date)
        wanted = sorted(set((status or "open,closed").split(",")))
        statuses = (OPEN if "open" in wanted else []) + (CLOSED if "closed" in wanted else [])
        codes = service_code.split(",") if service_code else [None]
        for code in codes:
            if code is not None and code not in catalogue.SERVICES:
                raise Open311Error(400, f"unknown service_code {code}; see services")
        filters = [
            CaseFilter(
                first_contact=mine.first_contact,
                kind=catalogue.SERVICES[code][0] if code else None,
                category=catalogue.SERVICES[code][1] if code else None,
                status=statuses,
                received_from=start,
                received_before=end,
            )
            for code in codes
        ]
    limit = paging.offset + paging.page_size
    rows: list[dict[str, Any]] = []
    with services.pool.connection() as conn:
        for wanted_filter in filters:
            rows += list_cases(conn, wanted_filter, now=datetime.now(UTC), limit=limit).items
    rows.sort(key=lambda row: (row["received_at"], str(row["id"])), reverse=True)
    rows = rows[paging.offset : limit]
    communities = services.areas.community_names(sorted({row["grid_id"] for row in rows}))
    out = []
    for row in rows:
        # The closure's summary is kept by the case, not the list: read for closed ones only.
        notes = None
        if row["closed_at"] is not None:
            notes = services.cases.get_case(row["id"]).closure_summary
        out.append(_request_out(services, row, notes, communities.get(row["grid_id"])))
    return answer(request, "requests", out)


_route("/requests", ["GET"], get_requests, READS)
router.add_api_route("/requests/{request_id}", get_request, methods=["GET"], dependencies=READS)


def get_updates(
    request: Request,
    services: ServicesDep,
    _caught_up: Annotated[None, Depends(read_your_writes)],
    user: ClientDep,
    paging: SliceDep,
) -> Response:
    """FixMyStreet's feed: the status changes of the client's requests, oldest first, made in
    [start_date, end_date) (default: the last 90 days; at most 90 days apart)."""
    paging.check()
    start, end = _window(services, paging.start_date, paging.end_date)
    with services.pool.connection() as conn:
        changes = status_changes(
            conn, str(user.id), start, end, limit=paging.page_size, offset=paging.offset
        )
    out = [updates.update_out(c, _moment(services, c["changed_at"])) for c in changes]
    return answer(request, "updates", out)


_route("/servicerequestupdates", ["GET"], get_updates, READS)


# -- errors as the spec says, on these paths only -------------------------------------


def _ours(request: Request) -> bool:
    path = request.url.path
    return path == PREFIX or path.startswith(PREFIX + "/")


def _spec_errors(handler: Callable[..., Any]) -> Callable[..., Any]:
    """The service's answer to an error, told as the spec's error list on these paths."""

    async def handle(request: Request, exc: Exception) -> Response:
        result: Response = handler(request, exc)
        if inspect.isawaitable(result):
            result = await result
        if not _ours(request):
            return result
        try:
            problem = json.loads(bytes(result.body))
            description = problem.get("detail") or problem.get("title") or "error"
        except (ValueError, AttributeError):
            description = "error"
        return error_answer(request, spec_status(result.status_code), description)

    return handle


def install(app: FastAPI) -> None:
    """The routes, and the spec's errors on them; after every other error handler."""

    async def open311_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Open311Error)
        return error_answer(request, exc.status, exc.description)

    for key, handler in list(app.exception_handlers.items()):
        app.exception_handlers[key] = _spec_errors(handler)
    app.add_exception_handler(Open311Error, open311_error)
    app.include_router(router)
