"""The desk hub: one per server process, between the process's listener (console.notify) and
every open duty desk. A change is computed once for all desks (DESIGN.md "five things that
hurt" #4: no per-session polling); a unit move costs no query at all: it patches the shared
snapshot (console.desk_moves) and goes out as a diff of one row and one marker.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, text

from console.auth_scope import area_index
from console.bootstrap import App
from console.desk_moves import MoveTrace, move_of, patch_moves, signatures, unit_index
from console.desk_state import case_features, epoch_ms, queue_rows, unit_features, unit_rows
from console.notify import Notifier, notifier
from dispatch import vocab
from geo.db import libpq_url

log = logging.getLogger(__name__)
REFRESH_S = 30.0  # re-sort by the clock even when nothing changes (warning phases move on)
DEBOUNCE_S, MIN_GAP_S = 0.1, 0.5  # after a NOTIFY: let a burst land, refresh at most 2/s
MOVE_GAP_S = 0.25  # a move goes out at once, but at most 4 diffs a second (a busy city batches)
MOVES_KEPT = 5000  # recent moves, replayed onto a snapshot whose reading they overlapped
DESK_STATES = (*vocab.OPEN_STATES, "resolved")

_QUEUE_SQL = f"""
SELECT i.id, i.code, i.title, i.category, i.priority, i.difficulty, i.state, i.risk_level,
       i.address, i.reported_at, i.sign_deadline, i.close_deadline,
       ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat,
       COALESCE(f.level, 'community') AS level, COALESCE(f.escalations, 0) AS escalations,
       s.name AS street_name, c.name AS community_name, g.name AS grid_name,
       (SELECT array_agg(u.name ORDER BY a.id) FROM assignments a JOIN units u
          ON u.id = a.unit_id WHERE a.incident_id = i.id AND a.state = 'active') AS units,
       (SELECT CASE WHEN bool_or(v.level = 'red') THEN 'red' ELSE 'yellow' END
          FROM supervisions v WHERE v.incident_id = i.id AND v.closed_at IS NULL
          HAVING count(*) > 0) AS supervision,
       (SELECT min(due_at) FROM followups w WHERE w.incident_id = i.id
          AND w.done_at IS NULL) AS followup_due
FROM incidents i
LEFT JOIN incident_flow f ON f.incident_id = i.id
LEFT JOIN streets s ON s.id = i.street_id
LEFT JOIN communities c ON c.id = i.community_id
LEFT JOIN grids g ON g.id = i.grid_id
WHERE i.state IN ({", ".join(f"'{s}'" for s in DESK_STATES)})
ORDER BY i.id DESC LIMIT 2000
"""

_UNITS_SQL = """
SELECT u.id, u.code, u.name, u.unit_type AS type, u.status, u.capacity,
       u.active_load AS active_assignments, ST_X(u.last_geom) AS lon, ST_Y(u.last_geom) AS lat,
       u.last_seen_at AS position_at, COALESCE(g.name, c.name, s.name) AS place, k.cases
FROM units u
LEFT JOIN grids g ON g.id = u.home_grid_id
LEFT JOIN communities c ON c.id = u.community_id
LEFT JOIN streets s ON s.id = u.street_id
LEFT JOIN (SELECT a.unit_id, array_agg(i.code ORDER BY a.id) AS cases FROM assignments a
           JOIN incidents i ON i.id = a.incident_id WHERE a.state = 'active'
           GROUP BY a.unit_id) k ON k.unit_id = u.id
