"""Benchmark of the read models with a million cases: GET /cases and the compliance report.

    python -m bench.read_models [--database-url URL] [--cases 1000000] [--calls 50] [--refill]
                                [--only list|report]

Fills the active generation of the case_list and compliance read models of a scratch
database (created if missing; default postgresql://postgres@127.0.0.1:5432/cw_bench) with
synthetic cases straight in SQL (generate_series, not through the API: a million cases
through the API would take hours), over 12 months (November 2025 to October 2026), 4
streets x 6 communities x 8 grids, 300 workers. Then it times, in-process over HTTP
(FastAPI's TestClient, so the figures include request handling and JSON) and as the bare
query, GET /cases with several filters and GET /reports/compliance for October 2026
grouped by community (and, for information, by the other groupings, and as XLSX).

Targets (issue 3): the list under 50 ms and the report under 200 ms; text search (issue
15) under 100 ms. A filled database is
reused by later runs unless --refill is given. The event log stays empty: nothing
projects into these tables while the benchmark runs.
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from api.main import create_app
from domain.vocabulary import CATEGORIES as KINDS
from domain.vocabulary import Role
from infra.areas import AreaFile, Community, Grid, Street
from infra.bootstrap import Services, bootstrap
from infra.projections import READ_MODELS
from infra.settings import Settings
from projections.case_list.queries import CaseFilter, list_cases
from projections.case_list.search import document_terms, query_terms
from projections.compliance.report import Period, compliance_report

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/cw_bench"
STREETS, COMMUNITIES, GRIDS, WORKERS = 4, 6, 8, 300
MONTH = (date(2026, 10, 1), date(2026, 10, 31))

CATEGORIES = [(kind.value, code.value) for kind, codes in KINDS.items() for code in codes]

# Titles and descriptions of the kind residents bring, combined into 30 x 31 texts, so that
# a word such as 电梯 is in about 1 case in 30 and a title with its description in 1 in 930.
TITLES = [
    "楼道灯坏了",
    "电梯异响",
    "电梯停运",
    "小区垃圾清运不及时",
    "下水道堵塞",
    "楼上漏水",
    "噪音扰民",
    "占用消防通道",
    "违章搭建",
    "宠物扰民",
    "停车位纠纷",
    "物业费争议",
    "路灯不亮",
    "井盖缺失",
    "外墙脱落",
    "高空抛物",
    "绿化带被占",
    "健身器材损坏",
    "独居老人需要帮助",
    "残疾人出行困难",
    "低保申请咨询",
    "医保报销咨询",
    "入学政策咨询",
    "快递柜设置",
    "充电桩安装",
    "自来水水压低",
    "燃气管道老化",
    "空调外机噪音",
    "邻里装修纠纷",
    "家庭赡养纠纷",
]
DESCRIPTIONS = [
    "3号楼2单元，老人夜间上下楼不便",
    "居民多次反映，希望尽快处理",
    "已联系物业但未解决",
    "影响居民正常生活",
    "存在安全隐患，请尽快查看",
    "涉及多户居民",
    "晚上十点后仍有声音",
    "雨天情况更严重",
    "希望社区协调",
    "请网格员上门了解情况",
    "居民情绪较大",
    "已持续一周",
    "小孩上学经过此处",
    "老旧小区改造范围内",
    "租户与房东意见不一",
    "需要志愿者帮助",
    "居民愿意配合",
    "周末情况更明显",
    "影响出行",
    "夏季尤为突出",
    "多次投诉未果",
    "希望给出书面答复",
    "涉及公共区域",
    "附近商户也受影响",
    "居民自行维修困难",
    "需联系相关部门",
    "楼栋长已登记",
    "居民提供了照片",
    "情况紧急",
    "申请人行动不便",
    "请尽快回复",
]
TEXTS = [(t, d) for d in DESCRIPTIONS for t in TITLES]

# Each case: received over 12 months; assigned (but 3% of those received since October
# 2026) to one of the three workers of its grid (a worker serves about two grids); closed
# within 8 days of assignment (all received before 20 September 2026, 85% of later
# ones); 6% of closures reopened and closed again; 10% of the open ones suspended; 70% of
# closures rated; 0 to 3 visits. `b` holds one row per case; the tables
# are filled from it.
CASES = """
CREATE TEMP TABLE b AS
SELECT s.*,
       CASE WHEN s.closed THEN s.assigned_at + s.h1 END AS c1,
       CASE WHEN s.closed AND s.r_reopen < 0.06
            THEN s.assigned_at + s.h1 + interval '1 day' END AS r1,
       CASE WHEN s.closed AND s.r_reopen < 0.06
            THEN s.assigned_at + s.h1 + interval '1 day' + s.h2 END AS c2,
       CASE WHEN NOT s.closed AND s.assignee IS NOT NULL AND s.r_suspend < 0.1
            THEN s.assigned_at + interval '1 hour' END AS suspended_since
  FROM (
    SELECT i,
           md5('bench-case-' || i)::uuid AS id,
           (%(kinds)s::text[])[1 + i %% 12] AS kind,
           (%(categories)s::text[])[1 + i %% 12] AS category,
           (%(grids)s::text[])[1 + grid_index] AS grid_id,
           received_at,
           received_at + interval '5 days' AS due_at,
           CASE WHEN NOT unassigned
                THEN (%(workers)s::text[])[
                       1 + (grid_index * 3 + floor(random() * 3)::int) %% %(worker_count)s]
           END AS assignee,
           received_at + random() * interval '4 hours' AS assigned_at,
           NOT unassigned
             AND (received_at < timestamptz '2026-09-20 00:00+08' OR random() < 0.85)
             AS closed,
           random() * interval '8 days' AS h1,
           random() * interval '3 days' AS h2,
           random() AS r_reopen,
           random() AS r_suspend,
           random() < 0.7 AS rated,
           (%(ratings)s::text[])[1 + floor(random() * 5)::int] AS rating,
           CASE WHEN NOT unassigned THEN floor(random() * 4)::int ELSE 0 END AS visits,
           random() * 200 AS hours1,
           random() * 200 AS hours2
      FROM (SELECT g0.*,
                   r_unassigned < 0.03 AND received_at >= timestamptz '2026-10-01 00:00+08'
                     AS unassigned
              FROM (SELECT i,
                   timestamptz '2025-11-01 00:00+08' + random() * interval '365 days'
                     AS received_at,
                   random() AS r_unassigned,
                   floor(random() * %(grid_count)s)::int AS grid_index
              FROM generate_series(1, %(cases)s) AS i) AS g0) AS g
  ) AS s;
