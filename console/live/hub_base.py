"""What the process's hubs share (the desk's ``console.live.desk_hub`` and the wall's
``console.api.stats``): subscribers by token, one worker thread started by the first subscriber
and ended by the last, and a callback on the process's listener (``console.live.notify``) while anyone
is subscribed. Each hub says what its thread does (``_run``) and what a NOTIFY means to it
(``_notified``). :func:`stop_live` ends them all, and the listener, when a server stops.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from console.bootstrap import App
from console.live.notify import Notifier, notifier, stop_notifier
from geo.db import libpq_url

S = TypeVar("S")
H = TypeVar("H")
log = logging.getLogger(__name__)
# every per-app hub registry (one per kind of hub), as per_app first saw it: what stop_live stops
_REGISTRIES: list[tuple[dict[int, tuple[App, Any]], threading.Lock]] = []
_REGISTRIES_LOCK = threading.Lock()


class Hub(Generic[S]):
    """Subscribers of type ``S`` and the thread and listener that live while there are any."""

    thread_name = "hub"

    def __init__(self, conninfo: str | None) -> None:
        self.conninfo = conninfo  # libpq URL to LISTEN on for changes; None: no listener
        self._lock = threading.Lock()
        self._subs: dict[int, S] = {}
        self._next = 0
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._source: Notifier | None = None
        self._listen_token: int | None = None
        self._conns = 0  # the listener's connections when last looked (a change: reconnected)

    def _add(self, sub: S) -> int:
        """Keep ``sub``; start the thread and the listening if they are not running."""
        with self._lock:
            self._next += 1
            token = self._next
            self._subs[token] = sub
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self.thread_name,
                                                daemon=True)
                self._thread.start()
            if self.conninfo and self._listen_token is None:
                self._source = notifier(self.conninfo)
                self._listen_token = self._source.add(self._notified)
        return token

    def unsubscribe(self, token: int) -> None:
        with self._lock:
            self._subs.pop(token, None)
            if not self._subs and self._source is not None and self._listen_token is not None:
                self._source.remove(self._listen_token)
                self._listen_token = None
        self._wake.set()

    def stop(self, timeout_s: float = 10.0) -> bool:
        """Drop every subscriber and the listening, and wait for the thread to end (the server
        is shutting down); True when no thread is left running after ``timeout_s``."""
        with self._lock:
            self._subs.clear()
            if self._source is not None and self._listen_token is not None:
                self._source.remove(self._listen_token)
                self._listen_token = None
            thread = self._thread
        self._wake.set()
        if thread is None or thread is threading.current_thread():
            return True
        thread.join(timeout_s)
        return not thread.is_alive()

    def _ending(self) -> bool:
        """Under the lock, on the thread: True when nobody is subscribed (the thread must then
        return; a later subscriber starts a new one)."""
        if self._subs:
            return False
        self._thread = None
        return True

    @property
    def subscribers(self) -> int:
        return len(self._subs)

    @property
    def listening(self) -> bool:
        return self._listen_token is not None and self._source is not None \
            and self._source.listening

    def _reconnected(self) -> bool:
        """The listener connected again since last looked: events may have been missed."""
        source = self._source
        conns = source.connections if source is not None else 0
        seen, self._conns = self._conns, conns
        return bool(seen) and conns != seen

    def _run(self) -> None:
        raise NotImplementedError

    def _notified(self, payload: str) -> None:
        raise NotImplementedError


def forget(hubs: dict[int, tuple[App, H]], lock: threading.Lock, app: App) -> H | None:
    """Take ``app``'s hub out of ``hubs`` (its server stopped); the hub, or None if none."""
    with lock:
        entry = hubs.get(id(app))
        if entry is None or entry[0] is not app:
            return None
        del hubs[id(app)]
        return entry[1]


def per_app(hubs: dict[int, tuple[App, H]], lock: threading.Lock, app: App,
            make: Callable[[App], H]) -> H:
    """The process's hub in ``hubs`` for ``app``, made on first use (never at import)."""
    with _REGISTRIES_LOCK:
        if not any(known is hubs for known, _ in _REGISTRIES):
            _REGISTRIES.append((hubs, lock))
    with lock:
        entry = hubs.get(id(app))
        if entry is None or entry[0] is not app:
            entry = (app, make(app))
            hubs[id(app)] = entry
        return entry[1]


def stop_live(app: App, *, timeout_s: float = 10.0) -> list[str]:
    """Stop ``app``'s hubs and its database's listener (console.live.notify) with its server, so
    no thread outlives it and retries against a database that is gone; the names of threads
    still running after ``timeout_s`` (empty when all ended)."""
    with _REGISTRIES_LOCK:
        registries = list(_REGISTRIES)
    left = []
    for hubs, lock in registries:
        hub = forget(hubs, lock, app)
        if hub is not None and not hub.stop(timeout_s):
            left.append(hub.thread_name)
    if not stop_notifier(libpq_url(app.engine), timeout_s):
        left.append("fq-listen")
    if left:
        log.warning("live threads still running after their server stopped: %s", ", ".join(left))
    return left
