"""Who the caller is, and who else works in their area: names for the ids in every answer."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.access import AccessDep, Authorized
from api.dependencies import ServicesDep
from api.local_time import LocalTime
from api.problems import PROBLEM_RESPONSES
from domain.vocabulary import Role

router = APIRouter(tags=["people"], responses=PROBLEM_RESPONSES, dependencies=[Authorized])


class UserIdentity(BaseModel):
    """Who a user is, as both answers name them."""

    id: UUID
    name: str
    role: str


class Me(UserIdentity):
    area: str | None = Field(description="a street, community or grid id; null: the whole city")
    area_name: str | None = Field(description="the area's name (null for the whole city)")
    token_expires_at: LocalTime | None = Field(description="null: the token does not expire")


class Person(UserIdentity):
    area: str | None = Field(description="null: the whole city")
    active: bool = Field(description="false once the user's token is revoked or has expired")


class Directory(BaseModel):
    items: list[Person]


@router.get("/me", summary="Who you are: your id, name, role, area and token expiry")
def get_me(services: ServicesDep, access: AccessDep) -> Me:
    user = access.user
    profile = services.users.profile(user.id)
    zone = services.settings.zone
    expires_at = profile.expires_at if profile is not None else None
    return Me(
        id=user.id,
        name=user.name,
        role=user.role,
        area=user.area,
        area_name=profile.area_name if profile is not None else None,
        token_expires_at=expires_at.astimezone(zone) if expires_at is not None else None,
    )


@router.get(
    "/users",
    summary="The people of your area, e.g. to pick an assignee (派单)",
    description="Every user whose area is yours or lies within it, and the social workers "
    "and supervisors whose area encloses yours (they can handle cases there too); a caller "
    "without an area sees everyone. `role` (repeatable) filters, e.g. "
    "`role=worker&role=supervisor&active=true` for whom a case can be assigned to. "
    "Sorted by role, then name.",
)
def get_users(
    services: ServicesDep,
    access: AccessDep,
    role: Annotated[list[Role] | None, Query(description="only these roles")] = None,
    active: Annotated[
        bool | None, Query(description="true: only users whose token works; false: only others")
    ] = None,
) -> Directory:
    listed = services.users.directory(access.user.area, [r.value for r in role or []])
    return Directory(
        items=[
            Person(**vars(entry)) for entry in listed if active is None or entry.active == active
        ]
    )
