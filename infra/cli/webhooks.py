"""casework webhooks: send webhook deliveries on their own (larger deployments)."""

import argparse
from typing import Any

from infra.cli.common import command_group, run_until_stopped
from infra.settings import get_settings
from infra.webhooks import BackgroundWebhooks


def register(subcommands: Any) -> None:
    actions = command_group(subcommands, "webhooks", "webhook deliveries to other systems")
    run = actions.add_parser(
        "run",
        help="send webhook deliveries as they come, retrying failures with back-off, until "
        "stopped (Ctrl+C or SIGTERM); for deployments that run `casework serve` with "
        "CASEWORK_RUN_WEBHOOKS=false. Several copies may run: none sends a delivery another "
        "is sending",
    )
    run.set_defaults(handler=run_webhooks)


def run_webhooks(args: argparse.Namespace) -> None:
    settings = get_settings()
    run_until_stopped(
        lambda built: BackgroundWebhooks(built.connect, settings, built.rating_links),
        "sending webhook deliveries; stop with Ctrl+C",
    )
