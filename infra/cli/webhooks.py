"""casework webhooks: send webhook deliveries on their own (larger deployments)."""

import argparse
import signal
import threading
from typing import Any

from infra.cli.common import services
from infra.settings import get_settings
from infra.webhooks import BackgroundWebhooks


def register(subcommands: Any) -> None:
    webhooks = subcommands.add_parser("webhooks", help="webhook deliveries to other systems")
    actions = webhooks.add_subparsers(
        dest="webhooks_command", required=True, metavar="ACTION", parser_class=type(webhooks)
    )
    run = actions.add_parser(
        "run",
        help="send webhook deliveries as they come, retrying failures with back-off, until "
        "stopped (Ctrl+C or SIGTERM); for deployments that run `casework serve` with "
        "CASEWORK_RUN_WEBHOOKS=false. Several copies may run: none sends a delivery another "
        "is sending",
    )
    run.set_defaults(handler=run_webhooks)


def run_webhooks(args: argparse.Namespace) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with services() as built:
        dispatcher = BackgroundWebhooks(built.connect, get_settings())
        dispatcher.start()
        print("sending webhook deliveries; stop with Ctrl+C", flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            dispatcher.stop()
