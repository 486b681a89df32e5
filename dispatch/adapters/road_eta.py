"""Road ETAs for the recommender: geo.routing's one Dijkstra run per incident, drive or walk."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Engine, text

from dispatch.eta import Eta, EtaProvider, StraightLineEta
from geo.routing import RoadGraph, road_graph_cache, travel_times_to


@dataclass(frozen=True)
class RoadEta:
    """Units on foot use the walking graph, the rest the driving graph; off-network points get
    geo.routing's straight-line estimate, flagged ``straight_line``."""

    drive: RoadGraph
    walk: RoadGraph | None = None

    def etas_to(self, origins: Sequence[tuple[float, float]], on_foot: Sequence[bool],
                destination: tuple[float, float]) -> list[Eta]:
        out: list[Eta | None] = [None] * len(origins)
        foot = np.asarray(on_foot, dtype=bool)
        pts = np.asarray(origins, dtype=float).reshape(-1, 2)
        for graph, rows in ((self.drive, np.flatnonzero(~foot if self.walk else foot | ~foot)),
                            (self.walk, np.flatnonzero(foot) if self.walk else np.array([]))):
            if graph is None or not rows.size:
                continue
            tt = travel_times_to(graph, pts[rows], destination)
            for k, row in enumerate(rows.tolist()):
                out[row] = Eta(float(tt.seconds[k]), float(tt.metres[k]), str(tt.method[k]))
        return [e if e is not None else Eta(float("inf"), float("inf"), "unreachable")
                for e in out]


class LazyRoadEta:
    """Drive and walk graphs from ``road_edges``, built on first use and rebuilt when the roads
    change (geo.routing's per-process caches); with no roads loaded, the flagged straight-line
    estimate instead."""

    def __init__(self, engine: Engine, *, check_s: float = 5.0) -> None:
        self.engine = engine
        self._drive = road_graph_cache("drive", check_s=check_s)
        self._walk = road_graph_cache("walk", check_s=check_s)
        self._straight = StraightLineEta()

    def provider(self) -> EtaProvider:
        with self.engine.connect() as conn:
            if not conn.scalar(text("SELECT EXISTS (SELECT 1 FROM road_edges)")):
                return self._straight
            return RoadEta(self._drive.get(conn), self._walk.get(conn))

    def etas_to(self, origins: Sequence[tuple[float, float]], on_foot: Sequence[bool],
                destination: tuple[float, float]) -> list[Eta]:
        return self.provider().etas_to(origins, on_foot, destination)
