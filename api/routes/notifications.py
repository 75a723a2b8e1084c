"""Everyone's inbox (GET /me/notifications) and its live stream of new notifications."""

import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import anyio
from fastapi import APIRouter, Header, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse, ServerSentEvent

from api.access import Access, AccessDep, Authorized
from api.dependencies import ServicesDep
from api.i18n import _
from api.local_time import LocalData, LocalTime
from api.problems import PROBLEM_RESPONSES, ApiProblem, number_cursor
from api.requests import text
from api.responses import with_names
from api.routes.read_models import ReadYourWrites
from infra.bootstrap import Services
from projections.notifications import inbox
from projections.notifications.rules import RULES

router = APIRouter(tags=["notifications"], responses=PROBLEM_RESPONSES, dependencies=[Authorized])

TYPES = ", ".join(f"`{name}`" for name in RULES)
WHO = (
    "Who is notified of what: `Urged` (催办) the case's handler; `Supervised` (督办) the "
    "supervisors of the level that supervises it (the community's for a grid's case, the "
    "street's for a community's) and the handler; `PubliclyNoted` (通报) the handler and every "
    "supervisor whose area holds the case's grid; `Assigned` and `Reassigned` the new "
    "assignee; `SentBack` (退回) whoever assigned the case and the clerks and supervisors of "
    "its community, who dispatch it again. An urge of a case nobody handles yet goes to those "
    "who would assign it. Nobody is notified of what they did themselves. A notification "
    "addressed to a role reaches whoever holds that role there when they read, so a newcomer "
    "sees what went to their post."
)
POLL = "checks for new notifications every few seconds (`CASEWORK_NOTIFICATION_POLL_SECONDS`)"


class Actor(BaseModel):
    id: str
    role: str
    name: str | None = Field(description="null for the service itself or a former user")


class Notification(BaseModel):
    id: UUID = Field(description="the same in the inbox, the stream and webhook deliveries")
    type: str = Field(description=f"one of {TYPES}: the event that caused it")
    case_id: UUID
    case_title: str | None = Field(description="null until the case list has the case")
    occurred_at: LocalTime = Field(description="when the event happened")
    actor: Actor = Field(description="who did it ({id: system} for the ladder's own steps)")
    data: LocalData = Field(
        description="grid_id, level and assignee (the handler it concerns) of the case, and "
        "the event's own fields: message and automatic (Urged), level (Supervised), due_at "
        "(the ladder's steps), note, previous_assignee and reason; `<field>_name` beside each "
        "user's id"
    )
    read_at: LocalTime | None = Field(description="when you marked it read; null: unread")


class NotificationPage(BaseModel):
    items: list[Notification] = Field(description="newest first")
    unread: int = Field(description="how many of your notifications are unread, over all pages")
    next_cursor: str | None = Field(description="pass as `after` for the next page")


def reader_of(services: Services, access: Access) -> inbox.Reader:
    user = access.user
    level = services.areas.level_of(user.area) if user.area is not None else None
    grids = sorted(access.grids) if access.grids is not None else None
    return inbox.Reader(str(user.id), user.role, grids, level)


def _answers(services: Services, items: list[inbox.Item]) -> list[Notification]:
    named = services.users.names(
        [i.actor_id for i in items]
        + [value for i in items for key, value in i.data.items() if key.endswith("assignee")]
    )
    return [
        Notification(
            id=item.id,
            type=item.type,
            case_id=item.case_id,
            case_title=item.case_title,
            occurred_at=item.occurred_at,
            actor=Actor(id=item.actor_id, role=item.actor_role, name=named.get(item.actor_id)),
            data=with_names(_moments(item.data), named),
            read_at=item.read_at,
        )
        for item in items
    ]


def _moments(data: dict[str, Any]) -> dict[str, Any]:
    """Moments are stored as ISO text: answered, as everywhere, in the service's zone."""
    return {
        key: datetime.fromisoformat(value) if key.endswith("_at") and value else value
        for key, value in data.items()
    }


