"""casework supervise: run the supervision ladder on its own (larger deployments)."""

import argparse
from typing import Any

from infra.cli.common import command_group, run_until_stopped
from infra.settings import get_settings
from infra.supervision import BackgroundSupervision


def register(subcommands: Any) -> None:
    actions = command_group(subcommands, "supervise", "the supervision ladder (督办)")
    run = actions.add_parser(
        "run",
        help="urge, supervise and publicly note cases as their moments pass, until stopped "
        "(Ctrl+C or SIGTERM); for deployments that run `casework serve` with "
        "CASEWORK_RUN_SUPERVISION=false. Several copies may run: each step is recorded once",
    )
    run.set_defaults(handler=run_supervision)


def run_supervision(args: argparse.Namespace) -> None:
    interval = get_settings().supervision_interval_seconds
    run_until_stopped(
        lambda built: BackgroundSupervision(built.cases, built.connect, interval_seconds=interval),
        "supervising; stop with Ctrl+C",
    )
