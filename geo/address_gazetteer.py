"""An address library's rows as the geocoder's gazetteer: roads, door ranges, compounds, buildings.

Doors become door addresses on their road (and door ranges through the stored doors in number
order, per side, so numbers between them are interpolated); buildings are the mean of their
rows (unit rows fold into their building); a compound is its buildings' hull plus 20 m, its
address the text up to its name; a row naming neither door nor building is a named place. A
road takes the imported network's lines of the same name, else a line through its doors.
Grouping is plain dictionaries over row indexes: 200,000 rows take about a second.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.territory import Territory

Locate = Callable[[np.ndarray, np.ndarray], dict[str, np.ndarray]]
_CHAIN = ("street_id", "community_id", "grid_id", "micro_grid_id")
_M_DEG = 1.0 / 111_000.0  # a metre in degrees of latitude, near enough for a 20 m margin
_REFS = ("road_id", "door_no", "compound_id", "building_id", "place_id")


def _frame(data: Any, geoms: list[Any]) -> gpd.GeoDataFrame:
    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    return gpd.GeoDataFrame(frame.reset_index(drop=True), geometry=geoms,
                            crs=4326).rename_geometry("geom")


def _opt(v: object) -> object:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else v


def _points(xy: list[tuple[float, float]]) -> list[Any]:
    pts: Any = shapely.points(np.array(xy, dtype=float).reshape(-1, 2))
    return list(pts)


def _mean(values: np.ndarray, idx: list[int]) -> float:
    return sum(float(values[i]) for i in idx) / len(idx)  # a few rows: faster than numpy


class _Addresses:
    """The flat address list, filled level by level in blocks; located in one vectorised pass."""

    def __init__(self) -> None:
        self.rows: list[dict[str, object]] = []
        self.xy: list[tuple[float, float]] = []
        self.blocks: list[tuple[pd.DataFrame, np.ndarray]] = []

    def add(self, level: str, text: str, lon: float, lat: float, **refs: object) -> None:
        self.rows.append({"full_address": text, "level": level, **refs})
        self.xy.append((lon, lat))

    def add_block(self, level: str, texts: list[str], lon: np.ndarray, lat: np.ndarray,
                  **refs: np.ndarray) -> None:
        """Many addresses of one level at once (``refs``: equal-length id arrays)."""
        self._flush()
        data = pd.DataFrame({"full_address": texts, "level": level,
                             **{k: pd.array(v, dtype="Int64") for k, v in refs.items()}})
        self.blocks.append((data, np.column_stack([lon, lat]).astype(float).reshape(-1, 2)))

    def _flush(self) -> None:
        if self.rows:
            data = pd.DataFrame(self.rows, columns=["full_address", "level", *_REFS])
            for k in _REFS:  # None, or an int that a dict-built column may have made float
                data[k] = pd.array([_opt(v) for v in data[k].tolist()], dtype="Int64")  # type: ignore[call-overload]
            self.blocks.append((data, np.array(self.xy, dtype=float).reshape(-1, 2)))
            self.rows, self.xy = [], []

    def frame(self, locate: Locate, first_id: int) -> gpd.GeoDataFrame:
        self._flush()
        if self.blocks:
            data = pd.concat([d for d, _ in self.blocks], ignore_index=True)
            xy = np.vstack([x for _, x in self.blocks])
        else:
            data, xy = pd.DataFrame(columns=["full_address", "level"]), np.empty((0, 2))
        for k in _REFS:
            data[k] = data[k].astype("Int64") if k in data else pd.array(
                [None] * len(data), dtype="Int64")
        data = data[["full_address", "level", *_REFS]]
        chain = locate(xy[:, 0], xy[:, 1]) if len(xy) else {k: np.array([]) for k in _CHAIN}
        for k in _CHAIN:
            ids = np.asarray(chain[k], dtype=np.int64)
            data[k] = pd.arrays.IntegerArray(ids, ids <= 0)  # 0: outside or no such level
        data.insert(0, "id", np.arange(first_id, first_id + len(data)))
        pts: Any = shapely.points(xy) if len(xy) else []
        return _frame(data, list(pts))


def build_gazetteer(rows: pd.DataFrame, *, locate: Locate,
                    network: dict[str, shapely.MultiLineString], first_address_id: int = 1,
                    first_place_id: int = 1) -> Territory:
    """Gazetteer frames (``addr_roads`` … ``addresses``) for ``read_library``'s rows."""
    lon, lat = rows.lon.to_numpy(float), rows.lat.to_numpy(float)
    streets = locate(lon, lat)["street_id"]
    def column(name: str) -> list[Any]:
        if name not in rows:
            return [None] * len(rows)
        return [None if v is None or v != v else v for v in rows[name].tolist()]  # NaN != NaN

    road, door, comp = column("road"), column("door"), column("compound")
    bldg, unit, place = column("building"), column("unit"), column("place")
    stem = rows.stem.tolist()
    out = _Addresses()

    # roads and their doors
    by_road: dict[str, list[int]] = {}
    doors: dict[tuple[str, int], list[int]] = {}
    for i, (r, d) in enumerate(zip(road, door, strict=True)):
        if r is not None:
            by_road.setdefault(str(r), []).append(i)
            if d is not None:
                doors.setdefault((str(r), int(d)), []).append(i)
    road_names = sorted(by_road)
    road_id = {n: k + 1 for k, n in enumerate(road_names)}
    road_geoms, road_streets = [], []
    for name in road_names:
        line = network.get(name)
        if line is None:  # no network line of that name: a line through its doors in order
            mine = sorted((d, i) for (n, d), idx in doors.items() if n == name for i in idx[:1])
            idx = [i for _, i in mine] or by_road[name][:1]
            xy = np.column_stack([lon[idx], lat[idx]])
            if len(np.unique(xy, axis=0)) < 2:
                xy = np.vstack([xy[0], xy[0] + _M_DEG])
            line = shapely.MultiLineString([xy])
        road_geoms.append(line)
        found = Counter(int(streets[i]) for i in by_road[name] if streets[i] > 0)
        road_streets.append(found.most_common(1)[0][0] if found else None)
        pt = shapely.line_interpolate_point(line, shapely.line_locate_point(line, line.centroid))
        out.add("road", name, pt.x, pt.y, road_id=road_id[name])
    addr_roads = _frame({"id": list(range(1, len(road_names) + 1)), "name": road_names,
                         "aliases": [[] for _ in road_names], "street_id": road_streets,
                         "source": ["library"] * len(road_names)}, road_geoms)
    ranges: list[dict[str, object]] = []
    range_geoms: list[Any] = []
    sides: dict[tuple[str, int], list[tuple[int, float, float]]] = {}
    for (name, d), idx in sorted(doors.items()):
        x, y = _mean(lon, idx), _mean(lat, idx)
        out.add("door", str(stem[idx[0]]), x, y, road_id=road_id[name], door_no=d)
        sides.setdefault((name, d % 2), []).append((d, x, y))
    for (name, odd), pts in sorted(sides.items()):
        xy = np.array([(x, y) for _, x, y in pts])
        if len(pts) < 2 or len(np.unique(xy, axis=0)) < 2:
            continue
        ranges.append({"id": len(ranges) + 1, "road_id": road_id[name], "first_no": pts[0][0],
                       "last_no": pts[-1][0], "parity": "odd" if odd else "even"})
        range_geoms.append(shapely.LineString(xy))

    # compounds and their buildings, grouped column-wise (most of a library's rows)
    in_comp = np.array([c is not None for c in comp], dtype=bool)
    sub = pd.DataFrame({"i": np.flatnonzero(in_comp),
                        "name": [str(c) for c in comp if c is not None]})
    comp_names = sorted(set(sub.name))
    cid_of = {n: k for k, n in enumerate(comp_names, start=1)}
    sub["cid"] = sub.name.map(cid_of).astype(np.int64)
    sub["lon"], sub["lat"] = lon[sub.i], lat[sub.i]
    n_comp = len(comp_names)
    hulls: Any
    if n_comp:
        by_cid = sub.sort_values("cid", kind="stable")
        hulls = shapely.buffer(shapely.convex_hull(shapely.multipoints(
            by_cid[["lon", "lat"]].to_numpy(), indices=by_cid.cid.to_numpy() - 1)),
            20 * _M_DEG)
    else:
        hulls = np.array([], dtype=object)
    sub_i = sub.i.tolist()
    first_row = sub.groupby("cid").i.min()  # rows are in file order: the first row of each
    gates = sub[[road[i] is not None and door[i] is not None for i in sub_i]].groupby("cid").i.min()
    gate_road = [road_id[str(road[int(gates[c])])] if c in gates.index else None
                 for c in range(1, n_comp + 1)]
    gate_door = [int(door[int(gates[c])]) if c in gates.index else None
                 for c in range(1, n_comp + 1)]
    compounds = _frame(pd.DataFrame({
        "id": np.arange(1, n_comp + 1), "name": comp_names, "aliases": [[] for _ in comp_names],
        "road_id": pd.array(gate_road, dtype="Int64"),
        "door_no": pd.array(gate_door, dtype="Int64")}), [shapely.MultiPolygon([h]) for h in hulls])
    cents = shapely.centroid(hulls) if n_comp else np.array([], dtype=object)
    cx, cy = np.asarray(shapely.get_x(cents), float), np.asarray(shapely.get_y(cents), float)
    community = np.asarray(locate(cx, cy)["community_id"] if n_comp else [], dtype=np.int64)
    compounds["community_id"] = pd.arrays.IntegerArray(community, community <= 0)
    out.add_block("compound", [str(stem[int(first_row[c])]) for c in range(1, n_comp + 1)],
                  cx, cy, compound_id=np.arange(1, n_comp + 1))
    sub["number"] = [bldg[i] for i in sub_i]
    sub["unit"] = pd.array([unit[i] for i in sub_i], dtype="Int64")
    sub = sub[sub.number.notna()].copy()
    sub["number"] = sub.number.astype(np.int64)
    per = sub.groupby(["cid", "number"], sort=True).agg(
        lon=("lon", "mean"), lat=("lat", "mean"), units=("unit", "max"), first=("i", "min"))
    bid = np.arange(1, len(per) + 1)
    bcid = per.index.get_level_values("cid").to_numpy(np.int64)
    bnum = per.index.get_level_values("number").to_numpy(np.int64)
    buildings = _frame(pd.DataFrame({
        "id": bid, "compound_id": bcid, "number": bnum,
        "units": per.units.fillna(1).astype(np.int64).to_numpy()}),
        _points(list(zip(per.lon, per.lat, strict=True))))
    out.add_block("building", [f"{stem[int(i)]}{n}栋" for i, n in zip(per["first"], bnum,
                                                                     strict=True)],
                  per.lon.to_numpy(), per.lat.to_numpy(), compound_id=bcid, building_id=bid)

    # named places
    place_rows: list[dict[str, object]] = []
    p_geoms: list[Any] = []
    seen: set[str] = set()
    for i, p in enumerate(place):
        if p is None or p in seen:
            continue
        seen.add(str(p))
        pid = first_place_id + len(place_rows)
        place_rows.append({"id": pid, "name": p, "kind": "place", "aliases": [],
                           "address": rows.address.iat[i]})
        p_geoms.append(shapely.Point(lon[i], lat[i]))
        out.add("place", str(stem[i]), float(lon[i]), float(lat[i]), place_id=pid)
    places = _frame(pd.DataFrame(place_rows, columns=["id", "name", "kind", "aliases",
                                                      "address"]).to_dict("list"), p_geoms)
    return Territory(frames={
        "addr_roads": addr_roads,
        "door_ranges": _frame(pd.DataFrame(ranges, columns=[
            "id", "road_id", "first_no", "last_no", "parity"]).to_dict("list"), range_geoms),
        "compounds": compounds,
        "buildings": buildings,
        "places": places, "addresses": out.frame(locate, first_address_id)},
        name="address-library")
