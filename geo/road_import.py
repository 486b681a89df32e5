"""Read a road line file into pgRouting-shaped nodes and edges (cost and reverse cost)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

from geo.errors import Problem
from geo.importer import read_geo
from geo.territory import Territory

_GEOD = Geod(ellps="WGS84")
LABEL = "道路"
# Default speeds (m/s) by class when the file gives none: urban driving, not limits.
DEFAULT_SPEED = {
    "motorway": 22.2, "trunk": 16.7, "primary": 13.9, "secondary": 11.1, "tertiary": 9.7,
    "unclassified": 8.3, "residential": 8.3, "living_street": 4.2, "service": 5.6,
    "footway": 1.4, "path": 1.4, "pedestrian": 1.4, "track": 5.6, "road": 8.3,
}
_TRUE = {"yes", "true", "1", "t", "y", "是", "单行"}
_REVERSE = {"-1", "reverse"}


def _column(frame: pd.DataFrame, *names: str) -> str | None:
    lowered = {str(c).lower(): str(c) for c in frame.columns}
    return next((lowered[n] for n in names if n in lowered), None)


def normalise_class(value: object) -> str | None:
    """OSM-style class names (``primary_link`` → ``primary``); None when unknown."""
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    text = text.strip().lower().removesuffix("_link") or "unclassified"
    return text if text in DEFAULT_SPEED else None


def read_roads(path: Path, *, source_crs: str | None = None, layer: str | None = None
               ) -> tuple[Territory, list[Problem]]:
    """Roads file -> Territory with ``road_nodes`` and ``road_edges``, plus problems found.

    Understood columns: ``highway``/``road_class``/``class``/``fclass``; ``speed_mps`` or
    ``maxspeed`` (km/h); ``oneway`` (yes/no/-1); ``from``/``to`` (or ``source``/``target``,
    ``u``/``v``) junction ids; ``length_m``; ``name``; ``id``. A file of directed edges
    (junction ids, no ``oneway``) has its opposite pairs merged into two-way segments.
    """
    problems: list[Problem] = []
    frame = read_geo(path, layer=layer, source_crs=source_crs, problems=problems, label=LABEL)
    if frame is None:
        return Territory(), problems
    frame = frame.explode(index_parts=False).reset_index(drop=True)
    types = shapely.get_type_id(frame.geom.values)
    for i in np.flatnonzero(types != 1):
        problems.append(Problem("bad_value", f"第{i + 1}条要素不是线（{frame.geom.values[i].geom_type}）",
                                LABEL))
    bad = ~shapely.is_valid(frame.geom.values) | shapely.is_empty(frame.geom.values)
    for i in np.flatnonzero(bad & (types == 1)):
        problems.append(Problem("invalid_geometry", f"第{i + 1}条道路几何无效或为空", LABEL))
    frame = frame[(types == 1) & ~bad].reset_index(drop=True)

    cls_col = _column(frame, "highway", "road_class", "class", "fclass")
    classes = (frame[cls_col].map(normalise_class) if cls_col
               else pd.Series(["unclassified"] * len(frame)))
    for i in np.flatnonzero(classes.isna().to_numpy()):
        problems.append(Problem("unknown_category",
                                f"第{i + 1}条道路的等级 “{frame[cls_col].iloc[i]}” 无法识别", LABEL))
    lengths = np.array([_GEOD.geometry_length(g) for g in frame.geom.values])
    len_col = _column(frame, "length_m")
    if len_col:
        given_len = pd.to_numeric(frame[len_col], errors="coerce").to_numpy(dtype=float)
        lengths = np.where(np.isnan(given_len), lengths, given_len)
    speed_col, kmh_col = _column(frame, "speed_mps"), _column(frame, "maxspeed")
    speeds = classes.fillna("unclassified").map(DEFAULT_SPEED).to_numpy(dtype=float)
    if speed_col:
        given = pd.to_numeric(frame[speed_col], errors="coerce").to_numpy(dtype=float)
        speeds = np.where(np.isnan(given), speeds, given)
    elif kmh_col:
        given = pd.to_numeric(frame[kmh_col].astype(str).str.extract(r"(\d+\.?\d*)")[0],
                              errors="coerce").to_numpy(dtype=float) / 3.6
        speeds = np.where(np.isnan(given), speeds, given)
    for i in np.flatnonzero(~(speeds > 0)):
        problems.append(Problem("bad_value", f"第{i + 1}条道路的速度必须大于 0", LABEL))

    id_col = _column(frame, "id", "osm_id", "edge_id")
    ext_ids = (frame[id_col].astype(str).to_numpy() if id_col
               else np.arange(1, len(frame) + 1).astype(str))
    dup = pd.Series(ext_ids).duplicated(keep=False).to_numpy()
    for code in sorted(set(ext_ids[dup])):
        problems.append(Problem("duplicate_code", f"道路编号 {code} 重复", LABEL, code))

    src_col = _column(frame, "from", "source", "u")
    dst_col = _column(frame, "to", "target", "v")
    starts = shapely.get_coordinates(shapely.get_point(frame.geom.values, 0))
    ends = shapely.get_coordinates(shapely.get_point(frame.geom.values, -1))
    if src_col and dst_col:
        src = frame[src_col].astype(str).to_numpy()
        dst = frame[dst_col].astype(str).to_numpy()
    else:  # junctions where line ends meet (to ~1 cm)
        src = np.array([f"{x:.7f},{y:.7f}" for x, y in starts])
        dst = np.array([f"{x:.7f},{y:.7f}" for x, y in ends])

    cost = lengths / np.where(speeds > 0, speeds, 1.0)
    oneway_col = _column(frame, "oneway")
    reverse = cost.copy()
    forward = cost.copy()
    keep = np.ones(len(frame), dtype=bool)
    if oneway_col:
        flags = frame[oneway_col].astype(str).str.strip().str.lower().values
        reverse = np.where(np.isin(flags, list(_TRUE)), -1.0, reverse)
        rev = np.isin(flags, list(_REVERSE))
        forward = np.where(rev, -1.0, forward)
        reverse = np.where(rev, cost, reverse)
    elif src_col and dst_col:
        reverse[:] = -1.0
        _merge_opposites(src, dst, lengths, cost, reverse, keep)

    names = frame[_column(frame, "name")].fillna("").astype(str).values \
        if _column(frame, "name") else np.full(len(frame), "")
    nodes, node_ids = _nodes(src, dst, starts, ends, keep, problems)
    edges = gpd.GeoDataFrame({
        "id": np.arange(1, int(keep.sum()) + 1),
        "ext_id": ext_ids[keep],
        "source": [node_ids[s] for s in src[keep]],
        "target": [node_ids[t] for t in dst[keep]],
        "name": [n or None for n in names[keep]],
        "road_class": classes.fillna("unclassified").values[keep],
        "length_m": lengths[keep],
        "speed_mps": speeds[keep],
        "cost_s": forward[keep],
        "reverse_cost_s": reverse[keep],
        "illustrative": False,
    }, geometry=frame.geom.values[keep], crs=4326).rename_geometry("geom")
    return Territory(frames={"road_nodes": nodes, "road_edges": edges}, name=path.name), problems


def _merge_opposites(src: np.ndarray, dst: np.ndarray, lengths: np.ndarray, cost: np.ndarray,
                     reverse: np.ndarray, keep: np.ndarray) -> None:
    """Fold each edge b->a into an edge a->b of the same length as its reverse cost."""
    waiting: dict[tuple[str, str, int], int] = {}
    for i in range(len(src)):
        key_back = (dst[i], src[i], round(lengths[i]))
        j = waiting.pop(key_back, None)
        if j is not None and reverse[j] < 0:
            reverse[j] = cost[i]
            keep[i] = False
        else:
            waiting[(src[i], dst[i], round(lengths[i]))] = i


def _nodes(src: np.ndarray, dst: np.ndarray, starts: np.ndarray, ends: np.ndarray,
           keep: np.ndarray, problems: list[Problem], *, max_spread_m: float = 100.0
           ) -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    """Junctions with integer ids at the mean of their edges' ends.

    Networks exported from simulators (SUMO) end edges metres short of the junction centre
    (Chengdu: p99 24 m), so only a spread over ``max_spread_m`` is reported as a fault.
    """
    ends_at: dict[str, list[np.ndarray]] = {}
    for junctions, coords in ((src, starts), (dst, ends)):
        for name, point in zip(junctions[keep], coords[keep], strict=True):
            ends_at.setdefault(str(name), []).append(point)
    names = list(ends_at)
    xy = np.empty((len(names), 2))
    for k, name in enumerate(names):
        pts = np.array(ends_at[name])
        xy[k] = centre = pts.mean(axis=0)
        dx = (pts[:, 0] - centre[0]) * 111320.0 * np.cos(np.radians(centre[1]))
        spread = float(np.max(np.hypot(dx, (pts[:, 1] - centre[1]) * 110540.0)))
        if spread > max_spread_m:
            problems.append(Problem(
                "bad_value", f"路口 {name} 的各条道路端点相距 {spread:.0f} 米，超过 {max_spread_m:.0f} 米",
                LABEL, name, float(centre[0]), float(centre[1])))
    ids = {n: i + 1 for i, n in enumerate(names)}
    nodes = gpd.GeoDataFrame({"id": np.arange(1, len(names) + 1), "ext_id": names},
                             geometry=shapely.points(xy), crs=4326).rename_geometry("geom")
    return nodes, ids
