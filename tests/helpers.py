"""Request bodies and small helpers shared by the integration and end-to-end tests."""

import socket
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from uuid import uuid4

from domain import commands
from domain.application import Caller, CaseWork


def moments_ago(minutes: int = 1) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()


RESIDENT = {"name": "李秀英", "phone": "13812345678", "address": "天胜社区3号楼2单元301"}


def intake(kind: str = "resident_request", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": kind,
        "category": {"resident_request": "help", "dispute": "neighbour", "micro_wish": "goods"}[
            kind
        ],
        "channel": "hotline",
        "title": "楼道灯坏了",
        "description": "3号楼2单元楼道灯不亮，老人夜间上下楼不便",
        "grid_id": "tiansheng-01",
        "resident": dict(RESIDENT),
    }
    if kind == "dispute":
        body["parties"] = [
            {"name": "李秀英", "role": "applicant"},
            {"name": "王强", "role": "respondent"},
        ]
    body.update(overrides)
    return body


def visit_body(**overrides: Any) -> dict[str, Any]:
    return {"visited_at": moments_ago(), "duration_minutes": 30, "notes": "上门查看", **overrides}


class CaseWorkWithVerbs(CaseWork):
    """The service as the unit tests drive it: ``app.record_visit(case_id, visited_at, ...)``,
    one method per command, spelt as before commands were objects. Each is
    ``CaseWork.handle`` with the command's fields given by position, then the caller and
    handle's options (``occurred_at``, ``expected_version``, ``command_key``, ``visible``)."""

    VERBS: ClassVar[dict[str, type[commands.CaseCommand]]] = {
        "assign": commands.Assign,
        "reassign": commands.Reassign,
        "record_visit": commands.Visit,
        "escalate": commands.Escalate,
        "suspend": commands.Suspend,
        "resume": commands.Resume,
        "extend": commands.Extend,
        "close_case": commands.Close,
        "rate": commands.Rate,
        "reopen": commands.Reopen,
        "hold_mediation": commands.HoldMediation,
        "claim": commands.Claim,
        "fulfil": commands.Fulfil,
    }
    OPTIONS = ("occurred_at", "expected_version", "command_key")
    # extend took its new deadline after the caller
    AFTER_CALLER: ClassVar[dict[str, tuple[str, ...]]] = {
        "extend": ("new_due_at", "extra_working_days")
    }

    def __getattr__(self, name: str) -> Any:
        command = self.VERBS.get(name)
        if command is None:
            raise AttributeError(name)

        def send(case_id: Any, *args: Any, **kwargs: Any) -> Any:
            at = next(n for n, arg in enumerate(args) if isinstance(arg, Caller))
            fields = self.AFTER_CALLER.get(name, ())
            options = dict(zip((*fields, *self.OPTIONS), args[at + 1 :], strict=False))
            kwargs.update({k: options.pop(k) for k in fields if k in options})
            options.update({k: kwargs.pop(k) for k in [*self.OPTIONS, "visible"] if k in kwargs})
            return self.handle(case_id, command(*args[:at], **kwargs), args[at], **options)

        return send


def closed_cases(count: int, resident_id: str) -> list[Any]:
    """``count`` requests received, assigned, visited and closed: four events each."""
    from domain.kinds import ResidentRequest
    from domain.matter import Matter
    from domain.stamp import Stamp
    from domain.time_limits import TimeLimit, Unit

    now = datetime.now(UTC)
    stamp = Stamp.create(actor_id="seed", actor_role="clerk", correlation_id="seed", now=now)
    cases = []
    for n in range(count):
        case = ResidentRequest.receive(
            case_id=uuid4(),
            matter=Matter("help", "hotline", f"第{n}件", "批量", f"tiansheng-0{n % 4 + 1}"),
            first_contact="seed",
            due_at=now + timedelta(days=3),
            due_at_provisional=False,
            time_limit=TimeLimit(3, Unit.WORKING_DAYS),
            resident={"name": "某"},
            parties=[],
            intake={},
            stamp=stamp,
            resident_id=resident_id,
        )
        case.assign("seed-worker", None, stamp)
        case.visit(now, 20, "上门", None, stamp)
        case.close("resolved", "办结", stamp)
        cases.append(case)
    return cases


class Receiver:
    """A webhook receiver: a real HTTP server on a free port, started only when asked (until
    then nothing listens there); it keeps the headers and body of every POST."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