"""

FILL = {
    "rm_cases": """
INSERT INTO {table} (id, kind, category, channel, title, grid_id, level, status, assignee,
    first_contact, received_at, due_at, due_at_provisional, time_limit_amount,
    time_limit_unit, suspended_since, closed_at, resolution, rating, reopen_count, worked,
    claimed, fulfilled, visit_count, visit_minutes, version, position, updated_at, search,
    closed_on_time, yellow_at, notice_at, signed_for_at, supervised_by_level, publicly_noted,
    ladder_steps)
SELECT id, kind, category, 'hotline', (%(titles)s::text[])[1 + i %% %(texts)s], grid_id, 'grid',
       CASE WHEN closed AND rated THEN 'rated' WHEN closed THEN 'closed'
            WHEN suspended_since IS NOT NULL THEN 'suspended'
            WHEN visits > 0 THEN 'in_progress'
            WHEN assignee IS NOT NULL THEN 'assigned' ELSE 'received' END,
       assignee, %(clerk)s, received_at, due_at, false, 5, 'calendar_days',
       suspended_since, coalesce(c2, c1), CASE WHEN closed THEN 'resolved' END,
       CASE WHEN closed AND rated THEN rating END, (r1 IS NOT NULL)::int, visits > 0,
       false, false, visits, visits * 30, 3 + visits, i, coalesce(c2, c1, received_at),
       to_tsvector('simple', (%(terms)s::text[])[1 + i %% %(texts)s]),
       coalesce(c2, c1) <= due_at, due_at - interval '1 day', due_at + interval '7 days',
       CASE WHEN assignee IS NOT NULL THEN assigned_at + interval '90 minutes' END,
       CASE WHEN NOT closed AND due_at < now() THEN 'community' END,
       NOT closed AND due_at + interval '7 days' < now(),
       CASE WHEN closed OR due_at - interval '1 day' > now() THEN ARRAY[]::text[]
            WHEN due_at > now() THEN ARRAY['urge']
            WHEN due_at + interval '7 days' > now() THEN ARRAY['urge', 'supervise']
            ELSE ARRAY['urge', 'supervise', 'notice'] END
  FROM b
""",
    # Every open case's next ladder step, in the coming weeks (the manager of bench.supervision
    # must find only its own cases due: these have no events in the store).
    "rm_next_thresholds": """
