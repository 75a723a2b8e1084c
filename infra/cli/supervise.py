"""casework supervise: run the supervision ladder on its own (larger deployments)."""

import argparse
import signal
import threading
from typing import Any

from infra.cli.common import command_group, services
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
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    interval = get_settings().supervision_interval_seconds
    with services() as built:
        manager = BackgroundSupervision(built.cases, built.connect, interval_seconds=interval)
        manager.start()
        print("supervising; stop with Ctrl+C", flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            manager.stop()
