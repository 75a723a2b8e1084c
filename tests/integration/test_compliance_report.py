"""The compliance report against a scripted month of cases, counted again independently.

A few hundred cases, received in October 2026 (and some around it), are driven through
the HTTP API with back-dated times: assignments, visits, suspensions, extensions,
reassignments, mediations, claims, closures (on time and late), ratings of every kind and
reopenings. Then every figure of GET /reports/compliance, for every grouping, must equal
the figure this test counts from each case's history (GET /cases/{id}/history), with its
own working-day helper on ``chinese_calendar``; the CSV and the XLSX must hold the same.

The month runs in a database of its own, so other tests' cases do not mix into it.
"""

import csv
import io
import json
import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import chinese_calendar
import psycopg
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from psycopg import sql
from psycopg.conninfo import make_conninfo

from api.main import create_app
from domain.vocabulary import Role
from infra.areas import SAMPLE_FILE, read_area_file
from infra.bootstrap import Services, bootstrap
from infra.projections import BackgroundProjectors, rebuild
from infra.settings import Settings

ZONE = ZoneInfo("Asia/Shanghai")
F = datetime(2026, 10, 1, tzinfo=ZONE)  # the period: October 2026
T = datetime(2026, 11, 1, tzinfo=ZONE)
LAST_MOMENT = datetime(2026, 11, 15, tzinfo=ZONE)  # nothing is scripted after this
GROUPINGS = ("street", "community", "grid", "category", "worker")

CATEGORIES = [
    ("resident_request", "consultation"),
    ("resident_request", "help"),
    ("resident_request", "complaint"),
    ("resident_request", "suggestion"),
    ("resident_request", "urgent"),
    ("dispute", "neighbour"),
    ("dispute", "family"),
    ("dispute", "property"),
    ("dispute", "other"),
    ("micro_wish", "goods"),
    ("micro_wish", "service"),
    ("micro_wish", "other"),
]
CATEGORY_NAMES = {
    "resident_request.consultation": "居民诉求·咨询",
    "resident_request.help": "居民诉求·求助",
    "resident_request.complaint": "居民诉求·投诉",
    "resident_request.suggestion": "居民诉求·建议",
    "resident_request.urgent": "居民诉求·紧急",
    "dispute.neighbour": "矛盾纠纷·邻里",
    "dispute.family": "矛盾纠纷·家庭",
    "dispute.property": "矛盾纠纷·物业",
    "dispute.other": "矛盾纠纷·其他",
    "micro_wish.goods": "微心愿·物品",
    "micro_wish.service": "微心愿·服务",
    "micro_wish.other": "微心愿·其他",
}
RATINGS = ["satisfied", "basically_satisfied", "dissatisfied", "unreachable", "refused"]
COUNTS = (
    "received",
    "closed",
    "closed_on_time",
    "overdue_open",
    "visit_count",
    "visit_minutes",
    "ratings_valid",
    "ratings_satisfied",
    "reopened",
    "assigned",
)


# -- the service, in a database of its own ----------------------------------------------


@dataclass
class Month:
    client: TestClient
    services: Services
    clerk: dict[str, str]
    supervisor_id: str
    auth: dict[str, str]
    workers: dict[str, str]  # id -> name


