"""geo.cache.SignatureCache: one thread rebuilds while the others keep the previous value; the
first build blocks (nothing to serve yet). Threads and events, no timing: the waits below are
deadlock guards only."""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Any

from geo.cache import SignatureCache, reused

GUARD_S = 20.0  # a deadlock guard: a correct cache never comes near it


class Source:
    """A table whose signature the test moves; ``build`` may be held on an event."""

    def __init__(self) -> None:
        self.version = 1
        self.hold: threading.Event | None = None
        self.building = threading.Event()
        self.builds = 0

    def signature(self, _conn: Any) -> Hashable:
        return self.version

    def build(self, _conn: Any) -> str:
        self.builds += 1
        version = self.version
        self.building.set()
        if self.hold is not None:
            assert self.hold.wait(GUARD_S)
        return f"v{version}"


def test_readers_get_the_previous_value_while_one_thread_rebuilds() -> None:
    src = Source()
    cache = SignatureCache(src.build, src.signature, check_s=0.0)
    assert cache.get(None) == "v1"  # type: ignore[arg-type]
    src.version, src.hold, src.building = 2, threading.Event(), threading.Event()
    got: dict[str, str] = {}
    rebuilder = threading.Thread(target=lambda: got.update(a=cache.get(None)))  # type: ignore[arg-type]
    rebuilder.start()
    assert src.building.wait(GUARD_S)  # the rebuild is under way, held
    reader_done = threading.Event()

    def read() -> None:
        got["b"] = cache.get(None)  # type: ignore[arg-type]
        reader_done.set()

    reader = threading.Thread(target=read)
    reader.start()
    # the reader returns while the rebuild is still held (before: it waited on the lock)
    assert reader_done.wait(GUARD_S), "a reader waited behind the rebuild"
    assert got["b"] == "v1" and "a" not in got
    src.hold.set()
    rebuilder.join(GUARD_S)
    reader.join(GUARD_S)
    assert got["a"] == "v2" and cache.get(None) == "v2"  # type: ignore[arg-type]
    assert src.builds == 2


def test_a_cache_that_must_not_serve_stale_makes_readers_wait_for_the_rebuild() -> None:
    """The locator's (geo.locate.locator_cache): after an area replacement its previous value
    names areas that are gone."""
    src = Source()
    cache = SignatureCache(src.build, src.signature, check_s=0.0, serve_stale=False)
    assert cache.get(None) == "v1"  # type: ignore[arg-type]
    src.version, src.hold, src.building = 2, threading.Event(), threading.Event()
    got: dict[str, str] = {}
    rebuilder = threading.Thread(target=lambda: got.update(a=cache.get(None)))  # type: ignore[arg-type]
    rebuilder.start()
    assert src.building.wait(GUARD_S)
    reader = threading.Thread(target=lambda: got.update(b=cache.get(None)))  # type: ignore[arg-type]
    reader.start()
    pause = threading.Event()  # never set: a short sleep
    while cache.waiting == 0 and reader.is_alive():  # the reader is waiting, not served
        pause.wait(0.01)
    assert "b" not in got
    src.hold.set()
    rebuilder.join(GUARD_S)
    reader.join(GUARD_S)
    assert got == {"a": "v2", "b": "v2"} and src.builds == 2


def test_the_first_build_blocks_and_is_made_once() -> None:
    src = Source()
    src.hold = threading.Event()
    cache = SignatureCache(src.build, src.signature, check_s=0.0)
    got: list[str] = []
    first = threading.Thread(target=lambda: got.append(cache.get(None)))  # type: ignore[arg-type]
    first.start()
    assert src.building.wait(GUARD_S)
    others = [threading.Thread(target=lambda: got.append(cache.get(None)))  # type: ignore[arg-type]
              for _ in range(3)]
    for t in others:
        t.start()
    src.hold.set()
    for t in (first, *others):
        t.join(GUARD_S)
    assert got == ["v1"] * 4 and src.builds == 1


def test_a_failed_build_lets_the_next_caller_build() -> None:
    src = Source()
    calls = {"n": 0}

    def build(conn: Any) -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database gone")
        return src.build(conn)

    cache = SignatureCache(build, src.signature, check_s=0.0)
    try:
        cache.get(None)  # type: ignore[arg-type]
    except RuntimeError:
        pass
    else:
        raise AssertionError("the failure was swallowed")
    assert cache.get(None) == "v1"  # type: ignore[arg-type]


# A signature shared by caches of one table is asked once for all of them (one scan of the
# table), and asked again once its answer is older than ``for_s``.
class _Counted:
    def __init__(self) -> None:
        self.asked = 0
        self.value = ("road_edges", 1)

    def __call__(self, conn: object) -> tuple[str, int]:
        self.asked += 1
        return self.value


def test_two_caches_share_one_scan():
    sig = _Counted()
    shared = reused(sig, for_s=3600.0)
    builds: list[str] = []
    drive = SignatureCache(lambda conn: builds.append("drive") or "drive graph", shared,
                           check_s=0.0)
    walk = SignatureCache(lambda conn: builds.append("walk") or "walk graph", shared,
                          check_s=0.0)
    for _ in range(3):
        assert drive.get(None) == "drive graph" and walk.get(None) == "walk graph"  # type: ignore[arg-type]
    assert sig.asked == 1 and builds == ["drive", "walk"]


def test_an_old_answer_is_asked_again_and_a_change_rebuilds():
    sig = _Counted()
    shared = reused(sig, for_s=0.0)  # never reused: every check asks
    builds: list[int] = []
    cache = SignatureCache(lambda conn: builds.append(sig.value[1]) or sig.value[1], shared,
                           check_s=0.0)
    assert cache.get(None) == 1  # type: ignore[arg-type]
    sig.value = ("road_edges", 2)
    assert cache.get(None) == 2 and sig.asked == 2 and builds == [1, 2]  # type: ignore[arg-type]
