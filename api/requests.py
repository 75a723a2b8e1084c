"""What clients send: one model per command, validated before the domain sees it."""

from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from api.date_windows import DUE_WINDOW, PAST_WINDOW, DueMoment, PastMoment
from domain.vocabulary import (
    Channel,
    ClaimantType,
    DisputeCategory,
    Level,
    MediationOutcome,
    Rating,
    RequestCategory,
    Resolution,
    WishCategory,
)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 -]{4,19}$")]
IdNumber = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{17}[\dXx]$")]
GridId = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
]
UserId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Command(Strict):
    occurred_at: PastMoment | None = Field(
        default=None,
        description="when the work happened, for work recorded after the fact; default now. "
        f"Not in the future, not before the case's last event; {PAST_WINDOW}.",
    )


class Resident(Strict):
    name: Text
    phone: Phone | None = None
    address: LongText | None = None
    id_number: IdNumber | None = Field(default=None, description="居民身份证号, 18 characters")


class Party(Strict):
    name: Text
    phone: Phone | None = None
    address: LongText | None = None
    role: Text | None = Field(default=None, examples=["applicant", "respondent"])


class _Intake(Strict):
    channel: Channel
    title: Text
    description: LongText
    grid_id: GridId = Field(examples=["tiansheng-01"])
    resident: Resident
    received_at: PastMoment | None = Field(
        default=None, description=f"when the matter was received; default now; {PAST_WINDOW}"
    )
    first_contact: UserId | None = Field(
        default=None,
        description="user id of the worker who first received the matter (首问负责); "
        "default: the caller",
    )


class ResidentRequestIntake(_Intake):
    kind: Literal["resident_request"]
    category: RequestCategory


class DisputeIntake(_Intake):
    kind: Literal["dispute"]
    category: DisputeCategory
    parties: list[Party] = Field(min_length=2, max_length=50)


class MicroWishIntake(_Intake):
    kind: Literal["micro_wish"]
    category: WishCategory


Intake = Annotated[
    ResidentRequestIntake | DisputeIntake | MicroWishIntake, Field(discriminator="kind")
]

INTAKE_EXAMPLE = {
    "kind": "resident_request",
    "category": "help",
    "channel": "hotline",
    "title": "楼道灯坏了",
    "description": "3号楼2单元楼道灯不亮，老人夜间上下楼不便",
    "grid_id": "tiansheng-01",
    "resident": {"name": "李秀英", "phone": "13812345678", "address": "天胜社区3号楼2单元301"},
}


class Assign(Command):
    assignee: UserId = Field(description="user id of the social worker")
    note: Reason | None = None


class Reassign(Command):
    assignee: UserId
    reason: Reason


class Visit(Command):
    visited_at: PastMoment = Field(description=PAST_WINDOW)
    duration_minutes: int = Field(ge=1, le=24 * 60)
    notes: LongText
    outcome: Text | None = None


class Escalate(Command):
    level: Literal[Level.COMMUNITY, Level.STREET]
    reason: Reason


class WithReason(Command):
    reason: Reason


class Extend(Command):
    new_due_at: DueMoment | None = Field(default=None, description=DUE_WINDOW)
    extra_working_days: int | None = Field(default=None, ge=1, le=250)
    reason: Reason
    approved_by: UserId = Field(description="user id of the supervisor who approved it")

    @model_validator(mode="after")
    def one_new_deadline(self) -> "Extend":
        if (self.new_due_at is None) == (self.extra_working_days is None):
            raise ValueError("give exactly one of new_due_at and extra_working_days")
        return self


class Close(Command):
    resolution: Resolution
    summary: LongText
    duplicate_of: UUID | None = Field(
        default=None,
        description="for resolution duplicate (重复件), and only for it: the id of the original "
        "case, in the caller's area and not itself closed as a duplicate",
    )


class Rate(Command):
    rating: Rating
    comment: LongText | None = None


class Mediation(Command):
    held_at: PastMoment = Field(description=PAST_WINDOW)
    participants: list[Text] = Field(min_length=1, max_length=50)
    outcome: MediationOutcome
    notes: LongText


class Claim(Command):
    claimant: Text
    claimant_type: ClaimantType


class Fulfil(Command):
    fulfilled_at: PastMoment = Field(description=PAST_WINDOW)
    notes: LongText