INSERT INTO {table} (case_id, step, due_at)
SELECT id, 'urge', now() + interval '1 hour' + random() * interval '30 days'
  FROM b WHERE NOT closed
""",
    "rm_case_counts": """
INSERT INTO {table} (grid_id, kind, category, status, n)
SELECT grid_id, kind, category, status, count(*) FROM {cases} GROUP BY 1, 2, 3, 4
""",
    "cr_cases": """
INSERT INTO {table} (case_id, kind, category, grid_id, received_at, assignee, due_at, open,
    suspended_since, suspended_seconds, span_seq, span_from, last_closure, last_reopen,
    version, position)
SELECT id, kind, category, grid_id, received_at, assignee, due_at, NOT closed,
       suspended_since, 0, 1, received_at, NULL, NULL, 3, i
  FROM b
""",
    "cr_spans": """
INSERT INTO {table} (case_id, seq, valid_from, valid_to, open, suspended, due_at, worker,
    grid_id, kind, category, received_at)
SELECT id, seq, valid_from, valid_to, open, suspended, due_at, worker, grid_id, kind, category,
       received_at
  FROM b, LATERAL (VALUES
    (1, received_at, CASE WHEN assignee IS NULL THEN 'infinity' ELSE assigned_at END,
     true, false, NULL),
    (2, assigned_at, coalesce(c1, suspended_since, 'infinity'), true, false, assignee),
    (3, suspended_since, 'infinity', true, true, assignee),
    (4, c1, coalesce(r1, 'infinity'), false, false, assignee),
    (5, r1, coalesce(c2, 'infinity'), true, false, assignee),
    (6, c2, 'infinity', false, false, assignee)
  ) AS span(seq, valid_from, valid_to, open, suspended, worker)
 WHERE span.valid_from IS NOT NULL AND (span.seq <> 2 OR assignee IS NOT NULL)
""",
    "cr_closures": """
INSERT INTO {table} (case_id, position, closed_at, next_closed_at, due_at, on_time,
    handling_hours, worker, grid_id, kind, category)
SELECT id, i * 10 + n, closed_at, next_closed_at, due_at, closed_at <= due_at, hours,
       assignee, grid_id, kind, category
  FROM b, LATERAL (VALUES (1, c1, coalesce(c2, 'infinity'), hours1),
                          (2, c2, 'infinity', hours2))
       AS c(n, closed_at, next_closed_at, hours)
 WHERE c.closed_at IS NOT NULL
""",
    "cr_ratings": """
INSERT INTO {table} (case_id, position, rated_at, rating, worker, grid_id, kind, category)
SELECT id, i * 10 + 3, coalesce(c2, c1) + interval '1 day', rating, assignee, grid_id,
       kind, category
  FROM b WHERE closed AND rated
""",
    "cr_reopens": """
INSERT INTO {table} (case_id, position, reopened_at, next_reopened_at, worker, grid_id,
    kind, category)
SELECT id, i * 10 + 4, r1, 'infinity', assignee, grid_id, kind, category
  FROM b WHERE r1 IS NOT NULL
""",
    "cr_visits": """
INSERT INTO {table} (case_id, position, visited_at, duration_minutes, worker, grid_id,
    kind, category)
SELECT id, i * 10 + 5 + v, assigned_at + v * interval '6 hours', 10 + (i * v) %% 110,
       assignee, grid_id, kind, category
  FROM b, generate_series(1, b.visits) AS v
""",
    "cr_steps": """
INSERT INTO {table} (case_id, position, at, step, on_time, worker, grid_id, kind, category)
SELECT id, i * 10 + s.n, s.at, s.step, s.on_time, assignee, grid_id, kind, category
  FROM b, LATERAL (VALUES (1, assigned_at, 'assigned', false),
                          (2, assigned_at + interval '90 minutes', 'signed_for', i %% 7 <> 0))
       AS s(n, at, step, on_time)
 WHERE assignee IS NOT NULL
""",
    "cr_daily": """
INSERT INTO {table} (dimension, day, key, received, closed, closed_on_time, reopened,
    ratings_valid, ratings_satisfied, visit_count, visit_minutes, assigned, signed_for,
    signed_on_time)