@pytest.fixture(scope="module")
def month_service(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Month]:
    name = f"cw_report_{uuid4().hex[:12]}"
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    settings = Settings(
        database_url=make_conninfo(database_url, dbname=name),
        data_dir=Path(tmp_path_factory.mktemp("report-var")),
    )
    services = bootstrap(settings)
    services.areas.load(read_area_file(SAMPLE_FILE))
    projectors = BackgroundProjectors(services.cases, services.connect).start()
    try:

        def person(who: str, role: Role, area: str | None = "tiansheng") -> tuple[str, str]:
            user, token = services.users.add(who, role, area)
            return str(user.id), token

        _, clerk_token = person("窗口 周敏", Role.CLERK)
        # City-wide, so that every grouping of the report is hers to see.
        supervisor_id, supervisor_token = person("书记 钱红", Role.SUPERVISOR, None)
        workers = {}
        for who in ("网格员 张磊", "网格员 李娜", "网格员 王强", "网格员 赵丽", "网格员 孙鹏"):
            worker_id, _ = person(who, Role.WORKER)
            workers[worker_id] = who
        with TestClient(create_app(services)) as client:
            yield Month(
                client=client,
                services=services,
                clerk={"Authorization": f"Bearer {clerk_token}"},
                supervisor_id=supervisor_id,
                auth={"Authorization": f"Bearer {supervisor_token}"},
                workers=workers,
            )
    finally:
        projectors.stop()
        services.close()
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


# -- the script -------------------------------------------------------------------------


