"""Desk hubs: one per jurisdiction with a desk open in the process, between the process's listener
(console.live.notify) and that jurisdiction's open duty desks. The whole territory's hub serves
readers of the whole territory (duty officers and administrators without an area); a street,
district or dispatcher has its own part hub (``part``: its streets and creator), made on its first
desk and dropped with its last (console.live.desk_route), which reads only its part, so a
change costs rows of the jurisdiction, not of the territory, and a street desk at province scale
holds its own newest cases rather than a cut of the territory's newest 2,000.

A change is computed once for all desks of a hub (no per-session polling); a unit move costs no
query: it patches the shared snapshot (console.live.desk_moves), only in hubs whose board shows
the unit; a case or unit event re-reads only the rows it names that may touch the hub's part
(console.live.desk_route.route) and patches those (console.live.desk_patch). The part is read
whole on a timer (the clock re-sorts the queue), after an event naming nothing, after the
listener reconnected and every ``FULL_EVERY`` patches.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from console.bootstrap import App
from console.live.desk_moves import (
    MoveTrace,
    move_gap,
    move_of,
    patch_moves,
    signatures,
    unit_index,
)
from console.live.desk_part import read_rows
from console.live.desk_patch import Part, event_ids, patch_snapshot, read_changes
from console.live.desk_route import CaseBook, DeskHubs, place, route, unsure
from console.live.hub_base import Hub
from console.live.notify import fan_out
from console.metrics import HUB_LAG_SECONDS, HUB_PATCH_ROWS
from dispatch import limits
from dispatch.events_resident import is_resident
from dispatch.views_desk import DESK_STATES
from dispatch.views_resident import triage_queue

log = logging.getLogger(__name__)
REFRESH_S = 30.0  # re-sort by the clock even when nothing changes (warning phases move on)
# after a NOTIFY: let its commit's burst land (they come together); full reads at most 2/s
DEBOUNCE_S, MIN_GAP_S = 0.03, 0.5
MOVES_KEPT = 5000  # recent moves, replayed onto a snapshot whose reading they overlapped
# case and unit events are patched at the pace of moves (desk_moves.move_gap: 0.25 s, longer
# with many desks); moves one frame after the last delivery of either kind, so the moves waiting
# when a patch is due go with it, and so do moves due at most FOLD_S before a patch (each
# delivery costs every desk an apply, a websocket message and a browser frame)
FOLD_S = 0.05
FULL_EVERY = 100  # patches between full reads at most (a safety net beside the timer)
CHECK_S = 1.0  # how often the hub looks whether the listener reconnected
# resident reports waiting for a desk (扫码说事): the oldest TRIAGE_ROWS of every area a report
# was located in, so each desk (console.api.triage_scope) finds its own first TRIAGE_ROWS
TRIAGE_LIMIT = limits.TRIAGE_ROWS
TRIAGE_DEBOUNCE_S = 0.05  # "the case on a desk within a second": a report goes out at once
__all__ = ["DESK_STATES", "DeskHub"]


Deliver = Callable[[dict[str, Any]], None]


class DeskHub(Hub[Deliver]):
    """The desk's shared rows: computed once per change for the whole process and handed to
    every subscribed session (DESIGN.md "five things that hurt" #4: no per-session polling).

    A ``unit_moved`` event costs no query: it patches the shared snapshot (console.live.desk_moves)
    and goes out at once as ``{"moves": {"base", "units", "features"}}`` beside the patched
    snapshot. An event naming cases or units re-reads those rows only and patches the
    snapshot (console.live.desk_patch); one naming nothing recomputes it; both after a short
    debounce.
    """

    thread_name = "desk-hub"

    def __init__(self, app: App, *, conninfo: str | None = None,
                 refresh_s: float = REFRESH_S, part: Part | None = None,
                 hubs: DeskHubs | None = None) -> None:
        super().__init__(conninfo)
        self.app = app
        self.refresh_s = refresh_s
        self.part = part  # None: the whole territory; else the jurisdiction's part only
        self._hubs = hubs  # the registry a part hub leaves when its last desk does
        self.book: CaseBook = hubs.book if hubs is not None else CaseBook()
        self._events: list[dict[str, Any]] = []
        self._moves: list[dict[str, Any]] = []
        self._moved: deque[tuple[int, dict[str, Any]]] = deque(maxlen=MOVES_KEPT)
        self._seq = 0  # moves taken so far (compute() replays those it may have missed)
        self._due: float | None = None  # when a refresh is due after a change
        self._last_full = self._last_frame = self._last_patch = 0.0  # full read, delivery, patch
        self._full = False  # an event named nothing: the next refresh reads everything
        self._ids: tuple[set[int], set[int]] = (set(), set())  # cases, units to re-read
        self._since_full = 0  # patches since the last full read
        self._triage = False  # a resident report arrived or was decided: re-read the triage
        # the areas were replaced: the next delivery says so, and each desk reads its account's
        # jurisdiction again (new area ids: a part hub's streets are gone)
        self._replaced = False
        self._reading = threading.RLock()  # one read and install at a time (full or patch)
        self._fresh_ms = 0.0  # when the snapshot last agreed with the tables
        self._snap: dict[str, Any] | None = None
        self._heard: float | None = None  # the first NOTIFY not yet delivered (/metrics' lag)
        self._version = 0
        self.computations = 0
        self.deltas = 0
        self.patches = 0
        self.trace = MoveTrace()

    def compute(self) -> dict[str, Any]:
        """One snapshot: queue and unit-board rows with their map features."""
        with self._reading:
            with self._lock:
                seq = self._seq
            policy = self.app.dispatch.policy()
            streets, creator = self.part if self.part is not None else (None, None)
            as_of = self.book.stamp()  # before the read: a newer placement outlives its rows
            with self.app.engine.connect() as conn:
                incidents, snap = read_rows(conn, policy=policy, streets=streets,
                                            creator=creator)
                snap["triage"] = triage_queue(conn, limit=TRIAGE_LIMIT, per_area=True,
                                              streets=streets)
            if self.part is not None:
                self.book.learn_rows(incidents, as_of=as_of)
            snap["unit_index"] = unit_index(snap["units"])
            snap["sigs"] = signatures(snap, self._snap)
            with self._lock:
                self._version += 1
                self.computations += 1
                self._since_full, self._last_full = 0, time.monotonic()
                snap.update(version=self._version, local_ms=time.time() * 1000)
                return self._install(snap, seq)

    def patch(self, incident_ids: set[int], unit_ids: set[int]) -> dict[str, Any]:
        """Re-read these cases and units (and the units assigned to those cases) and patch
        them into the snapshot; a full read when there is no snapshot yet."""
        with self._reading:
            base = self._snap
            if base is None:
                return self.compute()
            with self._lock:
                seq = self._seq
            policy = self.app.dispatch.policy()
            as_of = self.book.stamp()
            with self.app.engine.connect() as conn:
                changes = read_changes(conn, base, incident_ids, unit_ids, part=self.part)
            if self.part is not None:
                self.book.learn_rows(changes.placed, as_of=as_of)
            with self._lock:
                self._version += 1
                self.patches += 1
                self._since_full += 1
                assert self._snap is not None
                snap = patch_snapshot(self._snap, changes, policy=policy, version=self._version)
                return self._install(snap, seq)

    def retriage(self) -> dict[str, Any]:
        """Re-read the triage queue only (a resident report came or went): the snapshot's rows
        and features stay, its map hint names no feature (the sessions diff nothing)."""
        with self._reading:
            base = self._snap
            if base is None:
                return self.compute()
            with self._lock:
                seq = self._seq
            with self.app.engine.connect() as conn:
                rows = triage_queue(conn, limit=TRIAGE_LIMIT, per_area=True,
                                    streets=None if self.part is None else self.part[0])
            with self._lock:
                self._version += 1
                assert self._snap is not None
                snap = {**self._snap, "version": self._version, "triage": rows,
                        "changed": {"base": self._snap["version"], "incidents": (),
                                    "units": ()}}
                return self._install(snap, seq)

    def _install(self, snap: dict[str, Any], seq: int) -> dict[str, Any]:
        """Under the lock: moves heard while the rows were read go on top, then it is shown."""
        late = [m for s, m in self._moved if s > seq]
        if late:
            snap = patch_moves(snap, late, version=self._version)[0]
        self._snap, self._fresh_ms = snap, time.time() * 1000
        return snap

    @property
    def version(self) -> int:
        """The number of the snapshot shown last (a reader's part carries it too)."""
        return self._version

    def snapshot(self, *, max_age_s: float = 2.0) -> dict[str, Any]:
        snap = self._snap
        if snap is None or time.time() * 1000 - self._fresh_ms > max_age_s * 1000:
            snap = self.compute()
        return snap

    def subscribe(self, deliver: Deliver) -> int:
        """``deliver({"snapshot", "events"[, "moves"]})`` from the hub's thread after each
        change."""
        token = self._add(deliver)
        if self._hubs is not None:
            self._hubs.keep(self)
        return token

    def unsubscribe(self, token: int) -> None:
        """A desk left; a part hub whose last desk left leaves its registry."""
        super().unsubscribe(token)
        if self._hubs is not None:
            self._hubs.drop(self)

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
        if event is not None and event.get("type") == "areas_replaced":
            with self._lock:
                self._replaced = True
        if self.part is not None and event is not None:
            self.book.learn_event(event)
            snap = self._snap
            if move is not None and snap is not None and move["id"] not in snap["unit_index"]:
                return  # a unit of another part's board: nothing here changes
        triage = event is not None and is_resident(event.get("type"))
        ids = event_ids(event) if event is not None and move is None and not triage else None
        with self._lock:
            if triage:
                self._triage = True
                soon = time.monotonic() + TRIAGE_DEBOUNCE_S
                # a pending full read keeps its pace (it reads the triage too)
                self._due = soon if self._due is None else self._due if self._full \
                    else min(self._due, soon)
            elif move is not None:
                self._moves.append(move)
            else:
                if self._heard is None:
                    self._heard = time.monotonic()
                if event is not None and event.get("incident_id") is not None:
                    self._events.append(event)  # sessions only ask which cases changed
                if ids is None:
                    self._full = True
                else:
                    self._ids[0].update(ids[0])
                    self._ids[1].update(ids[1])
                self._schedule()
        self._wake.set()

    def _schedule(self) -> None:
        """Under the lock: let a burst land; full reads at most 1/MIN_GAP_S a second, patches
        one frame (:func:`move_gap`) after the last patch (moves then go with it)."""
        soon = time.monotonic() + DEBOUNCE_S
        if self._full:
            due = max(soon, self._last_full + MIN_GAP_S)
            self._due = due if self._due is None else max(self._due, self._last_full + MIN_GAP_S)
        elif self._due is None:
            self._due = max(soon, self._last_patch + move_gap(len(self._subs)))

    def _moves_due(self, due: float | None) -> float:
        """When the waiting moves go out: one frame after the last delivery, or with a refresh
        due within :data:`FOLD_S` of that (one delivery to every desk instead of two)."""
        at = self._last_frame + move_gap(len(self._subs))
        return due if due is not None and due <= at + FOLD_S else at

    def _run(self) -> None:
        periodic = time.monotonic() + self.refresh_s
        while True:
            due = self._due
            until = min(periodic, time.monotonic() + CHECK_S)
            if due is not None:
                until = min(until, due)
            if self._moves:
                until = min(until, self._moves_due(due))
            self._wake.wait(max(0.0, until - time.monotonic()))
            self._wake.clear()
            with self._lock:
                if self._ending():
                    return
            if self._reconnected():  # events may have been missed meanwhile: read it all
                with self._lock:
                    self._full = True
                    self._schedule()
            now = time.monotonic()
            due, clock = self._due, now >= periodic
            if clock or (due is not None and now >= due):
                if self._refresh(clock=clock):
                    periodic = time.monotonic() + self.refresh_s  # a full read: the clock restarts
            elif self._moves and now >= self._moves_due(due):
                with self._lock:
                    moves, self._moves = self._moves, []
                self._send_moves(moves)

    def _refresh(self, *, clock: bool = False) -> bool:
        """A full read (``clock``: the periodic one) or a patch, whichever is due, with the
        moves waiting put on top: one delivery; True for a full read."""
        with self._lock:
            full = clock or self._full or self._since_full >= FULL_EVERY or self._snap is None
            self._due, self._full = None, False
            ids, self._ids = self._ids, (set(), set())
            events, self._events = self._events, []
            heard, self._heard = self._heard, None
            triage, self._triage = self._triage, False
            replaced, self._replaced = self._replaced, False
            moves, self._moves = self._moves, []
            shown = self._snap
        if not full and self.part is not None and shown is not None:
            cases = {r["id"] for r in shown["queue"]}
            place(self.app.engine, self.book, unsure(self.part, ids[0], shown=cases,
                                                    book=self.book))
            ids = route(self.part, ids, cases=cases, units=shown["unit_index"], book=self.book)
            events = [e for e in events if int(e["incident_id"]) in ids[0]]
        if not full and not ids[0] and not ids[1] and not triage and not replaced:
            if moves:
                self._send_moves(moves)
            return False  # nothing named (or nothing of this part): nothing to re-read
        with self._lock:
            self._last_frame = time.monotonic()
            if full:
                self._last_full = self._last_frame
            elif ids[0] or ids[1]:
                self._last_patch = self._last_frame
                HUB_PATCH_ROWS.observe(len(ids[0]) + len(ids[1]))
        read_ms, snap = time.time() * 1000, None
        try:
            snap = self.compute() if full else self.patch(*ids) if ids[0] or ids[1] else None
            if triage and not full:
                snap = self.retriage()
            assert snap is not None
            payload: dict[str, Any] = {"snapshot": snap, "events": events}
        except Exception as exc:  # the database is busy or down: say so, retry next time
            log.warning("desk hub: %s", exc)
            payload = {"error": f"数据暂不可用（{type(exc).__name__}），稍后自动重试",
                       "events": events}
            with self._lock:
                self._full = True  # what the patch would have said is read again in full
        if replaced:
            payload["replaced"] = True
        patched = time.time() * 1000
        folded = self._fold(moves) if moves and "snapshot" in payload else None
        if folded is not None:  # the moves on top: their units in the snapshot's hint
            payload["snapshot"] = folded[1]
        self._send(payload)
        if moves and folded is None and "error" in payload:
            self._send_moves(moves)  # after the error, as they came
        if folded is not None:
            self.trace.moves_delivered(folded[1]["version"], moves)
        if heard is not None:
            lag = time.monotonic() - heard
            HUB_LAG_SECONDS.observe(lag)
            if snap is not None and "snapshot" in payload and events:
                self.trace.delivered(snap["version"], (), cases={
                    int(e["incident_id"]) for e in events}, heard_ms=time.time() * 1000 - lag
                    * 1000, read_ms=read_ms, patched_ms=patched, sent_ms=time.time() * 1000)
        return full

    def _fold(self, moves: list[dict[str, Any]]
              ) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]],
                         dict[str, dict[str, Any]]] | None:
        """Under the lock, the moves onto the snapshot shown: (before, after, rows, features),
        None with no snapshot yet (the first read takes the positions)."""
        with self._lock:
            for m in moves:
                self._seq += 1
                self._moved.append((self._seq, m))
            snap = self._snap
            if snap is None:
                return None
            self._version += 1
            new, rows, feats = patch_moves(snap, moves, version=self._version)
            self._snap = new
            self.deltas += 1
            return snap, new, rows, feats

    def _send_moves(self, moves: list[dict[str, Any]]) -> None:
        folded = self._fold(moves)
        if folded is None:
            return
        snap, new, rows, feats = folded
        with self._lock:
            self._last_frame = time.monotonic()
        self._send({"snapshot": new, "events": [],
                    "moves": {"base": snap["version"], "units": rows, "features": feats}})
        self.trace.moves_delivered(new["version"], moves)

    def _send(self, payload: dict[str, Any]) -> None:
        with self._lock:
            subs = list(self._subs.values())
        fan_out(subs, lambda deliver: deliver(payload), "desk delivery")
