"""Commands on one case take turns within a process, instead of racing to the store.

Without this, fifty visits sent at once to one case all load the same version, one of
them lands and the other forty-nine find the version taken and start again, over and
over. With one lock per case the commands of a process are decided one after the other
on the fresh case; only commands from other processes can still collide in the store,
and those are retried with back-off (see ``CaseWork._change``).
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID
from weakref import WeakValueDictionary


class CaseLocks:
    def __init__(self) -> None:
        self._guard = threading.Lock()
        # A case's lock lives while a command holds it or waits for it, then goes.
        self._locks: WeakValueDictionary[UUID, threading.Lock] = WeakValueDictionary()

    @contextmanager
    def held(self, case_id: UUID, timeout: float) -> Iterator[bool]:
        """Hold the case's lock, waiting up to ``timeout`` seconds; yields whether it was
        got."""
        with self._guard:
            lock = self._locks.get(case_id)
            if lock is None:
                lock = self._locks[case_id] = threading.Lock()
        got = lock.acquire(timeout=max(timeout, 0.0))
        try:
            yield got
        finally:
            if got:
                lock.release()