@dataclass
class Script:
    """Drives one case through the API, choosing each next step from where it stands."""

    month: Month
    rng: random.Random
    kind: str
    case_id: str = ""
    at: datetime = F
    due: datetime = F
    assignee: str | None = None
    suspended: bool = False
    closed: bool = False
    rated: bool = False
    reopens: int = 0
    level: int = 0
    agreed: bool = False
    claimed: bool = False
    fulfilled: bool = False
    position: int = 0
    commands: list[str] = field(default_factory=list)

    def send(self, action: str, body: dict[str, Any]) -> None:
        body = {**body, "occurred_at": self.at.isoformat()}
        response = self.month.client.post(
            f"/cases/{self.case_id}/{action}", json=body, headers=self.month.auth
        )
        assert response.status_code == 200, (action, body, self.commands, response.text)
        self.commands.append(action)
        answer = response.json()
        self.due = datetime.fromisoformat(answer["due_at"])
        self.position = max(self.position, answer["position"])

    def receive(self, category: str, grid_id: str, received_at: datetime) -> None:
        body: dict[str, Any] = {
            "kind": self.kind,
            "category": category,
            "channel": self.rng.choice(["window", "hotline", "wechat", "grid_patrol"]),
            "title": "报表月份",
            "description": "脚本生成的案件",
            "grid_id": grid_id,
            "resident": {"name": "居民", "phone": "13800000000"},
            "received_at": received_at.isoformat(),
        }
        if self.kind == "dispute":
            body["parties"] = [{"name": "甲"}, {"name": "乙"}]
        response = self.month.client.post("/cases", json=body, headers=self.month.clerk)
        assert response.status_code == 201, response.text
        answer = response.json()
        self.case_id = answer["id"]
        self.due = datetime.fromisoformat(answer["due_at"])
        self.position = answer["position"]
        self.at = received_at

    def wait(self) -> bool:
        """Let time pass before the next step; False once past the script's last moment."""
        pause = self.rng.choices(
            [
                0,
                self.rng.randint(1, 240),
                self.rng.randint(240, 2880),
                self.rng.randint(2880, 8640),
            ],
            weights=[1, 6, 6, 3],
        )[0]
        self.at += timedelta(minutes=pause, seconds=self.rng.randint(0, 59) if pause else 0)
        return self.at <= LAST_MOMENT

    def other_worker(self) -> str:
        return self.rng.choice([w for w in self.month.workers if w != self.assignee])

    def play(self) -> None:
        for _ in range(16):
            if not self.wait():
                return
            if self.closed:
                if not self.rated and self.rng.random() < 0.75:
                    self.send("rate", {"rating": self.rng.choice(RATINGS)})
                    self.rated = True
                elif self.reopens < 2 and self.rng.random() < 0.3:
                    self.send("reopen", {"reason": "居民不满意"})
                    self.closed = self.rated = self.agreed = self.fulfilled = False
                    self.reopens += 1
                else:
                    return
            elif self.suspended:
                self.send("resume", {"reason": "居民回复"})
                self.suspended = False
            elif self.assignee is None:
                if self.kind == "micro_wish" and self.rng.random() < 0.15:
                    self.wish_without_worker()
                elif self.rng.random() < 0.93:
                    self.assignee = self.rng.choice(list(self.month.workers))
                    self.send("assign", {"assignee": self.assignee})
                else:
                    return  # left unassigned
            elif not self.step():
                return

    def wish_without_worker(self) -> None:
        """A wish claimed, fulfilled and closed by its claimant, with no worker."""
        if not self.claimed:
            self.send("claim", {"claimant": "志愿者", "claimant_type": "volunteer"})
            self.claimed = True
        if not self.fulfilled:
            self.send("fulfil", {"fulfilled_at": self.at.isoformat(), "notes": "已送达"})
            self.fulfilled = True
        self.send("close", {"resolution": "resolved", "summary": "心愿完成"})
        self.closed = True

    def step(self) -> bool:
        """One step of an open, assigned case that is not suspended; False: left open."""
        roll = self.rng.random()
        if roll < 0.25:
            visited = self.at - timedelta(minutes=self.rng.randint(0, 300))
            self.send(
                "visits",
                {
                    "visited_at": visited.isoformat(),
                    "duration_minutes": self.rng.randint(10, 240),
                    "notes": "走访",
                },
            )
        elif roll < 0.33:
            self.send("suspend", {"reason": "等居民材料"})
            self.suspended = True
        elif roll < 0.41:
            if self.at <= self.due:
                if self.rng.random() < 0.5:
                    new_due = self.due + timedelta(days=self.rng.randint(1, 12))
                    extension: dict[str, Any] = {"new_due_at": new_due.isoformat()}
                else:
                    extension = {"extra_working_days": self.rng.randint(1, 5)}
                self.send(
                    "extend",
                    {**extension, "reason": "需要协调", "approved_by": self.month.supervisor_id},
                )
        elif roll < 0.48:
            self.assignee = self.other_worker()
            self.send("reassign", {"assignee": self.assignee, "reason": "转派"})
        elif roll < 0.51:
            if self.level < 2:
                self.level += 1
                self.send(
                    "escalate",
                    {
                        "level": ["grid", "community", "street"][self.level],
                        "reason": "网格无法解决",
                    },
                )
        elif roll < 0.63:
            self.kind_step()
        elif roll < 0.95:
            self.send("close", {"resolution": self.resolution(), "summary": "办结"})
            self.closed = True
        else:
            return False
        return True

    def kind_step(self) -> None:
        if self.kind == "dispute":
            outcome = self.rng.choice(["agreement", "no_agreement", "adjourned"])
            self.send(
                "mediations",
                {
                    "held_at": self.at.isoformat(),
                    "participants": ["甲", "乙"],
                    "outcome": outcome,
                    "notes": "调解",
                },
            )
            self.agreed = self.agreed or outcome == "agreement"
        elif self.kind == "micro_wish" and not self.claimed:
            self.send("claim", {"claimant": "党员", "claimant_type": "party_member"})
            self.claimed = True
        elif self.kind == "micro_wish" and not self.fulfilled:
            self.send("fulfil", {"fulfilled_at": self.at.isoformat(), "notes": "已完成"})
            self.fulfilled = True

    def resolution(self) -> str:
        if self.kind == "dispute":
            return "resolved" if self.agreed else self.rng.choice(["referred", "unresolvable"])
        if self.kind == "micro_wish":
            return "resolved" if self.fulfilled else self.rng.choice(["referred", "withdrawn"])
        return self.rng.choice(["resolved", "resolved", "resolved", "referred", "unresolvable"])


def random_moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + timedelta(seconds=rng.randint(0, int((end - start).total_seconds()) - 1))


