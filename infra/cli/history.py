"""casework history: a case's events as an auditor reads them."""

import argparse
import json
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.application import CaseNotFound
from infra.cli.common import CommandError, administrator, services
from infra.personal.masking import event_data_for


def register(subcommands: Any) -> None:
    show = subcommands.add_parser("history", help="print a case's history as an auditor reads it")
    show.add_argument("case_id", metavar="CASE_ID")
    show.add_argument("--json", action="store_true", help="print JSON instead of text")
    show.add_argument(
        "--clear",
        action="store_true",
        help="show residents' personal data in clear (masked by default, as for an auditor)",
    )
    show.set_defaults(handler=history)


def history(args: argparse.Namespace) -> None:
    try:
        case_id = UUID(args.case_id)
    except ValueError:
        raise CommandError(f"'{args.case_id}' is not a case id (a UUID)") from None
    with services() as built:
        try:
            entries = built.cases.history(case_id)
        except CaseNotFound:
            raise CommandError(f"no case with id {case_id}") from None
        zone = built.settings.zone
        reader = administrator()
        what = "history (clear)" if args.clear else "history"
        built.reads.record(None, reader.role, what, case_id, actor=reader.actor_id)
        names = built.users.names(e.actor.get("id") for e in entries)
    # Each actor with their name beside the id (none for cli:<os user>).
    entries = [replace(e, actor={**e.actor, "name": names.get(e.actor["id"])}) for e in entries]
    if not args.clear:  # the operator reads as an auditor does unless they ask
        entries = [replace(e, data=event_data_for(e.data, role=None)) for e in entries]
    if args.json:
        listing = [vars(e) for e in entries]
        print(json.dumps(listing, default=_json_value, ensure_ascii=False, indent=2))
        return
    print(f"case {case_id}: {len(entries)} events, oldest first")
    for e in entries:
        print(
            f"v{e.version:<3} {e.type:<14} occurred {e.occurred_at.astimezone(zone).isoformat()}"
            f"  recorded {e.recorded_at.astimezone(zone).isoformat()}"
            f"  by {e.actor['role']} {e.actor['id']}"
            + (f" ({e.actor['name']})" if e.actor["name"] else "")
        )
        print(f"     {json.dumps(e.data, default=_json_value, ensure_ascii=False)}")


def _json_value(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
