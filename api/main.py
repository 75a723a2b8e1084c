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
    people,
    queries,
    read_log,
    read_models,
    reports,
    residents,
    supervision,
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
    app.include_router(health.router)
    app.include_router(commands.router)
    app.include_router(queries.router)
    app.include_router(read_models.router)
    app.include_router(read_log.router)
    app.include_router(reports.router)
    app.include_router(assessment.router)
    app.include_router(audit.router)
    app.include_router(residents.router)
    app.include_router(people.router)
    # The workbench: pages for people, not API routes (not in the OpenAPI document).
    page_support.install(app)
    app.include_router(pages.router)
    app.include_router(dashboard_page.router)
    app.include_router(report_page.router)
    # The residents' rating links (回访 without a call): no sign-in, the link is the key.
    app.include_router(rating_page.router)
    # The micro-wish board: public, and the claimants' pages.
    app.include_router(board_pages.public)
    app.include_router(board_pages.router)
    # Open311 GeoReport v2 for other systems (its own errors; not in the OpenAPI document).
    open311.install(app)
    app.include_router(supervision.router)
    app.include_router(board.public)
    app.include_router(board.router)
    return app


app = create_app()
