"""casework users: who may call the service."""

import argparse
import sys
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from domain.vocabulary import Role
from infra.cli.common import CommandError, services


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
    revoke = actions.add_parser("revoke", help="stop a user's token working, at once")
    revoke.add_argument("user_id", metavar="USER_ID")
    revoke.set_defaults(handler=revoke_user)
    listing = actions.add_parser("list", help="list users, their roles, areas and token state")
    listing.set_defaults(handler=list_users)


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


def revoke_user(args: argparse.Namespace) -> None:
    try:
        user_id = UUID(args.user_id)
    except ValueError:
        raise CommandError(f"'{args.user_id}' is not a user id (a UUID)") from None
    with services() as built:
        if not built.users.revoke(user_id):
            raise CommandError(f"no user with id {user_id}")
    print(f"revoked the token of user {user_id}")


def list_users(args: argparse.Namespace) -> None:
    now = datetime.now(UTC)
    with services() as built:
        users = built.users.all()
    for user, expires_at, revoked_at in users:
        if revoked_at is not None:
            state = f"revoked {revoked_at:%Y-%m-%d}"
        elif expires_at is not None and expires_at <= now:
            state = f"expired {expires_at:%Y-%m-%d}"
        elif expires_at is not None:
            state = f"expires {expires_at:%Y-%m-%d}"
        else:
            state = "active"
        print(f"{user.id}  {user.role:<10} {user.area or '-':<14} {state:<18} {user.name}")
