"""The standard address list and estate frames, every point located in the grid hierarchy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from demo.territory.estate import Estate
from demo.territory.facilities import Facility
from demo.territory.frames import facility_frame, frame
from demo.territory.gazetteer import Gazetteer
from demo.territory.geometry import to_wgs84
from geo import schema
from geo.locate import TABLES, Locator
from geo.territory import Territory


@dataclass
class Chains:
    """The areas drawn so far, located by the product's own :class:`geo.locate.Locator`."""

    locator: Locator

    @classmethod
    def from_frames(cls, frames: dict[str, gpd.GeoDataFrame]) -> Chains:
        areas = {t: frames[t] for t in TABLES.values() if t in frames}
        return cls(Locator.from_territory(Territory(frames=areas)))

    def locate(self, metric_pts: np.ndarray) -> dict[str, np.ndarray]:
        """Ids per point (0 where a point is outside every micro-grid), the chain following
        the micro-grid's parents; a point on a shared border takes the lowest id."""
        pts = to_wgs84(metric_pts)
        ids = self.locator.chain_ids(shapely.get_x(pts), shapely.get_y(pts))
        return {f"{lv}_id": ids[lv] for lv in ("micro_grid", "grid", "community", "street")}


def _ids(a: np.ndarray) -> list[int | None]:
    return [int(x) if x > 0 else None for x in a]


