"""Road travel time: one-to-many and many-to-one ETAs and point-to-point routes on a RoadGraph.

How a time is made (``seconds`` of :class:`TravelTimes`, ``eta_s`` of :class:`Route`):

* each point is snapped to the nearest position *on* an edge (edge, fraction, offset metres);
* ``road_s``: the network time between the two snapped positions, with the partial costs of
  their edges by fraction (``fraction × cost`` to leave towards the source side and so on) —
  exactly what pgRouting's ``pgr_withPointsCost`` returns for the same points;
* plus the two off-road *access legs*, ``offset_m / access_speed_mps`` at each end (drive
  4.2 m/s, walk 1.3 m/s; pgRouting adds none, so compare ``road_s`` with it);
* a point with no road within ``max_snap_m`` (500 m) is *off network*: the pair then gets the
  straight distance × ``detour_factor`` (1.3) at ``fallback_speed_mps`` (drive 8.3, walk
  1.3 m/s), flagged ``method == "straight_line"`` — never silently;
* no road path between two snapped points: ``inf``, flagged ``"unreachable"``.

Many units → one incident is one Dijkstra run *from* the incident on the reversed graph.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection

from geo.cache import SignatureCache, reused, table_signature
from geo.routing_graph import Adjacency, Profile, RoadGraph, part
from geo.routing_path import Points, Route, as_snaps, route
from geo.routing_reach import straight_may_reach
from geo.routing_snap import F64, Snaps, geodesic_m

__all__ = ["RoadGraph", "Route", "Snaps", "TravelTimes", "road_graph_cache", "road_signature",
           "route", "travel_times", "travel_times_to"]

@dataclass(frozen=True, eq=False)
class TravelTimes:
    """Times between one point and many (in the many's order).

    ``seconds`` total (access legs included; ``inf`` when unreachable), ``road_s`` the network
    part alone (NaN for straight-line rows), ``metres`` the distance of the chosen way (road +
    access legs, or the detoured straight line), ``method`` per row: road | straight_line |
    unreachable | beyond (past the run's limit, when one was given).
    """

    seconds: F64
    road_s: F64
    metres: F64
    method: NDArray[np.str_]
    one: Snaps
    many: Snaps


def _metres(adj: Adjacency, pred: NDArray[np.int32], start: dict[int, float]) -> F64:
    """Metres along the shortest-path tree to every node, by pointer doubling (O(n log depth))
    over the tree's nodes only (a bounded run reaches a few of a province's nodes)."""
    n1 = pred.size
    root = n1 - 1
    tree = np.flatnonzero(pred >= 0)
    keep = np.r_[tree, root]
    m = keep.size
    local = np.full(n1, -1, dtype=np.int64)
    local[keep] = np.arange(m)
    up = pred[tree]
    anc = np.arange(m)
    anc[: tree.size] = local[up]
    acc = np.zeros(m)
    inner = np.flatnonzero(up != root)
    acc[inner] = adj.length_m[adj.entry(up[inner], tree[inner])]
    for node, metres in start.items():
        if pred[node] == root:
            acc[local[node]] = metres
    own = np.arange(m)
    while True:
        nxt = anc[anc]
        if np.array_equal(nxt, anc):
            break
        acc = acc + np.where(anc != own, acc[anc], 0.0)
        anc = nxt
    out = np.zeros(n1)
    out[keep] = acc
    return out


def _through(graph: RoadGraph, one: Snaps, many: Snaps, *, backward: bool,
             with_metres: bool, limit_s: float | None = None) -> tuple[F64, F64]:
    """Network seconds and metres between ``one`` and each of ``many`` (both on network); with
    ``limit_s`` the run stops there: a time within it is exact (its way's nodes were reached),
    one above it may be too high (:func:`_times` then flags it)."""
    adj = graph.backward if backward else graph.forward
    dist, pred = graph.run_from(one, backward=backward, with_pred=with_metres, limit_s=limit_s)
    e0, f0 = int(one.edge[0]), float(one.fraction[0])
    len0 = graph.length_m[e0]
    e, f = many.edge, many.fraction
    s, t = graph.source[e], graph.target[e]
    c, rc, length = graph.cost[e], graph.reverse_cost[e], graph.length_m[e]
    if backward:  # many → one: leave each point towards its edge's ends
        via_t, via_s = part(1 - f, c) + dist[t], part(f, rc) + dist[s]
        direct_fwd, direct_bwd = part(f0 - f, graph.cost[e0]), part(f - f0, graph.reverse_cost[e0])
    else:  # one → many: arrive at each point from its edge's ends
        via_s, via_t = dist[s] + part(f, c), dist[t] + part(1 - f, rc)
        direct_fwd, direct_bwd = part(f - f0, graph.cost[e0]), part(f0 - f, graph.reverse_cost[e0])
    same = e == e0
    direct = np.where(same & (direct_fwd >= 0), direct_fwd, np.inf)
    direct = np.where(same & (direct_bwd >= 0), np.minimum(direct, direct_bwd), direct)
    seconds = np.minimum(np.minimum(via_s, via_t), direct)
    metres = np.full(seconds.shape, np.nan)
    if with_metres and pred is not None:
        start = {int(graph.target[e0]): (1 - f0) * len0, int(graph.source[e0]): f0 * len0}
        node_m = _metres(adj, pred, start)
        metres = np.where(via_s <= via_t, node_m[s] + f * length, node_m[t] + (1 - f) * length)
        metres = np.where(same & (direct <= np.minimum(via_s, via_t)),
                          np.abs(f - f0) * length, metres)
    return seconds, metres


def _times(graph: RoadGraph, one_pt: Points, many_pts: Points, *, backward: bool,
           with_metres: bool, limit_s: float | None = None) -> TravelTimes:
    one = as_snaps(graph, one_pt)
    if len(one) != 1:
        raise ValueError("exactly one point expected on the 'one' side")
    many = as_snaps(graph, many_pts, onto=graph.network_of(one))
    k = len(many)
    road_s = np.full(k, np.nan)
    road_m = np.full(k, np.nan)
    on = many.on_network & bool(one.on_network[0])
    if on.any():
        sub = many.take(np.flatnonzero(on))
        road_s[on], road_m[on] = _through(graph, one, sub, backward=backward,
                                          with_metres=with_metres, limit_s=limit_s)
    access_m = np.nan_to_num(many.offset_m) + float(np.nan_to_num(one.offset_m[0]))
    seconds = road_s + access_m / graph.access_speed_mps
    metres = road_m + access_m
    straight = np.full(k, np.nan)
    off = ~on
    if limit_s is not None:  # the geodesic only where the straight line may be within it
        straight[off] = np.inf
        rows = np.flatnonzero(off)
        off[rows] = straight_may_reach(graph, one, many.lon[rows], many.lat[rows], limit_s)
    straight[off] = geodesic_m(one.lon[0], one.lat[0], many.lon[off],
                               many.lat[off]) * graph.detour_factor
    method = np.where(on, np.where(np.isfinite(road_s), "road", "unreachable"), "straight_line")
    seconds = np.where(on, seconds, straight / graph.fallback_speed_mps)
    metres = np.where(on, np.where(np.isfinite(road_s), metres, np.inf), straight)
    if limit_s is not None:
        past = ~(seconds <= limit_s)
        seconds, metres = np.where(past, np.inf, seconds), np.where(past, np.inf, metres)
        method = np.where(past, "beyond", method)
    return TravelTimes(seconds, road_s, metres, method.astype(np.str_), one, many)


def travel_times(graph: RoadGraph, origin: Points, destinations: Points, *,
                 with_metres: bool = True) -> TravelTimes:
    """Times from ``origin`` to each destination: one Dijkstra run on the graph.

    ``origin`` is (lon, lat) or a one-row :class:`Snaps`; ``destinations`` an (n, 2) lon/lat
    array or :class:`Snaps` (snap once, reuse). ``with_metres=False`` skips the distances.
    """
    return _times(graph, origin, destinations, backward=False, with_metres=with_metres)


def travel_times_to(graph: RoadGraph, origins: Points, destination: Points, *,
                    with_metres: bool = True, limit_s: float | None = None) -> TravelTimes:
    """Times from each origin (units) to one ``destination`` (the incident).

    One Dijkstra run from the destination on the reversed graph; the answers equal
    :func:`route` from each origin (one-way edges are taken only their own way). With
    ``limit_s`` the run stops at that many seconds: every row whose time is within it is
    exactly the unlimited answer, every other row is ``inf`` with method ``"beyond"``
    (an unreachable one too: past any limit).
    """
    return _times(graph, destination, origins, backward=True, with_metres=with_metres,
                  limit_s=limit_s)


def road_signature() -> Callable[[Connection], Hashable]:
    """The signature of ``road_edges`` (a scan of every edge: ~50-150 ms at province scale),
    asked once a second at most, so the drive and walk graphs' checks share one scan."""
    return reused(table_signature("road_edges"), for_s=1.0)


def road_graph_cache(profile: Profile = "drive", *, check_s: float = 5.0,
                     signature: Callable[[Connection], Hashable] | None = None
                     ) -> SignatureCache[RoadGraph]:
    """A process-wide RoadGraph for ``profile``, rebuilt when the roads are re-imported
    (``signature``: :func:`road_signature`, shared by the graphs of one process)."""
    return SignatureCache(lambda conn: RoadGraph.from_db(conn, profile=profile),
                          signature or table_signature("road_edges"), check_s=check_s)
