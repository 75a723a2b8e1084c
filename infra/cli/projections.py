"""casework projections: run the read models' projectors, rebuild a read model."""

import argparse
import signal
import threading
from typing import Any

from tqdm import tqdm

from infra.cli.common import CommandError, services
from infra.projections import READ_MODELS, BackgroundProjectors, rebuild
from projections.runner import Progress


def register(subcommands: Any) -> None:
    projections = subcommands.add_parser("projections", help="keep read models up to date")
    actions = projections.add_subparsers(
        dest="projections_command",
        required=True,
        metavar="ACTION",
        parser_class=type(projections),
    )
    run = actions.add_parser(
        "run",
        help="run the projectors in this process until stopped (Ctrl+C or SIGTERM); "
        "for deployments that run `casework serve` with CASEWORK_RUN_PROJECTIONS=false",
    )
    run.set_defaults(handler=run_projectors)
    again = actions.add_parser(
        "rebuild",
        help="rebuild read models from the first event while the old ones keep "
        "answering queries, then switch over",
    )
    again.add_argument(
        "name",
        nargs="?",
        choices=sorted(READ_MODELS),
        metavar="NAME",
        help=f"one of: {', '.join(sorted(READ_MODELS))} (default: all)",
    )
    again.set_defaults(handler=rebuild_read_models)


def run_projectors(args: argparse.Namespace) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with services() as built:
        projectors = BackgroundProjectors(built.cases, built.connect).start()
        print(f"projecting {', '.join(READ_MODELS)}; stop with Ctrl+C", flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            projectors.stop()


def rebuild_read_models(args: argparse.Namespace) -> None:
    names = [args.name] if args.name else sorted(READ_MODELS)
    with services() as built:
        for name in names:
            with tqdm(desc=name, unit=" events", unit_scale=True) as bar:

                def show(progress: Progress, bar: tqdm = bar) -> None:
                    bar.total = progress.head
                    bar.update(progress.position - bar.n)

                try:
                    generation, replaced = rebuild(name, built.cases, built.connect, show)
                except RuntimeError as error:
                    raise CommandError(str(error)) from None
            print(
                f"{name}: generation {generation} now answers queries"
                + (f" (replaced generation {replaced})" if replaced else "")
            )