def scripted_month(month: Month) -> tuple[dict[str, str], int]:
    """Play the month; return each case's kind by id, and the position of the last event."""
    rng = random.Random(20261031)
    grids = [f"tiansheng-0{n}" for n in range(1, 5)]
    moments = (
        [random_moment(rng, F, T) for _ in range(270)]
        + [random_moment(rng, datetime(2026, 9, 10, tzinfo=ZONE), F) for _ in range(24)]
        + [random_moment(rng, T, datetime(2026, 11, 8, tzinfo=ZONE)) for _ in range(6)]
        + [F, T, F - timedelta(seconds=1), T - timedelta(seconds=1)]
    )

    def play(n: int, received_at: datetime) -> Script:
        # A generator of its own per case, so the month is the same whatever the threads do.
        case_rng = random.Random(n)
        kind, category = CATEGORIES[n % len(CATEGORIES)]
        script = Script(month, case_rng, kind)
        script.receive(category, case_rng.choice(grids), received_at)
        script.play()
        return script

    # Cases are independent: play several at once (each one's commands stay in order).
    with ThreadPoolExecutor(max_workers=4) as pool:
        scripts = list(pool.map(play, range(len(moments)), moments))
    kinds = {script.case_id: script.kind for script in scripts}
    position = max(script.position for script in scripts)
    position = max(position, *special_cases(month, rng, kinds))
    return kinds, position


def special_cases(month: Month, rng: random.Random, kinds: dict[str, str]) -> list[int]:
    """The edges of the definitions, each once for sure."""
    positions = []

    def new(category: str, received_at: datetime) -> Script:
        script = Script(month, rng, "resident_request")
        script.receive(category, "tiansheng-02", received_at)
        kinds[script.case_id] = "resident_request"
        return script

    def assign(script: Script, at: datetime) -> None:
        script.at = at
        script.assignee = next(iter(month.workers))
        script.send("assign", {"assignee": script.assignee})

    # Overdue, and closed at T itself: not closed in October, overdue and open at T.
    late = new("consultation", datetime(2026, 10, 20, 9, tzinfo=ZONE))
    assign(late, datetime(2026, 10, 20, 10, tzinfo=ZONE))
    late.at = T
    late.send("close", {"resolution": "resolved", "summary": "零点办结"})
    # Overdue at T but suspended then: not overdue_open.
    waiting = new("help", datetime(2026, 10, 12, 9, tzinfo=ZONE))
    assign(waiting, datetime(2026, 10, 12, 10, tzinfo=ZONE))
    waiting.at = datetime(2026, 10, 30, 9, tzinfo=ZONE)
    waiting.send("suspend", {"reason": "等材料"})
    # Extended past T before its deadline: not overdue.
    extended = new("consultation", datetime(2026, 10, 27, 9, tzinfo=ZONE))
    assign(extended, datetime(2026, 10, 27, 10, tzinfo=ZONE))
    extended.at = datetime(2026, 10, 29, 9, tzinfo=ZONE)
    extended.send(
        "extend",
        {
            "new_due_at": datetime(2026, 11, 10, 18, tzinfo=ZONE).isoformat(),
            "reason": "等待物业",
            "approved_by": month.supervisor_id,
        },
    )
    # Closed twice in October (reopened between), rated after each closure.
    twice = new("complaint", datetime(2026, 10, 9, 9, tzinfo=ZONE))
    assign(twice, datetime(2026, 10, 9, 10, tzinfo=ZONE))
    for day, rating in ((12, "dissatisfied"), (20, "satisfied")):
        twice.at = datetime(2026, 10, day, 9, tzinfo=ZONE)
        twice.send("close", {"resolution": "resolved", "summary": "办结"})
        twice.at += timedelta(hours=2)
        twice.send("rate", {"rating": rating})
        if day == 12:
            twice.at += timedelta(hours=1)
            twice.send("reopen", {"reason": "不满意"})
    positions.extend(s.position for s in (late, waiting, extended, twice))
    return positions


# -- counting it again from the histories ---------------------------------------------------


