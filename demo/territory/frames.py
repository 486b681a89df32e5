"""Turn the metric model into the territory's frames: lon/lat geometries, schema columns, ids from 1."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod
from sqlalchemy import Integer, Table

from demo.territory.facilities import Facility
from demo.territory.gazetteer import Gazetteer
from demo.territory.geometry import to_wgs84
from demo.territory.hierarchy import Area, Hierarchy
from demo.territory.roads import SPEED_MPS, RoadNet
from geo import schema

_GEOD = Geod(ellps="WGS84")


def frame(table: Table, rows: Mapping[str, Sequence[Any]], geoms: Sequence[Any]
          ) -> gpd.GeoDataFrame:
    """A GeoDataFrame with exactly the table's columns; ``geoms`` are metric, projected here."""
    cols = [c.name for c in table.columns]
    n = len(geoms)
    data: dict[str, Any] = {c: list(rows[c]) if c in rows else [None] * n for c in cols if c != "geom"}
    if "id" in cols and "id" not in rows:
        data["id"] = list(range(1, n + 1))
    if "illustrative" in cols:
        data["illustrative"] = [True] * n
    wgs = to_wgs84(np.asarray(list(geoms), dtype=object)) if n else np.empty(0, dtype=object)
    for c in table.columns:  # nullable integer columns stay integers
        if c.name in data and isinstance(c.type, Integer):
            data[c.name] = pd.array(data[c.name], dtype="Int64")
    gdf = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(list(wgs), crs=4326), crs=4326)
    gdf = gdf.rename_geometry("geom")
    return gdf[cols]


def area_frames(h: Hierarchy) -> dict[str, gpd.GeoDataFrame]:
    def base(areas: list[Area]) -> dict[str, Sequence[Any]]:
        return {"code": [a.code for a in areas], "name": [a.name for a in areas]}

    def geoms(areas: list[Area]) -> list[object]:
        return [a.geom for a in areas]

    return {
        "districts": frame(schema.districts, base([h.district]), geoms([h.district])),
        "streets": frame(schema.streets, {**base(h.streets), "district_id": [1] * len(h.streets)},
                         geoms(h.streets)),
        "communities": frame(schema.communities, {
            **base(h.communities), "street_id": [c.parent + 1 for c in h.communities],
            "households": [c.households for c in h.communities]}, geoms(h.communities)),
        "police_grids": frame(schema.police_grids, {
            **base(h.police_grids), "street_id": [p.parent + 1 for p in h.police_grids],
            "community_id": [int(str(p.extra["community"])) + 1 for p in h.police_grids],
            "station": [p.extra["station"] for p in h.police_grids]}, geoms(h.police_grids)),
        "grids": frame(schema.grids, {
            **base(h.grids), "community_id": [g.parent + 1 for g in h.grids],
            "police_grid_id": [int(str(g.extra["police_grid"])) + 1 for g in h.grids],
            "kind": [g.extra["kind"] for g in h.grids],
            "households": [g.households for g in h.grids]}, geoms(h.grids)),
        "micro_grids": frame(schema.micro_grids, {
            **base(h.micro_grids), "grid_id": [m.parent + 1 for m in h.micro_grids],
            "households": [m.households for m in h.micro_grids]}, geoms(h.micro_grids)),
    }


def road_frames(net: RoadNet) -> dict[str, gpd.GeoDataFrame]:
    nodes = frame(schema.road_nodes, {}, list(np.asarray(shapely.points(net.nodes))))
    edges_wgs = to_wgs84(net.seg_geom)
    length = np.array([_GEOD.geometry_length(g) for g in edges_wgs])
    classes = [net.lines[int(i)].road_class for i in net.seg_line]
    speed = np.array([SPEED_MPS[c] for c in classes])
    cost = length / speed
    edges = frame(schema.road_edges, {
        "source": (net.source + 1).tolist(), "target": (net.target + 1).tolist(),
        "name": [net.lines[int(i)].name for i in net.seg_line], "road_class": classes,
        "length_m": length.round(2).tolist(), "speed_mps": speed.tolist(),
        "cost_s": cost.round(2).tolist(),
        "reverse_cost_s": np.where(net.oneway, -1.0, cost.round(2)).tolist(),
    }, list(net.seg_geom))
    return {"road_nodes": nodes, "road_edges": edges}


def majority_area(lines: Sequence[object], areas: list[Area]) -> list[int | None]:
    """Per line, the 1-based id of the area holding most of its length."""
    arr = np.asarray(list(lines), dtype=object)
    polys = np.asarray([a.geom for a in areas], dtype=object)
    li, ai = shapely.STRtree(polys).query(arr, predicate="intersects")
    inside = shapely.length(shapely.intersection(arr[li], polys[ai]))
    best: list[int | None] = [None] * len(arr)
    top = np.zeros(len(arr))
    for line, area, ln in zip(li, ai, inside, strict=True):
        if ln > top[line]:
            top[line], best[line] = ln, int(area) + 1
    return best


def gazetteer_frames(gz: Gazetteer, h: Hierarchy) -> dict[str, gpd.GeoDataFrame]:
    roads = frame(schema.addr_roads, {
        "name": gz.names, "aliases": gz.aliases,
        "street_id": majority_area(gz.geoms, h.streets)}, gz.geoms)
    doors = frame(schema.door_ranges, {
        "road_id": [r.road + 1 for r in gz.ranges], "first_no": [r.first_no for r in gz.ranges],
        "last_no": [r.last_no for r in gz.ranges], "parity": [r.parity for r in gz.ranges]},
        [r.geom for r in gz.ranges])
    return {"addr_roads": roads, "door_ranges": doors}


def facility_frame(facilities: list[Facility], located: dict[str, list[int | None]],
                   addresses: list[str]) -> gpd.GeoDataFrame:
    return frame(schema.facilities, {
        "code": [f.code for f in facilities], "name": [f.name for f in facilities],
        "kind": [f.kind for f in facilities], "level": [f.level for f in facilities],
        "district_id": [1] * len(facilities), "street_id": located["street_id"],
        "community_id": located["community_id"], "address": addresses,
        "phone": [f.phone for f in facilities]}, [f.geom for f in facilities])
