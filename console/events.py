"""One LISTEN connection per server process, fanned out to every open event stream."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import psycopg

log = logging.getLogger(__name__)
CHANNEL = "fq_dispatch"


class Subscription:
    """A bounded queue: a consumer too slow to keep up loses the oldest events, not memory."""

    def __init__(self, maxsize: int) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize)
        self.dropped = 0

    def offer(self, payload: str) -> None:
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(payload)

    async def get(self, *, timeout_s: float) -> str:
        return await asyncio.wait_for(self.queue.get(), timeout_s)


class EventHub:
    """Relays ``NOTIFY fq_dispatch`` payloads (sent by the domain on commit) to subscribers."""

    def __init__(self, conninfo: str, *, channel: str = CHANNEL, maxsize: int = 1000) -> None:
        self.conninfo = conninfo
        self.channel = channel
        self.maxsize = maxsize
        self._subs: set[Subscription] = set()
        self._task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()

    async def _listen(self) -> None:
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
                async with conn:
                    await conn.execute(f"LISTEN {self.channel}")
                    self.ready.set()
                    async for note in conn.notifies():
                        for sub in list(self._subs):
                            sub.offer(note.payload)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database restarted: listen again shortly
                self.ready.clear()
                log.exception("event listener lost its connection; retrying")
                await asyncio.sleep(1.0)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscription]:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._listen())
        sub = Subscription(self.maxsize)
        self._subs.add(sub)
        try:
            await asyncio.wait_for(self.ready.wait(), 10.0)
            yield sub
        finally:
            self._subs.discard(sub)
