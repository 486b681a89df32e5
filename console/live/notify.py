"""One PostgreSQL LISTEN connection per server process, fanned out to in-process callbacks.

The domain sends ``NOTIFY fq_dispatch`` with each committed event (``dispatch.adapters.uow``).
The SSE stream, the wall's statistics hub and the desk hub all want those payloads; each
registers a callback here instead of holding its own connection (issue 5: "one listener per
process, not per session"). The listening thread starts with the first callback, reconnects when
the database goes away, and ends a moment after the last callback is removed, or when the server
shuts down (:func:`stop_notifier`: a database dropped after that is not retried forever).

Callbacks run on the listening thread, in the order the payloads arrive: they must be quick
(set a flag, queue the payload, ``loop.call_soon_threadsafe``) and must not touch Bokeh models.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import TypeVar

from dispatch.adapters.listener import listening

T = TypeVar("T")
log = logging.getLogger(__name__)
CHANNEL = "fq_dispatch"
POLL_S = 1.0  # how often the thread looks whether anyone still listens
RETRY_S = 1.0  # pause before listening again after the connection failed

Callback = Callable[[str], None]


class Notifier:
    """The process's listener on one database (``conninfo``, a libpq URL)."""

    def __init__(self, conninfo: str, *, channel: str = CHANNEL) -> None:
        self.conninfo = conninfo
        self.channel = channel
        self.ready = threading.Event()  # set while LISTEN is in force
        self.received = 0  # payloads seen (diagnostics)
        self.connections = 0  # LISTEN connections opened so far (diagnostics, tests)
        self._lock = threading.Lock()
        self._callbacks: dict[int, Callback] = {}
        self._next = 0
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()  # set by stop(): no more listening, no retrying

    def add(self, callback: Callback) -> int:
        """Call ``callback(payload)`` for every notification from now on; returns a token."""
        with self._lock:
            self._next += 1
            self._callbacks[self._next] = callback
            if self._thread is None and not self._stopped.is_set():
                self._thread = threading.Thread(target=self._run, name="fq-listen", daemon=True)
                self._thread.start()
            return self._next

    def remove(self, token: int) -> None:
        with self._lock:
            self._callbacks.pop(token, None)

    def stop(self, timeout_s: float = 10.0) -> bool:
        """Stop for good (the server is shutting down): callbacks dropped, the thread leaves
        its wait or its pause before retrying, closes its connection and ends. True when no
        thread is left running after ``timeout_s``."""
        self._stopped.set()
        with self._lock:
            self._callbacks.clear()
            thread = self._thread
        if thread is None or thread is threading.current_thread():
            return True
        thread.join(timeout_s)
        return not thread.is_alive()

    @property
    def listening(self) -> bool:
        return self._thread is not None and self.ready.is_set()

    @property
    def callbacks(self) -> int:
        return len(self._callbacks)

    def wait_ready(self, timeout_s: float = 10.0) -> bool:
        """Block until LISTEN is in force (so a change committed after this is heard)."""
        return self.ready.wait(timeout_s)

    def _active(self) -> bool:
        with self._lock:
            if self._callbacks and not self._stopped.is_set():
                return True
            self._thread = None  # decided under the lock: add() starts a new thread after this
            self.ready.clear()
            return False

    def _run(self) -> None:
        # once _active() said no, this thread must end: add() may already have started the next
        while self._active():
            try:
                with listening(self.conninfo, self.channel, connect_timeout=5) as conn:
                    self.connections += 1
                    self.ready.set()
                    while True:
                        for payload in conn.payloads(POLL_S):
                            self._fan_out(payload)
                        if not self._active():
                            return
            except Exception as exc:  # the database restarted: listen again shortly
                self.ready.clear()
                if self._stopped.is_set():
                    continue  # shutting down: the loop's _active() ends the thread, quietly
                log.warning("listener lost its connection (%s); retrying", exc)
                self._stopped.wait(RETRY_S)  # stop() cuts the pause short

    def _fan_out(self, payload: str) -> None:
        self.received += 1
        with self._lock:
            callbacks = list(self._callbacks.values())
        fan_out(callbacks, lambda callback: callback(payload), "notification callback")


_NOTIFIERS: dict[str, Notifier] = {}
_NOTIFIERS_LOCK = threading.Lock()


def notifier(conninfo: str) -> Notifier:
    """The process's notifier for this database, made on first use (never at import)."""
    with _NOTIFIERS_LOCK:
        found = _NOTIFIERS.get(conninfo)
        if found is None:
            found = _NOTIFIERS[conninfo] = Notifier(conninfo)
        return found


def stop_notifier(conninfo: str, timeout_s: float = 10.0) -> bool:
    """Stop and forget the process's notifier for this database, if any (a server stopping);
    True when its thread ended. A later :func:`notifier` call makes a fresh one."""
    with _NOTIFIERS_LOCK:
        found = _NOTIFIERS.pop(conninfo, None)
    return True if found is None else found.stop(timeout_s)


def fan_out(targets: Iterable[T], call: Callable[[T], object], what: str) -> None:
    """``call(target)`` for each target; one that fails (a broken subscriber, a closing
    session) is logged and does not stop the others."""
    for target in targets:
        try:
            call(target)
        except Exception:
            log.exception("%s failed", what)
