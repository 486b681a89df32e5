"""Road ETAs for the recommender: geo.routing's one Dijkstra run per incident, drive or walk."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Engine, text

from dispatch.eta import Eta, EtaProvider, StraightLineEta
from geo.routing import RoadGraph, Snaps, road_graph_cache, travel_times_to

_FIELDS = ("x", "y", "edge", "fraction", "offset_m")


class SnapCache:
    """Units' places on one profile's roads, kept by exact position.

    Most units have not moved since the last recommendation, and snapping 2,000 points costs
    ~5 ms a graph: look them up (one sorted search), snap only the new positions. Emptied when
    the graph is rebuilt, and when it holds ``limit`` positions (then it keeps the last batch).
    Safe to share between threads.
    """

    def __init__(self, *, limit: int = 100_000) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._graph: RoadGraph | None = None
        self._keys: NDArray[np.complex128] = np.empty(0, dtype=complex)
        self._rows: dict[str, NDArray[Any]] = {}

    def snaps(self, graph: RoadGraph, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> Snaps:
        keys = lon + 1j * lat  # complex numbers sort by lon, then lat
        with self._lock:
            if graph is not self._graph or self._keys.size + keys.size > self.limit:
                self._graph, self._keys = graph, np.empty(0, dtype=complex)
                self._rows = {f: np.empty(0, dtype=np.int64 if f == "edge" else float)
                              for f in _FIELDS}
            at = np.minimum(np.searchsorted(self._keys, keys), max(self._keys.size - 1, 0))
            hit = self._keys[at] == keys if self._keys.size else np.zeros(keys.size, dtype=bool)
            miss = np.flatnonzero(~hit)
            new = graph.snap(lon[miss], lat[miss]) if miss.size else None
            out = {f: self._rows[f][at] if self._keys.size else np.empty(
                keys.size, dtype=self._rows[f].dtype) for f in _FIELDS}
            if new is not None:
                for f in _FIELDS:
                    out[f][miss] = getattr(new, f)
                keep = np.isfinite(keys[miss])
                fresh, first = np.unique(keys[miss][keep], return_index=True)
                merged = np.concatenate([self._keys, fresh])
                order = np.argsort(merged, kind="stable")
                self._keys = merged[order]
                self._rows = {f: np.concatenate([self._rows[f], getattr(new, f)[keep][first]])[order]
                              for f in _FIELDS}
        return Snaps(lon, lat, out["x"], out["y"], out["edge"], out["fraction"], out["offset_m"],
                     id(graph.index))


@dataclass(frozen=True)
class RoadEta:
    """Units on foot use the walking graph, the rest the driving graph; off-network points get
    geo.routing's straight-line estimate, flagged ``straight_line``. With snap caches, units'
    road positions are reused between incidents."""

    drive: RoadGraph
    walk: RoadGraph | None = None
    drive_snaps: SnapCache | None = None
    walk_snaps: SnapCache | None = None

    def etas_to(self, origins: Sequence[tuple[float, float]], on_foot: Sequence[bool],
                destination: tuple[float, float]) -> list[Eta]:
        out: list[Eta | None] = [None] * len(origins)
        foot = np.asarray(on_foot, dtype=bool)
        pts = np.asarray(origins, dtype=float).reshape(-1, 2)
        for graph, cache, rows in (
                (self.drive, self.drive_snaps, np.flatnonzero(~foot if self.walk else foot | ~foot)),
                (self.walk, self.walk_snaps, np.flatnonzero(foot) if self.walk else np.array([]))):
            if graph is None or not rows.size:
                continue
            many = cache.snaps(graph, pts[rows, 0], pts[rows, 1]) if cache else pts[rows]
            tt = travel_times_to(graph, many, destination)
            for row, s, m, how in zip(rows.tolist(), tt.seconds.tolist(), tt.metres.tolist(),
                                      tt.method.tolist(), strict=True):
                out[row] = Eta(s, m, how)
        return [e if e is not None else Eta(float("inf"), float("inf"), "unreachable")
                for e in out]


class LazyRoadEta:
    """Drive and walk graphs from ``road_edges``, built on first use and rebuilt when the roads
    change (geo.routing's per-process caches), with the units' snaps cached per graph; with no
    roads loaded, the flagged straight-line estimate instead."""

    def __init__(self, engine: Engine, *, check_s: float = 5.0) -> None:
        self.engine = engine
        self._drive = road_graph_cache("drive", check_s=check_s)
        self._walk = road_graph_cache("walk", check_s=check_s)
        self._snaps = (SnapCache(), SnapCache())
        self._straight = StraightLineEta()

    def provider(self) -> EtaProvider:
        with self.engine.connect() as conn:
            if not conn.scalar(text("SELECT EXISTS (SELECT 1 FROM road_edges)")):
                return self._straight
            return RoadEta(self._drive.get(conn), self._walk.get(conn), *self._snaps)

    def etas_to(self, origins: Sequence[tuple[float, float]], on_foot: Sequence[bool],
                destination: tuple[float, float]) -> list[Eta]:
        return self.provider().etas_to(origins, on_foot, destination)
