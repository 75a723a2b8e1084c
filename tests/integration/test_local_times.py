"""Every moment the API answers is written in the service's zone: ISO 8601 ending in +08:00.

Clients send moments in any offset (``Z``, ``+00:00``, ``+08:00``); what comes back, in
cases, histories, lists, the dashboard, reports, statuses, logs, people and problems, is
always Asia/Shanghai time, so that a user never sees the same moment written three ways."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from domain.vocabulary import Role
from infra.bootstrap import Services
from tests.helpers import intake
from tests.integration.conftest import Api, People, Person

# An ISO 8601 moment with an offset, alone or inside a text (a problem's detail).
MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})")


def moments_in(value: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """Every moment written anywhere in a JSON answer, with where it was found."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from moments_in(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from moments_in(item, f"{where}[{i}]")
    elif isinstance(value, str):
        for found in MOMENT.findall(value):
            yield where, found


def has_shanghai_time(moment: str) -> bool:
    """False for a moment whose Shanghai time falls past year 9999 (a deadline stored before
    dates were bounded, e.g. by another test): that one is answered in UTC, as documented."""
    try:
        datetime.fromisoformat(moment).astimezone(ZoneInfo("Asia/Shanghai"))
    except OverflowError:
        return False
    return True


def utc(minutes_ago: int, form: str = "Z") -> str:
    moment = (datetime.now(UTC) - timedelta(minutes=minutes_ago)).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", form)


