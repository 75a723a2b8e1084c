"""casework users: who may call the service."""

import argparse
import sys
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from domain.vocabulary import BOARD_CLAIMANT_TYPES, ClaimantType, Role
from infra.cli.common import CommandError, services
from infra.sessions import Sessions
from infra.settings import get_settings

# A sign-in link is for handing over now (a chat message, a phone beside the desk): short.
LINK_MINUTES, LONGEST_LINK_MINUTES = 30, 7 * 24 * 60

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


def minutes(raw: str) -> int:
    """--expires-in-minutes: a whole number of minutes, 1 to a week."""
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected whole minutes, got '{raw}'") from None
    if not 1 <= value <= LONGEST_LINK_MINUTES:
        raise argparse.ArgumentTypeError(
            f"must be from 1 to {LONGEST_LINK_MINUTES} (a week); got {value}"
        )
    return value


def _expires_in_days(parser: Any, token: str) -> None:
    parser.add_argument(
        "--expires-in-days",
        type=days,
        metavar="N",
        help=f"{token} stops working N days from now (N >= 1); without it, it never expires",
    )


def register(subcommands: Any) -> None:
    users = subcommands.add_parser("users", help="manage who may call the service")
    actions = users.add_subparsers(
        dest="users_command", required=True, metavar="ACTION", parser_class=type(users)
    )
    add = actions.add_parser("add", help="create a user and print its token once")
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--area", help="a street, community or grid id")
    add.add_argument(
        "--claimant-type",
        choices=[str(t) for t in BOARD_CLAIMANT_TYPES],
        help="for --role claimant (required there, refused elsewhere): who claims micro-wishes "
        "on the board, recorded as the claim's claimant type",
    )
    _expires_in_days(add, "the token")
    add.set_defaults(handler=add_user)
    rotate = actions.add_parser(
        "rotate",
        help="issue a new token for an existing user and print it once; the old one stops working",
        description="Issue a new token for an existing user, printed once. The old token "
        f"stops working {TAKES_EFFECT}. A revoked user's new token works: rotating "
        "reinstates them.",
    )
    rotate.add_argument("user_id", metavar="USER_ID")
    _expires_in_days(rotate, "the new token")
    rotate.set_defaults(handler=rotate_token)
    revoke = actions.add_parser(
        "revoke",
        help="stop a user's token working (within CASEWORK_AUTH_CACHE_SECONDS, 5 s by default)",
        description=f"Stop a user's token working {TAKES_EFFECT}.",
    )
    revoke.add_argument("user_id", metavar="USER_ID")
    revoke.set_defaults(handler=revoke_user)
    link = actions.add_parser(
        "link",
        help="print a one-time link that signs the user in to the workbench (/app)",
        description="Print a URL that signs the user in to the workbench once: a second use, "
        "or a use after it expires, is refused, and so is any use once the user's token is "
        "revoked, rotated or expired. The URL starts with CASEWORK_PUBLIC_URL "
        "(unset: http://CASEWORK_HOST:CASEWORK_PORT).",
    )
    link.add_argument("user_id", metavar="USER_ID")
    link.add_argument(
        "--expires-in-minutes",
        type=minutes,
        default=LINK_MINUTES,
        metavar="N",
        help="the link stops working N minutes from now (1 to 10080; default %(default)s)",
    )
    link.set_defaults(handler=sign_in_link)
    listing = actions.add_parser("list", help="list users, their roles, areas and token state")
    listing.set_defaults(handler=list_users)


def add_user(args: argparse.Namespace) -> None:
    expires_at = (
        datetime.now(UTC) + timedelta(days=args.expires_in_days) if args.expires_in_days else None
    )
    role = Role(args.role)
    if role == Role.CLAIMANT and args.claimant_type is None:
        raise CommandError("--role claimant needs --claimant-type (party_member, volunteer, ...)")
    if role != Role.CLAIMANT and args.claimant_type is not None:
        raise CommandError("--claimant-type is only for --role claimant")
    claimant_type = None if args.claimant_type is None else ClaimantType(args.claimant_type)
    with services() as built:
        user, token = built.users.add(args.name, role, args.area, expires_at, claimant_type)
    print(f"id:    {user.id}")
    print(f"name:  {user.name}")
    print(f"role:  {user.role}")
    if user.area:
        print(f"area:  {user.area}")
    if claimant_type is not None:
        print(f"claimant type: {claimant_type}")
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


def sign_in_link(args: argparse.Namespace) -> None:
    user_id = _user_id(args.user_id)
    with services() as built:
        sessions = Sessions(built.pool)
        sessions.create_schema()  # the CLI may run before the first server did
        secret = sessions.issue_link(user_id, timedelta(minutes=args.expires_in_minutes))
    if secret is None:
        raise CommandError(f"no user with id {user_id} whose token is valid (revoked or expired?)")
    settings = get_settings()
    base = (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")
    print(f"{base}/app/sign-in/link/{secret}")
    print(
        f"The link signs the user in once, within {args.expires_in_minutes} minutes; "
        "hand it to them only.",
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
