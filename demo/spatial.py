"""Spatial helpers for the demo data: random points inside polygons, point-in-polygon location."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from shapely import STRtree

from geo.territory import Territory


def frame(territory: Territory, table: str) -> pd.DataFrame | None:
    """The table's frame, or ``None`` when the territory lacks it or it is empty."""
    if table not in territory:
        return None
    f = territory[table]
    return f if len(f) else None


def geoms(f: pd.DataFrame) -> np.ndarray:
    """The ``geom`` column as a shapely array (works for GeoDataFrames and plain frames)."""
    return np.asarray(f["geom"].to_numpy(), dtype=object)


def points_inside(rng: np.random.Generator, polys: np.ndarray,
                  tries: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """One uniform random point inside each polygon (rejection sampling, vectorised).

    A polygon that rejects every try (a sliver) gets its representative point.
    """
    n = len(polys)
    if n == 0:
        return np.empty(0), np.empty(0)
    b = shapely.bounds(polys)  # (n, 4): minx, miny, maxx, maxy
    u = rng.random((n, tries))
    v = rng.random((n, tries))
    xs = b[:, [0]] + u * (b[:, [2]] - b[:, [0]])
    ys = b[:, [1]] + v * (b[:, [3]] - b[:, [1]])
    shapely.prepare(polys)
    inside = shapely.contains_xy(polys[:, None], xs, ys)
    first = inside.argmax(axis=1)
    ok = inside[np.arange(n), first]
    x = xs[np.arange(n), first]
    y = ys[np.arange(n), first]
    if not ok.all():
        rep = shapely.point_on_surface(polys[~ok])
        x[~ok] = shapely.get_x(rep)
        y[~ok] = shapely.get_y(rep)
    return x, y


def locate(xs: np.ndarray, ys: np.ndarray, f: pd.DataFrame | None) -> np.ndarray:
    """Id of the polygon of ``f`` holding each point, -1 where none; ties go to the lowest id."""
    out = np.full(len(xs), -1, dtype=np.int64)
    if f is None or len(xs) == 0:
        return out
    tree = STRtree(geoms(f))
    pts = shapely.points(xs, ys)
    src, hit = tree.query(pts, predicate="intersects")
    if len(src) == 0:
        return out
    ids = f["id"].to_numpy(dtype=np.int64)[hit]
    order = np.lexsort((ids, src))  # by point, then id: the first row of each point wins
    s, i = src[order], ids[order]
    first = np.r_[True, s[1:] != s[:-1]]
    out[s[first]] = i[first]
    return out


def nearest(xs: np.ndarray, ys: np.ndarray, f: pd.DataFrame) -> np.ndarray:
    """Row position in ``f`` of the nearest point geometry to each point (planar, in degrees)."""
    tree = STRtree(geoms(f))
    pts = shapely.points(xs, ys)
    idx = tree.query_nearest(pts, return_distance=False, all_matches=False)
    out = np.empty(len(xs), dtype=np.int64)
    out[idx[0]] = idx[1]
    return out


def xy(f: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of a point frame (a polygon frame gives points on its surface)."""
    g = geoms(f)
    kinds = shapely.get_type_id(g)
    pts = np.where(kinds == 0, g, shapely.point_on_surface(g))
    return shapely.get_x(pts), shapely.get_y(pts)
