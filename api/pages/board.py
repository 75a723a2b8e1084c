"""The micro-wish board's pages (微心愿): ``GET /board``, the public board of an area, and
``/app/board``, where a signed-in claimant claims, fulfils and releases wishes.

The public page needs no sign-in and shows what ``GET /board.json`` answers (no personal
data, see api/board.py). The claimant's page lives under /app so that the workbench's
session cookie (path /app), CSRF token and security headers serve it unchanged.
"""

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.datastructures import FormData

from api.access import Action
from api.board import board_area, claimants_of, claims_of, held_wishes, open_wishes
from api.dependencies import ServicesDep
from api.pages import actions, forms, messages
from api.pages.routes import refused_as_errors, see_other
from api.pages.web import CSP, FormDep, Signed, SignedDep, check_csrf, forbidden, render
from api.routes.board import FulfilWish, NoBody, ReleaseWish
from api.routes.read_models import ReadYourWrites
from domain import commands
from domain.vocabulary import Role
from infra.bootstrap import Services

public = APIRouter(include_in_schema=False)
router = APIRouter(prefix="/app/board", include_in_schema=False)

AreaQuery = Annotated[str | None, Query(max_length=64)]
DONE = {
    "claim": "已认领。感谢您的爱心！",
    "fulfil": "已记录心愿实现。",
    "release": "已取消认领，心愿已回到心愿墙。",
}
Done = Annotated[str | None, Query(max_length=20)]


def _areas(services: Services) -> list[tuple[str, str]]:
    """The communities and grids a visitor can pick, communities first."""
    with services.pool.connection() as conn:
        rows = conn.execute(
            "SELECT id, name FROM casework_areas WHERE level IN ('community', 'grid')"
            " ORDER BY level, name, id"
        ).fetchall()
    return [(row[0], row[1]) for row in rows]


@public.get("/board")
def board_page(request: Request, services: ServicesDep, area: AreaQuery = None) -> Response:
    area = area or None
    with refused_as_errors() as errors:
        grids, area_name = board_area(services, area)
    if errors:
        response = render(
            request,
            "error.html",
            status_code=404,
            title="找不到此社区",
            detail="没有这个社区或网格，请从心愿墙上选择。",
            signed=None,
        )
    else:
        response = render(
            request,
            "board.html",
            signed=None,
            area=area,
            area_name=area_name,
            areas=_areas(services),
            wishes=open_wishes(services, grids, datetime.now(UTC)),
        )
    # Not under /app: the page sets the workbench's headers itself.
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _claimant(signed: Signed) -> Signed:
    if signed.user.role != Role.CLAIMANT:
        raise forbidden()
    return signed


def _mine(
    request: Request,
    services: Services,
    signed: Signed,
    done: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    grids = None if signed.access.grids is None else sorted(signed.access.grids)
    return render(
        request,
        "board_mine.html",
        status_code=status_code,
        signed=signed,
        area=signed.user.area,
        held=held_wishes(services, str(signed.user.id)),
        wishes=open_wishes(services, grids, datetime.now(UTC)),
        done=DONE.get(done or ""),
        error=error,
        form_key=str(uuid4()),
    )


@router.get("/claims", dependencies=[ReadYourWrites])
def claims_page(request: Request, services: ServicesDep, signed: SignedDep) -> Response:
    """The community's view: who claimed which wish, and each claimant's record."""
    signed.require(Action.WISH_CLAIMS)
    return render(
        request,
        "board_claims.html",
        signed=signed,
        claims=claims_of(services, signed.access),
        records=claimants_of(services, signed.access),
    )


@router.get("", dependencies=[ReadYourWrites])
def mine_page(
    request: Request, services: ServicesDep, signed: SignedDep, done: Done = None
) -> Response:
    return _mine(request, services, _claimant(signed), done)


def _act(
    request: Request,
    services: Services,
    signed: Signed,
    form: FormData,
    case_id: UUID,
    name: str,
) -> Response:
    signed = _claimant(signed)
    check_csrf(request, form, signed.session.csrf)
    key = form.get("form_key")
    with refused_as_errors() as errors:
        command: commands.CaseCommand
        if name == "claim":
            command = commands.Claim(
                claimant=str(signed.user.id),
                claimant_type=services.users.claimant_type(signed.user.id) or "",
            )
            body: BaseModel = NoBody()
        elif name == "fulfil":
            body = fulfil = forms.model_form(FulfilWish, form, services.settings.zone)
            assert isinstance(fulfil, FulfilWish)
            command = commands.Fulfil(
                fulfilled_at=datetime.now(UTC), notes=fulfil.notes, photo_url=fulfil.photo_url
            )
        else:
            body = release = forms.model_form(ReleaseWish, form, services.settings.zone)
            assert isinstance(release, ReleaseWish)
            command = commands.ReleaseClaim(reason=release.reason)
        outcome = actions.board_command(
            services,
            signed.access,
            case_id,
            name,
            command,
            body.model_dump(mode="json", exclude_unset=True),
            key if isinstance(key, str) and key else None,
        )
        return see_other(f"/app/board?done={name}&min_position={outcome.position or 0}")
    message = next(iter(errors.values()), messages.rule_message("forbidden"))
    # A field the form got wrong is 422, a rule of the wish's life (already claimed...) 409.
    status = 409 if set(errors) <= {"form"} else 422
    return _mine(request, services, signed, error=message, status_code=status)


@router.post("/{case_id}/{name}")
def act(
    request: Request,
    case_id: UUID,
    name: Annotated[str, Path(pattern="^(claim|fulfil|release)$")],
    services: ServicesDep,
    signed: SignedDep,
    form: FormDep,
) -> Response:
    return _act(request, services, signed, form, case_id, name)
