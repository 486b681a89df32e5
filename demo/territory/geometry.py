"""Metric geometry helpers: equal-weight partition by straight cuts, projections, multipolygons."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

METRIC_EPSG = 32645  # UTM 45N: Karamay sits at 84.9°E
_TO_WGS84 = Transformer.from_crs(METRIC_EPSG, 4326, always_xy=True)
_TO_METRIC = Transformer.from_crs(4326, METRIC_EPSG, always_xy=True)


class Piece(NamedTuple):
    """A polygon and its household density (relative): the unit that partitions work on."""

    geom: Polygon
    density: float

    @property
    def weight(self) -> float:
        return float(self.geom.area) * self.density


def to_metric(lon: float, lat: float) -> tuple[float, float]:
    x, y = _TO_METRIC.transform(lon, lat)
    return float(x), float(y)


def to_wgs84(geoms: np.ndarray) -> np.ndarray:
    """Project metric geometries to lon/lat; equal input vertices stay equal."""

    def tr(coords: np.ndarray) -> np.ndarray:
        x, y = _TO_WGS84.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return np.asarray(shapely.transform(np.asarray(geoms, dtype=object), tr), dtype=object)


def polygons_of(geom: BaseGeometry) -> list[Polygon]:
    """The non-empty polygons inside any geometry (collections included)."""
    if geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [geom]
    return [p for g in shapely.get_parts(geom) for p in polygons_of(g)]


def to_multi(geom: BaseGeometry) -> MultiPolygon:
    return MultiPolygon(polygons_of(geom))


def union(geoms: list[Polygon]) -> BaseGeometry:
    return geoms[0] if len(geoms) == 1 else shapely.union_all(geoms)


def _long_axis(poly: Polygon) -> np.ndarray:
    """Unit vector along the longer side of the polygon's minimum rotated rectangle."""
    rect = shapely.minimum_rotated_rectangle(poly)
    c = np.asarray(rect.exterior.coords)[:3] if isinstance(rect, Polygon) else None
    if c is None:
        return np.array([1.0, 0.0])
    e1, e2 = c[1] - c[0], c[2] - c[1]
    v = e1 if np.hypot(*e1) >= np.hypot(*e2) else e2
    n = float(np.hypot(*v))
    return v / n if n > 0 else np.array([1.0, 0.0])


def _halfplanes(axis: np.ndarray, cuts: np.ndarray, centre: np.ndarray, big: float) -> np.ndarray:
    """Rectangles covering {p : (p - centre)·axis <= t} near the polygon, one per cut t."""
    nrm = np.array([-axis[1], axis[0]]) * big
    a = centre + np.outer(cuts - big, axis)
    b = centre + np.outer(cuts, axis)
    rings = np.stack([a - nrm, b - nrm, b + nrm, a + nrm, a - nrm], axis=1)
    return np.asarray(shapely.polygons(rings), dtype=object)


def bisect(poly: Polygon, frac: float) -> tuple[list[Polygon], list[Polygon]]:
    """Cut ``poly`` by one straight line across its long axis into ``frac`` and ``1 - frac`` of its
    area. Both sides come from the same cut so they share the cut's vertices."""
    axis = _long_axis(poly)
    coords = np.asarray(poly.exterior.coords)
    centre = coords.mean(axis=0)
    proj = (coords - centre) @ axis
    lo, hi = float(proj.min()), float(proj.max())
    big = 4.0 * (hi - lo + float(np.ptp(coords, axis=0).max())) + 10.0
    target = frac * poly.area
    # a few rounds of vectorised evaluation narrow the cut faster than one-by-one bisection
    for _ in range(4):
        cuts = np.linspace(lo, hi, 13)
        areas = shapely.area(shapely.intersection(poly, _halfplanes(axis, cuts, centre, big)))
        i = int(np.searchsorted(areas, target))
        i = min(max(i, 1), len(cuts) - 1)
        lo, hi = float(cuts[i - 1]), float(cuts[i])
        a_lo, a_hi = float(areas[i - 1]), float(areas[i])
    t = lo if a_hi <= a_lo else lo + (hi - lo) * (target - a_lo) / (a_hi - a_lo)
    hp = _halfplanes(axis, np.array([t]), centre, big)[0]
    return polygons_of(poly.intersection(hp)), polygons_of(poly.difference(hp))


