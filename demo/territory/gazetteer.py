"""Named roads and door numbers: odd on the left, even on the right, counted from the road's start."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString

from demo.territory.names import ARTERIAL_ALIASES
from demo.territory.roads import RoadNet


@dataclass
class DoorRange:
    road: int
    first_no: int
    last_no: int
    parity: str
    geom: LineString


@dataclass
class Gazetteer:
    """Addressable roads (index = id - 1) built from the road graph's named lines."""

    names: list[str]
    aliases: list[list[str]]
    geoms: list[MultiLineString]
    refs: np.ndarray  # LineString per road: the measuring line
    m0: np.ndarray  # measure of the road's first metre inside the district
    spacing: np.ndarray  # metres between consecutive door numbers on one side
    edge_road: np.ndarray  # road index per graph edge
    edge_geom: np.ndarray
    ranges: list[DoorRange]

    def numbers(self, road: np.ndarray, m: np.ndarray, left: np.ndarray) -> np.ndarray:
        """Door numbers at measures ``m`` along ``road``: odd when on the left."""
        idx = np.floor(np.maximum(m - self.m0[road], 0.0) / self.spacing[road]).astype(int)
        return np.where(left, 2 * idx + 1, 2 * idx + 2)

    def side_and_measure(self, road: np.ndarray, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Measure along each road's reference line and whether the point lies on its left."""
        refs = self.refs[road]
        m = shapely.line_locate_point(refs, pts)
        a = shapely.get_coordinates(shapely.line_interpolate_point(refs, m - 1.0))
        b = shapely.get_coordinates(shapely.line_interpolate_point(refs, m + 1.0))
        p = shapely.get_coordinates(pts)
        cross = (b[:, 0] - a[:, 0]) * (p[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (p[:, 0] - a[:, 0])
        return m, cross > 0

    def door_at(self, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The nearest road and the door number that numbering gives each point."""
        tree = shapely.STRtree(self.edge_geom)
        _, edge = tree.query_nearest(pts, return_distance=False, all_matches=False)
        road = self.edge_road[edge]
        m, left = self.side_and_measure(road, pts)
        return road, self.numbers(road, m, left)

    def door_points(self, *, every_m: float = 60.0, offset_m: float = 12.0
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Door positions about every ``every_m`` metres on both sides: (road, number, point)."""
        roads, nums, ms = [], [], []
        for rg in self.ranges:
            sp = self.spacing[rg.road]
            step = 2 * max(1, round(every_m / sp))
            for n in range(rg.first_no, rg.last_no + 1, step):
                idx = (n - 1) // 2
                m = self.m0[rg.road] + (idx + 0.5) * sp
                roads.append(rg.road)
                nums.append(n)
                ms.append(m)
        road, num, m = np.array(roads), np.array(nums), np.array(ms)
        _, keep = np.unique(np.column_stack([road, num]), axis=0, return_index=True)
        keep.sort()
        road, num, m = road[keep], num[keep], m[keep]
        refs = self.refs[road]
        a = shapely.get_coordinates(shapely.line_interpolate_point(refs, m - 1.0))
        b = shapely.get_coordinates(shapely.line_interpolate_point(refs, m + 1.0))
        t = b - a
        t /= np.maximum(np.hypot(t[:, 0], t[:, 1]), 1e-9)[:, None]
        left = np.where(num % 2 == 1, 1.0, -1.0)[:, None]
        centre = shapely.get_coordinates(shapely.line_interpolate_point(refs, m))
        xy = centre + left * offset_m * np.column_stack([-t[:, 1], t[:, 0]])
        return road, num, np.asarray(shapely.points(xy), dtype=object)


def build_gazetteer(net: RoadNet, *, rng: np.random.Generator) -> Gazetteer:
    """One addressable road per named line that kept an edge; door ranges per edge and side."""
    used = np.unique(net.seg_line)
    road_of_line = {int(ln): i for i, ln in enumerate(used)}
    edge_road = np.array([road_of_line[int(x)] for x in net.seg_line])
    lines = [net.lines[int(i)] for i in used]
    refs = np.asarray([ln.ref for ln in lines], dtype=object)
    starts = shapely.get_point(net.seg_geom, 0)
    ends = shapely.get_point(net.seg_geom, -1)
    ma = shapely.line_locate_point(refs[edge_road], starts)
    mb = shapely.line_locate_point(refs[edge_road], ends)
    lo, hi = np.minimum(ma, mb), np.maximum(ma, mb)
    m0 = np.full(len(used), np.inf)
    np.minimum.at(m0, edge_road, lo)
    spacing = rng.uniform(10, 20, len(used)).round(1)
    geoms = []
    for r in range(len(used)):
        parts = [g for g in net.seg_geom[edge_road == r]]
        merged = shapely.line_merge(shapely.multilinestrings(parts))
        geoms.append(merged if isinstance(merged, MultiLineString)
                     else MultiLineString([merged]))
    gz = Gazetteer(names=[ln.name for ln in lines],
                   aliases=[list(ARTERIAL_ALIASES.get(ln.name, [])) for ln in lines],
                   geoms=geoms, refs=refs, m0=m0, spacing=spacing, edge_road=edge_road,
                   edge_geom=net.seg_geom, ranges=[])
    for e, geom in enumerate(net.seg_geom):
        r = int(edge_road[e])
        oriented = geom if ma[e] <= mb[e] else shapely.reverse(geom)
        for parity, left in (("odd", True), ("even", False)):
            first, last = gz.numbers(np.array([r, r]), np.array([lo[e], hi[e]]),
                                     np.array([left, left]))
            gz.ranges.append(DoorRange(r, int(first), int(last), parity, oriented))
    return gz