SELECT d.dimension, (f.at AT TIME ZONE 'Asia/Shanghai')::date, d.key, sum(f.received),
       sum(f.closed), sum(f.on_time), sum(f.reopened), sum(f.valid), sum(f.satisfied),
       sum(f.visits), sum(f.minutes), sum(f.assigned), sum(f.signed), sum(f.signed_on_time)
  FROM (SELECT received_at AS at, grid_id, kind, category, NULL AS worker, 1 AS received,
               0 AS closed, 0 AS on_time, 0 AS reopened, 0 AS valid, 0 AS satisfied,
               0 AS visits, 0 AS minutes, 0 AS assigned, 0 AS signed, 0 AS signed_on_time
          FROM b
        UNION ALL
        SELECT c.at, grid_id, kind, category, assignee, 0, 1, (c.at <= due_at)::int, 0, 0, 0,
               0, 0, 0, 0, 0
          FROM b, LATERAL (VALUES (c1), (c2)) AS c(at) WHERE c.at IS NOT NULL
        UNION ALL
        SELECT r1, grid_id, kind, category, assignee, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0
          FROM b WHERE r1 IS NOT NULL
        UNION ALL
        SELECT coalesce(c2, c1) + interval '1 day', grid_id, kind, category, assignee, 0, 0,
               0, 0, (rating IN ('satisfied', 'basically_satisfied', 'dissatisfied'))::int,
               (rating IN ('satisfied', 'basically_satisfied'))::int, 0, 0, 0, 0, 0
          FROM b WHERE closed AND rated
        UNION ALL
        SELECT assigned_at + v * interval '6 hours', grid_id, kind, category, assignee, 0, 0,
               0, 0, 0, 0, 1, 10 + (i * v) %% 110, 0, 0, 0
          FROM b, generate_series(1, b.visits) AS v
        UNION ALL
        SELECT assigned_at, grid_id, kind, category, assignee, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0
          FROM b WHERE assignee IS NOT NULL
        UNION ALL
        SELECT assigned_at + interval '90 minutes', grid_id, kind, category, assignee, 0, 0,
               0, 0, 0, 0, 0, 0, 0, 1, (i %% 7 <> 0)::int
          FROM b WHERE assignee IS NOT NULL) AS f,
       LATERAL (VALUES ('grid', f.grid_id), ('category', f.kind || '.' || f.category),
                       ('worker', coalesce(f.worker, ''))) AS d(dimension, key)
 WHERE NOT (d.dimension = 'worker' AND f.received = 1)
 GROUP BY 1, 2, 3
