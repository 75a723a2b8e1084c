"""The ``casework`` command: run the service, manage users, read a case's history."""

import argparse
import json
import os
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import NoReturn
from uuid import UUID

from domain.application import CaseNotFound
from domain.vocabulary import Role
from infra.bootstrap import Services, bootstrap
from infra.database import DatabaseUnavailable, database_url
from infra.settings import Settings, get_settings


class CommandError(Exception):
    """A plain-words failure of a command, printed as one line."""


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    settings = get_settings()
    # Start the database once, here, so every worker process shares it.
    os.environ["DATABASE_URL"] = database_url(settings)
    bootstrap(settings.model_copy(update={"database_url": os.environ["DATABASE_URL"]})).close()
    print(f"casework listening on http://{args.host}:{args.port} (docs at /docs)", flush=True)
    # uvicorn re-raises SIGTERM after its graceful shutdown; exiting through Python instead
    # lets the embedded PostgreSQL be stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    uvicorn.run(
        "api.main:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
    )


def add_user(args: argparse.Namespace) -> None:
    with _services() as services:
        expires_at = (
            datetime.now(UTC) + timedelta(days=args.expires_in_days)
            if args.expires_in_days
            else None
        )
        user, token = services.users.add(args.name, Role(args.role), args.area, expires_at)
    print(f"id:    {user.id}")
    print(f"name:  {user.name}")
    print(f"role:  {user.role}")
    if user.area:
        print(f"area:  {user.area}")
    print(f"token: {token}")
    print("The token is shown only this once; store it now.", file=sys.stderr)


def history(args: argparse.Namespace) -> None:
    try:
        case_id = UUID(args.case_id)
    except ValueError:
        raise CommandError(f"'{args.case_id}' is not a case id (a UUID)") from None
    with _services() as services:
        try:
            entries = services.cases.history(case_id)
        except CaseNotFound:
            raise CommandError(f"no case with id {case_id}") from None
        zone = services.settings.zone
    if args.json:
        print(
            json.dumps(
                [vars(e) for e in entries], default=_json_value, ensure_ascii=False, indent=2
            )
        )
        return
    print(f"case {case_id}: {len(entries)} events, oldest first")
    for e in entries:
        print(
            f"v{e.version:<3} {e.type:<14} occurred {e.occurred_at.astimezone(zone).isoformat()}"
            f"  recorded {e.recorded_at.astimezone(zone).isoformat()}"
            f"  by {e.actor['role']} {e.actor['id']}"
        )
        print(f"     {json.dumps(e.data, default=_json_value, ensure_ascii=False)}")


def _json_value(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


class _services:
    """Services for one CLI command, closed when it ends."""

    def __enter__(self) -> Services:
        self.services = bootstrap(Settings())
        return self.services

    def __exit__(self, *exc: object) -> None:
        self.services.close()


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def parser() -> argparse.ArgumentParser:
    settings = get_settings()
    root = _Parser(
        prog="casework",
        description="Event-sourced case management for community social-work centres. "
        "Uses DATABASE_URL, or an embedded PostgreSQL under ./var when it is unset.",
    )
    commands = root.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )

    run = commands.add_parser("serve", help="run the HTTP service")
    run.add_argument("--host", default=settings.host, help="default %(default)s")
    run.add_argument("--port", type=int, default=settings.port, help="default %(default)s")
    run.add_argument("--workers", type=int, default=settings.workers, help="default %(default)s")
    run.set_defaults(handler=serve)

    users = commands.add_parser("users", help="manage who may call the service")
    user_commands = users.add_subparsers(
        dest="users_command", required=True, metavar="ACTION", parser_class=_Parser
    )
    add = user_commands.add_parser("add", help="create a user and print its token once")
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--area", help="a street, community or grid id")
    add.add_argument("--expires-in-days", type=int, help="the token stops working after this")
    add.set_defaults(handler=add_user)

    show = commands.add_parser("history", help="print a case's history as an auditor reads it")
    show.add_argument("case_id", metavar="CASE_ID")
    show.add_argument("--json", action="store_true", help="print JSON instead of text")
    show.set_defaults(handler=history)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], None] = args.handler
    try:
        handler(args)
    except KeyboardInterrupt:
        return 130
    except (CommandError, DatabaseUnavailable) as error:
        print(f"casework: error: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001 - one plain line for whoever runs it
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"casework: error: {type(error).__name__}: {message}", file=sys.stderr)
        return 1
    return 0