def working_day(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def working_hours(start: datetime, end: datetime) -> float:
    """Hours of [start, end) on working days, cut at each local midnight."""
    seconds = 0.0
    moment = start.astimezone(ZONE)
    end = end.astimezone(ZONE)
    while moment < end:
        midnight = datetime(moment.year, moment.month, moment.day, tzinfo=ZONE) + timedelta(1)
        piece_end = min(end, midnight)
        if working_day(moment.date()):
            seconds += (piece_end - moment).total_seconds()
        moment = piece_end
    return seconds / 3600


def in_period(moment: datetime) -> bool:
    return F <= moment < T


@dataclass
class Fact:
    """One thing the report counts, with what it is grouped by."""

    figure: str
    grid: str
    category: str
    worker: str | None
    amount: int = 1
    hours: float | None = None


def facts_of(kind: str, history: list[dict[str, Any]]) -> list[Fact]:
    received = history[0]
    assert received["type"] == "Received"
    grid = received["data"]["grid_id"]
    category = f"{kind}.{received['data']['category']}"
    received_at = datetime.fromisoformat(received["occurred_at"])
    due = datetime.fromisoformat(received["data"]["due_at"])
    assignee: str | None = None
    is_open, suspended_at, suspended_hours = True, None, 0.0
    at_t: tuple[bool, bool, datetime, str | None] | None = None
    closure: tuple[str | None, float, bool] | None = None  # worker, hours, on time
    reopen: Fact | None = None
    facts: list[Fact] = []

    def fact(figure: str, worker: str | None, **more: Any) -> Fact:
        return Fact(figure, grid, category, worker, **more)

    for event in history:
        at = datetime.fromisoformat(event["occurred_at"])
        if at >= T and at_t is None:
            at_t = (is_open, suspended_at is not None, due, assignee)
        data, kind_of = event["data"], event["type"]
        if kind_of in ("Assigned", "Reassigned"):
            assignee = data["assignee"]
            if in_period(at):
                facts.append(fact("assigned", assignee))
        elif kind_of == "Suspended":
            suspended_at = at
        elif kind_of == "Resumed":
            suspended_hours += working_hours(suspended_at, at)
            suspended_at = None
            due = datetime.fromisoformat(data["due_at"])
        elif kind_of in ("Extended", "DeadlineRecounted"):
            due = datetime.fromisoformat(data["due_at"])
        elif kind_of == "Closed":
            is_open = False
            if in_period(at):
                hours = working_hours(received_at, at) - suspended_hours
                closure = (assignee, hours, at <= due)
        elif kind_of == "Reopened":
            is_open = True
            if in_period(at):
                reopen = fact("reopened", assignee)
        elif kind_of == "Rated" and in_period(at):
            if data["rating"] in ("satisfied", "basically_satisfied", "dissatisfied"):
                facts.append(fact("ratings_valid", assignee))
            if data["rating"] in ("satisfied", "basically_satisfied"):
                facts.append(fact("ratings_satisfied", assignee))
        elif kind_of == "Visited":
            if in_period(datetime.fromisoformat(data["visited_at"])):
                facts.append(fact("visit_count", data["worker"]))
                facts.append(fact("visit_minutes", data["worker"], amount=data["duration_minutes"]))
    if at_t is None:
        at_t = (is_open, suspended_at is not None, due, assignee)
    open_at_t, suspended_at_t, due_at_t, worker_at_t = at_t
    if in_period(received_at):
        facts.append(fact("received", worker_at_t))
    if received_at < T and open_at_t and not suspended_at_t and due_at_t < T:
        facts.append(fact("overdue_open", worker_at_t))
    if closure is not None:
        worker, hours, on_time = closure
        facts.append(fact("closed", worker, hours=hours))
        if on_time:
            facts.append(fact("closed_on_time", worker))
    if reopen is not None:
        facts.append(reopen)
    return facts


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    place = fraction * (len(ordered) - 1)
    below = int(place)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (place - below) * (ordered[above] - ordered[below])


def expected_row(facts: list[Fact]) -> dict[str, Any]:
    counts = {figure: 0 for figure in COUNTS}
    hours: list[float] = []
    for f in facts:
        counts[f.figure] += f.amount
        if f.hours is not None:
            hours.append(f.hours)

    def rate(a: int, b: int) -> float | None:
        return a / b if b else None

    return {
        **counts,
        "on_time_rate": rate(counts["closed_on_time"], counts["closed"] + counts["overdue_open"]),
        "closure_rate": rate(counts["closed"], counts["received"]),
        "satisfaction_rate": rate(counts["ratings_satisfied"], counts["ratings_valid"]),
        "reopen_rate": rate(counts["reopened"], counts["closed"]),
        "handling_hours_p50": percentile(hours, 0.5),
        "handling_hours_p90": percentile(hours, 0.9),
    }


def expected_report(facts: list[Fact], workers: dict[str, str]) -> dict[str, Any]:
    areas = json.loads(SAMPLE_FILE.read_text(encoding="utf-8"))
    community_of = {g["id"]: g["community_id"] for g in areas["grids"]}
    street_of = {c["id"]: c["street_id"] for c in areas["communities"]}
    area_names = {a["id"]: a["name"] for level in areas.values() for a in level}
    keys: dict[str, Callable[[Fact], str]] = {
        "grid": lambda f: f.grid,
        "community": lambda f: community_of[f.grid],
        "street": lambda f: street_of[community_of[f.grid]],
        "category": lambda f: f.category,
        "worker": lambda f: f.worker or "unassigned",
    }
    names = {**area_names, **CATEGORY_NAMES, **workers, "unassigned": "未分派"}
    reports = {}
    for grouping, key in keys.items():
        groups: dict[str, list[Fact]] = defaultdict(list)
        for f in facts:
            groups[key(f)].append(f)
        reports[grouping] = {
            "rows": {
                group: {"group": group, "name": names[group], **expected_row(members)}
                for group, members in groups.items()
            },
            "totals": expected_row(facts),
        }
    return reports


def assert_same_figures(got: dict[str, Any], expected: dict[str, Any], where: str) -> None:
    for name, value in expected.items():
        if name.startswith("handling_hours") and value is not None:
            assert got[name] == pytest.approx(value, abs=0.006), (where, name)
        else:
            assert got[name] == value, (where, name, got, expected)


# -- the tests ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def played_facts(month_service: Month) -> tuple[Month, list[Fact], int]:
    """The scripted month, and every fact of it counted from the cases' histories."""
    month = month_service
    kinds, position = scripted_month(month)

    def history(case_id: str) -> list[dict[str, Any]]:
        response = month.client.get(f"/cases/{case_id}/history", headers=month.auth)
        assert response.status_code == 200
        return response.json()["events"]

    with ThreadPoolExecutor(max_workers=4) as pool:
        histories = list(pool.map(history, kinds))
    facts = [
        fact
        for kind, events in zip(kinds.values(), histories, strict=True)
        for fact in facts_of(kind, events)
    ]
    return month, facts, position


@pytest.fixture(scope="module")
def played(played_facts: tuple[Month, list[Fact], int]) -> tuple[Month, dict[str, Any], int]:
    month, facts, position = played_facts
    return month, expected_report(facts, month.workers), position


def report(month: Month, position: int, **params: Any) -> Any:
    response = month.client.get(
        "/reports/compliance",
        params={"from": "2026-10-01", "to": "2026-10-31", "min_position": position, **params},
        headers=month.auth,
    )
    assert response.status_code == 200, response.text
    return response


def test_every_figure_of_every_grouping_equals_the_count_from_the_histories(
    played: tuple[Month, dict[str, Any], int],
) -> None:
    month, expected, position = played
    totals = expected["grid"]["totals"]
    # The script reaches every edge the definitions speak of.
    assert totals["received"] >= 250
    assert totals["closed"] > totals["closed_on_time"] > 0
    assert totals["overdue_open"] > 10
    assert totals["reopened"] > 5
    assert totals["ratings_valid"] > totals["ratings_satisfied"] > 0
    assert "unassigned" in expected["worker"]["rows"]
    assert len(expected["category"]["rows"]) == len(CATEGORIES)
    for grouping in GROUPINGS:
        body = report(month, position, group_by=grouping).json()
        assert (body["from"], body["to"], body["group_by"]) == (
            "2026-10-01",
            "2026-10-31",
            grouping,
        )
        rows = {row["group"]: row for row in body["rows"]}
        assert set(rows) == set(expected[grouping]["rows"]), grouping
        assert [row["group"] for row in body["rows"]] == sorted(rows)
        for group, want in expected[grouping]["rows"].items():
            assert_same_figures(rows[group], want, f"{grouping} {group}")
        assert_same_figures(body["totals"], expected[grouping]["totals"], f"{grouping} totals")


def test_a_supervisor_of_one_grid_gets_every_grouping_counted_from_that_grid_alone(
    played_facts: tuple[Month, list[Fact], int],
) -> None:
    month, facts, position = played_facts
    grid = "tiansheng-02"
    expected = expected_report([f for f in facts if f.grid == grid], month.workers)
    _, token = month.services.users.add("网格长 刘洋", Role.SUPERVISOR, grid)
    for grouping in ("category", "worker", "grid"):
        response = month.client.get(
            "/reports/compliance",
            params={
                "from": "2026-10-01",
                "to": "2026-10-31",
                "min_position": position,
                "group_by": grouping,
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        rows = {row["group"]: row for row in body["rows"]}
        assert set(rows) == set(expected[grouping]["rows"]), grouping
        for group, want in expected[grouping]["rows"].items():
            assert_same_figures(rows[group], want, f"{grid} {grouping} {group}")
        assert_same_figures(body["totals"], expected[grouping]["totals"], f"{grid} {grouping}")
    city = expected_report(facts, month.workers)["grid"]["totals"]
    assert 0 < expected["grid"]["totals"]["received"] < city["received"]  # a real part


def test_the_xlsx_and_the_csv_hold_the_figures_of_the_json(
    played: tuple[Month, dict[str, Any], int],
) -> None:
    month, _, position = played
    bodies = {g: report(month, position, group_by=g).json() for g in GROUPINGS}
    headings = [
        "代码",
        "名称",
        "受理数",
        "办结数",
        "按时办结数",
        "逾期未办结数",
        "按时办结率",
        "办结率",
        "满意率",
        "重办率",
        "办理时长中位数（工作小时）",
        "办理时长90分位（工作小时）",
        "走访次数",
        "走访时长（分钟）",
        "有效评价数",
        "满意及基本满意数",
        "重办数",
        "有效回访数",
        "已联系数",
        "已解决数",
        "部分解决数",
        "响应率",
        "解决率",
        "综合得分",
        "签收数",
        "按时签收数",
        "签收及时率",
        "派单数",
        "退回数",
        "回退率",
        "催办数",
        "督办数",
        "通报数",
    ]
    fields = [
        "group",
        "name",
        "received",
        "closed",
        "closed_on_time",
        "overdue_open",
        "on_time_rate",
        "closure_rate",
        "satisfaction_rate",
        "reopen_rate",
        "handling_hours_p50",
        "handling_hours_p90",
        "visit_count",
        "visit_minutes",
        "ratings_valid",
        "ratings_satisfied",
        "reopened",
        "valid_callbacks",
        "callbacks_contacted",
        "callbacks_solved",
        "callbacks_partly_solved",
        "response_rate",
        "resolution_rate",
        "composite_score",
        "signed_for",
        "signed_on_time",
        "signed_on_time_rate",
        "assigned",
        "sent_back",
        "send_back_rate",
        "urged",
        "supervised",
        "publicly_noted",
    ]

    def lines(body: dict[str, Any]) -> list[list[Any]]:
        rows = [*body["rows"], {**body["totals"], "group": "合计", "name": ""}]
        return [[row[f] for f in fields] for row in rows]

    response = report(month, position, group_by="grid", format="xlsx")
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response.headers["content-disposition"]
    assert ".xlsx" in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["网格", "街道", "社区", "类别", "社工"]
    for sheet_name, grouping in zip(
        book.sheetnames, ["grid", "street", "community", "category", "worker"], strict=True
    ):
        values = [list(row) for row in book[sheet_name].iter_rows(values_only=True)]
        assert values[0] == headings
        want = [[None if v == "" else v for v in line] for line in lines(bodies[grouping])]
        # Excel keeps 15 significant digits of a number.
        assert values[1:] == [
            [pytest.approx(v, rel=1e-14) if isinstance(v, float) else v for v in line]
            for line in want
        ], sheet_name

    for grouping in GROUPINGS:
        response = month.client.get(
            "/reports/compliance",
            params={"from": "2026-10-01", "to": "2026-10-31", "group_by": grouping},
            headers={**month.auth, "Accept": "text/csv"},
        )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert response.content.startswith(b"\xef\xbb\xbf")
        table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert table[0] == headings
        want = [["" if v is None else str(v) for v in line] for line in lines(bodies[grouping])]
        assert table[1:] == want, grouping


def test_a_rebuild_of_the_compliance_model_gives_the_same_report(
    played: tuple[Month, dict[str, Any], int],
) -> None:
    month, _, position = played
    before = {g: report(month, position, group_by=g).json() for g in GROUPINGS}
    rebuild("compliance", month.services.cases, month.services.connect, lambda _: None)
    after = {g: report(month, position, group_by=g).json() for g in GROUPINGS}
    assert after == before


def test_bad_periods_groupings_and_formats_are_422_problems(
    played: tuple[Month, dict[str, Any], int],
) -> None:
    month = played[0]
    cases = [
        ({"from": "2026-10-32", "to": "2026-10-31"}, "validation_error"),
        ({"from": "2026-10-01", "to": "yesterday"}, "validation_error"),
        ({"to": "2026-10-31"}, "validation_error"),
        ({"from": "2026-10-02", "to": "2026-10-01"}, "period_reversed"),
        ({"from": "2025-10-01", "to": "2026-10-02"}, "period_too_long"),  # 367 days
        ({"from": "2026-10-01", "to": "2026-10-31", "group_by": "district"}, "validation_error"),
        ({"from": "2026-10-01", "to": "2026-10-31", "format": "pdf"}, "validation_error"),
    ]
    for params, code in cases:
        response = month.client.get("/reports/compliance", params=params, headers=month.auth)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == code, params
    a_year = {"from": "2025-10-01", "to": "2026-10-01"}  # 366 days
    assert (
        month.client.get("/reports/compliance", params=a_year, headers=month.auth).status_code
        == 200
    )
    assert month.client.get("/reports/compliance", params=a_year).status_code == 401


def test_the_definitions_are_stated_in_the_openapi_description(
    month_service: Month,
) -> None:
    document = month_service.client.get("/openapi.json").json()
    operation = document["paths"]["/reports/compliance"]["get"]
    description = " ".join(operation["description"].split())
    for definition in (
        "`on_time_rate` = closed_on_time / (closed + overdue_open)",
        "`closure_rate` = closed / received",
        "`satisfaction_rate` = (satisfied + basically_satisfied × w_basic) / valid_callbacks",
        "`response_rate` = callbacks_contacted / valid call-backs that answered `contacted`",
        "`composite_score` (综合得分, 0-100) = 100 × (w_r × response_rate + w_s × "
        "resolution_rate + w_m × satisfaction_rate)",
        "`send_back_rate` = sent_back / assigned",
        "`signed_on_time_rate` = signed_on_time / signed_for",
        "`reopen_rate` = reopened / closed",
        "each counted once, by its last closure in the period",
        "A case extended past T is not overdue",
    ):
        assert definition in description
    parameters = {p["name"] for p in operation["parameters"]}
    assert {"from", "to", "group_by", "format", "min_position"} <= parameters
