"""Topology checks of the area hierarchy ("全覆盖、无缝隙"), shared by the generator and imports."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from geo.errors import Problem
from geo.territory import Territory

LABELS = {"districts": "区县", "streets": "街道", "communities": "社区",
          "police_grids": "警格", "grids": "网格", "micro_grids": "微网格"}
# child layer -> (parent layer, foreign key); police grids name their street but tile the district
LINKS = (("streets", "districts", "district_id"), ("communities", "streets", "street_id"),
         ("grids", "communities", "community_id"), ("micro_grids", "grids", "grid_id"))
_REASONS = {"Self-intersection": "自相交", "Ring Self-intersection": "环自相交",
            "Too few points": "顶点过少", "Hole lies outside shell": "内环位于外环之外",
            "Nested holes": "内环嵌套", "Nested shells": "外环嵌套",
            "Interior is disconnected": "内部不连通", "Invalid Coordinate": "坐标无效",
            "Ring is not closed": "环未闭合", "Duplicate Rings": "重复的环"}


def utm_epsg(lon: float, lat: float) -> int:
    """The EPSG code of the WGS-84 UTM zone holding (lon, lat)."""
    zone = min(max(int((lon + 180) // 6) + 1, 1), 60)
    return (32600 if lat >= 0 else 32700) + zone


@dataclass
class _Layer:
    """One area layer's codes, ids and geometries (lon/lat, made valid; None if missing)."""

    name: str
    label: str
    frame: pd.DataFrame
    codes: np.ndarray
    ids: np.ndarray
    geoms: np.ndarray

    def code(self, i: int) -> str:
        return str(self.codes[i])


class _Ctx:
    """One validation run: the tolerance, and the UTM zone that measures areas.

    Topology is checked in lon/lat, planar, as PostGIS does with SRID 4326 geometries: projecting
    only the vertices would bend long straight borders by up to decimetres, and a border vertex
    of a child (a T-junction) would then open phantom slivers of hundreds of m².
    """

    def __init__(self, territory: Territory, tolerance_m2: float) -> None:
        geoms = [g for t in LABELS if t in territory
                 for g in np.asarray(territory[t]["geom"].values, dtype=object)
                 if g is not None and not g.is_empty]
        x0, y0, x1, y1 = shapely.total_bounds(np.asarray(geoms, dtype=object)) if geoms \
            else (0, 0, 0, 0)
        lat = (y0 + y1) / 2
        self.fwd = Transformer.from_crs(4326, utm_epsg((x0 + x1) / 2, lat), always_xy=True)
        # square metres per square degree near the data: only to pre-filter by the tolerance
        self.scale = 111_320.0 * float(np.cos(np.radians(lat))) * 110_574.0
        self.tol = tolerance_m2

    def m2(self, geom: BaseGeometry) -> float:
        def tr(c: np.ndarray) -> np.ndarray:
            return np.column_stack(self.fwd.transform(c[:, 0], c[:, 1]))
        return float(shapely.transform(geom, tr).area)

    def problem(self, kind: str, message: str, layer: _Layer, code: str | None,
                piece: BaseGeometry | None = None) -> Problem:
        lon = lat = area = None
        if piece is not None and not piece.is_empty:
            p = piece.representative_point()
            lon, lat = float(p.x), float(p.y)
            area = self.m2(piece) if piece.area > 0 else None
        return Problem(kind, message, layer.label, code, lon, lat, area)

    def big_parts(self, geom: BaseGeometry | None) -> list[BaseGeometry]:
        """Polygonal parts of at least the tolerance, largest first."""
        if geom is None or geom.is_empty:
            return []
        parts = [p for p in shapely.get_parts(geom)
                 if p.geom_type in ("Polygon", "MultiPolygon") and p.area * self.scale >= self.tol
                 and self.m2(p) >= self.tol]
        return sorted(parts, key=lambda p: -p.area)


def validate_codes(frame: pd.DataFrame, layer: str) -> list[Problem]:
    """Missing and duplicate codes of one area layer (``layer`` is its table name)."""
    label = LABELS.get(layer, layer)
    codes = frame["code"].astype("string") if "code" in frame else pd.Series(dtype="string")
    out = [Problem("missing_field", f"{label}第 {i + 1} 个要素缺少编码", label)
           for i in np.flatnonzero(codes.isna().to_numpy() | (codes.str.strip() == "").to_numpy())]
    counts = codes.dropna().value_counts()
    for code, n in counts[counts > 1].items():
        out.append(Problem("duplicate_code", f"{label}编码 {code} 重复出现 {n} 次", label,
                           str(code)))
    return out


