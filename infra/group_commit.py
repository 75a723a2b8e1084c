"""Group commit: the appends that threads of one process make at the same time share one
transaction.

Every append takes the events table's EXCLUSIVE lock until its commit is on disk, so appends
are serialised and each pays a lock, a round trip and a flush of the log. Here one thread
(the leader) writes every append waiting at that moment in one transaction, and hands the
lead to the oldest append still waiting when it is done; the others sleep until their
append is written. Nothing else changes: the events of one append keep their order and stay
together, notification ids follow the order of the appends, and an append that breaks the
store's uniqueness (a concurrent write to the same case, an idempotency key used twice)
still fails on its own, since a batch that fails on uniqueness is written again one append
at a time.
"""

import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

Event = TypeVar("Event")


class _Append(Generic[Event]):
    __slots__ = ("error", "events", "finished", "notification_ids", "wake")

    def __init__(self, events: Sequence[Event]):
        self.events = events
        self.wake = threading.Event()  # set when written, or when made the leader
        self.finished = False
        self.notification_ids: Sequence[int] = ()
        self.error: BaseException | None = None


class GroupCommit(Generic[Event]):
    def __init__(
        self,
        write: Callable[[Sequence[Event]], Sequence[int] | None],
        conflict: type[Exception],
        max_events: int = 500,
    ):
        """``write`` stores events in one transaction and returns their notification ids in
        the order given; it raises ``conflict`` when an event breaks the store's uniqueness."""
        self._write = write
        self._conflict = conflict
        self._max_events = max_events
        self._lock = threading.Lock()
        self._waiting: deque[_Append[Event]] = deque()
        self._leading = False

    def append(self, events: Sequence[Event]) -> Sequence[int]:
        mine = _Append(events)
        with self._lock:
            self._waiting.append(mine)
            if not self._leading:
                self._leading = True
                mine.wake.set()
        while True:
            mine.wake.wait()
            if mine.finished:
                break
            mine.wake.clear()  # made the leader: no one else touches this append now
            self._lead()
        if mine.error is not None:
            raise mine.error
        return mine.notification_ids

    def _lead(self) -> None:
        with self._lock:
            batch = [self._waiting.popleft()]  # the leader's own append is the oldest
            count = len(batch[0].events)
            while self._waiting and count + len(self._waiting[0].events) <= self._max_events:
                count += len(self._waiting[0].events)
                batch.append(self._waiting.popleft())
        try:
            self._commit(batch)
        finally:
            with self._lock:
                if self._waiting:
                    self._waiting[0].wake.set()
                else:
                    self._leading = False

    def _commit(self, batch: list[_Append[Event]]) -> None:
        try:
            if len(batch) == 1:
                self._write_one(batch[0])
                return
            try:
                ids = self._write([event for append in batch for event in append.events]) or ()
            except self._conflict:
                for append in batch:  # find the append at fault; the others are written
                    self._write_one(append)
                return
            except BaseException as error:  # noqa: BLE001 - raised again in each thread
                for append in batch:
                    append.error = error
                return
            start = 0
            for append in batch:
                append.notification_ids = ids[start : start + len(append.events)]
                start += len(append.events)
        finally:
            for append in batch:
                append.finished = True
                append.wake.set()

    def _write_one(self, append: _Append[Event]) -> None:
        try:
            append.notification_ids = self._write(append.events) or ()
        except BaseException as error:  # noqa: BLE001 - raised again in its own thread
            append.error = error
