"""The micro-wish board (微心愿) over HTTP: the public list of open wishes, a claimant's
claim, fulfilment and release, and the community's view of who claimed what.

``GET /board.json`` needs no token; the claimant's routes take a ``claimant`` token (and
nothing else does); the claims and the claimants' records are for supervisors, auditors
and administrators of the area. What the board shows of a wish: see api/board.py.
"""

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from api.access import AccessDep, Authorized, loaded_case
from api.board import (
    board_area,
    claimants_of,
    claims_of,
    held_wishes,
    open_wishes,
    public_title,
)
from api.date_windows import PAST_WINDOW, PastMoment
from api.dependencies import CallerDep, ServicesDep
from api.i18n import _
from api.local_time import LocalTime
from api.problems import PROBLEM_RESPONSES, ApiProblem
from api.requests import LongText, Reason, Strict, WebLink
from api.routes.commands import IdempotencyKey, keyed
from api.routes.read_models import ReadYourWrites
from domain import commands
from domain.application import Caller
from infra.bootstrap import Services

public = APIRouter(tags=["micro-wish board"], responses=PROBLEM_RESPONSES)
router = APIRouter(
    prefix="/board",
    tags=["micro-wish board"],
    responses=PROBLEM_RESPONSES,
    dependencies=[Authorized],
)

AreaQuery = Annotated[
    str | None,
    Query(
        max_length=64,
        description="a street, community or grid id; without it, the whole city's board",
    ),
]


class WishOut(BaseModel):
    """What the board shows of any wish: never the description, the resident, the parties."""

    id: UUID = Field(description="the case id, to claim it")
    title: str = Field(
        description="as staff recorded it; the category's words instead when it may name the "
        "resident (their recorded name, phone, address, a long number, a door number)"
    )
    category: str
    category_name: str = Field(examples=["物品类"])
    grid_id: str
    grid_name: str


class BoardWishOut(WishOut):
    received_at: LocalTime
    waited_days: int = Field(description="calendar days since the day it was received")
    waited_working_days: int = Field(description="working days since the day it was received")


class BoardOut(BaseModel):
    area: str | None
    area_name: str | None
    wishes: list[BoardWishOut] = Field(description="open to a claim, the longest waiting first")


def board(services: Services, area: str | None) -> BoardOut:
    grids, name = board_area(services, area)
    wishes = open_wishes(services, grids, datetime.now(UTC))
    return BoardOut(
        area=area,
        area_name=name,
        wishes=[BoardWishOut(**w) for w in wishes],
    )


@public.get(
    "/board.json",
    summary="The micro-wish board: open wishes of an area (public, no token)",
    description="The micro-wishes (微心愿) open to a claim (not claimed, suspended or closed) "
    "in the area, the longest waiting first: title, category, grid and how long each has "
    "waited. No personal data: never the description, the resident or the parties. "
    "Needs no token. The page for people is `GET /board`. `min_position` waits for the "
    "read models as on `GET /cases`.",
    dependencies=[ReadYourWrites],
)
def get_board(services: ServicesDep, response: Response, area: AreaQuery = None) -> BoardOut:
    response.headers["Cache-Control"] = "no-cache"
    return board(services, area)


class HeldWishOut(WishOut):
    claimed_at: LocalTime
    fulfilled_at: LocalTime | None
    photo_url: str | None


class HeldOut(BaseModel):
    items: list[HeldWishOut] = Field(description="the latest claimed first")


@router.get(
    "/mine",
    summary="The micro-wishes the claimant holds",
    description="Claimants only. From the claims read model: pass a command's `position` as "
    "`min_position` to see a claim made a moment ago.",
    dependencies=[ReadYourWrites],
)
def get_held(services: ServicesDep, access: AccessDep) -> HeldOut:
    rows = held_wishes(services, str(access.user.id))
    return HeldOut(items=[HeldWishOut(**row) for row in rows])


class WishActionOut(BaseModel):
    id: UUID
    title: str
    category: str
    grid_id: str
    status: str = Field(description="received or assigned (open again), claimed, fulfilled")
    claimed: bool
    fulfilled_at: LocalTime | None
    version: int
    position: int | None = Field(description="pass it as min_position to GET /board/mine")


class FulfilWish(Strict):
    notes: LongText = Field(description="what was done (心愿实现情况)")
    photo_url: WebLink | None = Field(
        default=None, description="a link (http or https) to a photo of the wish fulfilled"
    )
    fulfilled_at: PastMoment | None = Field(default=None, description=f"default now; {PAST_WINDOW}")


class ReleaseWish(Strict):
    reason: Reason | None = Field(default=None, description="why (optional)")


def _act(
    services: Services,
    request: Request,
    access: Any,
    caller: Caller,
    case_id: UUID,
    command: commands.CaseCommand,
    key: str | None,
    name: str,
    body: BaseModel,
) -> WishActionOut:
    outcome = services.cases.handle(
        case_id,
        command,
        caller,
        command_key=keyed(key, f"board.{name}", body),
        visible=access.reaches,
        loaded=loaded_case(request),
    )
    case = outcome.case
    return WishActionOut(
        id=case.id,
        title=public_title(services, case.id, case.title, case.category),
        category=case.category,
        grid_id=case.grid_id,
        status=case.status,
        claimed=getattr(case, "claim", None) is not None,
        fulfilled_at=getattr(case, "fulfilled_at", None),
        version=case.version,
        position=outcome.position,
    )