def validate_geometries(frame: pd.DataFrame, layer: str) -> list[Problem]:
    """Missing, empty, non-areal and invalid geometries, with GEOS's reason and location."""
    label = LABELS.get(layer, layer)
    out = []
    codes = frame["code"].astype(str).to_numpy() if "code" in frame else [None] * len(frame)
    for code, g in zip(codes, np.asarray(frame["geom"].values, dtype=object), strict=True):
        if g is None or g.is_empty:
            out.append(Problem("empty", f"{label} {code} 没有几何形状", label, code))
        elif g.geom_type not in ("Polygon", "MultiPolygon"):
            out.append(Problem("bad_value", f"{label} {code} 的几何类型是 {g.geom_type}，应为面",
                               label, code))
        elif not g.is_valid:
            why = shapely.is_valid_reason(g)
            m = re.match(r"\s*([^\[]+?)\s*\[\s*(\S+)\s+(\S+)\s*\]", why)
            reason, lon, lat = (m.group(1), float(m.group(2)), float(m.group(3))) if m \
                else (why, None, None)
            out.append(Problem("invalid_geometry",
                               f"{label} {code} 的几何形状无效：{_REASONS.get(reason, reason)}",
                               label, code, lon, lat))
    return out


def _layer(ctx: _Ctx, territory: Territory, name: str) -> _Layer | None:
    if name not in territory or len(territory[name]) == 0:
        return None
    frame = territory[name]
    geoms = np.asarray(frame["geom"].values, dtype=object)
    ok = np.array([g is not None and not g.is_empty
                   and g.geom_type in ("Polygon", "MultiPolygon") for g in geoms], dtype=bool)
    fixed = np.full(len(geoms), None, dtype=object)
    if ok.any():
        fixed[ok] = shapely.make_valid(geoms[ok], method="structure", keep_collapsed=False)
    ids = frame["id"].to_numpy() if "id" in frame else np.arange(1, len(frame) + 1)
    codes = frame["code"].astype(str).to_numpy() if "code" in frame else ids.astype(str)
    return _Layer(name, LABELS[name], frame, codes, ids, fixed)


def _parent_index(child: _Layer, parent: _Layer, fk: str, ctx: _Ctx,
                  out: list[Problem]) -> np.ndarray:
    """Row of each child's parent (-1 if unknown), reporting unknown parents."""
    pos = {int(v): i for i, v in enumerate(parent.ids)}
    idx = np.full(len(child.ids), -1)
    if fk not in child.frame:
        out.append(Problem("missing_field", f"{child.label}图层缺少字段 {fk}", child.label))
        return idx
    for i, v in enumerate(child.frame[fk].to_numpy()):
        if v is not None and not pd.isna(v) and int(v) in pos:
            idx[i] = pos[int(v)]
        else:
            shown = "空" if v is None or pd.isna(v) else f"id {v}"
            out.append(ctx.problem("unknown_parent", f"{child.label} {child.code(i)} 的所属"
                                   f"{parent.label}（{shown}）不存在", child, child.code(i)))
    return idx


def _outside(child: _Layer, parent: _Layer, idx: np.ndarray, ctx: _Ctx, out: list[Problem],
             ) -> None:
    rows = np.flatnonzero((idx >= 0) & (child.geoms != None))  # noqa: E711
    rows = rows[parent.geoms[idx[rows]] != None]  # noqa: E711
    if not rows.size:
        return
    diff = shapely.difference(child.geoms[rows], parent.geoms[idx[rows]])
    for r, d in zip(rows, diff, strict=True):
        parts = ctx.big_parts(d)
        if parts:
            out.append(ctx.problem("outside_parent", f"{child.label} {child.code(r)} 超出所属"
                                   f"{parent.label} {parent.code(idx[r])} 的范围", child,
                                   child.code(r), shapely.union_all(parts)))


def _gaps(child: _Layer, parent: _Layer, idx: np.ndarray, ctx: _Ctx, out: list[Problem]) -> None:
    for pi in range(len(parent.ids)):
        pg = parent.geoms[pi]
        if pg is None:
            continue
        kids = [g for g in child.geoms[idx == pi] if g is not None]
        if not kids:
            out.append(ctx.problem("gap", f"{parent.label} {parent.code(pi)} 内没有任何"
                                   f"{child.label}", parent, parent.code(pi), pg))
            continue
        covered = kids[0] if len(kids) == 1 else shapely.union_all(kids)
        for part in ctx.big_parts(shapely.difference(pg, covered)):
            out.append(ctx.problem("gap", f"{parent.label} {parent.code(pi)} 内有未被"
                                   f"{child.label}覆盖的空隙", parent, parent.code(pi), part))


def _overlaps(layer: _Layer, ctx: _Ctx, out: list[Problem]) -> None:
    rows = np.flatnonzero(layer.geoms != None)  # noqa: E711
    geoms = layer.geoms[rows]
    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    inter = shapely.intersection(geoms[i], geoms[j])
    for a, b, g in zip(i, j, inter, strict=True):
        parts = ctx.big_parts(g)
        if parts:
            ca, cb = layer.code(rows[a]), layer.code(rows[b])
            out.append(ctx.problem("overlap", f"{layer.label} {ca} 与{layer.label} {cb} 重叠",
                                   layer, ca, shapely.union_all(parts)))


