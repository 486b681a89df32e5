"""The process's one listener (console.live.notify) and the hubs on it, over real PostgreSQL: every
callback hears every NOTIFY once and in order over a single LISTEN connection, the thread ends
with the last callback, and the desk hub turns a unit move into a patch without a query, a case
event into a re-read of its rows only, and an event naming nothing into a full recompute."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, text

from geo.db import libpq_url


def until(check: Callable[[], Any], timeout_s: float = 15.0) -> Any:
    """Wait for ``check()`` to hold (a deadline for a hung run, not a timing assertion)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.02)


def notify(engine: Engine, *payloads: dict[str, Any]) -> None:
    with engine.begin() as conn:
        for p in payloads:
            conn.execute(text("SELECT pg_notify('fq_dispatch', :p)"), {"p": json.dumps(p)})


def listeners(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()")))


def test_one_connection_feeds_every_callback_in_order(demo_engine: Engine):
    from console.live.notify import Notifier

    source = Notifier(libpq_url(demo_engine))
    got: dict[str, list[str]] = {"a": [], "b": []}
    lock = threading.Lock()

    def cb(name: str) -> Callable[[str], None]:
        def f(payload: str) -> None:
            with lock:
                got[name].append(payload)
        return f

    before = listeners(demo_engine)
    ta, tb = source.add(cb("a")), source.add(cb("b"))
    assert source.wait_ready()
    assert listeners(demo_engine) == before + 1 and source.connections == 1
    notify(demo_engine, *({"type": "test", "n": n} for n in range(5)))
    assert until(lambda: len(got["a"]) == 5 and len(got["b"]) == 5)
    assert [json.loads(p)["n"] for p in got["a"]] == list(range(5)) == [
        json.loads(p)["n"] for p in got["b"]]
    source.remove(ta)
    notify(demo_engine, {"type": "test", "n": 5})
    assert until(lambda: len(got["b"]) == 6)
    assert len(got["a"]) == 5  # removed: hears nothing more
    source.remove(tb)
    assert until(lambda: source._thread is None)  # the last callback gone, the thread ends
    assert until(lambda: listeners(demo_engine) == before)


def test_a_broken_callback_does_not_deafen_the_others(demo_engine: Engine):
    from console.live.notify import Notifier

    source = Notifier(libpq_url(demo_engine))
    heard: list[str] = []

    def broken(_payload: str) -> None:
        raise RuntimeError("boom")

    tokens = [source.add(broken), source.add(heard.append)]
    try:
        assert source.wait_ready()
        notify(demo_engine, {"type": "test"})
        assert until(lambda: heard)
    finally:
        for t in tokens:
            source.remove(t)


def test_the_desk_hub_patches_moves_and_named_rows_and_recomputes_the_rest(settings, demo_engine: Engine):
    from console.bootstrap import bootstrap
    from console.live.desk_hub import DeskHub

    app = bootstrap(settings, url=demo_engine.url.render_as_string(hide_password=False))
    hub = DeskHub(app, conninfo=libpq_url(app.engine), refresh_s=600)
    got: list[dict[str, Any]] = []
    lock = threading.Lock()

    def deliver(payload: dict[str, Any]) -> None:
        with lock:
            got.append(payload)

    first = hub.snapshot()
    token = hub.subscribe(deliver)
    try:
        assert hub._source is not None and hub._source.wait_ready()
        unit = next(u for u in first["units"] if u["lon"] is not None)
        computed = hub.computations
        notify(demo_engine, {"type": "unit_moved", "unit_id": unit["id"], "lon": 84.9,
                             "lat": 45.7, "at": None})
        assert until(lambda: got)
        moves = got[0]["moves"]
        assert moves["base"] == first["version"] and [r["id"] for r in moves["units"]] == [
            unit["id"]]
        assert moves["features"][str(unit["id"])]["geometry"]["coordinates"] == [84.9, 45.7]
        assert hub.computations == computed and hub.deltas == 1  # no query for a move
        assert got[0]["snapshot"]["version"] == first["version"] + 1
        notify(demo_engine, {"type": "state_changed", "incident_id": 1})
        assert until(lambda: len(got) >= 2)
        # an event naming a case: its rows re-read and patched, no full read
        assert "moves" not in got[1] and hub.computations == computed and hub.patches == 1
        assert got[1]["events"] == [{"type": "state_changed", "incident_id": 1}]
        notify(demo_engine, {"type": "policy_changed", "actor": "测试"})
        assert until(lambda: len(got) >= 3)
        assert hub.computations == computed + 1 and got[2]["events"] == []
        # the recomputed snapshot reads the table again: the fake move is gone from it
        row = next(u for u in got[2]["snapshot"]["units"] if u["id"] == unit["id"])
        assert (row["lon"], row["lat"]) == (unit["lon"], unit["lat"])
    finally:
        hub.unsubscribe(token)
        app.engine.dispose()


def test_the_desk_hubs_clock_reads_everything_and_patches_nothing_unasked(settings,
                                                                          demo_engine: Engine):
    from console.bootstrap import bootstrap
    from console.live.desk_hub import DeskHub

    app = bootstrap(settings, url=demo_engine.url.render_as_string(hide_password=False))
    hub = DeskHub(app, refresh_s=0.2)  # no listener: only the clock
    got: list[dict[str, Any]] = []
    token = hub.subscribe(got.append)
    try:
        for _ in range(3):
            hub.compute()  # a session's read between the clock's: still no empty patches
            assert until(lambda n=hub.computations: hub.computations > n)
        assert hub.patches == 0 and all("snapshot" in p for p in got)
    finally:
        hub.unsubscribe(token)
        app.engine.dispose()
