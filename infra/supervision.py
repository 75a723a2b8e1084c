"""The supervision ladder as a process manager (催办 -> 督办 -> 通报), beside the projectors.

The case list keeps each open case's next step and its moment in ``rm_next_thresholds``.
Every few seconds the manager takes the cases whose moment has passed and sends each the
service's own command ``ClimbLadder``, which records every step due on the deadline in
force, dated at its threshold, not when it was noticed. So after downtime the steps come
with their true dates, and a step is never recorded twice: the case records a step once
per deadline in force, and two managers racing on one case meet at the case's version
(the loser decides again on the fresh case and finds nothing left to do). No scheduler or
queue is needed for this: the read model is the timer, the aggregate the lock.
"""

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import psycopg

from domain import errors
from domain.application import Caller, CaseNotFound, CaseWork
from domain.commands import ClimbLadder
from infra.background import Background, Rounds
from infra.settings import Settings

log = logging.getLogger(__name__)

SYSTEM_ID = SYSTEM_ROLE = "system"
# How long a case with nothing to record is passed over (see Supervision._idle).
IDLE_SECONDS = 60.0


class Supervision(Rounds):
    name = "supervision round"

    def __init__(
        self,
        app: CaseWork,
        connect: Callable[[], psycopg.Connection[Any]],
        *,
        interval_seconds: float = 5.0,
        batch_size: int = 500,
        concurrency: int = 8,
    ):
        super().__init__(interval_seconds)
        self.app = app
        self.connect = connect
        self.batch_size = batch_size
        # Cases are decided on several threads, so that their saves share the store's group
        # commit: one case after another, 10,000 cases crossing at once took minutes.
        self.concurrency = concurrency
        # Cases that had nothing to record although the read model said a step was due
        # (it lags behind the case, or counted on an older calendar): passed over for a
        # while, so that they never crowd out the cases behind them.
        self._idle: dict[UUID, float] = {}

    def due(self, now: datetime) -> list[UUID]:
        """The cases with a step whose moment has passed, most overdue first."""
        moment = time.monotonic()
        self._idle = {case: until for case, until in self._idle.items() if until > moment}
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT case_id FROM rm_next_thresholds WHERE due_at <= %s"
                " AND NOT case_id = ANY(%s) ORDER BY due_at LIMIT %s",
                (now, list(self._idle), self.batch_size),
            ).fetchall()
        return [row[0] for row in rows]

    def run_once(self) -> int:
        """Take the steps due now; how many cases had steps recorded."""
        caller = Caller(SYSTEM_ID, SYSTEM_ROLE, f"supervision-{uuid4()}")
        due = self.due(self.app.clock())
        self.more_waiting = len(due) == self.batch_size
        if not due:
            return 0
        with ThreadPoolExecutor(min(self.concurrency, len(due))) as pool:
            return sum(pool.map(lambda case_id: self._climb(case_id, caller), due))

    def _climb(self, case_id: UUID, caller: Caller) -> int:
        try:
            outcome = self.app.handle(case_id, ClimbLadder(), caller)
        except (errors.RuleBroken, CaseNotFound) as refused:
            # Closed meanwhile, or another manager's step came first: nothing to do.
            log.debug("supervision of case %s: %s", case_id, refused)
            return 0
        if outcome.created:
            return 1
        self._idle[case_id] = time.monotonic() + IDLE_SECONDS
        return 0


class BackgroundSupervision(Background):
    """The manager on a thread of its own, as ``casework serve`` runs it."""

    @classmethod
    def of_service(
        cls, app: CaseWork, connect: Callable[[], psycopg.Connection[Any]], settings: Settings
    ) -> "BackgroundSupervision":
        return cls(
            app,
            connect,
            interval_seconds=settings.supervision_interval_seconds,
            concurrency=settings.supervision_threads,
        )

    def __init__(self, app: CaseWork, connect: Callable[[], psycopg.Connection[Any]], **kw: Any):
        super().__init__(Supervision(app, connect, **kw), "supervision")
