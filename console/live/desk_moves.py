"""Unit moves as small diffs (no Panel, no database): a ``unit_moved`` event patches the desk's
shared snapshot row by row instead of recomputing the whole city.

A move changes a unit's position and position time, nothing else the desk shows: its status,
load, cases and home area (which decides who may see it) come only from a full snapshot.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from console.desk.state import epoch_ms, unit_features
from layers.wall import signature

MOVE_GAP_S = 0.25  # a move goes out at once, but at most 4 diffs a second (a busy city batches)
MOVE_GAP_MAX_S = 0.5
SESSION_DIFFS_PER_S = 25.0  # with many desks open, batch longer: each diff costs every desk a frame
HINT_UNITS = 500  # units a patch hint may name before a session diffs every feature instead


def move_gap(sessions: int) -> float:
    """Seconds between two batches of moves: 0.25 s up to 6 open desks, then longer so the
    desks together take about ``SESSION_DIFFS_PER_S`` diffs a second (0.4 s for 10), at most
    0.5 s. Every diff costs each desk's browser a frame (the units canvas, the board rows):
    on a machine that also runs the browsers, fewer frames leave the CPU to the rest."""
    return min(MOVE_GAP_MAX_S, max(MOVE_GAP_S, sessions / SESSION_DIFFS_PER_S))


def move_of(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """``{"id", "lon", "lat", "position_ms"}`` from a ``unit_moved`` event, else None."""
    if event.get("type") != "unit_moved":
        return None
    try:
        return {"id": int(event["unit_id"]), "lon": float(event["lon"]),
                "lat": float(event["lat"]), "position_ms": epoch_ms(event.get("at")),
                "heard_ms": time.time() * 1000}
    except (KeyError, TypeError, ValueError):
        return None


def unit_index(rows: Iterable[Mapping[str, Any]]) -> dict[int, int]:
    """Unit id → its position in the board's row list."""
    return {int(r["id"]): i for i, r in enumerate(rows)}


def patch_moves(snap: Mapping[str, Any], moves: Iterable[Mapping[str, Any]], *, version: int
                ) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """A new snapshot with the units moved, and the moved rows and features.

    Copy on write: ``snap`` and its lists stay as they were (sessions may still hold them); the
    new one shares every unmoved row. A move older than the position shown is skipped, and a
    unit moved twice in ``moves`` ends at its last position.
    """
    index = snap["unit_index"]
    units = list(snap["units"])
    features = dict(snap["unit_features"])
    moved: dict[int, dict[str, Any]] = {}
    for m in moves:
        i = index.get(int(m["id"]))
        if i is None:
            continue
        row = units[i]
        new_ms, old_ms = m.get("position_ms"), row.get("position_ms")
        if new_ms is not None and old_ms is not None and new_ms < old_ms:
            continue
        row = {**row, "lon": m["lon"], "lat": m["lat"],
               "position_ms": new_ms if new_ms is not None else old_ms}
        units[i] = moved[row["id"]] = row
    feats = unit_features(moved.values())
    features.update(feats)
    new = {**snap, "version": version, "units": units, "unit_features": features}
    # a row patch's hint (console.live.desk_patch: the only features that may differ from
    # version ``base``) holds on with the moved units added; a long chain of moves drops it
    hint = new.pop("changed", None)
    if hint is not None and len(hint["units"]) + len(moved) <= HINT_UNITS:
        new["changed"] = {**hint, "units": {*hint["units"], *(str(i) for i in moved)}}
    if "sigs" in snap:
        sigs = dict(snap["sigs"]["units"])
        sigs.update((k, signature(f)) for k, f in feats.items())
        new["sigs"] = {**snap["sigs"], "units": sigs}
    return new, list(moved.values()), feats


