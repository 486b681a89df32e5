"""What the process's hubs share (the desk's ``console.live.desk_hub`` and the wall's
``console.api.stats``): subscribers by token, one worker thread started by the first subscriber
and ended by the last, and a callback on the process's listener (``console.live.notify``) while anyone
is subscribed. Each hub says what its thread does (``_run``) and what a NOTIFY means to it
(``_notified``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from console.bootstrap import App
from console.live.notify import Notifier, notifier

S = TypeVar("S")
H = TypeVar("H")


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

    def _run(self) -> None:
        raise NotImplementedError

    def _notified(self, payload: str) -> None:
        raise NotImplementedError


def per_app(hubs: dict[int, tuple[App, H]], lock: threading.Lock, app: App,
            make: Callable[[App], H]) -> H:
    """The process's hub in ``hubs`` for ``app``, made on first use (never at import)."""
    with lock:
        entry = hubs.get(id(app))
        if entry is None or entry[0] is not app:
            entry = (app, make(app))
            hubs[id(app)] = entry
        return entry[1]