""",
}


def ensure_database(url: str) -> None:
    name = conninfo_to_dict(url).get("dbname") or "postgres"
    with psycopg.connect(make_conninfo(url, dbname="postgres"), autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            print(f"creating database {name}", flush=True)
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def bench_areas() -> AreaFile:
    streets, communities, grids = [], [], []
    for s in range(1, STREETS + 1):
        streets.append(Street(id=f"bench-s{s}", name=f"测试{s}街道"))
        for c in range(1, COMMUNITIES + 1):
            community = f"bench-s{s}-c{c}"
            communities.append(
                Community(id=community, name=f"测试{s}街道第{c}社区", street_id=f"bench-s{s}")
            )
            for g in range(1, GRIDS + 1):
                grids.append(
                    Grid(id=f"{community}-g{g}", name=f"第{c}社区第{g}网格", community_id=community)
                )
    return AreaFile(streets=streets, communities=communities, grids=grids)


def active_tables(conn: psycopg.Connection[Any]) -> dict[str, str]:
    tables = {}
    for model in READ_MODELS.values():
        row = conn.execute(
            "SELECT generation FROM casework_projections WHERE name = %s AND active",
            (model.name,),
        ).fetchone()
        assert row is not None, f"no active generation of {model.name}"
        for base in model.tables:
            tables[base] = model.table(base, row[0])
    return tables


def fill(services: Services, cases: int, refill: bool) -> tuple[list[str], str]:
    """Fill the tables (unless they hold enough cases already); return workers, a token."""
    areas = bench_areas()
    services.areas.load(areas)
    grids = [g.id for g in areas.grids]
    with services.connect() as conn:
        conn.autocommit = True
        tables = active_tables(conn)
        workers = [
            str(r[0])
            for r in conn.execute(
                "SELECT id FROM casework_users WHERE name LIKE 'bench worker %%' ORDER BY name"
            ).fetchall()
        ]
        if len(workers) < WORKERS:
            conn.execute(
                "INSERT INTO casework_users (id, name, role, area, token_sha256)"
                " SELECT gen_random_uuid(), 'bench worker ' || lpad(n::text, 3, '0'), 'worker',"
                " NULL, md5(random()::text) || n FROM generate_series(%s::int, %s::int) AS n",
                (len(workers) + 1, WORKERS),
            )
            return fill(services, cases, refill)
        have = min(
            _count(conn, tables[base]) for base in ("rm_cases", "cr_cases")
        )  # a read model rebuilt at start (newer schema) comes back empty
        if have >= cases and not refill:
            print(f"reusing the {have:,} cases already in the tables", flush=True)
        else:
            _fill_tables(conn, tables, cases, grids, workers)
    _, token = services.users.add("bench supervisor", Role.SUPERVISOR)
    return workers, token


def _count(conn: psycopg.Connection[Any], table: str) -> int:
    row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
    return int(row[0]) if row else 0


def _fill_tables(
    conn: psycopg.Connection[Any],
    tables: dict[str, str],
    cases: int,
    grids: list[str],
    workers: list[str],
) -> None:
    started = time.perf_counter()
    print(f"filling {cases:,} synthetic cases ...", flush=True)
    conn.execute("SET work_mem = '256MB'")
    conn.execute("SET maintenance_work_mem = '512MB'")
    conn.execute("SELECT setseed(0.2026)")
    conn.execute("DROP TABLE IF EXISTS b")
    conn.execute(
        CASES,
        {
            "kinds": [k for k, _ in CATEGORIES],
            "categories": [c for _, c in CATEGORIES],
            "grids": grids,
            "grid_count": len(grids),
            "workers": workers,
            "worker_count": len(workers),
            "ratings": [
                "satisfied",
                "basically_satisfied",
                "dissatisfied",
                "unreachable",
                "refused",
            ],
            "cases": cases,
        },
    )
    for base, insert in FILL.items():
        table = sql.Identifier(tables[base])
        step = time.perf_counter()
        conn.execute(sql.SQL("TRUNCATE {}").format(table))
        conn.execute(
            sql.SQL(insert).format(table=table, cases=sql.Identifier(tables["rm_cases"])),  # type: ignore[arg-type]
            {
                "clerk": workers[0],
                "titles": [title for title, _ in TEXTS],
                "terms": [document_terms(title, text) for title, text in TEXTS],
                "texts": len(TEXTS),
            },
        )
        count = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()
        print(
            f"  {base}: {count[0] if count else 0:,} rows in {time.perf_counter() - step:.1f} s",
            flush=True,
        )
    for base in FILL:
        conn.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(tables[base])))
    conn.execute("DROP TABLE b")
    print(f"filled in {time.perf_counter() - started:.0f} s", flush=True)


def timed(calls: int, call: Callable[[int], Any], budget_seconds: float = 30.0) -> list[float]:
    """Milliseconds of each call, after one to warm up; fewer calls if they take too long."""
    call(0)
    times: list[float] = []
    for n in range(calls):
        started = time.perf_counter()
        call(n)
        times.append((time.perf_counter() - started) * 1000)
        if sum(times) > budget_seconds * 1000:
            break
    return times


def summary(label: str, times: list[float], target: float | None = None) -> str:
    ordered = sorted(times)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    verdict = "" if target is None else ("  ok" if p99 < target else f"  OVER {target:.0f} ms")
    return f"{label:<58} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  (n={len(times)}){verdict}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.read_models", description=__doc__)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--refill", action="store_true", help="fill again even if filled")
    parser.add_argument(
        "--only", action="append", choices=["list", "report"], help="time only these"
    )
    args = parser.parse_args(argv)

    ensure_database(args.database_url)
    settings = Settings(
        database_url=args.database_url, data_dir=Path(tempfile.mkdtemp(prefix="bench-"))
    )
    services = bootstrap(settings)
    try:
        workers, token = fill(services, args.cases, args.refill)
        run(services, workers, token, args.calls, args.only or ["list", "report"])
    finally:
        services.close()


def list_filters(workers: list[str]) -> dict[str, Callable[[], dict[str, Any]]]:
    """The GET /cases filter sets timed, each drawing its values (bench.read_model_latency too)."""
    rng = random.Random(7)  # noqa: S311 - picks filter values, not secrets
    grids = [f"bench-s{s}-c{c}-g{g}" for s in range(1, 5) for c in range(1, 7) for g in range(1, 9)]
    communities = sorted({g.rsplit("-", 1)[0] for g in grids})
    return {
        "no filter (newest first)": lambda: {},
        "grid_id + status=in_progress": lambda: {
            "grid_id": rng.choice(grids),
            "status": "in_progress",
        },
        "community_id + overdue=true": lambda: {
            "community_id": rng.choice(communities),
            "overdue": "true",
        },
        "assignee": lambda: {"assignee": rng.choice(workers)},
        "kind + category + street_id": lambda: {
            "kind": "dispute",
            "category": "family",
            "street_id": f"bench-s{rng.randint(1, 4)}",
        },
        "due_before + sort=due_at": lambda: {
            "due_before": "2026-10-15T00:00:00+08:00",
            "sort": "due_at",
        },
        "status=suspended + grid_id": lambda: {
            "status": "suspended",
            "grid_id": rng.choice(grids),
        },
        "q (a title word, 1 in 30)": lambda: {"q": rng.choice(TITLES)},
        "q (title and description, 1 in 930)": lambda: {"q": " ".join(rng.choice(TEXTS))},
        "q + community_id": lambda: {
            "q": rng.choice(TITLES),
            "community_id": rng.choice(communities),
        },
        "q (a word in no case)": lambda: {"q": "不存在的词"},
    }


def run(services: Services, workers: list[str], token: str, calls: int, parts: list[str]) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    filters = list_filters(workers)
    now = datetime.now(UTC)
    lines = []
    with TestClient(create_app(services)) as client:

        def get(path: str, params: dict[str, Any]) -> Any:
            response = client.get(path, params=params, headers=auth)
            assert response.status_code == 200, response.text
            return response

        if "list" in parts:
            print(f"\nGET /cases, {calls} calls per filter (in-process HTTP):", flush=True)
            for label, make in filters.items():
                times = timed(calls, lambda _n, make=make: get("/cases", make()))
                target = 100 if label.startswith("q") else 50
                lines.append(summary(f"GET /cases {label}", times, target))
                print(lines[-1], flush=True)
            print("\nthe same, bare query (list_cases: page and total count):", flush=True)
            with services.pool.connection() as conn:
                for label, make in filters.items():

                    def query(_n: int, make: Callable[[], dict[str, Any]] = make) -> None:
                        params = make()
                        status = params.pop("status", None)
                        sort = params.pop("sort", "-received_at")
                        for key in ("overdue",):
                            if key in params:
                                params[key] = params[key] == "true"
                        if "q" in params:
                            params["text"] = query_terms(params.pop("q"))
                        if "due_before" in params:
                            params["due_before"] = datetime.fromisoformat(params["due_before"])
                        list_cases(
                            conn,
                            CaseFilter(status=[status] if status else [], **params),
                            now=now,
                            sort=sort,
                            limit=50,
                        )

                    lines.append(summary(f"list_cases {label}", timed(calls, query)))
                    print(lines[-1], flush=True)

        if "report" in parts:
            month = {"from": MONTH[0].isoformat(), "to": MONTH[1].isoformat()}
            print("\nGET /reports/compliance for October 2026:", flush=True)
            body = get("/reports/compliance", {**month, "group_by": "community"}).json()
            print(
                f"  (totals: received {body['totals']['received']:,}, closed "
                f"{body['totals']['closed']:,}, overdue_open {body['totals']['overdue_open']:,}, "
                f"visits {body['totals']['visit_count']:,}; {len(body['rows'])} rows)",
                flush=True,
            )
            times = timed(
                calls, lambda _n: get("/reports/compliance", {**month, "group_by": "community"})
            )
            lines.append(summary("GET /reports/compliance group_by=community", times, 200))
            print(lines[-1], flush=True)
            with services.pool.connection() as conn:
                period = Period(MONTH[0], MONTH[1], services.settings.zone)
                times = timed(calls, lambda _n: compliance_report(conn, period, "community"))
                lines.append(summary("compliance_report() community, bare query", times))
                print(lines[-1], flush=True)
            for grouping in ("street", "grid", "category", "worker"):
                times = timed(
                    10, lambda _n, g=grouping: get("/reports/compliance", {**month, "group_by": g})
                )
                lines.append(summary(f"GET /reports/compliance group_by={grouping}", times, 200))
                print(lines[-1], flush=True)
            times = timed(5, lambda _n: get("/reports/compliance", {**month, "format": "xlsx"}))
            lines.append(summary("GET /reports/compliance format=xlsx (5 sheets)", times))
            print(lines[-1], flush=True)
    over = [line for line in lines if "OVER" in line]
    print(f"\n{'all targets met' if not over else f'{len(over)} over target'}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