def estate_frames(*, gz: Gazetteer, estate: Estate, facilities: list[Facility],
                  frames: dict[str, gpd.GeoDataFrame], district: str
                  ) -> dict[str, gpd.GeoDataFrame]:
    """Facilities, compounds, buildings, places and addresses, with their address texts."""
    loc = Chains.from_frames(frames)
    street_names = frames["streets"]["name"].tolist()

    def prefix(street: np.ndarray) -> list[str]:
        return [district + (street_names[s - 1] if s > 0 else "") for s in street]

    def door_text(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
        road, num = gz.door_at(pts)
        pre = prefix(loc.locate(pts)["street_id"])
        return road, num, [f"{p}{gz.names[r]}{n}号" for p, r, n in zip(pre, road, num,
                                                                        strict=True)]

    # facilities, and one place per facility
    f_pts = np.asarray([f.geom for f in facilities], dtype=object)
    f_loc = loc.locate(f_pts)
    _, _, f_addr = door_text(f_pts)
    out = {"facilities": facility_frame(facilities, {k: _ids(v) for k, v in f_loc.items()},
                                        f_addr)}

    # compounds with their gate on the nearest road
    comps = estate.compounds
    c_geom = np.asarray([c.geom for c in comps], dtype=object)
    _, edge = shapely.STRtree(gz.edge_geom).query_nearest(c_geom, all_matches=False)
    gates = shapely.get_point(shapely.shortest_line(c_geom, gz.edge_geom[edge]), 0)
    g_road, g_num, g_text = door_text(gates)
    c_rep = shapely.point_on_surface(c_geom)
    c_loc = loc.locate(c_rep)
    out["compounds"] = frame(schema.compounds, {
        "name": [c.name for c in comps], "aliases": [[] for _ in comps],
        "road_id": (g_road + 1).tolist(), "door_no": g_num.tolist(),
        "community_id": _ids(c_loc["community_id"])}, list(c_geom))
    b_rows: dict[str, list[Any]] = {"compound_id": [], "number": [], "units": [], "floors": []}
    b_geom = []
    for ci, c in enumerate(comps):
        for n, (pt, units, floors) in enumerate(c.buildings, start=1):
            for k, v in (("compound_id", ci + 1), ("number", n), ("units", units),
                         ("floors", floors)):
                b_rows[k].append(v)
            b_geom.append(pt)
    out["buildings"] = frame(schema.buildings, b_rows, b_geom)

    places = list(estate.places)
    p_geom = np.asarray([p.geom for p in places] + list(f_pts), dtype=object)
    p_road, p_num, p_addr = door_text(p_geom)
    out["places"] = frame(schema.places, {
        "name": [p.name for p in places] + [f.name for f in facilities],
        "kind": [p.kind for p in places] + [f.kind for f in facilities],
        "aliases": [[] for _ in p_geom], "address": p_addr,
        "facility_id": [None] * len(places) + list(range(1, len(facilities) + 1))},
        list(p_geom))

    # the flat standard address list
    rows: dict[str, list[object]] = {k: [] for k in (
        "full_address", "level", "road_id", "door_no", "compound_id", "building_id",
        "place_id")}
    geoms: list[object] = []

    def emit(pts: np.ndarray, level: str, texts: list[str], **cols: list[object]) -> None:
        geoms.extend(pts)
        rows["full_address"].extend(texts)
        rows["level"].extend([level] * len(pts))
        for k in ("road_id", "door_no", "compound_id", "building_id", "place_id"):
            rows[k].extend(cols.get(k, [None] * len(pts)))

    r_pts = np.asarray([shapely.line_interpolate_point(
        max(shapely.get_parts(g), key=lambda p: p.length), 0.5, normalized=True)
        for g in gz.geoms], dtype=object)
    emit(r_pts, "road", [f"{p}{n}" for p, n in zip(prefix(loc.locate(r_pts)["street_id"]),
                                                   gz.names, strict=True)],
         road_id=list(range(1, len(gz.names) + 1)))
    d_road, d_num, d_pts = gz.door_points()
    seen = set(zip(g_road.tolist(), g_num.tolist(), strict=True))
    keep = np.array([(r, n) not in seen for r, n in zip(d_road.tolist(), d_num.tolist(),
                                                        strict=True)], dtype=bool)
    d_road, d_num, d_pts = d_road[keep], d_num[keep], d_pts[keep]
    d_pre = prefix(loc.locate(d_pts)["street_id"])
    emit(d_pts, "door", [f"{p}{gz.names[r]}{n}号" for p, r, n in zip(d_pre, d_road, d_num,
                                                                      strict=True)],
         road_id=(d_road + 1).tolist(), door_no=d_num.tolist())
    _, first = np.unique(np.column_stack([g_road, g_num]), axis=0, return_index=True)
    first.sort()
    emit(gates[first], "door", [g_text[i] for i in first],
         road_id=(g_road[first] + 1).tolist(), door_no=g_num[first].tolist())
    c_pre = prefix(c_loc["street_id"])
    emit(c_rep, "compound", [f"{p}{c.name}" for p, c in zip(c_pre, comps, strict=True)],
         compound_id=list(range(1, len(comps) + 1)), road_id=(g_road + 1).tolist(),
         door_no=g_num.tolist())
    b_pts = np.asarray(b_geom, dtype=object)
    b_pre = prefix(loc.locate(b_pts)["street_id"])
    b_comp = [int(str(x)) for x in b_rows["compound_id"]]
    emit(b_pts, "building", [f"{p}{comps[c - 1].name}{n}号楼" for p, c, n in zip(
        b_pre, b_comp, b_rows["number"], strict=True)],
        compound_id=list(b_comp), building_id=list(range(1, len(b_pts) + 1)))
    pl_pre = prefix(loc.locate(p_geom)["street_id"])
    emit(p_geom, "place", [f"{p}{n}" for p, n in zip(pl_pre, out["places"]["name"],
                                                     strict=True)],
         place_id=list(range(1, len(p_geom) + 1)), road_id=(p_road + 1).tolist(),
         door_no=p_num.tolist())

    a_pts = np.asarray(geoms, dtype=object)
    a_loc = loc.locate(a_pts)
    inside = a_loc["micro_grid_id"] > 0
    sel = np.flatnonzero(inside)
    addr_rows: dict[str, list[Any]] = {k: [v[i] for i in sel] for k, v in rows.items()}
    for col, ids in a_loc.items():
        addr_rows[col] = _ids(ids[sel])
    out["addresses"] = frame(schema.addresses, addr_rows, list(a_pts[sel]))
    return out
