"""A per-process value built from the database, rebuilt when a cheap signature changes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from sqlalchemy import Connection, text

T = TypeVar("T")


def table_signature(*tables: str) -> Callable[[Connection], Hashable]:
    """Row count, largest id, vertex total and a sum over each shape's bounding box and area of
    ``tables``: changes on any re-import, and on a shape edited in place (a boundary moved keeps
    its vertex count). Each shape's term is rounded to an integer before the sum, so the sum is
    exact in any order (a parallel scan must not make the signature flap)."""
    shape = ("round((ST_XMin(b) + ST_YMin(b) + ST_XMax(b) + ST_YMax(b)) * 1e7 "
             "+ ST_Area(geom) * 1e12)::bigint")  # b: the box, computed once a row
    sql = text(" UNION ALL ".join(
        f"SELECT '{t}', count(*), coalesce(max(id), 0), coalesce(sum(ST_NPoints(geom)), 0), "
        f"coalesce(sum({shape}), 0) FROM (SELECT id, geom, Box2D(geom) AS b FROM {t}) t"
        for t in tables))

    def signature(conn: Connection) -> Hashable:
        return tuple(tuple(r) for r in conn.execute(sql))
    return signature


def reused(signature: Callable[[Connection], Hashable], *, for_s: float
           ) -> Callable[[Connection], Hashable]:
    """``signature`` asked at most once every ``for_s`` seconds, its last answer given in
    between: caches built from one table (the drive and walk road graphs) share one scan of it.
    A change is then seen at most ``for_s`` later than each cache's own ``check_s`` says."""
    lock = threading.Lock()
    last: list[tuple[float, Hashable]] = []

    def shared(conn: Connection) -> Hashable:
        with lock:
            now = time.monotonic()
            if last and now - last[0][0] < for_s:
                return last[0][1]
            got = signature(conn)
            last[:] = [(now, got)]
            return got
    return shared


class SignatureCache(Generic[T]):
    """Holds one ``build(conn)`` result; checks ``signature(conn)`` at most every ``check_s``.

    The check costs milliseconds, so every server process sees an import within ``check_s``
    seconds without a restart and without rebuilding on every request.

    Single flight: one thread at a time checks and, when the signature moved, rebuilds; while
    it does, every other reader gets the value held (a rebuild may take seconds at province
    scale: a registration must not wait behind an address import's). Only the first build
    blocks the others, having nothing to serve yet; a build that fails lets the next caller try.
    ``serve_stale=False``: readers wait for the rebuild instead, where the previous value would
    be wrong rather than old (the locator after an area replacement names areas deleted).
    """

    def __init__(self, build: Callable[[Connection], T],
                 signature: Callable[[Connection], Hashable], *, check_s: float = 5.0,
                 serve_stale: bool = True) -> None:
        self._build = build
        self._signature = signature
        self.check_s = check_s
        self._value: T | None = None
        self._seen: Hashable = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)  # no check or build under way
        self._busy = False
        self.serve_stale = serve_stale
        self.builds = 0
        self.waiting = 0  # readers waiting for a build (for tests and diagnostics)

    def fresh(self) -> T | None:
        """The value while it was checked within ``check_s`` (no connection needed), else
        None: then :meth:`get` with a connection."""
        with self._lock:
            if self._value is not None and time.monotonic() - self._checked < self.check_s:
                return self._value
            return None

    def get(self, conn: Connection) -> T:
        with self._lock:
            while True:
                value = self._value
                if value is not None and time.monotonic() - self._checked < self.check_s:
                    return value
                if not self._busy:
                    break
                if value is not None and self.serve_stale:
                    return value  # another thread checks or rebuilds: the previous value
                self.waiting += 1  # nothing to serve yet, or nothing right: wait for it
                try:
                    self._idle.wait()
                finally:
                    self.waiting -= 1
            self._busy = True
        try:
            now = time.monotonic()
            signature = self._signature(conn)
            if value is None or signature != self._seen:
                value = self._build(conn)
                with self._lock:
                    self._value, self._seen = value, signature
                    self.builds += 1
            with self._lock:
                self._checked = now
            return value
        finally:
            with self._lock:
                self._busy = False
                self._idle.notify_all()
