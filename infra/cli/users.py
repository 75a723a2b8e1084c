"""casework users: who may call the service."""

import argparse
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.vocabulary import Role
from infra.cli.common import services


def register(subcommands: Any) -> None:
    users = subcommands.add_parser("users", help="manage who may call the service")
    actions = users.add_subparsers(
        dest="users_command", required=True, metavar="ACTION", parser_class=type(users)
    )
    add = actions.add_parser("add", help="create a user and print its token once")
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--area", help="a street, community or grid id")
    add.add_argument("--expires-in-days", type=int, help="the token stops working after this")
    add.set_defaults(handler=add_user)


def add_user(args: argparse.Namespace) -> None:
    expires_at = (
        datetime.now(UTC) + timedelta(days=args.expires_in_days) if args.expires_in_days else None
    )
    with services() as built:
        user, token = built.users.add(args.name, Role(args.role), args.area, expires_at)
    print(f"id:    {user.id}")
    print(f"name:  {user.name}")
    print(f"role:  {user.role}")
    if user.area:
        print(f"area:  {user.area}")
    print(f"token: {token}")
    print("The token is shown only this once; store it now.", file=sys.stderr)