class Answers:
    """Every JSON answer of the walk, each checked at the end."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    def keep(self, label: str, response: Any, status: int = 200) -> Any:
        assert response.status_code == status, f"{label}: {response.text}"
        body = response.json()
        self.seen.append((label, body))
        return body

    def not_local(self) -> list[str]:
        return [
            f"{label}{where}: {moment}"
            for label, body in self.seen
            for where, moment in moments_in(body)
            if not moment.endswith("+08:00") and has_shanghai_time(moment)
        ]

    def count(self) -> int:
        return sum(1 for _, body in self.seen for _ in moments_in(body))


def test_every_moment_the_api_answers_is_in_shanghai_time(
    client: TestClient, services: Services, people: People
) -> None:
    answers = Answers()
    clerk, worker, supervisor = (
        Api(client, p) for p in (people.clerk, people.worker, people.supervisor)
    )
    admin_user, admin_token = services.users.add("管理员 时", Role.ADMIN, "tiansheng")
    admin = Api(client, Person(str(admin_user.id), "admin", admin_token))
    expiring, expiring_token = services.users.add(
        "临时 审计", Role.AUDITOR, "tiansheng", expires_at=datetime.now(UTC) + timedelta(days=3)
    )
    auditor = Api(client, Person(str(expiring.id), "auditor", expiring_token))

    # A resident request through its whole life, with moments sent in UTC, two ways.
    case = answers.keep("intake", clerk.post("/cases", intake(received_at=utc(300))), 201)
    cid = case["id"]
    answers.keep("assign", clerk.command(cid, "assign", {"assignee": people.worker.id}))
    answers.keep(
        "visit",
        worker.command(
            cid,
            "visits",
            {"visited_at": utc(200, "+00:00"), "duration_minutes": 30, "notes": "上门"},
        ),
    )
    answers.keep("suspend", worker.command(cid, "suspend", {"reason": "等居民"}))
    answers.keep("resume", worker.command(cid, "resume", {"reason": "居民回来了"}))
    due = datetime.fromisoformat(case["due_at"]) + timedelta(days=10)
    answers.keep(
        "extend",
        supervisor.command(
            cid,
            "extend",
            {
                "new_due_at": due.astimezone(UTC).isoformat(),
                "reason": "需协调",
                "approved_by": people.supervisor.id,
            },
        ),
    )
    answers.keep(
        "close", worker.command(cid, "close", {"resolution": "resolved", "summary": "已修"})
    )
    answers.keep("rate", clerk.command(cid, "rate", {"rating": "satisfied"}))
    last = answers.keep("reopen", supervisor.command(cid, "reopen", {"reason": "复查"}))

    # A dispute's mediation and a micro-wish's claim and fulfilment.
    dispute = answers.keep("dispute", clerk.post("/cases", intake("dispute")), 201)
    clerk.command(dispute["id"], "assign", {"assignee": people.worker.id})
    answers.keep(
        "mediation",
        worker.command(
            dispute["id"],
            "mediations",
            {
                "held_at": utc(5),
                "participants": ["李秀英", "王强"],
                "outcome": "agreement",
                "notes": "和解",
            },
        ),
    )
    wish = answers.keep("wish", clerk.post("/cases", intake("micro_wish")), 201)
    clerk.command(wish["id"], "assign", {"assignee": people.worker.id})
    answers.keep(
        "claim",
        worker.command(
            wish["id"], "claim", {"claimant": "志愿者 李", "claimant_type": "volunteer"}
        ),
    )
    wish_done = answers.keep(
        "fulfil", worker.command(wish["id"], "fulfil", {"fulfilled_at": utc(1), "notes": "送到"})
    )

    # The queries.
    position = max(last["position"], wish_done["position"])
    for label, api, path, params in [
        ("case", clerk, f"/cases/{cid}", {}),
        ("case at version 2", clerk, f"/cases/{cid}", {"version": 2}),
        ("case as of", clerk, f"/cases/{cid}", {"as_of": datetime.now(UTC).isoformat()}),
        ("history", supervisor, f"/cases/{cid}/history", {}),
        ("dispute history", supervisor, f"/cases/{dispute['id']}/history", {}),
        ("wish", clerk, f"/cases/{wish['id']}", {}),
        ("verify", admin, f"/cases/{cid}/verify", {}),
        ("list", clerk, "/cases", {"min_position": position, "grid_id": "tiansheng-01"}),
        ("dashboard", clerk, "/dashboard/summary", {"min_position": position}),
        (
            "report",
            supervisor,
            "/reports/compliance",
            {
                "from": (datetime.now(UTC) - timedelta(days=2)).date().isoformat(),
                "to": (datetime.now(UTC) + timedelta(days=1)).date().isoformat(),
            },
        ),
        ("projections", supervisor, "/projections", {}),
        ("me", auditor, "/me", {}),
        ("users", clerk, "/users", {}),
        ("read log", admin, "/audit/reads", {}),
    ]:
        answers.keep(label, api.get(path, **params))
    answers.keep(
        "lookup",
        clerk.post(
            "/residents/lookup", {"phone": "13812345678"}, **{"X-Min-Position": str(position)}
        ),
    )
    resident = case["resident"]["resident_id"]
    answers.keep(
        "erase", client.delete(f"/residents/{resident}/personal-data", headers=admin.person.auth)
    )
    answers.keep("erasures", admin.get("/residents/erasures"))

    # Problems whose detail names moments.
    answers.keep(
        "not later",
        supervisor.command(
            dispute["id"],
            "extend",
            {
                "new_due_at": utc(-60 * 24 * 2),
                "reason": "x",
                "approved_by": people.supervisor.id,
                "occurred_at": utc(0),
            },
        ),
        409,
    )
    answers.keep(
        "out of order",
        worker.command(
            dispute["id"],
            "visits",
            {
                "visited_at": utc(60 * 24 * 365, "+00:00"),
                "duration_minutes": 5,
                "notes": "补录",
                "occurred_at": utc(60 * 24 * 365),
            },
        ),
        409,
    )
    answers.keep("before the case", clerk.get(f"/cases/{cid}", as_of=utc(60 * 24 * 2)), 404)

    assert answers.count() > 60
    elsewhere = answers.not_local()
    assert not elsewhere, "\n".join(elsewhere)
