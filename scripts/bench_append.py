"""How much the hash chain costs an append: a save loop of single-event saves.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        /work/venv/bin/python -m scripts.bench_append [--saves N]

Creates a throw-away database on that server with two applications in it, one on the
library's recorder (``eventsourcing.postgres``, unchained) and one on the service's
(``infra.event_store``, hash-chained), and times N saves on each that each append one event
to an existing aggregate (round robin over 50), then N saves that each create a new
aggregate. The two take turns, one save each, so that whatever else the machine does
meanwhile weighs on both alike. Prints saves per second, the median and 90th-percentile time
of one save, and the median of the paired differences (chained minus unchained).
"""

import argparse
import os
import statistics
import time
from collections.abc import Callable
from uuid import UUID

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from psycopg.conninfo import make_conninfo

from infra.database import connection_params

MODULES = {"unchained": "eventsourcing.postgres", "chained": "infra.event_store"}


class Counter(Aggregate):
    @event("Created")
    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0

    @event("Incremented")
    def increment(self, note: str) -> None:
        self.count += 1


def application(url: str, name: str, module: str) -> Application[UUID]:
    params = connection_params(url)
    env = {
        "PERSISTENCE_MODULE": module,
        "POSTGRES_HOST": params["host"],
        "POSTGRES_PORT": params["port"],
        "POSTGRES_DBNAME": params["dbname"],
        "POSTGRES_USER": params["user"],
        "POSTGRES_PASSWORD": params["password"],
        "POSTGRES_POOL_SIZE": "2",
        "CREATE_TABLE": "y",
    }
    return type(name.capitalize(), (Application,), {"name": name})(env)


def run(url: str, saves: int) -> dict[str, dict[str, list[float]]]:
    apps = {label: application(url, label, module) for label, module in MODULES.items()}
    note = "上门查看，已联系物业更换灯泡" * 4  # a state of a few hundred bytes
    timings: dict[str, dict[str, list[float]]] = {
        label: {"append": [], "create": []} for label in apps
    }
    try:
        aggregates = {label: [Counter(f"c{n}") for n in range(50)] for label in apps}
        for label, app in apps.items():
            app.save(*aggregates[label])

        def append(label: str, n: int) -> None:
            aggregate = aggregates[label][n % 50]
            aggregate.increment(note)
            apps[label].save(aggregate)

        def create(label: str, n: int) -> None:
            apps[label].save(Counter(f"new{n}"))

        actions: dict[str, Callable[[str, int], None]] = {"append": append, "create": create}
        for kind, action in actions.items():
            for n in range(saves):
                for label in apps:
                    began = time.perf_counter()
                    action(label, n)
                    timings[label][kind].append(time.perf_counter() - began)
    finally:
        for app in apps.values():
            app.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--saves", type=int, default=2000)
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"casework_bench_{os.getpid()}"
    admin = make_conninfo(server, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        timings = run(make_conninfo(server, dbname=name), args.saves)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    for kind, what in (("append", "appending to existing aggregates"), ("create", "new ones")):
        print(f"{args.saves} single-event saves, {what}:")
        for label, module in MODULES.items():
            times = timings[label][kind]
            p90 = statistics.quantiles(times, n=10)[-1]
            print(
                f"  {label:<9} ({module}): {len(times) / sum(times):6.0f} saves/s,"
                f" median {statistics.median(times) * 1000:.2f} ms, p90 {p90 * 1000:.2f} ms"
            )
        paired = zip(timings["unchained"][kind], timings["chained"][kind], strict=True)
        extra = statistics.median(c - u for u, c in paired)
        print(f"  the chain adds {extra * 1000:.2f} ms to a save (median of paired differences)")


if __name__ == "__main__":
    main()