def merge_deliveries(first: Mapping[str, Any], then: Mapping[str, Any]) -> dict[str, Any]:
    """Two hub deliveries a session has not applied yet, as one (a busy session catches up in one
    step: one message to its browser instead of two). The later snapshot wins; events add up.
    Moves stay a patch only when ``then``'s moves start where ``first`` ends: the merged moves
    start at ``first``'s base, each unit at its last position (``versions``: every snapshot
    version they cover, for the move trace). Otherwise the later snapshot goes whole and the
    session finds what changed itself. An error is never merged (the caller keeps both)."""
    if "error" in first or "error" in then:
        raise ValueError("an error delivery is not merged")
    events = [*(first.get("events") or []), *(then.get("events") or [])]
    out: dict[str, Any] = {"snapshot": then["snapshot"], "events": events}
    if first.get("replaced") or then.get("replaced"):
        out["replaced"] = True  # the areas were replaced: the session reads its jurisdiction
    a, b = first.get("moves"), then.get("moves")
    if a is not None and b is not None and b["base"] == first["snapshot"]["version"]:
        units = {int(r["id"]): r for r in [*a["units"], *b["units"]]}
        out["moves"] = {"base": a["base"], "units": list(units.values()),
                        "features": {**a["features"], **b["features"]},
                        "versions": [*a.get("versions", [first["snapshot"]["version"]]),
                                     then["snapshot"]["version"]]}
    return out


def signatures(snap: Mapping[str, Any], before: Mapping[str, Any] | None = None
               ) -> dict[str, dict[str, str]]:
    """Every map feature's signature, once per snapshot for all sessions' diffs; a feature
    equal to its ``before`` snapshot's keeps that one's signature (comparing two small dicts
    costs a fraction of serialising one: a full read re-signs only what changed)."""
    out: dict[str, dict[str, str]] = {}
    for layer, key in (("incidents", "case_features"), ("units", "unit_features")):
        old = before.get(key) or {} if before is not None else {}
        old_sigs = (before.get("sigs") or {}).get(layer) or {} if before is not None else {}
        sigs = out[layer] = {}
        for k, f in snap[key].items():
            was = old.get(k)
            sigs[k] = old_sigs[k] if was is not None and k in old_sigs and was == f \
                else signature(f)
    return out


class MoveTrace:
    """When recent moves and case patches passed each stage, in epoch ms (for support staff
    and ``bench/bench_wall.py``): heard from the listener, (cases) re-read, handed to the
    sessions by the hub, and applied and sent by each session on its own event loop."""

    def __init__(self, keep: int = 3000) -> None:
        self._rows: dict[int, dict[str, Any]] = {}
        self._keep = keep
        # CPU ms each session's event loop spent applying a delivery (diffs, Bokeh's events,
        # the websocket message), the most recent ``keep``
        self.apply_cpu: deque[float] = deque(maxlen=keep)

    @contextlib.contextmanager
    def spending(self) -> Iterator[None]:
        """Around a session's delivery: the CPU its thread spends inside goes to
        :attr:`apply_cpu`."""
        cpu = time.thread_time()
        try:
            yield
        finally:
            self.apply_cpu.append((time.thread_time() - cpu) * 1000)

    def delivered(self, version: int, units: Iterable[int], *, heard_ms: float,
                  patched_ms: float, sent_ms: float, cases: Iterable[int] = (),
                  read_ms: float | None = None) -> None:
        """``cases``: a case patch's (``read_ms``: when its re-read began, after the wait)."""
        self._rows[version] = {"version": version, "units": list(units), "heard_ms": heard_ms,
                               "patched_ms": patched_ms, "delivered_ms": sent_ms,
                               "applied_ms": [], "cases": list(cases), "read_ms": read_ms}
        while len(self._rows) > self._keep:
            self._rows.pop(next(iter(self._rows)))

    def moves_delivered(self, version: int, moves: Iterable[Mapping[str, Any]]) -> None:
        """A batch of moves handed over in snapshot ``version`` (alone or with a patch)."""
        moves = list(moves)
        now = time.time() * 1000
        self.delivered(version, (m["id"] for m in moves), patched_ms=now, sent_ms=now,
                       heard_ms=min(m["heard_ms"] for m in moves))

    def applied(self, version: int, at_ms: float) -> None:
        row = self._rows.get(version)
        if row is not None:
            row["applied_ms"].append(at_ms)

    def rows(self) -> list[dict[str, Any]]:
        return [dict(r, applied_ms=list(r["applied_ms"])) for r in list(self._rows.values())]