def _police(police: _Layer, grids: _Layer | None, ctx: _Ctx, out: list[Problem]) -> None:
    """Each grid lies inside exactly one police grid, the one its police_grid_id names."""
    if grids is None:
        return
    pos = {int(v): i for i, v in enumerate(police.ids)}
    prow = np.flatnonzero(police.geoms != None)  # noqa: E711
    grow = np.flatnonzero(grids.geoms != None)  # noqa: E711
    gi, pj = shapely.STRtree(police.geoms[prow]).query(grids.geoms[grow], predicate="intersects")
    area = shapely.area(shapely.intersection(grids.geoms[grow][gi], police.geoms[prow][pj]))
    hits: dict[int, list[tuple[int, float]]] = {}
    for g, p, a in zip(grow[gi], prow[pj], area, strict=True):
        if a * ctx.scale >= ctx.tol:
            hits.setdefault(int(g), []).append((int(p), float(a)))
    declared = grids.frame["police_grid_id"].to_numpy() if "police_grid_id" in grids.frame \
        else [None] * len(grids.ids)
    for g in grow:
        code, geom = grids.code(int(g)), grids.geoms[g]
        found = sorted(hits.get(int(g), []), key=lambda h: -h[1])
        names = "、".join(police.code(p) for p, _ in found)
        if not found:
            out.append(ctx.problem("outside_parent", f"网格 {code} 不在任何警格内", grids, code,
                                   geom))
            continue
        if len(found) > 1:
            out.append(ctx.problem("outside_parent", f"网格 {code} 跨越多个警格：{names}",
                                   grids, code, geom))
        elif (geom.area - found[0][1]) * ctx.scale >= ctx.tol:
            out.append(ctx.problem("outside_parent", f"网格 {code} 超出警格 {names} 的范围",
                                   grids, code, shapely.difference(geom, police.geoms[found[0][0]])))
        want = declared[g]
        if want is None or pd.isna(want):
            continue
        if int(want) not in pos:
            out.append(ctx.problem("unknown_parent", f"网格 {code} 的所属警格（id {want}）不存在",
                                   grids, code, geom))
        elif pos[int(want)] != found[0][0]:
            out.append(ctx.problem("bad_value", f"网格 {code} 登记的警格为 "
                                   f"{police.code(pos[int(want)])}，但位于警格 "
                                   f"{police.code(found[0][0])} 内", grids, code, geom))


def validate_hierarchy(territory: Territory, *, tolerance_m2: float = 1.0) -> list[Problem]:
    """Every topology problem of the area layers present, pieces under ``tolerance_m2`` ignored.

    Checks each layer's codes and geometries, children inside their parent, parents fully
    covered by their children (gaps), siblings not overlapping, police grids tiling the district
    and each grid inside exactly the police grid it names. Areas are in square metres in the
    UTM zone of the data; locations are lon/lat of a point inside the problem piece.
    Topology itself is planar in lon/lat, as the database sees it.
    """
    ctx = _Ctx(territory, tolerance_m2)
    out: list[Problem] = []
    layers: dict[str, _Layer] = {}
    for name in LABELS:
        if name in territory:
            out += validate_codes(territory[name], name)
            out += validate_geometries(territory[name], name)
        lay = _layer(ctx, territory, name)
        if lay is not None:
            layers[name] = lay
            _overlaps(lay, ctx, out)
    for child, parent, fk in LINKS:
        if child in layers and parent in layers:
            idx = _parent_index(layers[child], layers[parent], fk, ctx, out)
            _outside(layers[child], layers[parent], idx, ctx, out)
            _gaps(layers[child], layers[parent], idx, ctx, out)
    police = layers.get("police_grids")
    if police is not None:
        if "streets" in layers:
            _parent_index(police, layers["streets"], "street_id", ctx, out)
        if "districts" in layers:
            d = layers["districts"]
            # police grids tile the district as a whole, whichever street they name
            home = np.zeros(len(police.ids), dtype=int) if len(d.ids) == 1 else \
                _district_of(police, layers.get("streets"), d)
            _outside(police, d, home, ctx, out)
            _gaps(police, d, home, ctx, out)
        _police(police, layers.get("grids"), ctx, out)
    return out


def _district_of(police: _Layer, streets: _Layer | None, districts: _Layer) -> np.ndarray:
    """Row of each police grid's district: through its street, else the most overlapping."""
    idx = np.full(len(police.ids), -1)
    dpos = {int(v): i for i, v in enumerate(districts.ids)}
    if streets is not None and "street_id" in police.frame:
        spos = {int(v): i for i, v in enumerate(streets.ids)}
        sdist = streets.frame["district_id"].to_numpy() if "district_id" in streets.frame \
            else [None] * len(streets.ids)
        for i, s in enumerate(police.frame["street_id"].to_numpy()):
            if s is not None and not pd.isna(s) and int(s) in spos:
                d = sdist[spos[int(s)]]
                idx[i] = dpos.get(int(d), -1) if d is not None and not pd.isna(d) else -1
    for lost in np.flatnonzero(idx < 0):
        g = police.geoms[lost]
        if g is not None:
            idx[lost] = int(np.argmax([0 if d is None else g.intersection(d).area
                                    for d in districts.geoms]))
    return idx
