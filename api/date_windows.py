"""The windows of dates and moments the API accepts, so that no date a client sends can
make a deadline unrepresentable or a count slow (README: "Dates the service accepts").

- Moments of work done (``received_at``, ``occurred_at``, ``visited_at``, ``held_at``,
  ``fulfilled_at``): not before 2000-01-01 (Asia/Shanghai); here not after 2100, and then
  the case's own rule refuses any moment after now (409/422 ``occurred_in_future``).
- A new deadline (``new_due_at``): from 2000-01-01 to two years from now
  (``LONGEST_EXTENSION``, a rule of the case too).
- Dates and moments a query asks about (``as_of``, ``due_before``, a report's ``from`` and
  ``to``): within the years 2000 to 2100.

A value outside its window is answered 422, naming the field and its window.
"""

from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, AwareDatetime

from api.i18n import N_, Msg, _
from api.i18n.validation import invalid
from domain.time_limits import LONGEST_EXTENSION

_ZONE = ZoneInfo("Asia/Shanghai")
EARLIEST = datetime(2000, 1, 1, tzinfo=_ZONE)
LATEST_QUERY = datetime(2101, 1, 1, tzinfo=_ZONE)  # exclusive: the end of 2100

PAST_WINDOW = N_("from 2000-01-01T00:00:00+08:00, and not in the future")
DUE_WINDOW = N_("from 2000-01-01T00:00:00+08:00 to 2 years from now")
QUERY_WINDOW = N_("within the years 2000 to 2100")


def _outside(value: str, window: str) -> Exception:
    return invalid(
        "outside_window",
        _("{value} is outside the accepted window: {window}", value=value, window=Msg(window)),
    )


def _within(moment: datetime, earliest: datetime, latest: datetime, window: str) -> datetime:
    if moment.tzinfo is None:  # a naive query moment is local: close enough for the bound
        moment_aware = moment.replace(tzinfo=_ZONE)
    else:
        moment_aware = moment
    if not earliest <= moment_aware <= latest:
        raise _outside(moment.isoformat(), window)
    return moment


def _past(moment: datetime) -> datetime:
    # The upper bound only keeps absurd years out; "not after now" is the case's own rule,
    # answered with its code occurred_in_future.
    return _within(moment, EARLIEST, LATEST_QUERY, PAST_WINDOW)


def _due(moment: datetime) -> datetime:
    return _within(moment, EARLIEST, datetime.now(UTC) + LONGEST_EXTENSION, DUE_WINDOW)


def _query_moment(moment: datetime) -> datetime:
    return _within(moment, EARLIEST, LATEST_QUERY, QUERY_WINDOW)


def _query_day(day: date) -> date:
    if not EARLIEST.date() <= day < LATEST_QUERY.date():
        raise _outside(day.isoformat(), QUERY_WINDOW)
    return day


PastMoment = Annotated[AwareDatetime, AfterValidator(_past)]
DueMoment = Annotated[AwareDatetime, AfterValidator(_due)]
QueryMoment = Annotated[datetime, AfterValidator(_query_moment)]
QueryAwareMoment = Annotated[AwareDatetime, AfterValidator(_query_moment)]
QueryDay = Annotated[date, AfterValidator(_query_day)]
