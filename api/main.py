"""The HTTP service: ``uvicorn api.main:app`` (or ``casework serve``)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import Depends, FastAPI
from fastapi_offline import FastAPIOffline

from api import local_time, problems
from api.dependencies import reject_unknown_queries
from api.open311 import routes as open311
from api.pages import board as board_pages
from api.pages import dashboard as dashboard_page
from api.pages import notifications as notifications_page
from api.pages import rating as rating_page
from api.pages import reports as report_page
from api.pages import routes as pages
from api.pages import web as page_support
from api.routes import (
    assessment,
    audit,
    board,
    commands,
    health,
    notifications,
    people,
    queries,
    read_log,
    read_models,
    reports,
    residents,
    supervision,
    webhooks,
)
from infra.bootstrap import Services, bootstrap
from infra.sessions import Sessions

DESCRIPTION = """
Event-sourced case management for community social-work centres.

Every command records one event in a case's life or is refused with a named rule
(409, `code` in the problem details). Send `Authorization: Bearer <token>` (from
`casework users add`) on every request but /health, /openapi.json, /docs and /problems.
`If-Match: "<version>"` makes a command conditional; `Idempotency-Key` on POST /cases
records a case once however often the request is retried.
"""


def create_app(services: Services | None = None) -> FastAPI:
    """The service; tests may hand in services built against their own database."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = services is None
        app.state.services = services or bootstrap()
        local_time.use_zone(app.state.services.settings.zone)
        Sessions(app.state.services.pool).create_schema()  # the workbench's sign-ins
        try:
            yield
        finally:
            if owned:
                app.state.services.close()

    # /docs and /redoc load their scripts and styles from the package, not from a CDN:
    # community offices often run on an intranet.
    app = FastAPIOffline(
        title="casework",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(reject_unknown_queries)],
    )
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Correlation-ID")
    problems.install(app)
    api_routers = (
        health.router,
        commands.router,
        queries.router,
        read_models.router,
        read_log.router,
        reports.router,
        assessment.router,
        audit.router,
        residents.router,
        people.router,
        supervision.router,
        board.public,
        board.router,
        notifications.router,
        webhooks.router,
    )
    for router in api_routers:
        app.include_router(router)
    # The workbench: pages for people, not API routes (not in the OpenAPI document); the
    # residents' rating links (回访 without a call: no sign-in, the link is the key); the
    # micro-wish board's pages (public, and the claimants').
    page_support.install(app)
    page_routers = (
        pages.router,
        dashboard_page.router,
        report_page.router,
        notifications_page.router,
        rating_page.router,
        board_pages.public,
        board_pages.router,
    )
    for router in page_routers:
        app.include_router(router)
    # Open311 GeoReport v2 for other systems (its own errors; not in the OpenAPI document).
    open311.install(app)
    return app


app = create_app()
