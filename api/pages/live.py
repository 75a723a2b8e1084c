"""Live pages: one look at the read models' position per process, shared by every open
stream (server-sent events), so an idle dashboard holds no database connection.

While at least one stream is open, a single task of the process looks at the position the
read models have reached (one short checkout of a pooled connection, every
LOOK_EVERY_SECONDS) and wakes the streams when it moves; with no stream open it stops.
A stream tells its page "changed" (at most once per MIN_GAP_SECONDS, however busy the
city), and the page fetches its data again. Streams end on the server's shutdown (the
library, sse-starlette, ends them when uvicorn is told to exit), and after
STREAM_SECONDS, when the browser opens a new one, signed in again (a session ended in
the meantime gets no more).
"""

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi.concurrency import run_in_threadpool

log = logging.getLogger(__name__)

LOOK_EVERY_SECONDS = 1.0
MIN_GAP_SECONDS = 2.0
STREAM_SECONDS = 300.0
RETRY_MILLISECONDS = 3000  # how long a browser waits before it opens the stream again


class PositionWatch:
    """The read models' position, looked at by one task while anyone listens."""

    def __init__(self, look: Callable[[], int], every: float = LOOK_EVERY_SECONDS):
        self._look = look
        self._every = every
        self._listeners = 0
        self._task: asyncio.Task[None] | None = None
        self._moved = asyncio.Event()
        self.position: int | None = None

    async def _run(self) -> None:
        while self._listeners:
            try:
                position = await run_in_threadpool(self._look)
            except Exception:  # the database away for a moment: look again
                log.warning("could not look at the read models' position", exc_info=True)
            else:
                if position != self.position:
                    self.position = position
                    moved, self._moved = self._moved, asyncio.Event()
                    moved.set()
            await asyncio.sleep(self._every)
        self._task = None

    @asynccontextmanager
    async def listening(self) -> AsyncIterator[None]:
        self._listeners += 1
        if self._task is None:
            self._task = asyncio.create_task(self._run())
        try:
            yield
        finally:
            self._listeners -= 1

    async def moved_from(self, position: int | None, timeout: float) -> bool:
        """Whether the position is (or becomes, within ``timeout`` seconds) another than
        ``position``; None: whatever it is first seen to be."""
        if self.position is None:
            await self._wait(timeout)
            if self.position is None:
                return False
            if position is None:
                position = self.position
        while self.position == position:
            if not await self._wait(timeout):
                return False
        return True

    async def _wait(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._moved.wait(), timeout)
        except TimeoutError:
            return False
        return True


async def changes(
    watch: PositionWatch, since: int | None, *, lifetime: float = STREAM_SECONDS
) -> AsyncIterator[dict[str, Any]]:
    """The events of one stream: "changed" each time the read models move past ``since``
    (the position the page's data was read at), until ``lifetime`` is over."""
    ends = time.monotonic() + lifetime
    yield {"retry": RETRY_MILLISECONDS, "comment": "listening"}
    async with watch.listening():
        seen = since
        while (left := ends - time.monotonic()) > 0:
            if not await watch.moved_from(seen, min(left, 30)):
                continue
            seen = watch.position
            yield {"event": "changed", "id": str(seen), "data": str(seen)}
            await asyncio.sleep(MIN_GAP_SECONDS)
