"""A stopped console leaves no live thread behind: its desk and wall hubs' threads and the
process's LISTEN thread (console.live.notify) end with it (console.live.hub_base.stop_live), so none keeps
retrying against its database once that is dropped."""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from sqlalchemy import make_url

from console.live import notify
from geo.settings import Settings
from tests.conftest import demo_copy, serve_console


def until(what: str, check: Callable[[], Any], timeout_s: float = 30.0) -> Any:
    """``check()``'s first truthy answer, or an AssertionError naming ``what`` (the bound only
    ends a hang)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.05)


def listener_of(dbname: str) -> notify.Notifier | None:
    """The process's notifier on database ``dbname``, if one is registered."""
    with notify._NOTIFIERS_LOCK:
        found = [n for url, n in notify._NOTIFIERS.items() if make_url(url).database == dbname]
    return found[0] if found else None


def test_stop_live_ends_the_hubs_and_the_listener(settings: Settings, base_db: str,
                                                  demo_territory):  # type: ignore[no-untyped-def]
    from console.bootstrap import bootstrap
    from console.live.desk_registry import desk_hub
    from console.live.hub_base import stop_live
    from console.live.stats_hub import stats_hub
    from dispatch.stats_scope import Scope

    with demo_copy(settings, base_db, demo_territory, tag="l") as (url, _engine):
        app = bootstrap(settings, url=url)
        try:
            desk, wall = desk_hub(app), stats_hub(app)
            desk.subscribe(lambda _payload: None)  # a desk page's session, never unsubscribed
            wall.subscribe(Scope(), lambda _payload: None)  # a wall's
            source = listener_of(app.engine.url.database or "")
            assert source is not None and source.wait_ready(), "the hubs listen"
            source.add(lambda _payload: None)  # an event stream's, never removed
            threads = [desk._thread, wall._thread, source._thread]
            assert all(t is not None and t.is_alive() for t in threads), threads
            assert stop_live(app) == []
            assert [t.name for t in threads if t is not None and t.is_alive()] == []
            assert listener_of(app.engine.url.database or "") is None
            assert desk_hub(app) is not desk  # forgotten: a restarted server gets fresh ones
            assert stop_live(app) == []  # twice is harmless
        finally:
            app.engine.dispose()


def test_a_stopped_console_leaves_no_listener_retrying_its_dropped_database(
        settings: Settings, base_db: str, demo_territory):  # type: ignore[no-untyped-def]
    stream: list[bytes] = []

    def read_events(base: str) -> None:  # an open event stream when the server stops
        try:
            with urllib.request.urlopen(base + "/api/v1/events", timeout=30) as resp:
                stream.append(resp.readline())
                resp.read()
        except OSError:
            pass

    before = {t for t in threading.enumerate() if t.name == "fq-outbox"}  # other consoles'
    with demo_copy(settings, base_db, demo_territory, tag="l") as (url, engine):
        name = engine.url.database or ""
        with serve_console(settings, url) as base:
            outbox = {t for t in threading.enumerate() if t.name == "fq-outbox"} - before
            assert len(outbox) == 1, "the console delivers its outbox"
            threading.Thread(target=read_events, args=(base,), daemon=True).start()
            source = until("the event stream's listener is ready",
                           lambda: (n := listener_of(name)) is not None and n.listening and n)
            thread = source._thread
            assert thread is not None and thread.is_alive()
        assert not thread.is_alive(), "the listener outlived its console"
        assert not any(t.is_alive() for t in outbox), "the outbox worker outlived its console"
        assert listener_of(name) is None
    # the database is gone now: nothing of that console is left to retry it
    assert not thread.is_alive() and listener_of(name) is None
    assert stream and stream[0].startswith(b": fengqiao events")
