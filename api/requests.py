"""What clients send: one model per command, validated before the domain sees it."""

import re
from dataclasses import fields
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from api.date_windows import DUE_WINDOW, PAST_WINDOW, DueMoment, PastMoment
from api.dependencies import HANDLERS
from api.i18n import _
from api.i18n.validation import invalid
from domain import commands
from domain.vocabulary import (
    Channel,
    ClaimantType,
    ContactChannel,
    DisputeCategory,
    Level,
    MediationOutcome,
    Rating,
    RequestCategory,
    Resolution,
    Role,
    Solved,
    WishCategory,
)
from infra.personal.phones import normalise_phone

# Characters no text of ours may hold: PostgreSQL's text refuses NUL, a lone surrogate is no
# character at all (it cannot be encoded as UTF-8), and other C0 controls are only ever
# garbage from a client; tab, line feed and carriage return stay.
_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def _refuse_unwanted_characters(value: str) -> str:
    found = _UNWANTED.search(value)
    if found is not None:
        raise invalid(
            "unwanted_character",
            _(
                "holds the character U+{code:04X} at offset {offset}: control characters "
                "(but tab, line feed and carriage return) and lone surrogates are refused",
                code=ord(found.group()),
                offset=found.start(),
            ),
        )
    return value


def text(max_length: int, *, min_length: int = 1, pattern: str | None = None) -> Any:
    """The one string type of requests: stripped, bounded, without control characters.

    The length is checked first, so that a 10 MB field is refused without being scanned."""
    return Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=min_length, max_length=max_length, pattern=pattern
        ),
        AfterValidator(_refuse_unwanted_characters),
    ]


def _callable_phone(value: str) -> str:
    """The phone in its one canonical form (``infra/personal/phones.py``), so that it is
    stored, masked and matched alike however it was written."""
    try:
        return normalise_phone(value)
    except ValueError:
        raise invalid(
            "invalid_phone",
            _(
                "not a valid phone number: a mobile has 11 digits, e.g. 13812345678; a landline "
                "its area code, e.g. 010 6552 1234; a number abroad its country code, "
                "e.g. +852 9123 4567"
            ),
        ) from None


def _web_link(value: str) -> str:
    """A link anyone can open: http or https, with a host, and no spaces."""
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or " " in value:
        raise invalid(
            "invalid_url",
            _("not a web link: give an http or https address, e.g. https://example.org/a.jpg"),
        )
    return value