class NoBody(Strict):
    pass


@router.post(
    "/wishes/{case_id}/claim",
    summary="Claim a micro-wish (认领), as the calling claimant",
    description="Claimants only. The claimant is the caller, recorded with the claimant type "
    "of their account (party_member, volunteer, organisation). 409 `already_claimed` when "
    "someone holds it.",
)
def claim(
    request: Request,
    case_id: UUID,
    services: ServicesDep,
    access: AccessDep,
    caller: CallerDep,
    idempotency_key: IdempotencyKey = None,
) -> WishActionOut:
    claimant_type = services.users.claimant_type(access.user.id)
    if claimant_type is None:  # only `users add --role claimant --claimant-type` makes one
        raise ApiProblem(
            403, "forbidden", _("Not allowed for your role"), _("the account has no claimant type")
        )
    command = commands.Claim(claimant=str(access.user.id), claimant_type=claimant_type)
    return _act(
        services, request, access, caller, case_id, command, idempotency_key, "claim", NoBody()
    )


@router.post(
    "/wishes/{case_id}/fulfil",
    summary="Mark a micro-wish the claimant holds as fulfilled",
    description="Claimants only, on a wish they hold (409 `not_the_claimant` otherwise), with "
    "a note and an optional photo link.",
)
def fulfil(
    request: Request,
    case_id: UUID,
    body: FulfilWish,
    services: ServicesDep,
    access: AccessDep,
    caller: CallerDep,
    idempotency_key: IdempotencyKey = None,
) -> WishActionOut:
    command = commands.Fulfil(
        fulfilled_at=body.fulfilled_at or datetime.now(UTC),
        notes=body.notes,
        photo_url=body.photo_url,
    )
    return _act(
        services, request, access, caller, case_id, command, idempotency_key, "fulfil", body
    )


@router.post(
    "/wishes/{case_id}/release",
    summary="Release a micro-wish the claimant holds (取消认领)",
    description="Claimants only, on a wish they hold (409 `not_the_claimant`), not once "
    "fulfilled (409 `release_after_fulfilment`); the wish is open to claims again.",
)
def release(
    request: Request,
    case_id: UUID,
    body: ReleaseWish,
    services: ServicesDep,
    access: AccessDep,
    caller: CallerDep,
    idempotency_key: IdempotencyKey = None,
) -> WishActionOut:
    command = commands.ReleaseClaim(reason=body.reason)
    return _act(
        services, request, access, caller, case_id, command, idempotency_key, "release", body
    )


class ClaimOut(BaseModel):
    claim_id: int = Field(description="the position of the Claimed event")
    case_id: UUID
    title: str
    category: str
    grid_id: str
    claimant: str
    claimant_name: str | None
    claimant_type: str
    claimed_at: LocalTime
    claimed_by: str = Field(description="who recorded it: the claimant, or a worker for them")
    released_at: LocalTime | None
    released_by: str | None
    released_by_name: str | None
    release_reason: str | None
    fulfilled_at: LocalTime | None
    photo_url: str | None


class ClaimsOut(BaseModel):
    items: list[ClaimOut] = Field(description="newest first, at most 500")


class ClaimantRecord(BaseModel):
    claimant: str
    claimant_name: str | None
    claimant_type: str
    claims: int
    released: int
    held: int = Field(description="claims standing now, not yet fulfilled")
    fulfilled: int = Field(description="wishes fulfilled under their claims")
    last_claimed_at: LocalTime
    valid_callbacks: int = Field(description="residents' call-backs on wishes they fulfilled")
    satisfied: int
    basically_satisfied: int
    dissatisfied: int
    solved: int
    satisfaction_rate: float | None = Field(
        description="(satisfied + basically satisfied) / valid call-backs; null without any"
    )


class ClaimantsOut(BaseModel):
    items: list[ClaimantRecord] = Field(description="most wishes fulfilled first")


Since = Annotated[datetime | None, Query(description="only claims made at or after this moment")]


@router.get(
    "/claims",
    summary="Who claimed which micro-wish, when, and how each claim ended",
    description="Supervisors, auditors and administrators, for the wishes of their area: "
    "every claim with its release (when, by whom, why) or fulfilment. From a read model "
    "(`min_position` waits for it).",
    dependencies=[ReadYourWrites],
)
def get_claims(services: ServicesDep, access: AccessDep, since: Since = None) -> ClaimsOut:
    return ClaimsOut(items=[ClaimOut(**row) for row in claims_of(services, access, since)])


@router.get(
    "/claimants",
    summary="Each claimant's record: claims, releases, wishes fulfilled, residents' verdicts",
    description="Supervisors, auditors and administrators, over the wishes of their area. "
    "The verdicts are the call-backs (回访) on the wishes fulfilled under the claimant's "
    "claim. From a read model (`min_position` waits for it).",
    dependencies=[ReadYourWrites],
)
def get_claimants(services: ServicesDep, access: AccessDep) -> ClaimantsOut:
    return ClaimantsOut(items=[ClaimantRecord(**row) for row in claimants_of(services, access)])
