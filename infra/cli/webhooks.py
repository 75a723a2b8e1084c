"""casework webhooks: send webhook deliveries on their own (larger deployments)."""

from typing import Any

from infra.cli.common import loop_command
from infra.settings import get_settings
from infra.webhooks import BackgroundWebhooks


def register(subcommands: Any) -> None:
    loop_command(
        subcommands,
        ("webhooks", "webhook deliveries to other systems"),
        "send webhook deliveries as they come, retrying failures with back-off, until "
        "stopped (Ctrl+C or SIGTERM); for deployments that run `casework serve` with "
        "CASEWORK_RUN_WEBHOOKS=false. Several copies may run: none sends a delivery another "
        "is sending",
        lambda built: BackgroundWebhooks(built.connect, get_settings(), built.rating_links),
        "sending webhook deliveries; stop with Ctrl+C",
    )
