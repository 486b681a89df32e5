"""Road ETAs for the recommender: geo.routing's one Dijkstra run per incident, drive or walk."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Engine, text

from dispatch.eta import Eta, EtaColumns, EtaProvider, StraightLineEta, eta_columns
from geo.cache import SignatureCache
from geo.routing import RoadGraph, Snaps, road_graph_cache, road_signature, travel_times_to
from geo.routing_reach import may_reach

_FIELDS = ("x", "y", "edge", "fraction", "offset_m")


class SnapCache:
    """Units' places on one profile's roads, kept by exact position (and by the network they
    were placed on, where the graph has several: see ``RoadGraph.snap``'s ``onto``).

    Most units have not moved since the last recommendation, and snapping 2,000 points costs
    ~5 ms a graph: look them up (one sorted search), snap only the new positions. Emptied when
    the graph is rebuilt, and when it holds ``limit`` positions (then it keeps the last batch).
    Safe to share between threads.
    """

    def __init__(self, *, limit: int = 100_000) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._graph: RoadGraph | None = None
        self._parts: dict[int | None, tuple[NDArray[np.complex128], dict[str, NDArray[Any]]]] = {}

    def snaps(self, graph: RoadGraph, lon: NDArray[np.float64], lat: NDArray[np.float64], *,
              onto: int | None = None) -> Snaps:
        if onto is None or not graph.networks:
            return self._snaps(graph, lon, lat, onto=None)
        near = graph.near(onto, lon, lat)  # the rest is surely off that network
        if near.all():
            return self._snaps(graph, lon, lat, onto=onto)
        got = self._snaps(graph, lon[near], lat[near], onto=onto)
        n = lon.size
        out = {f: np.full(n, -1 if f == "edge" else np.nan,
                          dtype=np.int64 if f == "edge" else float) for f in _FIELDS}
        for f in _FIELDS:
            out[f][near] = getattr(got, f)
        return Snaps(lon, lat, out["x"], out["y"], out["edge"], out["fraction"],
                     out["offset_m"], got.owner)

    def warm(self, graph: RoadGraph, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> None:
        """When the graph is new to the cache: place the points on each of its networks at
        once (at province scale the first case of each prefecture would otherwise pay it)."""
        with self._lock:
            if graph is self._graph or not graph.networks:
                return
        for k in range(len(graph.networks)):
            self.snaps(graph, lon, lat, onto=k)

    def _snaps(self, graph: RoadGraph, lon: NDArray[np.float64], lat: NDArray[np.float64], *,
               onto: int | None) -> Snaps:
        keys = lon + 1j * lat  # complex numbers sort by lon, then lat
        with self._lock:
            held = sum(k.size for k, _ in self._parts.values())
            if graph is not self._graph or held + keys.size > self.limit:
                self._graph, self._parts = graph, {}
            known, rows = self._parts.get(onto) or (np.empty(0, dtype=complex), {
                f: np.empty(0, dtype=np.int64 if f == "edge" else float) for f in _FIELDS})
            at = np.minimum(np.searchsorted(known, keys), max(known.size - 1, 0))
            hit = known[at] == keys if known.size else np.zeros(keys.size, dtype=bool)
            miss = np.flatnonzero(~hit)
            new = graph.snap(lon[miss], lat[miss], onto=onto) if miss.size else None
            out = {f: rows[f][at] if known.size else np.empty(keys.size, dtype=rows[f].dtype)
                   for f in _FIELDS}
            owner = id(graph.index if onto is None or not graph.networks
                       else graph.networks[onto])
            if new is not None:
                for f in _FIELDS:
                    out[f][miss] = getattr(new, f)
                keep = np.isfinite(keys[miss])
                fresh, first = np.unique(keys[miss][keep], return_index=True)
                merged = np.concatenate([known, fresh])
                order = np.argsort(merged, kind="stable")
                self._parts[onto] = (merged[order], {f: np.concatenate(
                    [rows[f], getattr(new, f)[keep][first]])[order] for f in _FIELDS})
        return Snaps(lon, lat, out["x"], out["y"], out["edge"], out["fraction"], out["offset_m"],
                     owner)


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
        cols = self.eta_columns(np.asarray(origins, dtype=float).reshape(-1, 2),
                                np.asarray(on_foot, dtype=bool), destination)
        return [Eta(s, m, how) for s, m, how in zip(
            cols.seconds.tolist(), cols.metres.tolist(), cols.method.tolist(), strict=True)]

    def eta_columns(self, pts: NDArray[np.float64], foot: NDArray[np.bool_],
                    destination: tuple[float, float], *, within_s: float | None = None
                    ) -> EtaColumns:
        """:meth:`etas_to` as arrays (no object per unit). With ``within_s``, only the units
        that can be that near (geo.routing_reach) are snapped and timed, on a run that stops
        there: each time within it is exact, the rest ``inf`` with method ``beyond``."""
        n = len(pts)
        seconds, metres = np.full(n, np.inf), np.full(n, np.inf)
        method = np.full(n, "unreachable" if within_s is None else "beyond", dtype="<U13")
        for graph, cache, rows in (
                (self.drive, self.drive_snaps, np.flatnonzero(~foot if self.walk else foot | ~foot)),
                (self.walk, self.walk_snaps, np.flatnonzero(foot) if self.walk else np.array([]))):
            if graph is None or not rows.size:
                continue
            to = graph.snap(*destination)
            if cache:
                cache.warm(graph, pts[rows, 0], pts[rows, 1])
            if within_s is not None:
                rows = rows[may_reach(graph, pts[rows, 0], pts[rows, 1], to, within_s)]
                if not rows.size:
                    continue
            many = cache.snaps(graph, pts[rows, 0], pts[rows, 1], onto=graph.network_of(to)) \
                if cache else pts[rows]
            tt = travel_times_to(graph, many, to, limit_s=within_s)
            seconds[rows], metres[rows], method[rows] = tt.seconds, tt.metres, tt.method
        return EtaColumns(seconds, metres, method)


def road_graph_caches(*, check_s: float = 5.0) -> dict[str, SignatureCache[RoadGraph]]:
    """The drive and walk graph caches of one process (the /route face and the recommender
    share them: one copy of each graph, built once)."""
    roads = road_signature()  # one scan of road_edges answers both checks
    return {"drive": road_graph_cache("drive", check_s=check_s, signature=roads),
            "walk": road_graph_cache("walk", check_s=check_s, signature=roads)}


class LazyRoadEta:
    """Drive and walk graphs from ``road_edges``, built on first use and rebuilt when the roads
    change (geo.routing's per-process caches; pass ``graphs`` to share the server's own, so a
    process holds one copy), with the units' snaps cached per graph; with no roads loaded, the
    flagged straight-line estimate instead."""

    def __init__(self, engine: Engine, *, check_s: float = 5.0,
                 graphs: Mapping[str, SignatureCache[RoadGraph]] | None = None) -> None:
        self.engine = engine
        graphs = graphs or road_graph_caches(check_s=check_s)
        self._drive, self._walk = graphs["drive"], graphs["walk"]
        self._snaps = (SnapCache(), SnapCache())
        self._straight = StraightLineEta()
        self.check_s = check_s
        self._provider: EtaProvider | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def provider(self) -> EtaProvider:
        """Asked of the database at most every ``check_s`` (like the graphs themselves): a
        request in between takes no connection for it."""
        with self._lock:
            if self._provider is not None and time.monotonic() - self._checked < self.check_s:
                return self._provider
        with self.engine.connect() as conn:
            if not conn.scalar(text("SELECT EXISTS (SELECT 1 FROM road_edges)")):
                got: EtaProvider = self._straight
            else:
                got = RoadEta(self._drive.get(conn), self._walk.get(conn), *self._snaps)
        with self._lock:
            self._provider, self._checked = got, time.monotonic()
        return got

    def etas_to(self, origins: Sequence[tuple[float, float]], on_foot: Sequence[bool],
                destination: tuple[float, float]) -> list[Eta]:
        return self.provider().etas_to(origins, on_foot, destination)

    def eta_columns(self, pts: NDArray[np.float64], foot: NDArray[np.bool_],
                    destination: tuple[float, float], *, within_s: float | None = None
                    ) -> EtaColumns:
        return eta_columns(self.provider(), pts, foot, destination, within_s=within_s)
