"""casework audit: check that no stored event was changed, deleted or reordered."""

import argparse
from typing import Any
from uuid import UUID

from infra.audit import Verdict, case_auditor, summarise
from infra.cli.common import CommandError, command_group, services


def register(subcommands: Any) -> None:
    actions = command_group(subcommands, "audit", "check the events' hash chains")
    verify = actions.add_parser(
        "verify",
        help="verify one case's hash chain, or every case's",
        description="Recompute the hash chain of one case (or of every case) from the rows as "
        "stored and compare it with the stored hashes and the case's head. Prints one line per "
        "broken case, naming the first version that does not match, and a summary line; exits "
        "with 1 if any chain is broken.",
    )
    verify.add_argument("case_id", metavar="CASE_ID", nargs="?", help="only this case")
    verify.set_defaults(handler=verify_chains)


def verify_chains(args: argparse.Namespace) -> None:
    case_id = None
    if args.case_id is not None:
        try:
            case_id = UUID(args.case_id)
        except ValueError:
            raise CommandError(f"'{args.case_id}' is not a case id (a UUID)") from None
    auditor = case_auditor()
    with services() as built, built.connect() as conn:
        if case_id is not None:
            verdict = auditor.verify_case(conn, case_id)
            if verdict is None:
                raise CommandError(f"no case with id {case_id}")
            if verdict.ok:
                print(
                    f"case {case_id}: intact, {verdict.events_checked} events, "
                    f"head at version {verdict.head_version}"
                )
            verdicts = [verdict]
        else:
            verdicts = auditor.verify_all(conn)
        summary = summarise(_report(v) for v in verdicts)
    broken = len(summary.broken)
    print(
        f"{summary.cases} {'case' if summary.cases == 1 else 'cases'} checked "
        f"({summary.events} events): "
        + (f"{broken} broken" if broken else "every hash chain intact")
    )
    if broken:
        raise CommandError(
            f"audit failed: the hash chain of {broken} {'case is' if broken == 1 else 'cases are'}"
            " broken"
        )


def _report(verdict: Verdict) -> Verdict:
    if not verdict.ok:
        print(
            f"case {verdict.case_id}: broken at version {verdict.first_bad_version}: "
            f"{verdict.problem}",
            flush=True,
        )
    return verdict
