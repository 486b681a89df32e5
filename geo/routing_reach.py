"""Which points can be within a time of a point: a lower bound on travel time from straight distance.

A point is left out of a bounded run (:func:`geo.routing.travel_times_to` with ``limit_s``) only
when no way the routing can give it is that fast. The bound, for a unit at straight (ellipsoidal)
distance ``D`` from the incident, holds for every method :mod:`geo.routing` uses:

* road: call an edge *ordinary* when it costs something both ways it is open and its
  ``length_m`` is at least ``SCALE`` (0.95) of its projected line (the projection never
  shortens, so that line is at least the edge's ellipsoidal length). Ordinary edges are driven
  at most at ``speed_mps`` (the fastest one's ``length_m / cost``), the access legs at
  ``access_speed_mps``; the other edges (``free_m``: their projected metres in all, each taken
  at most once on a shortest way) count as free. The way's drawn metres are at least ``D``, so
  ``seconds ≥ SCALE × (D − free_m) / max(speed, access speed)``;
* straight line (either end off the network): ``D × detour / fallback speed``, exactly;
* unreachable: ``inf``.

Where the graph has several networks (a province's prefectures), a query's points are placed on
the destination's network only, and a point outside that network's box (``RoadGraph.near``) is
surely off it: its way is a straight line, so its bound is the straight line's own
(``D / straight speed``) — about a third of the road bound's reach (6.4 against ~20 m/s), so
the units of the other prefectures are left out before they are snapped and timed.

``D`` is taken as 0.99 × the great-circle distance on the mean sphere (the sphere errs from
the WGS-84 geodesic by under 0.6 %). Computed once per graph (kept while the graph lives).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geo.routing_graph import RoadGraph
from geo.routing_snap import F64, Snaps

SPHERE_R = 6_371_008.8
SPHERE_SHARE = 0.99  # of the great-circle distance, at most the ellipsoidal one


SCALE = 0.95


@dataclass(frozen=True)
class Reach:
    """The graph's fastest speeds, as the bound above uses them."""

    speed_mps: float  # fastest ordinary edge
    free_m: float  # projected metres of the edges that are not ordinary
    access_speed_mps: float
    straight_mps: float  # fallback speed / detour: straight metres per second

    def road_mps(self) -> float:
        return max(self.speed_mps, self.access_speed_mps, self.straight_mps)


_REACH: weakref.WeakKeyDictionary[RoadGraph, Reach] = weakref.WeakKeyDictionary()


def reach_of(graph: RoadGraph) -> Reach:
    """The graph's :class:`Reach`, computed once while the graph lives."""
    got = _REACH.get(graph)
    if got is None:
        drawn = graph.index.line_m
        c, rc, length = graph.cost, graph.reverse_cost, graph.length_m
        with np.errstate(divide="ignore", invalid="ignore"):
            ordinary = ((length >= SCALE * drawn) & ~(np.isfinite(c) & (c <= 0))
                        & ~(np.isfinite(rc) & (rc <= 0)))
            speeds = np.r_[np.where(np.isfinite(c), length / c, 0.0),
                           np.where(np.isfinite(rc), length / rc, 0.0)][np.r_[ordinary, ordinary]]
        got = Reach(float(speeds.max()) if speeds.size else 0.0, float(drawn[~ordinary].sum()),
                    graph.access_speed_mps, graph.fallback_speed_mps / graph.detour_factor)
        _REACH[graph] = got
    return got


def great_circle_m(lon0: float, lat0: float, lon: ArrayLike, lat: ArrayLike) -> F64:
    """Haversine metres on the mean sphere from one point to each of many."""
    la0, lo0 = np.radians(lat0), np.radians(lon0)
    la, lo = np.radians(np.asarray(lat, dtype=float)), np.radians(np.asarray(lon, dtype=float))
    h = np.sin((la - la0) / 2) ** 2 + np.cos(la0) * np.cos(la) * np.sin((lo - lo0) / 2) ** 2
    return 2 * SPHERE_R * np.arcsin(np.sqrt(np.minimum(h, 1.0)))