@router.get(
    "/me/notifications",
    dependencies=[ReadYourWrites],
    summary="Your notifications (the bell): newest first, `unread=true` for the unread only",
    description=WHO + " Paged like the case list: `limit`, and `after` the `next_cursor` of "
    "the page before. `min_position` (a command's `position`) waits until the notifications "
    "of that command are in.",
)
def get_notifications(
    services: ServicesDep,
    access: AccessDep,
    unread: Annotated[bool, Query(description="only those not yet marked read")] = False,
    limit: int = Query(default=50, ge=1, le=500),
    after: Annotated[text(30) | None, Query(description="a next_cursor")] = None,
) -> NotificationPage:
    before = number_cursor(after)
    reader = reader_of(services, access)
    with services.pool.connection() as conn:
        items = inbox.newest(conn, reader, before=before, unread_only=unread, limit=limit + 1)
        count = inbox.unread_count(conn, reader)
    more = len(items) > limit
    items = items[:limit]
    return NotificationPage(
        items=_answers(services, items),
        unread=count,
        next_cursor=str(items[-1].ordinal) if more else None,
    )


@router.post(
    "/me/notifications/{notification_id}/read",
    summary="Mark one of your notifications read",
    description="Read marks are yours alone: a colleague who got the same notification "
    "still has it unread. Marking it again changes nothing. A notification not addressed to "
    "you is answered 404 `notification_not_found`, as if it did not exist.",
)
def read_notification(
    services: ServicesDep, access: AccessDep, notification_id: UUID
) -> Notification:
    reader = reader_of(services, access)
    with services.pool.connection() as conn:
        if inbox.one(conn, reader, notification_id) is None:
            raise ApiProblem(
                404,
                "notification_not_found",
                _("No such notification"),
                _(
                    "no notification {notification_id} is addressed to you",
                    notification_id=str(notification_id),
                ),
            )
        inbox.mark_read(conn, reader, notification_id)
        found = inbox.one(conn, reader, notification_id)
    assert found is not None
    return _answers(services, [found])[0]


@router.get(
    "/me/notifications/stream",
    summary="Your new notifications as they come (server-sent events)",
    description="A `text/event-stream` that sends one event `notification` per new "
    "notification for you, its `data` the notification as in GET /me/notifications and its "
    "`id` a cursor: a client that reconnects with `Last-Event-ID` gets what it missed. "
    f"Starts with what comes after the request; {POLL}, holding no database connection "
    "in between; a comment line every 15 s keeps proxies from closing it. It ends when the "
    "service shuts down (clients reconnect).",
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
    response_class=EventSourceResponse,
)
async def stream_notifications(
    services: ServicesDep,
    access: AccessDep,
    last_event_id: Annotated[
        str | None, Header(description="the id of the last event received, to resume after")
    ] = None,
) -> EventSourceResponse:
    reader = await run_in_threadpool(reader_of, services, access)
    if last_event_id is not None and last_event_id.strip().isdigit():
        start = int(last_event_id.strip())
    else:
        start = await run_in_threadpool(_latest, services)
    return EventSourceResponse(_events(services, reader, start), ping=15)


def _latest(services: Services) -> int:
    with services.pool.connection() as conn:
        return inbox.latest(conn)


async def _events(
    services: Services, reader: inbox.Reader, after: int
) -> AsyncIterator[ServerSentEvent]:
    # Each look takes a pooled connection for one query and gives it back: an idle stream
    # holds none. The library ends the stream on the server's shutdown and on disconnect.
    while True:
        items = await run_in_threadpool(_since_ordinals, services, reader, after)
        for ordinal, item in items:
            after = ordinal
            body = json.dumps(item.model_dump(mode="json"), ensure_ascii=False)
            yield ServerSentEvent(data=body, event="notification", id=str(ordinal))
        await anyio.sleep(services.settings.notification_poll_seconds)


def _since_ordinals(
    services: Services, reader: inbox.Reader, after: int
) -> list[tuple[int, Notification]]:
    with services.pool.connection() as conn:
        items = inbox.since(conn, reader, after, limit=100)
    return list(zip([i.ordinal for i in items], _answers(services, items), strict=True))
