"""casework serve: the HTTP service."""

import argparse
import os
import signal
import sys
from typing import Any

from infra.bootstrap import bootstrap
from infra.database import database_url
from infra.projections import BackgroundProjectors
from infra.settings import get_settings
from infra.supervision import BackgroundSupervision
from infra.webhooks import BackgroundWebhooks


def register(subcommands: Any) -> None:
    settings = get_settings()
    run = subcommands.add_parser("serve", help="run the HTTP service")
    run.add_argument("--host", default=settings.host, help="default %(default)s")
    run.add_argument("--port", type=int, default=settings.port, help="default %(default)s")
    run.add_argument("--workers", type=int, default=settings.workers, help="default %(default)s")
    run.set_defaults(handler=serve)


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    settings = get_settings()
    # Start the database once, here, so every worker process shares it.
    os.environ["DATABASE_URL"] = database_url(settings)
    built = bootstrap(settings.model_copy(update={"database_url": os.environ["DATABASE_URL"]}))
    projectors = (
        BackgroundProjectors(built.cases, built.connect).start()
        if settings.run_projections
        else None
    )
    supervision = (
        BackgroundSupervision.of_service(built.cases, built.connect, settings).start()
        if settings.run_supervision
        else None
    )
    webhooks = (
        BackgroundWebhooks(built.connect, settings, built.rating_links).start()
        if settings.run_webhooks
        else None
    )
    print(f"casework listening on http://{args.host}:{args.port} (docs at /docs)", flush=True)
    # uvicorn re-raises SIGTERM after its graceful shutdown; exiting through Python instead
    # lets the embedded PostgreSQL be stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        uvicorn.run(
            "api.main:app",
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level="info",
            access_log=settings.access_log,
        )
    finally:
        if webhooks is not None:
            webhooks.stop()
        if supervision is not None:
            supervision.stop()
        if projectors is not None:
            projectors.stop()
        built.close()