Text = text(200)
LongText = text(5000)
Reason = text(1000)
Phone = Annotated[text(30), AfterValidator(_callable_phone)]
IdNumber = text(18, pattern=r"^\d{17}[\dXx]$")
GridId = text(64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
UserId = text(64)
WebLink = Annotated[text(2000), AfterValidator(_web_link)]


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


FIELD_WORK = frozenset({Role.WORKER, Role.SUPERVISOR})


class CaseCommand(Command):
    """A command on one case. Its class says all the API needs: the route
    (POST /cases/{case_id}/<path>), the roles that may send it, its summary (``about``), and which
    of its fields name users (of which roles). ``api.routes.commands`` registers a route
    for each; the domain command of the same name takes the fields it declares."""

    command: ClassVar[type[commands.CaseCommand]]
    path: ClassVar[str]
    action: ClassVar[str]  # what the caller does, in "a clerk may not <action>"
    roles: ClassVar[frozenset[Role]]
    about: ClassVar[str]  # the route's summary
    users: ClassVar[dict[str, tuple[str, ...]]] = {}

    def to_command(self) -> commands.CaseCommand:
        # Fields of the domain command the request does not declare keep their defaults
        # (a call-back's link_id is the resident page's, never a client's).
        declared = type(self).model_fields
        given = {f.name: getattr(self, f.name) for f in fields(self.command) if f.name in declared}
        return self.command(**given)


class Assign(CaseCommand):
    command = commands.Assign
    path, action, about = "assign", "assign", "Assign to a social worker (派单)"
    roles = frozenset({Role.CLERK, Role.SUPERVISOR})
    users = {"assignee": HANDLERS}

    assignee: UserId = Field(description="user id of the social worker")
    note: Reason | None = None


class Reassign(CaseCommand):
    command = commands.Reassign
    path, action, about = "reassign", "reassign", "Hand to another social worker (转派)"
    roles = frozenset({Role.SUPERVISOR})
    users = {"assignee": HANDLERS}

    assignee: UserId
    reason: Reason


class SignFor(CaseCommand):
    command = commands.SignFor
    path, action, about = "sign", "sign_for", "The assignee signs for the case (签收)"
    roles = FIELD_WORK


class SendBack(CaseCommand):
    command = commands.SendBack
    path, action, about = "send-back", "send_back", "The assignee sends the case back (退回)"
    roles = FIELD_WORK

    reason: Reason


class Contact(CaseCommand):
    command = commands.Contact
    path, action, about = "contact", "contact", "Record contact with the resident (响应)"
    roles = FIELD_WORK

    contacted_at: PastMoment = Field(description=PAST_WINDOW)
    channel: ContactChannel
    notes: LongText


class Urge(CaseCommand):
    command = commands.Urge
    path, action, about = "urge", "urge", "Urge the handler (催办), with a message"
    roles = frozenset({Role.SUPERVISOR})

    message: Reason


class Visit(CaseCommand):
    command = commands.Visit
    path, action, about = "visits", "visit", "Record a visit (上门/走访)"
    roles = FIELD_WORK

    visited_at: PastMoment = Field(description=PAST_WINDOW)
    duration_minutes: int = Field(ge=1, le=24 * 60)
    notes: LongText
    outcome: Text | None = None


class Escalate(CaseCommand):
    command = commands.Escalate
    path, action, about = "escalate", "escalate", "Escalate to community or street"
    roles = FIELD_WORK

    level: Literal[Level.COMMUNITY, Level.STREET]
    reason: Reason


class Suspend(CaseCommand):
    command = commands.Suspend
    path, action, about = "suspend", "suspend", "Suspend while waiting on the resident"
    roles = FIELD_WORK

    reason: Reason


class Resume(CaseCommand):
    command = commands.Resume
    path, action, about = "resume", "resume", "Resume a suspended case"
    roles = FIELD_WORK

    reason: Reason


class Extend(CaseCommand):
    command = commands.Extend
    path, action, about = "extend", "extend", "Extend the deadline (延期), approved"
    roles = frozenset({Role.SUPERVISOR})
    users = {"approved_by": ("supervisor",)}

    new_due_at: DueMoment | None = Field(default=None, description=DUE_WINDOW)
    extra_working_days: int | None = Field(default=None, ge=1, le=250)
    reason: Reason
    approved_by: UserId = Field(description="user id of the supervisor who approved it")

    @model_validator(mode="after")
    def one_new_deadline(self) -> "Extend":
        if (self.new_due_at is None) == (self.extra_working_days is None):
            raise invalid(
                "one_new_deadline", _("give exactly one of new_due_at and extra_working_days")
            )
        return self


class Close(CaseCommand):
    command = commands.Close
    path, action, about = "close", "close", "Close with a resolution (办结)"
    roles = FIELD_WORK

    resolution: Resolution
    summary: LongText
    duplicate_of: UUID | None = Field(
        default=None,
        description="for resolution duplicate (重复件), and only for it: the id of the original "
        "case, in the caller's area and not itself closed as a duplicate",
    )


class Rate(CaseCommand):
    command = commands.Rate
    path, action, about = "rate", "rate", "Record the call-back (回访): the resident's answers"
    roles = frozenset({Role.CLERK, Role.SUPERVISOR})

    rating: Rating = Field(
        description="satisfied, basically_satisfied, dissatisfied; unreachable or refused when "
        "there was no valid call-back"
    )
    comment: LongText | None = None
    contacted: bool | None = Field(
        default=None, description="did the handler contact the resident (响应); optional"
    )
    solved: Solved | None = Field(
        default=None,
        description="is the matter solved (解决情况); optional. A valid call-back with "
        "not_solved and dissatisfied reopens the case for redo (CASEWORK_REDO_ON_NOT_SOLVED)",
    )

    @model_validator(mode="after")
    def answers_need_a_callback(self) -> "Rate":
        no_callback = self.rating in (Rating.UNREACHABLE, Rating.REFUSED)
        if no_callback and (self.contacted is not None or self.solved is not None):
            raise invalid(
                "answers_without_callback",
                _(
                    "a resident who was {rating} gave no answers: leave out contacted and solved",
                    rating=self.rating.value,
                ),
            )
        return self


class IssueRatingLink(CaseCommand):
    command = commands.IssueRatingLink
    path, action = "rating-link", "issue_rating_link"
    about = "Issue a rating link for the resident (回访 without a call)"
    roles = frozenset({Role.CLERK, Role.SUPERVISOR})


class Reopen(CaseCommand):
    command = commands.Reopen
    path, action, about = "reopen", "reopen", "Reopen a closed case (发回重办)"
    roles = frozenset({Role.SUPERVISOR})

    reason: Reason


class HoldMediation(CaseCommand):
    command = commands.HoldMediation
    path, action, about = "mediations", "mediate", "Record a mediation session (disputes)"
    roles = FIELD_WORK

    held_at: PastMoment = Field(description=PAST_WINDOW)
    participants: list[Text] = Field(min_length=1, max_length=50)
    outcome: MediationOutcome
    notes: LongText


class Claim(CaseCommand):
    command = commands.Claim
    path, action, about = "claim", "claim", "Claim a micro-wish (认领)"
    roles = FIELD_WORK

    claimant: Text
    claimant_type: ClaimantType


class Fulfil(CaseCommand):
    command = commands.Fulfil
    path, action, about = "fulfil", "fulfil", "Record a micro-wish fulfilled"
    roles = FIELD_WORK

    fulfilled_at: PastMoment = Field(description=PAST_WINDOW)
    notes: LongText
    photo_url: WebLink | None = Field(
        default=None, description="a link (http or https) to a photo of the wish fulfilled"
    )


class ReleaseClaim(CaseCommand):
    command = commands.ReleaseClaim
    path, action, about = "release", "release_claim", "Release a micro-wish's claim (取消认领)"
    roles = FIELD_WORK

    reason: Reason | None = Field(
        default=None,
        description="why (optional). Only the claimant who holds it, or a supervisor; not "
        "once fulfilled. The wish is open to claims again",
    )


# Every command on a case, in the order the API lists them.
CASE_COMMANDS: tuple[type[CaseCommand], ...] = (
    Assign,
    Reassign,
    SignFor,
    SendBack,
    Contact,
    Urge,
    Visit,
    Escalate,
    Suspend,
    Resume,
    Extend,
    Close,
    Rate,
    IssueRatingLink,
    Reopen,
    HoldMediation,
    Claim,
    ReleaseClaim,
    Fulfil,
)