def near_box(lon0: float, lat0: float, lon: F64, lat: F64, metres: float) -> NDArray[np.bool_]:
    """Rows that may lie within ``metres`` of (``lon0``, ``lat0``) by :func:`great_circle_m`
    (a superset, by two comparisons a row): on the sphere ``hav θ = hav Δφ + cos φ0 cos φ
    hav Δλ``, so a row is farther when ``|Δφ| > Θ`` or, its latitude then being within Θ of
    ``lat0``, when ``hav Δλ > hav Θ / (cos φ0 cos(|φ0| + Θ))``. Both limits are widened by a
    millionth, far past any rounding of the haversine."""
    theta = metres / SPHERE_R
    slack = 1 + 1e-6
    if not np.isfinite(theta) or theta >= np.pi / 4:
        return np.ones(lon.shape, dtype=bool)
    band = np.degrees(theta) * slack
    with np.errstate(invalid="ignore"):
        out = np.abs(lat - lat0) <= band
        phi = np.radians(abs(lat0)) + theta
        floor = np.cos(np.radians(lat0)) * np.cos(phi) if phi < np.pi / 2 else 0.0
        share = np.sin(theta / 2) ** 2 / floor if floor > 0 else np.inf
        if share < 1:
            wide = np.degrees(2 * np.arcsin(np.sqrt(share))) * slack
            dlon = np.abs(lon - lon0)
            out &= (dlon <= wide) | (dlon >= 360.0 - wide)
    return out


def straight_may_reach(graph: RoadGraph, one: Snaps, lon: ArrayLike, lat: ArrayLike,
                       limit_s: float) -> NDArray[np.bool_]:
    """Rows whose straight-line estimate (geodesic × detour / fallback speed) to the first point
    of ``one`` can be ≤ ``limit_s``."""
    d = SPHERE_SHARE * great_circle_m(float(one.lon[0]), float(one.lat[0]), lon, lat)
    with np.errstate(invalid="ignore"):
        return d / reach_of(graph).straight_mps <= limit_s


def may_reach(graph: RoadGraph, lon: ArrayLike, lat: ArrayLike, destination: Snaps,
              limit_s: float) -> NDArray[np.bool_]:
    """Rows (lon, lat) whose time to ``destination`` (one snapped point) can be ≤ ``limit_s``;
    the others certainly take longer (or never arrive). NaN positions: False."""
    r = reach_of(graph)
    lon_a, lat_a = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    lon0, lat0 = float(destination.lon[0]), float(destination.lat[0])
    on = bool(destination.on_network[0])
    net = graph.network_of(destination) if on else None
    # the great circle is measured only where a row may be near enough: within the straight
    # line's reach, or (a road) the road bound's — on the destination's network only
    straight_m = limit_s * r.straight_mps / SPHERE_SHARE
    road_m = (limit_s * r.road_mps() / SCALE + r.free_m) / SPHERE_SHARE
    inside = None
    if not on:  # off the network, every row is a straight line
        out = near_box(lon0, lat0, lon_a, lat_a, straight_m)
    elif net is None:  # one network: any row may be on it
        out = near_box(lon0, lat0, lon_a, lat_a, road_m)
    else:  # outside its network's box: surely a straight line
        inside = graph.near(net, lon_a, lat_a)
        out = near_box(lon0, lat0, lon_a, lat_a, straight_m)
        out |= inside & near_box(lon0, lat0, lon_a, lat_a, road_m)
    rows = np.flatnonzero(out)
    d = SPHERE_SHARE * great_circle_m(lon0, lat0, lon_a[rows], lat_a[rows])
    straight = d / r.straight_mps
    if not on:
        lower = straight
    else:
        lower = SCALE * (d - r.free_m) / r.road_mps()
        if inside is not None:
            lower = np.where(inside[rows], lower, straight)
    with np.errstate(invalid="ignore"):
        out[rows] = lower <= limit_s
    return out
