"""casework supervise: run the supervision ladder on its own (larger deployments)."""

from typing import Any

from infra.cli.common import loop_command
from infra.settings import get_settings
from infra.supervision import BackgroundSupervision


def register(subcommands: Any) -> None:
    loop_command(
        subcommands,
        ("supervise", "the supervision ladder (督办)"),
        "urge, supervise and publicly note cases as their moments pass, until stopped "
        "(Ctrl+C or SIGTERM); for deployments that run `casework serve` with "
        "CASEWORK_RUN_SUPERVISION=false. Several copies may run: each step is recorded once",
        lambda built: BackgroundSupervision.of_service(built.cases, built.connect, get_settings()),
        "supervising; stop with Ctrl+C",
    )
