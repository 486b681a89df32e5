"""The triage queue live (``GET /api/v1/triage/stream``, Server-Sent Events): the reader's
pending resident reports, sent whole each time the desk hub's triage changes (the same push the
desk's panel takes: NOTIFY → the process's hub → here), no polling.

The stream holds the hub the reader's own desk shares (console.live.desk_registry.hub_for: a
street's or district's part hub, reading only its streets), not the whole territory's: a street
dispatcher's /triage kept the territory's hub alive (every unit, the newest cases of all
streets, re-read on every change) though no desk of the process needed it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import date, datetime
from typing import Any, ClassVar

from console.api.router import ApiHandler
from console.api.triage_scope import readers_rows
from console.live.desk_part import part_of
from console.live.desk_registry import hub_for
from console.live.desk_rehome import Following
from dispatch import limits

KEEPALIVE_S = 15.0  # proxies drop silent streams
RECHECK_S = 5.0  # the reader's credentials are checked again this often (a logout ends it)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def sse(rows: list[dict[str, Any]]) -> str:
    return "data: " + json.dumps({"items": rows}, ensure_ascii=False, default=_plain) + "\n\n"


class TriageStreamHandler(ApiHandler):
    """One ``data:`` line ``{"items": [...]}`` on connecting and after each change."""

    actions: ClassVar[dict[str, str]] = {"GET": "desk"}
    closed = False

    def on_connection_close(self) -> None:
        self.closed = True

    async def get(self) -> None:
        self.set_header("Content-Type", "text/event-stream; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Accel-Buffering", "no")
        loop = asyncio.get_running_loop()
        box: asyncio.Queue[Any] = asyncio.Queue()
        seen: list[Any] = [None]

        def deliver(hub: Any, payload: dict[str, Any]) -> None:  # on the hub's thread
            rows = (payload.get("snapshot") or {}).get("triage")
            if rows is None or rows is seen[0] or hub is not follow.hub:
                return
            seen[0] = rows
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody left to tell
                loop.call_soon_threadsafe(box.put_nowait, rows)
        # the reader's own desk's hub, followed when the reader's part changes (an area
        # replacement gives its street a new id)
        follow = Following(lambda part: hub_for(self.app, part), deliver)
        follow.to(part_of(self.who))
        try:
            snap = await asyncio.to_thread(follow.hub.snapshot)
            rows = snap.get("triage") or []
            seen[0] = rows
            await self._send(sse(readers_rows(self.who, rows, limit=limits.TRIAGE_ROWS)))
            await self._stream(box, follow)
        finally:
            follow.leave()

    async def _send(self, text: str) -> bool:
        self.write(text)
        try:
            await self.flush()
        except Exception:  # the client went away
            return False
        return True

    async def _stream(self, box: asyncio.Queue[Any], follow: Following) -> None:
        loop_time = asyncio.get_running_loop().time
        last = loop_time()
        while not self.closed:
            try:
                rows = await asyncio.wait_for(box.get(), RECHECK_S)
            except TimeoutError:
                rows = None
            now = await self.app.auth.of_request_async(self.app.engine, self)
            if now is None:
                await self._send('event: end\ndata: {"reason":"登录已失效或已退出"}\n\n')
                return
            self.principal = now  # a changed role or area counts from the next push
            if follow.to(part_of(self.who)):  # another part now: its hub's rows at once
                while not box.empty():
                    box.get_nowait()  # the old hub's
                rows = (await asyncio.to_thread(follow.hub.snapshot)).get("triage") or []
            if rows is not None:
                while not box.empty():  # a burst: the latest only
                    rows = box.get_nowait()
                text = sse(readers_rows(self.who, rows, limit=limits.TRIAGE_ROWS))
            elif loop_time() - last >= KEEPALIVE_S:
                text = ": keep-alive\n\n"
            else:
                continue
            last = loop_time()
            if not await self._send(text):
                return
