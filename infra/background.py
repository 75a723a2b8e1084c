"""A loop of the service (the supervision ladder, the webhook dispatcher) on a thread of its
own, as ``casework serve`` and the commands that run one alone start it."""

import logging
import threading
from abc import ABC, abstractmethod
from typing import Protocol

log = logging.getLogger(__name__)


class Loop(Protocol):
    def run(self) -> None:
        """Work until stopped."""

    def stop(self) -> None:
        """Make ``run`` return soon."""


class Rounds(ABC):
    """Work done in rounds, every ``interval_seconds``, until stopped; a failed round (the
    database away for a while) is logged and the next one tries again."""

    name = "round"

    def __init__(self, interval_seconds: float):
        self.interval_seconds = interval_seconds
        self.stopped = threading.Event()
        # Set by a round that left work behind (a full batch): the next starts at once.
        self.more_waiting = False

    @abstractmethod
    def run_once(self) -> int:
        """One round; how much it did."""

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("%s failed; retrying", self.name)
                self.more_waiting = False
            if not self.more_waiting:
                self.stopped.wait(self.interval_seconds)

    def stop(self) -> None:
        self.stopped.set()


class Background:
    def __init__(self, loop: Loop, name: str):
        self.loop = loop
        self.thread = threading.Thread(target=loop.run, name=name, daemon=True)

    def start(self) -> "Background":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.loop.stop()
        self.thread.join(timeout=10)
