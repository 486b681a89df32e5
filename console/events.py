"""One LISTEN connection per server process, fanned out to every open event stream.

Each subscription may carry a filter (the subscriber's jurisdiction): the hub looks up an
event's context (the case's area and units, or the unit's home) once, not once per
subscriber, and only when some subscriber is restricted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import psycopg

log = logging.getLogger(__name__)
CHANNEL = "fq_dispatch"


class Subscription:
    """A bounded queue: a consumer too slow to keep up loses the oldest events, not memory."""

    def __init__(self, maxsize: int, *, accept: Callable[[dict[str, Any]], bool] | None = None,
                 needs_context: bool = False) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize)
        self.dropped = 0
        self.accept = accept
        self.needs_context = needs_context

    def offer(self, payload: str) -> None:
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(payload)

    async def get(self, *, timeout_s: float) -> str:
        return await asyncio.wait_for(self.queue.get(), timeout_s)


class EventHub:
    """Relays ``NOTIFY fq_dispatch`` payloads (sent by the domain on commit) to subscribers."""

    def __init__(self, conninfo: str, *, channel: str = CHANNEL, maxsize: int = 1000,
                 context: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> None:
        self.conninfo = conninfo
        self.context = context
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
                        await self._fan_out(note.payload)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database restarted: listen again shortly
                self.ready.clear()
                log.exception("event listener lost its connection; retrying")
                await asyncio.sleep(1.0)

    async def _fan_out(self, payload: str) -> None:
        subs = list(self._subs)
        ctx: dict[str, Any] = {}
        if any(s.needs_context for s in subs):
            try:
                event = json.loads(payload)
                if self.context is not None and isinstance(event, dict):
                    ctx = await asyncio.to_thread(self.context, event)
            except Exception:  # no context: restricted subscribers get nothing of it
                log.exception("event context look-up failed")
        for sub in subs:
            if sub.accept is None or sub.accept(ctx):
                sub.offer(payload)

    @contextlib.asynccontextmanager
    async def subscribe(self, *, accept: Callable[[dict[str, Any]], bool] | None = None,
                        needs_context: bool = False) -> AsyncIterator[Subscription]:
        """A subscription; ``accept(context)`` filters events (``needs_context``: it reads
        the event's context, so the hub must look it up)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._listen())
        sub = Subscription(self.maxsize, accept=accept, needs_context=needs_context)
        self._subs.add(sub)
        try:
            await asyncio.wait_for(self.ready.wait(), 10.0)
            yield sub
        finally:
            self._subs.discard(sub)
