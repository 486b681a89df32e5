"""A jurisdiction's own desk snapshot read once for ``GET /api/v1/desk/snapshot`` when no desk of
that jurisdiction is open in the process (an open one's part hub answers: console.live.desk_route)."""

from __future__ import annotations

import threading
import time
from typing import Any

from console.bootstrap import App
from console.desk.state import case_features, epoch_ms, queue_rows, unit_features, unit_rows
from console.live.desk_patch import QUEUE_LIMIT
from dispatch import views_desk
from dispatch.access import Principal, scope_of
from dispatch.views_scope import area_index

MAX_AGE_S = 2.0  # as DeskHub.snapshot: a reader may see rows this old
KEEP = 256  # parts remembered per process (each a street's or district's rows)
Key = tuple[frozenset[int], str | None]


def read_rows(conn: Any, *, policy: Any, streets: frozenset[int] | None,
              creator: str | None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A part's desk rows (the territory's with no ``streets``), read once: the queue's rows
    as read (a part hub's case book learns from them) and the snapshot's queue, unit board,
    their map features and the areas. The one read behind the hubs' full reads and
    :meth:`DeskParts.read`."""
    now_ms = epoch_ms(views_desk.server_now(conn)) or 0
    incidents = views_desk.queue(conn, limit=QUEUE_LIMIT, streets=streets, creator=creator)
    units = views_desk.units(conn, streets=streets)
    # a part's units' areas come with their board rows (one query fewer)
    areas = area_index(conn, streets=streets, creator=creator,
                       units=units if streets is not None else None)
    queue = queue_rows(incidents, policy=policy, now_ms=now_ms)
    board = unit_rows(units)
    return incidents, {"server_ms": now_ms, "queue": queue, "units": board,
                       "case_features": case_features(queue),
                       "unit_features": unit_features(board), "areas": areas}


def part_of(p: Principal | None) -> Key | None:
    """The streets (and creator) a reader's desk is limited to; None for the whole territory
    or for a reader bounded otherwise (a unit, a grid without a street): those take the hub's
    shared snapshot, cut as before."""
    if p is None:
        return None
    scope = scope_of(p)
    streets = scope.streets
    if scope.unrestricted or streets is None or scope.unit_id is not None:
        return None
    return frozenset(streets), scope.creator


class DeskParts:
    """Snapshots per part, each read at most once per :data:`MAX_AGE_S` in the process.

    Before, every restricted desk read the whole territory (every unit, the newest
    ``QUEUE_LIMIT`` cases of all streets, every open case's area) and cut it in Python: at
    province scale a street read 25,000 units to show 300, and the territory's newest 2,000
    cases held only a street's handful. The same rules then cut the part
    (console.api.auth_scope.filter_snapshot), so what a reader sees is unchanged but for the
    queue limit, which now counts the part's own cases.
    """

    def __init__(self, app: App) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._snaps: dict[Key, tuple[float, dict[str, Any]]] = {}
        self.reads = 0

    def snapshot(self, key: Key, *, version: int) -> dict[str, Any]:
        now = time.monotonic()
        with self._lock:
            hit = self._snaps.get(key)
        if hit is not None and now - hit[0] <= MAX_AGE_S:
            return hit[1]
        snap = self.read(key, version=version)
        with self._lock:
            if len(self._snaps) >= KEEP:
                self._snaps.pop(min(self._snaps, key=lambda k: self._snaps[k][0]))
            self._snaps[key] = (now, snap)
        return snap

    def read(self, key: Key, *, version: int) -> dict[str, Any]:
        streets, creator = key
        with self.app.engine.connect() as conn:
            _, snap = read_rows(conn, policy=self.app.dispatch.policy(), streets=streets,
                                creator=creator)
        self.reads += 1
        snap["version"] = version
        return snap


_PARTS: dict[int, DeskParts] = {}
_PARTS_LOCK = threading.Lock()


def desk_parts(app: App) -> DeskParts:
    """The process's part snapshots for ``app`` (one per app, like the hubs)."""
    with _PARTS_LOCK:
        parts = _PARTS.get(id(app))
        if parts is None or parts.app is not app:
            parts = _PARTS[id(app)] = DeskParts(app)
        return parts
