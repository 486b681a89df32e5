"""Point-to-point route on a RoadGraph: ETA, metres and the path line, access legs included."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import shapely
from numpy.typing import ArrayLike
from shapely.ops import substring

from geo.routing_graph import RoadGraph, part
from geo.routing_snap import F64, Snaps, geodesic_m

Method = Literal["road", "straight_line", "unreachable"]
Points = Snaps | ArrayLike  # Snaps, or lon/lat: (lon, lat) or an (n, 2) array


@dataclass(frozen=True, eq=False)
class Route:
    """One route: ETA, distance, how it was made, the path in WGS-84 and the edges taken.

    ``geometry`` runs from the origin point, along its off-road leg to the road, over the
    edges (partial first and last), and off the road to the destination point; a straight
    segment when ``method == "straight_line"``, empty when ``"unreachable"``.
    """

    eta_s: float
    distance_m: float
    road_s: float  # network seconds alone (pgRouting's figure); NaN off network
    method: Method
    geometry: shapely.LineString
    edge_ids: tuple[int, ...]
    origin: Snaps
    destination: Snaps


def as_snaps(graph: RoadGraph, points: Points, *, onto: int | None = None) -> Snaps:
    """Snaps as given, or the snapped lon/lat pairs (on network ``onto`` when given)."""
    if isinstance(points, Snaps):
        if not graph.owns(points):
            raise ValueError("these Snaps were placed on another road graph (profile); snap again")
        return points
    xy = np.asarray(points, dtype=float).reshape(-1, 2)
    return graph.snap(xy[:, 0], xy[:, 1], onto=onto)


def _piece(graph: RoadGraph, edge: int, start: float, end: float) -> F64:
    """Vertices of ``edge`` between two fractions (reversed when ``start > end``)."""
    return shapely.get_coordinates(substring(graph.lines[edge], start, end, normalized=True))


def route(graph: RoadGraph, a: Points, b: Points) -> Route:
    """The fastest way from ``a`` to ``b`` (each (lon, lat) or a one-row Snaps)."""
    oa = as_snaps(graph, a)
    ob = as_snaps(graph, b, onto=graph.network_of(oa) if len(oa) == 1 else None)
    if len(oa) != 1 or len(ob) != 1:
        raise ValueError("route takes one origin and one destination")
    ends_xy = np.array([[oa.x[0], oa.y[0]], [ob.x[0], ob.y[0]]])
    if not (oa.on_network[0] and ob.on_network[0]):
        straight = float(geodesic_m(oa.lon, oa.lat, ob.lon, ob.lat)[0]) * graph.detour_factor
        line = shapely.LineString([(oa.lon[0], oa.lat[0]), (ob.lon[0], ob.lat[0])])
        return Route(straight / graph.fallback_speed_mps, straight, float("nan"),
                     "straight_line", line, (), oa, ob)
    dist, pred = graph.run_from(oa, with_pred=True)
    assert pred is not None
    e0, f0, e, f = int(oa.edge[0]), float(oa.fraction[0]), int(ob.edge[0]), float(ob.fraction[0])
    s, t = int(graph.source[e]), int(graph.target[e])
    via = {s: float(dist[s] + part(f, graph.cost[e])),
           t: float(dist[t] + part(1 - f, graph.reverse_cost[e]))}
    direct = np.inf
    if e == e0:
        direct = float(part(f - f0, graph.cost[e]) if f >= f0 else part(f0 - f, graph.reverse_cost[e]))
    end_node = min(via, key=lambda k: via[k])
    road_s = float(min(via[end_node], direct))
    if not np.isfinite(road_s):
        return Route(float("inf"), float("inf"), road_s, "unreachable", shapely.LineString(),
                     (), oa, ob)
    access = float(oa.offset_m[0] + ob.offset_m[0])
    if direct <= via[end_node]:
        pieces, edges, road_m = [_piece(graph, e, f0, f)], [e], abs(f - f0) * graph.length_m[e]
    else:
        nodes = [end_node]
        while pred[nodes[-1]] != graph.n_nodes:
            nodes.append(int(pred[nodes[-1]]))
        nodes.reverse()
        first_end = 1.0 if nodes[0] == graph.target[e0] else 0.0
        pieces, edges = [_piece(graph, e0, f0, first_end)], [e0]
        road_m = abs(first_end - f0) * graph.length_m[e0]
        if len(nodes) > 1:
            hop = graph.forward.edge[graph.forward.entry(nodes[:-1], nodes[1:])]
            for p, j in zip(nodes[:-1], hop, strict=True):
                coords = shapely.get_coordinates(graph.lines[j])
                pieces.append(coords if graph.source[j] == p else coords[::-1])
                edges.append(int(j))
            road_m += float(graph.length_m[hop].sum())
        last_start = 0.0 if end_node == s else 1.0
        pieces.append(_piece(graph, e, last_start, f))
        edges.append(e)
        road_m += abs(f - last_start) * graph.length_m[e]
    coords = np.vstack([ends_xy[:1], *pieces, ends_xy[1:]])
    keep = np.r_[True, np.any(np.diff(coords, axis=0) != 0, axis=1)]
    line = graph.projection.unproject(shapely.LineString(coords[keep]))
    ids = tuple(int(graph.edge_ids[j]) for k, j in enumerate(edges) if k == 0 or edges[k - 1] != j)
    return Route(road_s + access / graph.access_speed_mps, float(road_m + access), road_s,
                 "road", line, ids, oa, ob)
