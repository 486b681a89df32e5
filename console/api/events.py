"""The live event stream (``GET /api/v1/events``): Server-Sent Events cut to the reader's
jurisdiction, ended once its credentials stop being valid."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from console.api.router import ApiHandler
from console.auth import COOKIE, credentials
from console.bootstrap import App
from console.live.events import EventHub
from dispatch.access import event_visible, scope_of
from geo.db import database_down


def without_reasons(payload: str) -> str:
    """An event as a street's reader gets it: free-text ``reasons`` (a risk reason names the
    earlier disputes it counts, possibly another street's) left out; the case's own page gives
    them cut to the reader (console.api.jurisdiction.cut_codes)."""
    if '"reasons"' not in payload:
        return payload
    event = json.loads(payload)
    if isinstance(event, dict) and "reasons" in event:
        event["reasons"] = []
    return json.dumps(event, ensure_ascii=False)


class EventsHandler(ApiHandler):
    """Server-Sent Events: one ``data:`` line of JSON per committed domain event.

    The stream ends (an ``event: end`` with the reason) once its credentials stop being valid:
    they are checked before each event and every :data:`RECHECK_S` seconds (the look-up is
    cached for ``console.auth.CACHE_S``; a logout on this process clears it at once)."""

    RECHECK_S = 5.0
    KEEPALIVE_S = 15.0

    def initialize(self, app: App, hub: EventHub) -> None:  # type: ignore[override]
        super().initialize(app)
        self.hub = hub
        self.closed = False

    def on_connection_close(self) -> None:
        self.closed = True

    async def get(self) -> None:
        import time

        self.set_header("Content-Type", "text/event-stream; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Accel-Buffering", "no")
        who = self.who
        restricted = not scope_of(who).unrestricted
        async with self.hub.subscribe(accept=lambda ctx: event_visible(who, ctx),
                                      needs_context=not scope_of(who).unrestricted) as queue:
            # the stream answers only once subscribed and the listener is LISTENing: a client
            # that acts on the headers (posts a case) then hears it (before, the headers went
            # first, and an event committed meanwhile was lost to the new stream)
            self.write(": fengqiao events\n\n")
            await self.flush()
            quiet_since = time.monotonic()
            ended = False

            def end() -> None:  # its session ended (console.live.sessions, on the loop)
                nonlocal ended
                ended = True
                queue.offer("")  # wakes the wait below
            key = self.app.live.add_stream(
                credentials(self.request.headers, self.get_cookie(COOKIE)), end)
            try:
                await self._stream(queue, restricted, quiet_since, lambda: ended)
            finally:
                self.app.live.remove_stream(key)

    async def _stream(self, queue: Any, restricted: bool, quiet_since: float,
                      ended: Any) -> None:
        import time

        while not self.closed:
            try:
                payload: str | None = await queue.get(timeout_s=self.RECHECK_S)
            except TimeoutError:
                payload = None
            try:
                valid = ended() or await self.app.auth.of_request_async(self.app.engine, self)
            except Exception as exc:  # the database is away (a restart, a failover): the stream
                if not database_down(exc):  # stays open, as its credentials were valid and no
                    raise  # one can revoke them meanwhile; checked again at the next pass
                valid = True
            if ended() or valid is None:
                self.write('event: end\ndata: {"reason":"登录已失效或已退出，事件流结束"}\n\n')
                with contextlib.suppress(Exception):
                    await self.flush()
                break
            if payload:
                if restricted:
                    payload = without_reasons(payload)
                self.write(f"data: {payload}\n\n")
            elif time.monotonic() - quiet_since >= self.KEEPALIVE_S:
                self.write(": keep-alive\n\n")  # proxies drop silent streams
            else:
                continue
            quiet_since = time.monotonic()
            try:
                await self.flush()
            except Exception:  # the client went away
                break
