"""Read real territory files (GeoJSON, GeoPackage, Shapefile) into a validated Territory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo.coords import to_wgs84
from geo.errors import Problem
from geo.territory import Territory

Progress = Callable[[str, int], None]

AREA_LEVELS = ("districts", "streets", "communities", "police_grids", "grids", "micro_grids")
LEVEL_LABELS = {"districts": "区县", "streets": "街道", "communities": "社区",
                "police_grids": "警格", "grids": "网格", "micro_grids": "微网格",
                "roads": "道路"}
# Which parent each level names, and the column names accepted for that parent's code.
PARENTS = {
    "streets": ("districts", ("district_code", "parent_code")),
    "communities": ("streets", ("street_code", "parent_code")),
    "police_grids": ("streets", ("street_code", "parent_code")),
    "grids": ("communities", ("community_code", "parent_code")),
    "micro_grids": ("grids", ("grid_code", "parent_code")),
}
CODE_COLUMNS = ("code", "编码", "代码")
NAME_COLUMNS = ("name", "名称")


def read_geo(path: Path, *, layer: str | None = None, source_crs: str | None = None,
             problems: list[Problem], label: str) -> gpd.GeoDataFrame | None:
    """Read one vector layer and return it in WGS-84; file-level faults go to ``problems``.

    The file's declared CRS is honoured (reprojected); ``source_crs`` = gcj02 or bd09 says the
    coordinates are in one of China's shifted systems, which no file format can declare.
    """
    try:
        frame = gpd.read_file(path, layer=layer, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        problems.append(Problem("unreadable", f"无法读取文件 {path.name}：{exc}", label))
        return None
    if frame.empty:
        problems.append(Problem("empty", f"文件 {path.name} 没有任何要素", label))
        return None
    if frame.crs is None:
        bounds = frame.total_bounds
        if not (-180 <= bounds[0] <= 180 and -90 <= bounds[1] <= 90
                and -180 <= bounds[2] <= 180 and -90 <= bounds[3] <= 90):
            problems.append(Problem("bad_value", f"文件 {path.name} 未声明坐标系，且坐标不是经纬度",
                                    label))
            return None
        frame = frame.set_crs(4326)
    elif frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    if source_crs and source_crs.lower() not in ("wgs84", "cgcs2000"):
        frame = frame.set_geometry(shapely.transform(
            frame.geometry.values, lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1],
                                                                       source_crs))))
    frame = frame.rename_geometry("geom")
    return frame


def as_multipolygons(geoms: np.ndarray, codes: np.ndarray, *, problems: list[Problem],
                     label: str) -> np.ndarray:
    """Polygons and multipolygons as MultiPolygons; other types become problems (and None)."""
    out = np.empty(len(geoms), dtype=object)
    for i, (g, code) in enumerate(zip(geoms, codes, strict=True)):
        if g is None or g.is_empty:
            problems.append(Problem("empty", f"{label} {code} 没有几何形状", label, code))
        elif g.geom_type == "Polygon":
            out[i] = shapely.MultiPolygon([g])
        elif g.geom_type == "MultiPolygon":
            out[i] = g
        else:
            problems.append(Problem("bad_value", f"{label} {code} 的几何类型是 {g.geom_type}，应为面",
                                    label, code))
    return out


def _pick(frame: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    lowered = {str(c).lower(): c for c in frame.columns}
    for n in names:
        if n.lower() in lowered:
            return str(lowered[n.lower()])
    return None


def read_areas(files: dict[str, Path], *, source_crs: str | None = None,
               district: tuple[str, str] | None = None) -> tuple[Territory, list[Problem]]:
    """Area layers keyed by level -> a Territory with ids and parent ids, plus problems found.

    Each file needs ``code`` and ``name`` columns and, below the district, its parent's code
    (``street_code``/``community_code``/``grid_code`` or ``parent_code``); grids may name
    ``police_grid_code``. Without a districts layer, ``district`` = (code, name) makes one
    district from the union of the streets.
    """
    problems: list[Problem] = []
    frames: dict[str, gpd.GeoDataFrame] = {}
    for level in AREA_LEVELS:
        if level not in files:
            continue
        label = LEVEL_LABELS[level]
        raw = read_geo(files[level], source_crs=source_crs, problems=problems, label=label)
        if raw is None:
            continue
        code_col, name_col = _pick(raw, CODE_COLUMNS), _pick(raw, NAME_COLUMNS)
        for col, field in ((code_col, "code（编码）"), (name_col, "name（名称）")):
            if col is None:
                problems.append(Problem("missing_field", f"{label}图层缺少字段 {field}", label))
        if code_col is None or name_col is None:
            continue
        out = gpd.GeoDataFrame({
            "id": np.arange(1, len(raw) + 1),
            "code": raw[code_col].astype(str).str.strip(),
            "name": raw[name_col].astype(str).str.strip(),
        }, geometry=as_multipolygons(raw.geom.values, raw[code_col].astype(str).values,
                                     problems=problems, label=label), crs=4326)
        out = out.rename_geometry("geom")
        out["illustrative"] = False
        for extra in ("households", "kind", "station"):
            col = _pick(raw, (extra,))
            if col is not None:
                out[extra] = raw[col].values
        if level == "streets" and "districts" not in files:
            out["_parent_code"] = None  # filled with the district made from their union
        elif level in PARENTS:
            col = _pick(raw, PARENTS[level][1])
            if col is None:
                problems.append(Problem("missing_field",
                                        f"{label}图层缺少上级编码字段 {PARENTS[level][1][0]}", label))
                continue
            out["_parent_code"] = raw[col].astype(str).str.strip().values
        if level == "grids":
            col = _pick(raw, ("police_grid_code",))
            out["_police_code"] = raw[col].astype(str).values if col else None
        frames[level] = out
    if "districts" not in frames and "streets" in frames:
        code, name = district or ("000000", "导入辖区")
        union = shapely.union_all(frames["streets"].geom.values)
        frames["districts"] = gpd.GeoDataFrame(
            {"id": [1], "code": [code], "name": [name], "illustrative": [False]},
            geometry=[shapely.multipolygons(shapely.get_parts(union))], crs=4326
        ).rename_geometry("geom")
        frames["streets"]["_parent_code"] = code
    _link_parents(frames, problems)
    return Territory(frames=dict(frames), name="import"), problems


def _link_parents(frames: dict[str, gpd.GeoDataFrame], problems: list[Problem]) -> None:
    """Turn parent codes into parent ids; unknown codes become problems."""
    for level, (parent, _cols) in PARENTS.items():
        if level not in frames or "_parent_code" not in frames[level]:
            continue
        child = frames[level]
        ids = dict(zip(frames[parent].code, frames[parent].id, strict=True)) if parent in frames \
            else {}
        fk = f"{parent[:-1] if parent != 'communities' else 'community'}_id"
        child[fk] = child["_parent_code"].map(ids)
        for code, pcode in child.loc[child[fk].isna(), ["code", "_parent_code"]].itertuples(
                index=False):
            problems.append(Problem(
                "unknown_parent",
                f"{LEVEL_LABELS[level]} {code} 的上级编码 {pcode} 在{LEVEL_LABELS[parent]}图层中不存在",
                LEVEL_LABELS[level], code))
        del child["_parent_code"]
        child[fk] = child[fk].astype("Int64")
        if level == "police_grids":
            child["community_id"] = None
    if "grids" in frames:
        grids = frames["grids"]
        police = dict(zip(frames["police_grids"].code, frames["police_grids"].id, strict=True)) \
            if "police_grids" in frames else {}
        codes = grids.pop("_police_code")
        grids["police_grid_id"] = codes.map(police).astype("Int64") if police else None
        if "kind" not in grids:
            grids["kind"] = "general"
