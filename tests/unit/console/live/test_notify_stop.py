"""console.live.notify's listener against a database that is not there: it retries until stopped,
and stop() ends it at once (no database needed: the socket path does not exist)."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from console.live import notify
from console.live.notify import Notifier, notifier, stop_notifier

NOWHERE = "postgresql://nobody@/gone?host=/nonexistent-fq-socket-dir&connect_timeout=1"


def _retries(caplog: pytest.LogCaptureFixture) -> int:
    return sum("retrying" in r.getMessage() for r in caplog.records)


def test_a_stopped_listener_stops_retrying_and_its_thread_ends(
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(notify, "RETRY_S", 30.0)  # the pause stop() must cut short
    caplog.set_level(logging.WARNING, logger="console.live.notify")
    source = Notifier(NOWHERE)
    source.add(lambda _payload: None)
    thread = source._thread
    assert thread is not None
    deadline = time.monotonic() + 30  # bounds a hang only
    while not _retries(caplog):
        assert time.monotonic() < deadline, "the listener never tried to connect"
        time.sleep(0.01)
    assert source.stop(timeout_s=20)  # inside a 30 s pause: it leaves the pause
    assert not thread.is_alive() and source._thread is None and not source.listening
    seen = _retries(caplog)
    source.add(lambda _payload: None)  # a late subscriber starts nothing on a stopped one
    assert source._thread is None and _retries(caplog) == seen


def test_stop_notifier_forgets_the_process_listener():
    first = notifier(NOWHERE)
    first.add(lambda _payload: None)
    thread = first._thread
    assert stop_notifier(NOWHERE, timeout_s=20)
    assert thread is not None and not thread.is_alive()
    assert notifier(NOWHERE) is not first  # a restarted server gets a fresh one
    assert stop_notifier(NOWHERE) and stop_notifier(NOWHERE)  # none left: nothing to stop
    assert not [t for t in threading.enumerate() if t is thread]
