"""The words of the trade: every closed set of codes a case uses."""

from enum import StrEnum
from typing import TypeVar

from domain.errors import InvalidValue

Code = TypeVar("Code", bound=StrEnum)


def parse(codes: type[Code], value: str, field: str) -> Code:
    """The code for ``value``, or a named error listing the allowed ones."""
    try:
        return codes(value)
    except ValueError:
        allowed = ", ".join(codes)
        raise InvalidValue(f"{field} '{value}' is not one of: {allowed}") from None


class Kind(StrEnum):
    RESIDENT_REQUEST = "resident_request"
    DISPUTE = "dispute"
    MICRO_WISH = "micro_wish"


class RequestCategory(StrEnum):
    CONSULTATION = "consultation"  # 咨询
    HELP = "help"  # 求助
    COMPLAINT = "complaint"  # 投诉
    SUGGESTION = "suggestion"  # 建议
    URGENT = "urgent"  # 紧急


class DisputeCategory(StrEnum):
    NEIGHBOUR = "neighbour"  # 邻里
    FAMILY = "family"  # 家庭
    PROPERTY = "property"  # 物业
    OTHER = "other"  # 其他


class WishCategory(StrEnum):
    GOODS = "goods"  # 物品
    SERVICE = "service"  # 服务
    OTHER = "other"  # 其他


CATEGORIES: dict[Kind, type[StrEnum]] = {
    Kind.RESIDENT_REQUEST: RequestCategory,
    Kind.DISPUTE: DisputeCategory,
    Kind.MICRO_WISH: WishCategory,
}


class Channel(StrEnum):
    WINDOW = "window"
    HOTLINE = "hotline"
    WECHAT = "wechat"
    GRID_PATROL = "grid_patrol"
    ONLINE = "online"
    API = "api"


class Level(StrEnum):
    """Where a case is handled; escalation moves it up this list only."""

    GRID = "grid"
    COMMUNITY = "community"
    STREET = "street"

    @property
    def rank(self) -> int:
        return list(Level).index(self)


class ScoringParty(StrEnum):
    """Who scores a worker's month in the 3456 assessment: supervisors of that level."""

    COMMUNITY = "community"
    STREET = "street"


class Resolution(StrEnum):
    RESOLVED = "resolved"
    REFERRED = "referred"
    UNRESOLVABLE = "unresolvable"
    DUPLICATE = "duplicate"
    WITHDRAWN = "withdrawn"


class Rating(StrEnum):
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    DISSATISFIED = "dissatisfied"
    UNREACHABLE = "unreachable"
    REFUSED = "refused"


# A call-back is valid (counts in the three rates) when the resident gave a verdict;
# unreachable and refused are not valid call-backs.
VALID_RATINGS = frozenset(
    {Rating.SATISFIED.value, Rating.BASICALLY_SATISFIED.value, Rating.DISSATISFIED.value}
)


class Solved(StrEnum):
    """A call-back's answer to "is the matter solved" (解决情况)."""

    SOLVED = "solved"
    PARTLY_SOLVED = "partly_solved"
    NOT_SOLVED = "not_solved"


class MediationOutcome(StrEnum):
    AGREEMENT = "agreement"
    NO_AGREEMENT = "no_agreement"
    ADJOURNED = "adjourned"


class ClaimantType(StrEnum):
    PARTY_MEMBER = "party_member"
    VOLUNTEER = "volunteer"
    ORGANISATION = "organisation"
    WORKER = "worker"


# Who may hold a claimant's token (casework users add --role claimant --claimant-type ...):
# the claimants from outside the office; a worker claims with their own staff token.
BOARD_CLAIMANT_TYPES = (
    ClaimantType.PARTY_MEMBER,
    ClaimantType.VOLUNTEER,
    ClaimantType.ORGANISATION,
)


class Status(StrEnum):
    RECEIVED = "received"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    CLAIMED = "claimed"
    FULFILLED = "fulfilled"
    SUSPENDED = "suspended"
    CLOSED = "closed"
    RATED = "rated"


class Role(StrEnum):
    CLERK = "clerk"
    WORKER = "worker"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ADMIN = "admin"
    CLIENT = "client"
    # A party member, volunteer or organisation who claims micro-wishes on the board (认领):
    # no case work, only the board's routes.
    CLAIMANT = "claimant"


class ContactChannel(StrEnum):
    """How the handler first reached the resident (响应)."""

    PHONE = "phone"
    MESSAGE = "message"
    VISIT = "visit"
    OTHER = "other"
