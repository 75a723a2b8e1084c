"""casework users: who may call the service."""

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from domain.vocabulary import Role
from infra.cli.common import CommandError, command_group, services

# How soon a revoked or replaced token stops working in a running server (README: Who may
# do what); the same words in every --help that changes a token.
TAKES_EFFECT = (
    "within CASEWORK_AUTH_CACHE_SECONDS (5 s by default): a running server trusts a token "
    "it has checked for that long"
)


def days(raw: str) -> int:
    """--expires-in-days: a whole number of days, at least one."""
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of days, got '{raw}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"must be 1 or more (got {value}); leave it out for a token that does not expire"
        )
    return value


def _expires_in_days(parser: Any, token: str) -> None:
    parser.add_argument(
        "--expires-in-days",
        type=days,
        metavar="N",
        help=f"{token} stops working N days from now (N >= 1); without it, it never expires",
    )


def _on_one_user(
    actions: Any, name: str, handler: Callable[[argparse.Namespace], None], **about: str
) -> Any:
    """An action on the user named by USER_ID."""
    action = actions.add_parser(name, **about)
    action.add_argument("user_id", metavar="USER_ID")
    action.set_defaults(handler=handler)
    return action


def register(subcommands: Any) -> None:
    actions = command_group(subcommands, "users", "manage who may call the service")
    add = actions.add_parser("add", help="create a user and print its token once")
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--area", help="a street, community or grid id")
    _expires_in_days(add, "the token")
    add.set_defaults(handler=add_user)
    rotate = _on_one_user(
        actions,
        "rotate",
        rotate_token,
        help="issue a new token for an existing user and print it once; the old one stops working",
        description="Issue a new token for an existing user, printed once. The old token "
        f"stops working {TAKES_EFFECT}. A revoked user's new token works: rotating "
        "reinstates them.",
    )
    _expires_in_days(rotate, "the new token")
    _on_one_user(
        actions,
        "revoke",
        revoke_user,
        help="stop a user's token working (within CASEWORK_AUTH_CACHE_SECONDS, 5 s by default)",
        description=f"Stop a user's token working {TAKES_EFFECT}.",
    )
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


def _user_id(raw: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError:
        raise CommandError(f"'{raw}' is not a user id (a UUID)") from None


def rotate_token(args: argparse.Namespace) -> None:
    user_id = _user_id(args.user_id)
    expires_at = (
        datetime.now(UTC) + timedelta(days=args.expires_in_days) if args.expires_in_days else None
    )
    with services() as built:
        token = built.users.rotate(user_id, expires_at)
    if token is None:
        raise CommandError(f"no user with id {user_id}")
    print(f"id:    {user_id}")
    if expires_at is not None:
        print(f"expires: {expires_at:%Y-%m-%d %H:%M} UTC")
    print(f"token: {token}")
    print(
        "The token is shown only this once; store it now. The old token stops working "
        "within CASEWORK_AUTH_CACHE_SECONDS (5 s by default) in running servers.",
        file=sys.stderr,
    )


def revoke_user(args: argparse.Namespace) -> None:
    user_id = _user_id(args.user_id)
    with services() as built:
        if not built.users.revoke(user_id):
            raise CommandError(f"no user with id {user_id}")
    print(
        f"revoked the token of user {user_id}; running servers refuse it within "
        "CASEWORK_AUTH_CACHE_SECONDS (5 s by default)"
    )


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