ORDER BY u.id
"""

def _rows(conn: Connection, sql: str, **params: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(text(sql), params).mappings()]


class DeskHub:
    """The desk's shared rows: computed once per change for the whole process and handed to
    every subscribed session (DESIGN.md "five things that hurt" #4: no per-session polling).

    A ``unit_moved`` event costs no query: it patches the shared snapshot (console.desk_moves)
    and goes out at once as ``{"moves": {"base", "units", "features"}}`` beside the patched
    snapshot. Any other change recomputes the snapshot after a short debounce.
    """

    def __init__(self, app: App, *, conninfo: str | None = None,
                 refresh_s: float = REFRESH_S) -> None:
        self.app = app
        self.conninfo = conninfo
        self.refresh_s = refresh_s
        self._lock = threading.Lock()
        self._subs: dict[int, Callable[[dict[str, Any]], None]] = {}
        self._next = 0
        self._wake = threading.Event()
        self._events: list[dict[str, Any]] = []
        self._moves: list[dict[str, Any]] = []
        self._moved: deque[tuple[int, dict[str, Any]]] = deque(maxlen=MOVES_KEPT)
        self._seq = 0  # moves taken so far (compute() replays those it may have missed)
        self._due: float | None = None  # when a full refresh is due after a change
        self._last_full = 0.0
        self._snap: dict[str, Any] | None = None
        self._version = 0
        self._thread: threading.Thread | None = None
        self._source: Notifier | None = None
        self._listen_token: int | None = None
        self.computations = 0
        self.deltas = 0
        self.trace = MoveTrace()

    def compute(self) -> dict[str, Any]:
        """One snapshot: queue and unit-board rows with their map features."""
        with self._lock:
            seq = self._seq
        policy = self.app.dispatch.policy()
        with self.app.engine.connect() as conn:
            now_ms = epoch_ms(conn.scalar(text("SELECT now()"))) or 0
            incidents = _rows(conn, _QUEUE_SQL)
            units = _rows(conn, _UNITS_SQL)
            areas = area_index(conn)
        queue = queue_rows(incidents, policy=policy, now_ms=now_ms)
        board = unit_rows(units)
        snap = {"server_ms": now_ms, "queue": queue, "units": board,
                "case_features": case_features(queue), "unit_features": unit_features(board),
                "areas": areas, "unit_index": unit_index(board)}
        snap["sigs"] = signatures(snap)
        with self._lock:
            self._version += 1
            self.computations += 1
            snap.update(version=self._version, local_ms=time.time() * 1000)
            late = [m for s, m in self._moved if s > seq]  # heard while the rows were read
            if late:
                snap = patch_moves(snap, late, version=self._version)[0]
            self._snap = snap
        return snap

    def snapshot(self, *, max_age_s: float = 2.0) -> dict[str, Any]:
        snap = self._snap
        if snap is None or time.time() * 1000 - snap["local_ms"] > max_age_s * 1000:
            snap = self.compute()
        return snap

    def subscribe(self, deliver: Callable[[dict[str, Any]], None]) -> int:
        """``deliver({"snapshot", "events"[, "moves"]})`` from the hub's thread after each
        change."""
        with self._lock:
            self._next += 1
            token = self._next
            self._subs[token] = deliver
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="desk-hub", daemon=True)
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

    @property
    def subscribers(self) -> int:
        return len(self._subs)

    @property
    def listening(self) -> bool:
        return self._listen_token is not None and self._source is not None \
            and self._source.listening

    def _notified(self, payload: str) -> None:
        try:
            event = json.loads(payload)
        except ValueError:
            event = None
        self.poke(event if isinstance(event, dict) else None)

    def poke(self, event: dict[str, Any] | None = None) -> None:
        """A change was committed (from the listener, or a test): a move goes out at once,
        anything else refreshes soon."""
        move = move_of(event) if event is not None else None
        with self._lock:
            if move is not None:
                self._moves.append(move)
            else:
                if event is not None and event.get("incident_id") is not None:
                    self._events.append(event)  # sessions only ask which cases changed
                if self._due is None:  # let a burst land; at most 1/MIN_GAP_S refreshes a second
                    self._due = max(time.monotonic() + DEBOUNCE_S, self._last_full + MIN_GAP_S)
        self._wake.set()

    def _run(self) -> None:
        periodic = time.monotonic() + self.refresh_s
        last_moves = 0.0
        while True:
            due = self._due
            until = periodic if due is None else min(due, periodic)
            if self._moves:
                until = min(until, last_moves + MOVE_GAP_S)
            self._wake.wait(max(0.0, until - time.monotonic()))
            self._wake.clear()
            now = time.monotonic()
            with self._lock:
                if not self._subs:
                    self._thread = None
                    return
                moves: list[dict[str, Any]] = []
                if now >= last_moves + MOVE_GAP_S:
                    moves, self._moves = self._moves, []
            if moves:
                last_moves = now
                self._send_moves(moves)
            now = time.monotonic()
            if now >= periodic or (self._due is not None and now >= self._due):
                self._refresh()
                periodic = time.monotonic() + self.refresh_s

    def _refresh(self) -> None:
        with self._lock:
            self._due, self._last_full = None, time.monotonic()
            events, self._events = self._events, []
        try:
            payload = {"snapshot": self.compute(), "events": events}
        except Exception as exc:  # the database is busy or down: say so, retry next time
            log.warning("desk hub: %s", exc)
            payload = {"error": f"数据暂不可用（{type(exc).__name__}），稍后自动重试",
                       "events": events}
        self._send(payload)

    def _send_moves(self, moves: list[dict[str, Any]]) -> None:
        with self._lock:
            for m in moves:
                self._seq += 1
                self._moved.append((self._seq, m))
            snap = self._snap
            if snap is None:  # nothing shown yet: the first snapshot reads the positions
                return
            self._version += 1
            new, rows, feats = patch_moves(snap, moves, version=self._version)
            self._snap = new
            self.deltas += 1
        patched = time.time() * 1000
        self._send({"snapshot": new, "events": [],
                    "moves": {"base": snap["version"], "units": rows, "features": feats}})
        self.trace.delivered(new["version"], (m["id"] for m in moves), patched_ms=patched,
                             heard_ms=min(m["heard_ms"] for m in moves),
                             sent_ms=time.time() * 1000)

    def _send(self, payload: dict[str, Any]) -> None:
        with self._lock:
            subs = list(self._subs.values())
        for deliver in subs:
            try:
                deliver(payload)
            except Exception:  # one closing session must not stop the others
                log.exception("desk delivery failed")


_HUBS: dict[int, tuple[App, DeskHub]] = {}
_HUBS_LOCK = threading.Lock()


def desk_hub(app: App) -> DeskHub:
    """The process's desk hub for ``app``, made on first use (never at import)."""
    with _HUBS_LOCK:
        entry = _HUBS.get(id(app))
        if entry is None or entry[0] is not app:
            entry = (app, DeskHub(app, conninfo=libpq_url(app.engine)))
            _HUBS[id(app)] = entry
        return entry[1]
