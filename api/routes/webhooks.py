"""Webhooks for other systems (a city platform, an SMS or WeChat gateway): administrators
register a URL and the notification types wanted, and read each webhook's delivery log."""

from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import AnyHttpUrl, BaseModel, Field, UrlConstraints

from api.access import AccessDep, Authorized
from api.dependencies import ServicesDep
from api.i18n import _
from api.local_time import LocalTime
from api.problems import PROBLEM_RESPONSES, ApiProblem, number_cursor
from api.requests import text
from infra.webhooks import SIGNATURE_HEADER, Webhook
from projections.notifications.rules import RULES

router = APIRouter(tags=["webhooks"], responses=PROBLEM_RESPONSES, dependencies=[Authorized])

NotificationType = StrEnum("NotificationType", {name: name for name in RULES})  # type: ignore[misc]

DELIVERY = (
    "Each notification of a wanted type that happens after the webhook is registered is "
    "POSTed to its URL as JSON `{id, type, occurred_at, case_id, data}` (`id` the "
    "notification's id, `data` the case's grid_id, level and assignee and the event's fields "
    "but no free text, and nothing of residents), with the header "
    f"`{SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256 of the body with the webhook's secret>`. "
    "A delivery is tried again, with the same id, until the receiver answers 2xx: after "
    "`CASEWORK_WEBHOOK_RETRY_SECONDS` (10), then twice as long each time, at most "
    "`CASEWORK_WEBHOOK_RETRY_MAX_SECONDS` (an hour). So a receiver sees each notification "
    "at least once and drops repeats by id."
)

HttpUrl = Annotated[AnyHttpUrl, UrlConstraints(max_length=2000, allowed_schemes=["http", "https"])]


class WebhookIn(BaseModel):
    url: HttpUrl = Field(description="where deliveries are POSTed (http or https)")
    event_types: list[NotificationType] = Field(  # type: ignore[valid-type]
        min_length=1, description="the notification types wanted"
    )
    secret: text(200, min_length=16) | None = Field(  # type: ignore[valid-type]
        default=None, description="the key deliveries are signed with; unset: one is made"
    )


class WebhookOut(BaseModel):
    id: UUID
    url: str
    event_types: list[str]
    created_by: str
    created_at: LocalTime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="shown this once: keep it to check the signatures")


class WebhookList(BaseModel):
    items: list[WebhookOut]


class Attempt(BaseModel):
    attempt: int
    attempted_at: LocalTime
    status_code: int | None = Field(description="the receiver's answer; null: none came")
    error: str | None = Field(description="why no answer came (refused, timed out, ...)")


class Delivery(BaseModel):
    id: int
    notification_id: UUID = Field(description="the `id` of the body: the same on every attempt")
    type: str
    case_id: UUID
    occurred_at: LocalTime
    created_at: LocalTime
    attempts: int
    delivered_at: LocalTime | None = Field(description="when a 2xx came; null: not yet")
    next_attempt_at: LocalTime | None = Field(description="null once delivered")
    tries: list[Attempt] = Field(description="every attempt, oldest first")


class DeliveryPage(BaseModel):
    items: list[Delivery] = Field(description="newest first")
    next_cursor: str | None = Field(description="pass as `after` for the next page")


def _out(webhook: Webhook) -> dict[str, Any]:
    return vars(webhook)


def _not_found(webhook_id: UUID) -> ApiProblem:
    return ApiProblem(
        404,
        "webhook_not_found",
        _("No such webhook"),
        _("no webhook {webhook_id} is registered", webhook_id=str(webhook_id)),
    )


@router.post(
    "/webhooks",
    status_code=201,
    summary="Register a webhook: a URL and the notification types it wants (admin)",
    description=DELIVERY,
)
def post_webhook(services: ServicesDep, access: AccessDep, body: WebhookIn) -> WebhookCreated:
    head = services.cases.recorder.max_notification_id() or 0
    webhook, secret = services.webhooks.add(
        str(body.url), [str(t) for t in body.event_types], body.secret, str(access.user.id), head
    )
    return WebhookCreated(**_out(webhook), secret=secret)


@router.get("/webhooks", summary="The registered webhooks (admin); secrets are not shown")
def get_webhooks(services: ServicesDep) -> WebhookList:
    return WebhookList(items=[WebhookOut(**_out(w)) for w in services.webhooks.all()])


@router.delete(
    "/webhooks/{webhook_id}",
    status_code=204,
    summary="Stop a webhook (admin): nothing more is sent to it, pending deliveries included",
)
def delete_webhook(services: ServicesDep, webhook_id: UUID) -> Response:
    if not services.webhooks.delete(webhook_id):
        raise _not_found(webhook_id)
    return Response(status_code=204)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    summary="A webhook's delivery log (admin): each delivery's attempts and next try",
)
def get_deliveries(
    services: ServicesDep,
    webhook_id: UUID,
    limit: int = Query(default=50, ge=1, le=500),
    after: Annotated[text(30) | None, Query(description="a next_cursor")] = None,
) -> DeliveryPage:
    before = number_cursor(after)
    if not services.webhooks.exists(webhook_id):
        raise _not_found(webhook_id)
    rows = services.webhooks.deliveries(webhook_id, before, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return DeliveryPage(
        items=[Delivery(**row) for row in rows],
        next_cursor=str(rows[-1]["id"]) if more else None,
    )
