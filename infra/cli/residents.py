"""casework residents: find a resident by phone, erase their personal data, the erasure log."""

import argparse
import getpass
import json
from datetime import UTC, datetime
from typing import Any

from infra.cli.common import CommandError, command_group, services
from infra.personal.keys import KeyUnavailable, UnknownResident
from infra.personal.residents import Erasure
from projections.case_list.queries import CaseFilter, list_cases


def register(subcommands: Any) -> None:
    actions = command_group(
        subcommands, "residents", "residents' personal data: lookup, erasure, keys"
    )
    erase = actions.add_parser(
        "erase",
        help="erase a resident's personal data (crypto-shredding)",
        description="Delete the resident's data key and their phone's lookup entry: every "
        'event, case, history and export then shows their personal data as {"erased": true}, '
        "while the cases, their timelines and every figure stay as they were. The erasure is "
        "recorded (casework residents erasures). It cannot be undone.",
    )
    erase.add_argument("resident_id", metavar="RESIDENT_ID")
    erase.add_argument(
        "--reference", help="your reference for the request (a ticket number; no personal data)"
    )
    erase.set_defaults(handler=erase_resident)

    lookup = actions.add_parser(
        "lookup", help="the resident_id and cases of a phone number (read from standard input)"
    )
    lookup.add_argument(
        "--phone",
        help="the phone number; without it, it is read from standard input "
        "(so that it stays out of the shell's history)",
    )
    lookup.set_defaults(handler=lookup_resident)

    erasures = actions.add_parser("erasures", help="every erasure: whose, by whom, when")
    erasures.add_argument("resident_id", metavar="RESIDENT_ID", nargs="?")
    erasures.add_argument("--json", action="store_true", help="print JSON instead of text")
    erasures.set_defaults(handler=list_erasures)

    wrap = actions.add_parser(
        "wrap-keys",
        help="wrap every data key still stored unwrapped with CASEWORK_MASTER_KEY",
    )
    wrap.set_defaults(handler=wrap_keys)


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def erase_resident(args: argparse.Namespace) -> None:
    with services() as built:
        try:
            erasure = built.residents.erase(
                args.resident_id,
                actor_id=_operator(),
                actor_role="admin",
                via="cli",
                reference=args.reference,
            )
        except UnknownResident:
            raise CommandError(f"no resident with id {args.resident_id}") from None
        zone = built.settings.zone
    when = erasure.erased_at.astimezone(zone).isoformat()
    if erasure.already_erased:
        print(f"resident {erasure.resident_id} was already erased at {when}; nothing to do")
        return
    print(f"erased resident {erasure.resident_id} at {when} by {erasure.actor_id}")
    print(f"phone lookups deleted: {erasure.phone_lookups_deleted}")


def lookup_resident(args: argparse.Namespace) -> None:
    phone = args.phone or input().strip()
    if not phone:
        raise CommandError("give a phone number")
    with services() as built:
        try:
            resident_id = built.residents.find(phone)
        except ValueError as error:
            raise CommandError(str(error)) from None
        if resident_id is None:
            print("no resident with this phone")
            return
        with built.pool.connection() as conn:
            page = list_cases(
                conn, CaseFilter(resident_id=resident_id), now=datetime.now(UTC), limit=100
            )
        zone = built.settings.zone
    print(f"resident {resident_id}: {page.total} cases")
    for row in page.items:
        received = row["received_at"].astimezone(zone).isoformat()
        print(f"{row['id']}  {received}  {row['kind']}/{row['category']}  {row['status']}")


def list_erasures(args: argparse.Namespace) -> None:
    with services() as built:
        try:
            found = built.residents.erasures(args.resident_id)
        except UnknownResident:
            raise CommandError(f"no resident with id {args.resident_id}") from None
        zone = built.settings.zone
    if args.json:
        print(json.dumps([_erasure_json(e, zone) for e in found], ensure_ascii=False, indent=2))
        return
    for e in found:
        reference = f"  reference {e.reference}" if e.reference else ""
        print(
            f"{e.resident_id}  erased {e.erased_at.astimezone(zone).isoformat()}"
            f"  by {e.actor_role} {e.actor_id} via {e.via}{reference}"
        )
    print(f"{len(found)} erasures")


def _erasure_json(erasure: Erasure, zone: Any) -> dict[str, Any]:
    return {
        **vars(erasure),
        "erased_at": erasure.erased_at.astimezone(zone).isoformat(),
    }


def wrap_keys(args: argparse.Namespace) -> None:
    with services() as built:
        try:
            count = built.residents.keys.wrap_plain_keys()
        except KeyUnavailable as error:
            raise CommandError(str(error)) from None
    print(f"wrapped {count} data keys with the master key")
