"""Live channels closed with the session that opened them: the pages' Bokeh websockets and the
event streams end at once on a logout or an account change on this process, and a sweep every
:data:`SWEEP_S` seconds closes those whose session was revoked elsewhere or expired.

A page's updates (the desk's queue and map, the wall's figures) reach the browser only over its
websocket, and an event stream only over its response: closing them is what stops a revoked
session from receiving. Bokeh's client then tries to reconnect, and the handshake — checked by
:class:`console.pages.login.PageAuth` — finds no valid session.

Every close runs on the server's IOLoop (Tornado's handlers are not thread-safe); the entry
points (:meth:`LiveChannels.ended`) may be called from any thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from console.auth import COOKIE, Authenticator, credentials
from dispatch.adapters.accounts import token_hash

log = logging.getLogger(__name__)
SWEEP_S = 5.0
CLOSED = 4401  # the websocket close code a revoked session's page gets (4000-4999: ours)

Creds = tuple[str, str]


class LiveChannels:
    """This process's open live channels by the credentials that opened them."""

    def __init__(self) -> None:
        self.auth: Authenticator | None = None
        self.engine: Engine | None = None
        self._lock = threading.Lock()
        self._streams: dict[int, tuple[Creds | None, Callable[[], None]]] = {}
        self._next = 0
        self._pages: Any = None  # Bokeh's tornado application (its ``_clients``)
        self._loop: Any = None
        self._sweep: Any = None
        self.closed = 0  # channels closed so far (for tests and support)

    # -- wiring ----------------------------------------------------------------------------------
    def attach(self, server: Any, auth: Authenticator, engine: Engine, *,
               sweep_s: float = SWEEP_S) -> None:
        """Watch ``server``'s page websockets (a Bokeh/Panel server) and the streams added
        here, closing those whose credentials ``auth`` no longer resolves; sweep on its loop."""
        from tornado.ioloop import PeriodicCallback

        self.auth, self.engine = auth, engine
        self._pages, self._loop = server._tornado, server.io_loop
        auth.listeners.append(self.ended)
        self._sweep = PeriodicCallback(self.sweep, sweep_s * 1000)
        self._loop.add_callback(self._sweep.start)

    def add_stream(self, creds: Creds | None, stop: Callable[[], None]) -> int:
        """Register an event stream; ``stop`` (called on the loop) ends it. Returns its key."""
        with self._lock:
            self._next += 1
            self._streams[self._next] = (creds, stop)
            return self._next

    def remove_stream(self, key: int) -> None:
        with self._lock:
            self._streams.pop(key, None)

    # -- closing ---------------------------------------------------------------------------------
    def ended(self, token: str | None = None) -> None:
        """A session ended (``token``) or accounts changed (None: recheck every channel).
        Safe from any thread; the closing happens on the loop."""
        if self._loop is None:
            return
        if token is not None:
            self._loop.add_callback(self._close_token, token_hash(token))
        else:
            self._loop.add_callback(self.sweep)

    def _channels(self) -> list[tuple[Creds | None, Callable[[], None]]]:
        with self._lock:
            out = list(self._streams.values())
        for conn in list(getattr(self._pages, "_clients", ()) or ()):
            socket = getattr(conn, "_socket", None)
            if socket is None or socket.request is None:
                continue
            creds = credentials(socket.request.headers, socket.get_cookie(COOKIE))
            out.append((creds, _closer(socket)))
        return out

    def _close(self, stop: Callable[[], None]) -> None:
        try:
            stop()
            self.closed += 1
        except Exception:  # a channel already gone
            log.debug("closing a live channel failed", exc_info=True)

    def _close_token(self, hashed: str) -> None:
        for creds, stop in self._channels():
            if creds is not None and creds[0] == "token" and token_hash(creds[1]) == hashed:
                self._close(stop)

    async def sweep(self) -> None:
        """Close every channel whose credentials no longer resolve (revoked, expired, an
        account deactivated or its password reset). The look-ups run off the loop."""
        channels = self._channels()
        wanted = {creds for creds, _ in channels if creds is not None}
        auth, engine = self.auth, self.engine
        if not wanted or auth is None or engine is None:
            return

        def look_up() -> set[Creds]:
            return {c for c in wanted if auth.resolve(engine, *c) is None}

        try:
            gone = await asyncio.to_thread(look_up)
        except Exception:  # the database is down: keep the channels, try again next sweep
            log.warning("live channel sweep failed", exc_info=True)
            return
        for creds, stop in channels:
            if creds is None or creds in gone:
                self._close(stop)

    def stop(self) -> None:
        if self._sweep is not None:
            self._sweep.stop()


def _closer(socket: Any) -> Callable[[], None]:
    def close() -> None:
        with contextlib.suppress(Exception):
            socket.close(CLOSED, "登录已失效或已退出")
    return close
