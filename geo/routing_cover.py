"""Coverage: how soon the nearest of many points (available units) reaches each road.

One Dijkstra run from a super-source joined to every unit's snapped position (with the partial
cost along its edge and its off-road access leg), so the answer is exact at the nodes; an edge
counts as reached when its nearer end is (a unit standing on an edge reaches that edge at
once). Units off the network (> ``max_snap_m`` from a road) do not contribute, and say so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from geo.routing_graph import RoadGraph, part
from geo.routing_snap import F64

_EPS = 1e-9  # csgraph drops explicit zero weights; a zero-cost arc must still be an arc


@dataclass(frozen=True, eq=False)
class Coverage:
    """Seconds until the first unit reaches each node and edge (``inf``: never)."""

    node_s: F64
    edge_s: F64
    units_on_network: int
    units_off_network: int


def coverage(graph: RoadGraph, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> Coverage:
    """Earliest arrival of any of the points (lon/lat arrays, WGS-84) at every road."""
    n = graph.n_nodes
    snaps = graph.snap(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    on = snaps.on_network
    edge = snaps.edge[on]
    frac = snaps.fraction[on]
    access = snaps.offset_m[on] / graph.access_speed_mps
    src, dst = graph.source[edge], graph.target[edge]
    # from each unit's position: to its edge's target along it, to its source against it
    heads = np.r_[dst, src]
    costs = np.r_[access + part(1 - frac, graph.cost[edge]),
                  access + part(frac, graph.reverse_cost[edge])]
    ok = np.isfinite(costs)
    heads, costs = heads[ok], costs[ok]
    best = np.full(n, np.inf)
    np.minimum.at(best, heads, costs)  # several units at one node: the quickest counts
    start = np.flatnonzero(np.isfinite(best))

    fwd = np.isfinite(graph.cost)
    back = np.isfinite(graph.reverse_cost)
    rows = np.r_[graph.source[fwd], graph.target[back], np.full(start.size, n)]
    cols = np.r_[graph.target[fwd], graph.source[back], start]
    data = np.r_[graph.cost[fwd], graph.reverse_cost[back], best[start]]
    order = np.lexsort((data, rows * (n + 1) + cols))  # keep the cheapest parallel arc
    rows, cols, data = rows[order], cols[order], data[order]
    first = np.r_[True, (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])]
    matrix = csr_matrix((np.maximum(data[first], _EPS), (rows[first], cols[first])),
                        shape=(n + 1, n + 1))
    dist = dijkstra(matrix, directed=True, indices=n)[:n]
    edge_s = np.minimum(dist[graph.source], dist[graph.target])
    np.minimum.at(edge_s, edge, access)  # units standing on an edge reach it at once
    return Coverage(node_s=dist, edge_s=edge_s, units_on_network=int(on.sum()),
                    units_off_network=int((~on).sum()))
