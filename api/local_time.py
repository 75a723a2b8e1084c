"""Every moment the API answers, in one form: ISO 8601 in the service's zone.

Clients send moments with any offset (``Z``, ``+00:00``, ``+08:00``) and the store keeps what
it was given; without this, answers showed the same moment written three ways. Every response
model types its moments as ``LocalTime`` (free-form event data as ``LocalData``), and problem
details pass their texts through ``localise_text``, so nothing is answered in another offset.
A moment whose local time would fall past year 9999 stays in UTC (``in_zone``).

The zone is the service's setting (``CASEWORK_TIMEZONE``), taken once by ``create_app``: one
process serves one zone.
"""

import re
from datetime import datetime, tzinfo
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import PlainSerializer
from pydantic_core import to_jsonable_python

from domain.time_limits import in_zone

_zone: list[tzinfo] = [ZoneInfo("Asia/Shanghai")]

# An ISO 8601 moment with an offset inside a text (as the domain's messages write them).
_MOMENT_IN_TEXT = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})"
)


def use_zone(zone: tzinfo) -> None:
    _zone[0] = zone


def local(moment: datetime) -> datetime:
    return in_zone(moment, _zone[0])


def localise(value: Any) -> Any:
    """Every aware moment in a structure of dicts and lists, in the zone."""
    if isinstance(value, datetime):
        return local(value) if value.tzinfo is not None else value
    if isinstance(value, dict):
        return {key: localise(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [localise(item) for item in value]
    return value


def localise_text(text: str) -> str:
    """A text with each ISO moment in it rewritten in the zone (problem details)."""

    def rewrite(found: re.Match[str]) -> str:
        try:
            return local(datetime.fromisoformat(found.group())).isoformat()
        except ValueError:
            return found.group()

    return _MOMENT_IN_TEXT.sub(rewrite, text)


def _json_moment(moment: datetime) -> str:
    return local(moment).isoformat() if moment.tzinfo is not None else moment.isoformat()


LocalTime = Annotated[datetime, PlainSerializer(_json_moment, return_type=str, when_used="json")]
"""A moment of an answer: ISO 8601 in the service's zone."""

LocalData = Annotated[
    dict[str, Any],
    PlainSerializer(lambda data: to_jsonable_python(localise(data)), when_used="json"),
]
"""Free-form fields (an event's data) whose moments are answered in the service's zone."""