def _connected(pieces: list[Piece]) -> bool:
    return len(pieces) == 1 or isinstance(union([p.geom for p in pieces]), Polygon)


def _split_pieces(pieces: list[Piece], n: int) -> tuple[list[Piece], int, list[Piece]]:
    """Split several pieces into two groups along their spread, and ``n`` into matching shares.

    Candidate splits sort the pieces along either principal axis; the best-balanced split whose
    two sides are each in one part wins (else the best-balanced one).
    """
    w = np.array([p.weight for p in pieces])
    cent = np.array([p.geom.centroid.coords[0] for p in pieces])
    spread = cent - np.average(cent, axis=0, weights=w)
    cov = (spread * w[:, None]).T @ spread
    vecs = np.linalg.eigh(cov)[1]
    cands: list[tuple[float, int, int, np.ndarray, int]] = []
    for k, penalty in ((1, 0.0), (0, 0.05)):  # the major axis first
        order = np.argsort(spread @ vecs[:, k], kind="stable")
        frac = np.cumsum(w[order])[:-1] / w.sum()
        n1 = np.clip(np.rint(frac * n), 1, n - 1)
        err = np.abs(frac - n1 / n) + 0.01 * np.abs(frac - 0.5) + penalty
        cands.extend((float(e), k, i, order, int(m))
                     for i, (e, m) in enumerate(zip(err, n1, strict=True)))
    cands.sort(key=lambda c: (c[0], c[1], c[2]))
    for e, _, i, order, m in cands[:24]:
        left = [pieces[j] for j in order[: i + 1]]
        right = [pieces[j] for j in order[i + 1:]]
        if e > cands[0][0] + 0.4:
            break
        if _connected(left) and _connected(right):
            return left, m, right
    _, _, i, order, m = cands[0]
    return [pieces[j] for j in order[: i + 1]], m, [pieces[j] for j in order[i + 1:]]


def partition(pieces: list[Piece], n: int) -> list[list[Piece]]:
    """Partition ``pieces`` into ``n`` groups of about equal weight, in spatial order.

    Groups of whole pieces are preferred (their borders then follow roads); a lone piece is cut
    by straight lines. The groups tile the pieces exactly: cuts come from the same overlay.
    """
    if n <= 1:
        return [pieces]
    if len(pieces) == 1:
        p = pieces[0]
        n1 = n // 2
        a, b = bisect(p.geom, n1 / n)
        left = [Piece(g, p.density) for g in a]
        right = [Piece(g, p.density) for g in b]
        if not left or not right:  # degenerate sliver: give up cutting, keep it whole
            return [pieces] + [[] for _ in range(n - 1)]
        return partition(left, n1) + partition(right, n - n1)
    left, n1, right = _split_pieces(pieces, n)
    return partition(left, n1) + partition(right, n - n1)


def random_point_in(geom: BaseGeometry, rng: np.random.Generator, *, inset: float = 0.0) -> Point:
    """A uniformly random point inside ``geom`` (shrunk by ``inset`` metres when it can be)."""
    target = geom.buffer(-inset) if inset > 0 else geom
    if target.is_empty or target.area < 1.0:
        target = geom
    x0, y0, x1, y1 = target.bounds
    for _ in range(10):
        xs = rng.uniform(x0, x1, 16)
        ys = rng.uniform(y0, y1, 16)
        inside = shapely.contains_xy(target, xs, ys)
        if inside.any():
            i = int(np.argmax(inside))
            return Point(xs[i], ys[i])
    return target.point_on_surface()
