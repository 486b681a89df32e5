"""Spatial helpers for the demo data: random points inside polygons, nearest points, locating (geo.locate)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from shapely import STRtree

from geo.locate import Locator
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


def locator(territory: Territory) -> Locator:
    """The territory's areas as the product locates points in them (:mod:`geo.locate`)."""
    return Locator.from_territory(territory)


def locate(loc: Locator, xs: np.ndarray, ys: np.ndarray, level: str) -> np.ndarray:
    """Id of the ``level`` cell holding each point, -1 where none (or the territory lacks the
    level); a point on a shared border takes the lowest id, as :mod:`geo.locate` rules."""
    if level not in loc.layers or len(xs) == 0:
        return np.full(len(xs), -1, dtype=np.int64)
    rows = loc.cells(xs, ys, level=level)
    ids = loc.layers[level].frame["id"].to_numpy(dtype=np.int64)
    return np.where(rows >= 0, ids[np.maximum(rows, 0)], -1)


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
