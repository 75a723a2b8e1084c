"""A worker's month in the 3456 assessment (三四五六考核): the scores the community and the
street office give them (0-100), each an event, so the history says who scored, when, and
what each score replaced.

One aggregate per worker and month, with an id derived from both, so that scoring never
has to look anything up first and two supervisors scoring at once meet on one version.
"""

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain import errors
from domain.stamp import Stamp
from domain.topics import register_stable_topics
from domain.vocabulary import ScoringParty, parse

NAMESPACE = uuid5(NAMESPACE_URL, "urn:casework:worker-month")
LOWEST_SCORE, HIGHEST_SCORE = 0, 100


def worker_month_id(worker: str, month: str) -> UUID:
    return uuid5(NAMESPACE, f"{worker}\n{month}")


class WorkerMonth(Aggregate):
    @classmethod
    def start(cls, worker: str, month: str, stamp: Stamp) -> "WorkerMonth":
        return cls(
            id=worker_month_id(worker, month),
            worker=worker,
            month=month,
            **stamp.without_key(),
        )

    @event("Started")
    def __init__(
        self,
        id: UUID,  # noqa: A002 - the library takes the aggregate id by this name
        worker: str,
        month: str,
        actor: dict[str, str],
        occurred_at: datetime,
        correlation_id: str,
    ) -> None:
        self.worker = worker
        self.month = month
        # party -> {"score", "scored_by", "scored_at"}: the latest score of each party.
        self.scores: dict[str, dict[str, Any]] = {}

    def score(self, party: str, score: int, stamp: Stamp) -> None:
        """The party's score for the month; a later one replaces it (both stay recorded)."""
        parsed = parse(ScoringParty, party, "party")
        if not LOWEST_SCORE <= score <= HIGHEST_SCORE:
            raise errors.ScoreOutOfRange(
                f"a score is from {LOWEST_SCORE} to {HIGHEST_SCORE}, not {score}"
            )
        previous = self.scores.get(parsed.value)
        self._score(
            # Named in each score too, so that a reader needs no earlier event to place it.
            worker=self.worker,
            month=self.month,
            party=parsed.value,
            score=score,
            previous_score=None if previous is None else previous["score"],
            **stamp.without_key(),
        )

    @event("Scored")
    def _score(
        self,
        worker: str,
        month: str,
        party: str,
        score: int,
        previous_score: int | None,
        actor: dict[str, str],
        occurred_at: datetime,
        correlation_id: str,
    ) -> None:
        self.scores[party] = {"score": score, "scored_by": actor["id"], "scored_at": occurred_at}


register_stable_topics(WorkerMonth, "worker_month")
