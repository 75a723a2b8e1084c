"""casework projections: run the read models' projectors, rebuild a read model, skip an event."""

import argparse
import signal
import threading
from typing import Any

from tqdm import tqdm

from infra.cli.common import CommandError, administrator, command_group, services
from infra.projections import READ_MODELS, BackgroundProjectors, rebuild
from projections.runner import Progress, skip_event


def register(subcommands: Any) -> None:
    actions = command_group(subcommands, "projections", "keep read models up to date")
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
    skip = actions.add_parser(
        "skip",
        help="make a read model pass over one event it cannot apply (see GET /projections "
        "for the failing event); recorded with who and why",
    )
    skip.add_argument("name", choices=sorted(READ_MODELS), metavar="NAME")
    skip.add_argument("position", type=int, metavar="POSITION", help="the event's position")
    skip.add_argument("--reason", required=True, help="why, for the record")
    skip.set_defaults(handler=skip_event_of)


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


def skip_event_of(args: argparse.Namespace) -> None:
    reason = args.reason.strip()
    if not reason or "\x00" in reason:
        raise CommandError("--reason: say why, in words")
    with services() as built:
        head = built.cases.recorder.max_notification_id() or 0
        if not 1 <= args.position <= head:
            raise CommandError(f"no event at position {args.position}: the log's head is {head}")
        with built.connect() as conn:
            conn.autocommit = True
            new = skip_event(conn, args.name, args.position, administrator().actor_id, reason)
    print(
        f"{args.name}: event {args.position} "
        + (
            "will be passed over (its projector sees it at its next retry)"
            if new
            else "was skipped before"
        )
    )
