"""The directed road graph in memory: CSR adjacency per profile (drive, walk), built once from PostGIS.

Edges come in pgRouting's shape (one row a segment; ``cost_s`` source→target, ``reverse_cost_s``
target→source, a negative cost closes that direction). Each matrix has one extra row and column,
index ``n``, for the query's own point: a query fills that row's two slots with the partial costs
from the snapped position to its edge's ends, so one Dijkstra run starts exactly on the road.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from sqlalchemy import Connection, text

from geo.routing_snap import F64, I64, EdgeIndex, LocalProjection, Snaps, snap_xy

Profile = Literal["drive", "walk"]
SnapScope = Literal["main", "all"]

WALK_SPEED_MPS = 1.3  # on every edge, both ways, one-way signs do not bind pedestrians
# Off-road access leg (point ⇄ its snapped road position), straight, at this speed:
ACCESS_SPEED_MPS = {"drive": 4.2, "walk": WALK_SPEED_MPS}  # drive: 15 km/h inside compounds
# Off-network fallback: straight line × detour at this speed, flagged "straight_line".
FALLBACK_SPEED_MPS = {"drive": 8.3, "walk": WALK_SPEED_MPS}  # drive: 30 km/h urban average
DETOUR_FACTOR = 1.3  # typical urban road distance / straight distance
EXCLUDED_CLASSES = {"drive": frozenset({"footway", "path", "pedestrian"}),
                    "walk": frozenset({"motorway", "trunk"})}
EDGES_SQL = ("SELECT id, source, target, road_class, length_m, cost_s, reverse_cost_s, "
             "ST_AsBinary(geom) AS wkb FROM road_edges ORDER BY id")


VERTEX_SHARE = 1e-9  # a point this close to an edge's end (≈ µm) stands on the vertex


def part(share: ArrayLike, cost: ArrayLike) -> F64:
    """``share × cost``; no share of a closed direction costs nothing (0 × inf = 0, as a point
    at fraction 0 or 1 *is* the vertex). A share within ``VERTEX_SHARE`` of 0 counts as 0:
    snapping a junction's own coordinates yields fractions like 1 − 1e-12, not exactly 1."""
    share_a, cost_a = np.asarray(share, dtype=float), np.asarray(cost, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(np.abs(share_a) <= VERTEX_SHARE, 0.0, share_a * cost_a)


@dataclass(frozen=True, eq=False)
class Adjacency:
    """One direction of the graph: CSR matrix plus, per stored entry, its road edge and metres."""

    matrix: csr_matrix  # (n+1)×(n+1), the last row's two slots are the query point's
    keys: I64  # row*(n+1)+col per entry, ascending (rows then cols), for edge lookup
    edge: I64  # graph edge index per entry (-1 on the virtual row)
    length_m: F64  # metres per entry

    def start_from(self, slots: list[tuple[int, float]]) -> csr_matrix:
        """A copy whose virtual row links to ``slots`` [(node, seconds)] (at most two)."""
        n = self.matrix.shape[0] - 1
        data = self.matrix.data.copy()
        indices = self.matrix.indices.copy()
        for k in range(2):
            node, cost = slots[k] if k < len(slots) else (n, 0.0)  # unused: a self-loop
            data[-2 + k], indices[-2 + k] = cost, node
        return csr_matrix((data, indices, self.matrix.indptr), shape=self.matrix.shape)

    def entry(self, rows: ArrayLike, cols: ArrayLike) -> I64:
        """Positions of the entries rows→cols (which must exist off the virtual row)."""
        n1 = self.matrix.shape[0]
        key = np.asarray(rows, dtype=np.int64) * n1 + np.asarray(cols, dtype=np.int64)
        return np.searchsorted(self.keys, key).astype(np.int64)


# a separate network counts when its main part has more than this share of the largest's nodes
NETWORK_SHARE = 0.05


def main_networks(matrix: csr_matrix, src: I64, dst: I64) -> I64:
    """Per edge, which network it is snapped as, -1 when none: each separate (weakly
    connected) network's largest strongly connected part, if it holds more than
    :data:`NETWORK_SHARE` of the nodes of the largest such part; numbered largest first."""
    _, weak = connected_components(matrix, directed=True, connection="weak")
    _, strong = connected_components(matrix, directed=True, connection="strong")
    size = np.bincount(strong)
    weak_of = np.zeros(size.size, dtype=np.int64)
    weak_of[strong] = weak  # every node of a strong part lies in one weak part
    order = np.lexsort((-size, weak_of))  # per weak part, its largest strong part first
    first = order[np.r_[True, weak_of[order][1:] != weak_of[order][:-1]]]
    mains = first[size[first] > NETWORK_SHARE * size.max()]
    mains = mains[np.argsort(-size[mains], kind="stable")]
    number = np.full(size.size, -1, dtype=np.int64)
    number[mains] = np.arange(mains.size)
    return np.where(strong[src] == strong[dst], number[strong[src]], -1)


def _adjacency(rows: I64, cols: I64, cost: F64, edge: I64, length: F64, n: int) -> Adjacency:
    keep = (rows != cols) & np.isfinite(cost)
    rows, cols, cost, edge, length = rows[keep], cols[keep], cost[keep], edge[keep], length[keep]
    n1 = n + 1
    key = rows * n1 + cols
    order = np.lexsort((cost, key))  # by key, the cheapest parallel edge first
    key, cost, edge, length = key[order], cost[order], edge[order], length[order]
    first = np.r_[True, key[1:] != key[:-1]][: key.size]
    key, cost, edge, length = key[first], cost[first], edge[first], length[first]
    key = np.r_[key, n * n1 + n, n * n1 + n]
    rows_all = key // n1
    indptr = np.r_[0, np.cumsum(np.bincount(rows_all, minlength=n1))].astype(np.int32)
    matrix = csr_matrix((np.r_[cost, 0.0, 0.0], (key % n1).astype(np.int32), indptr),
                        shape=(n1, n1))
    return Adjacency(matrix, key[:-2], np.r_[edge, -1, -1], np.r_[length, 0.0, 0.0])


@dataclass(frozen=True, eq=False)
class RoadGraph:
    """A profile's directed road graph, its edge lines (projected) and the snapping index.

    Costs are seconds; a closed direction costs ``inf``. Build with :meth:`from_db` or
    :meth:`from_frame`; queries live in :mod:`geo.routing`. Immutable, shareable by threads.
    """

    profile: Profile
    node_ids: I64  # database id of node i
    edge_ids: I64  # database id of edge j
    source: I64  # node index per edge
    target: I64
    cost: F64  # seconds source→target (inf: closed)
    reverse_cost: F64  # seconds target→source (inf: closed)
    length_m: F64
    lines: NDArray[np.object_]  # projected LineStrings (metres) from source to target
    projection: LocalProjection
    forward: Adjacency
    backward: Adjacency  # every arc reversed: one run from a point gives all times *to* it
    snappable: NDArray[np.bool_]
    max_snap_m: float = 500.0
    access_speed_mps: float = 4.2
    fallback_speed_mps: float = 8.3
    detour_factor: float = DETOUR_FACTOR
    # per edge, which network it is snapped as (-1: not snappable); None: one network
    network: I64 | None = None
    index: EdgeIndex = field(init=False, repr=False)
    networks: tuple[EdgeIndex, ...] = field(init=False, repr=False)
    boxes: F64 = field(init=False, repr=False)  # per network: lon/lat box, max_snap_m wider

    def __post_init__(self) -> None:
        net = self.network
        parts = () if net is None or net.max(initial=-1) < 1 else tuple(
            EdgeIndex(self.lines, np.flatnonzero(net == k).astype(np.int64))
            for k in range(int(net.max()) + 1))
        object.__setattr__(self, "networks", parts)
        # one index over every snappable edge; with several networks each has its own and
        # this one holds no edge (a point alone is placed by asking each: memory once)
        snappable = np.flatnonzero(self.snappable & (not parts)).astype(np.int64)
        object.__setattr__(self, "index", EdgeIndex(self.lines, snappable))
        # each network's vertices' lon/lat box widened by 1.5 × max_snap_m + 50 m, in degrees
        # of the shortest metres per degree there (its edges run straight between vertices
        # a few metres apart in projected metres): a point outside is surely off it
        boxes = np.empty((len(parts), 4))
        pad = 1.5 * self.max_snap_m + 50.0
        dlat = pad / 110_000.0
        for k in range(len(parts)):
            assert net is not None
            xy = shapely.get_coordinates(self.lines[net == k])
            lon, lat = self.projection.inverse(xy[:, 0], xy[:, 1])
            far = min(89.0, max(abs(lat.min()), abs(lat.max())) + dlat)
            dlon = pad / (110_000.0 * np.cos(np.radians(far)))
            boxes[k] = (lon.min() - dlon, lat.min() - dlat, lon.max() + dlon, lat.max() + dlat)
        object.__setattr__(self, "boxes", boxes)

    def near(self, onto: int, lon: F64, lat: F64) -> NDArray[np.bool_]:
        """Points that may lie within ``max_snap_m`` of network ``onto`` (the others surely
        do not: see ``boxes``)."""
        x0, y0, x1, y1 = self.boxes[onto]
        with np.errstate(invalid="ignore"):
            return (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)

    @property
    def n_nodes(self) -> int:
        return int(self.node_ids.size)

    def network_of(self, snaps: Snaps) -> int | None:
        """The network the first of ``snaps`` stands on (None: off network, or one network)."""
        if not self.networks or not bool(snaps.on_network[0]):
            return None
        assert self.network is not None
        return int(self.network[int(snaps.edge[0])])

    def snap(self, lon: ArrayLike, lat: ArrayLike, *, onto: int | None = None) -> Snaps:
        """Each point's nearest position on a snappable edge within ``max_snap_m``; with
        ``onto`` (:meth:`network_of` another point), on that network's edges only, so any
        point placed reaches that point and back."""
        if not self.networks:
            return snap_xy(self.index, lon, lat, self.projection, max_snap_m=self.max_snap_m)
        if onto is not None:
            return snap_xy(self.networks[onto], lon, lat, self.projection,
                           max_snap_m=self.max_snap_m)
        one = snap_xy(self.index, lon, lat, self.projection, max_snap_m=self.max_snap_m)
        edge, fraction, offset = one.edge.copy(), one.fraction.copy(), one.offset_m.copy()
        for k, index in enumerate(self.networks):  # each point on its nearest network
            rows = np.flatnonzero(self.near(k, one.lon, one.lat))
            if not rows.size:
                continue
            e, f, d = index.nearest(one.x[rows], one.y[rows], max_m=self.max_snap_m)
            won = np.nan_to_num(d, nan=np.inf) < np.nan_to_num(offset[rows], nan=np.inf)
            edge[rows[won]], fraction[rows[won]] = e[won], f[won]
            offset[rows[won]] = d[won]
        return Snaps(one.lon, one.lat, one.x, one.y, edge, fraction, offset, id(self.index))

    def owns(self, snaps: Snaps) -> bool:
        """Whether ``snaps`` were placed on this graph (or by hand)."""
        return snaps.owner is None or snaps.owner in {id(self.index),
                                                      *(id(ix) for ix in self.networks)}

    def arcs_of_point(self, edge: int, fraction: float, *, backward: bool
                      ) -> list[tuple[int, float]]:
        """The query point's arcs: forward, from it to its edge's ends (partial costs by
        fraction); backward (the reversed graph), from the ends to it."""
        c, rc = self.cost[edge], self.reverse_cost[edge]
        src, dst = int(self.source[edge]), int(self.target[edge])
        if backward:  # source→point along the edge, target→point against it
            arcs = ((src, part(fraction, c)), (dst, part(1 - fraction, rc)))
        else:  # point→target along the edge, point→source against it
            arcs = ((dst, part(1 - fraction, c)), (src, part(fraction, rc)))
        return [(node, float(cost)) for node, cost in arcs if np.isfinite(cost)]

    def run_from(self, snaps: Snaps, *, backward: bool = False, with_pred: bool = False,
                 limit_s: float | None = None) -> tuple[F64, NDArray[np.int32] | None]:
        """Seconds from the first snapped point to every node (to it from every node when
        ``backward``), one Dijkstra run; the predecessor tree too when asked. Index ``n_nodes``
        is the point itself. With ``limit_s`` the run stops there: nodes farther are ``inf``
        (pred -9999), nodes within have their exact time."""
        limit = np.inf if limit_s is None else float(limit_s)
        adj = self.backward if backward else self.forward
        matrix = adj.start_from(self.arcs_of_point(int(snaps.edge[0]), float(snaps.fraction[0]),
                                                   backward=backward))
        if with_pred:
            dist, pred = dijkstra(matrix, directed=True, indices=self.n_nodes,
                                  return_predecessors=True, limit=limit)
            return dist, pred
        return dijkstra(matrix, directed=True, indices=self.n_nodes, limit=limit), None

    def nbytes(self) -> int:
        """Bytes held by the arrays and matrices (geometries counted by their coordinates)."""
        arrays = (self.node_ids, self.edge_ids, self.source, self.target, self.cost,
                  self.reverse_cost, self.length_m, self.snappable)
        total = sum(a.nbytes for a in arrays)
        for adj in (self.forward, self.backward):
            m = adj.matrix
            total += m.data.nbytes + m.indices.nbytes + m.indptr.nbytes
            total += adj.keys.nbytes + adj.edge.nbytes + adj.length_m.nbytes
        total += int(shapely.get_num_coordinates(self.lines).sum()) * 16 + self.lines.size * 100
        for ix in (self.index, *self.networks):
            total += (ix.seg.nbytes * 2 + ix.rank.nbytes + ix.piece_edge.nbytes
                      + ix.piece_start.nbytes)
        return total

    @classmethod
    def from_db(cls, conn: Connection, *, profile: Profile = "drive", snap_to: SnapScope = "main",
                max_snap_m: float = 500.0, access_speed_mps: float | None = None,
                fallback_speed_mps: float | None = None,
                detour_factor: float = DETOUR_FACTOR) -> RoadGraph:
        """Read ``road_edges`` once and build the graph (see :meth:`from_frame`)."""
        rows = conn.execute(text(EDGES_SQL)).all()
        frame = pd.DataFrame(rows, columns=["id", "source", "target", "road_class", "length_m",
                                            "cost_s", "reverse_cost_s", "wkb"])
        frame["geom"] = shapely.from_wkb([bytes(b) for b in frame.pop("wkb")])
        return cls.from_frame(frame, profile=profile, snap_to=snap_to, max_snap_m=max_snap_m,
                              access_speed_mps=access_speed_mps,
                              fallback_speed_mps=fallback_speed_mps, detour_factor=detour_factor)

    @classmethod
    def from_frame(cls, edges: pd.DataFrame, *, profile: Profile = "drive",
                   snap_to: SnapScope = "main", max_snap_m: float = 500.0,
                   access_speed_mps: float | None = None, fallback_speed_mps: float | None = None,
                   detour_factor: float = DETOUR_FACTOR) -> RoadGraph:
        """Build from rows shaped like ``road_edges`` (``geom``: WGS-84 lines, source→target).

        ``profile="drive"`` uses the costs as stored (one-way honoured) and leaves out foot-only
        classes; ``"walk"`` costs ``length_m / 1.3`` both ways and leaves out motorway/trunk.
        ``snap_to="main"`` snaps only onto edges inside the main strongly connected part of
        each separate network (:func:`main_networks`: a province of several road networks is
        timed on each), and a query places its many points on the one point's network, so
        any two snapped points reach each other; ``"all"`` snaps onto any edge (then a pair
        may be unreachable: ``inf``, flagged).
        """
        if profile not in EXCLUDED_CLASSES:
            raise ValueError(f"unknown routing profile {profile!r}: drive or walk")
        if snap_to not in ("main", "all"):
            raise ValueError(f"unknown snap scope {snap_to!r}: main or all")
        keep = ~edges["road_class"].astype(str).isin(EXCLUDED_CLASSES[profile]).to_numpy()
        e = edges.loc[keep]
        length = e["length_m"].to_numpy(dtype=float)
        if profile == "walk":
            cost = rcost = length / WALK_SPEED_MPS
        else:
            cost = e["cost_s"].to_numpy(dtype=float)
            rcost = e["reverse_cost_s"].to_numpy(dtype=float)
        cost = np.where(cost >= 0, cost, np.inf)
        rcost = np.where(rcost >= 0, rcost, np.inf)
        ends = np.r_[e["source"].to_numpy(dtype=np.int64), e["target"].to_numpy(dtype=np.int64)]
        node_ids, inverse = np.unique(ends, return_inverse=True)
        m, n = len(e), node_ids.size
        src, dst = inverse[:m].astype(np.int64), inverse[m:].astype(np.int64)
        idx = np.arange(m, dtype=np.int64)
        fwd = _adjacency(np.r_[src, dst], np.r_[dst, src], np.r_[cost, rcost], np.r_[idx, idx],
                         np.r_[length, length], n)
        bwd = _adjacency(np.r_[dst, src], np.r_[src, dst], np.r_[cost, rcost], np.r_[idx, idx],
                         np.r_[length, length], n)
        geoms = np.asarray(e["geom"].to_numpy(), dtype=object)
        if m:
            lo_x, lo_y, hi_x, hi_y = shapely.total_bounds(geoms)
            projection = LocalProjection((lo_x + hi_x) / 2, (lo_y + hi_y) / 2)
        else:
            projection = LocalProjection(0.0, 0.0)
        snappable, network = np.ones(m, dtype=bool), None
        if snap_to == "main" and n:
            network = main_networks(fwd.matrix[:n, :n], src, dst)
            snappable = network >= 0
        return cls(profile=profile, node_ids=node_ids.astype(np.int64),
                   edge_ids=e["id"].to_numpy(dtype=np.int64), source=src, target=dst,
                   cost=cost, reverse_cost=rcost, length_m=length,
                   lines=projection.lines(geoms), projection=projection, forward=fwd,
                   backward=bwd, snappable=snappable, network=network,
                   max_snap_m=float(max_snap_m),
                   access_speed_mps=float(access_speed_mps or ACCESS_SPEED_MPS[profile]),
                   fallback_speed_mps=float(fallback_speed_mps or FALLBACK_SPEED_MPS[profile]),
                   detour_factor=float(detour_factor))
