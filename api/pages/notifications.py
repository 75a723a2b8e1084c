"""The notification bell (通知) on every page, and the page of one's notifications.

The bell is a plain link to the page; static/bell.js adds the unread count and keeps it
live: it listens to the same stream of the read models' movement as the dashboard (one look
at the position per process, see live.py) and asks for the count again when they move.
"""

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from api.access import Action
from api.dependencies import ServicesDep
from api.pages import messages
from api.pages.dashboard import Since, change_stream
from api.pages.web import FormDep, SignedDep, check_csrf, not_found, render
from api.routes.notifications import reader_of
from projections.notifications import inbox

router = APIRouter(prefix="/app", include_in_schema=False)

LISTED = 50


@router.get("/notifications")
def notifications_page(request: Request, services: ServicesDep, signed: SignedDep) -> Response:
    """One's notifications, newest first, the unread marked."""
    signed.require(Action.NOTIFICATIONS)
    reader = reader_of(services, signed.access)
    with services.pool.connection() as conn:
        items = inbox.newest(conn, reader, before=None, unread_only=False, limit=LISTED)
    # The unread count is the bell's, which render() draws with every page.
    return render(request, "notifications.html", signed=signed, items=items)


@router.post("/notifications/{notification_id}/read")
def read_one(
    request: Request,
    services: ServicesDep,
    signed: SignedDep,
    form: FormDep,
    notification_id: UUID,
) -> Response:
    signed.require(Action.NOTIFICATIONS)
    check_csrf(request, form, signed.session.csrf)
    reader = reader_of(services, signed.access)
    with services.pool.connection() as conn:
        if inbox.one(conn, reader, notification_id) is None:
            raise not_found()
        inbox.mark_read(conn, reader, notification_id)
    return RedirectResponse("/app/notifications", status_code=303)


@router.get("/notifications/count")
def unread(services: ServicesDep, signed: SignedDep) -> Response:
    """The bell's figure: how many unread, and the newest unread one's type and case."""
    signed.require(Action.NOTIFICATIONS)
    reader = reader_of(services, signed.access)
    with services.pool.connection() as conn:
        count = inbox.unread_count(conn, reader)
        newest = inbox.newest(conn, reader, before=None, unread_only=True, limit=1)
    latest = (
        {"type": messages.EVENTS.get(newest[0].type, newest[0].type), "case": newest[0].case_title}
        if newest
        else None
    )
    # Not no-store: a page that fetched a no-store answer is kept out of the back/forward
    # cache, and an intake form brought back by "Back" must be the same form (its key).
    return JSONResponse(
        {"unread": count, "latest": latest}, headers={"Cache-Control": "private, no-cache"}
    )


@router.get("/live")
def live_events(request: Request, signed: SignedDep, since: Since) -> Response:
    """The bell's cue to count again."""
    signed.require(Action.NOTIFICATIONS)
    return change_stream(request, since)
