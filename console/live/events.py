"""Committed domain events fanned out to every open event stream (SSE), from the process's one
LISTEN connection (:mod:`console.live.notify`).

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

from console.live.notify import CHANNEL, Notifier, notifier

log = logging.getLogger(__name__)
__all__ = ["CHANNEL", "EventHub", "Subscription"]


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
                 context: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                 source: Notifier | None = None) -> None:
        self.conninfo = conninfo
        self.context = context
        self.channel = channel
        self.maxsize = maxsize
        self.source = source
        self._subs: set[Subscription] = set()
        self._task: asyncio.Task[None] | None = None
        self._inbox: asyncio.Queue[str] | None = None
        self._token: int | None = None

    def _start(self) -> None:
        """Register with the process's listener; payloads cross to this loop in arrival order."""
        if self.source is None:
            self.source = notifier(self.conninfo)
        loop = asyncio.get_running_loop()
        inbox: asyncio.Queue[str] = asyncio.Queue()
        self._inbox = inbox

        def relay(payload: str) -> None:  # on the listener's thread
            # RuntimeError: the loop closed (a server stopped), nobody left to tell
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(inbox.put_nowait, payload)
        self._token = self.source.add(relay)
        self._task = loop.create_task(self._pump(inbox))

    def _stop(self) -> None:
        if self.source is not None and self._token is not None:
            self.source.remove(self._token)
        if self._task is not None:
            self._task.cancel()
        self._task = self._inbox = self._token = None

    async def _pump(self, inbox: asyncio.Queue[str]) -> None:
        while True:
            payload = await inbox.get()
            try:
                await self._fan_out(payload)
            except Exception:  # one bad payload must not end the stream
                log.exception("event fan-out failed")

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
            self._start()
        assert self.source is not None
        sub = Subscription(self.maxsize, accept=accept, needs_context=needs_context)
        self._subs.add(sub)
        try:
            if not await asyncio.to_thread(self.source.wait_ready, 10.0):
                raise TimeoutError("事件监听未就绪")
            yield sub
        finally:
            self._subs.discard(sub)
            if not self._subs:
                self._stop()
