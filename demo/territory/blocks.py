"""Blocks between roads: sliver merging, adjacency, superblock membership, household density."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import Polygon

from demo.territory.geometry import polygons_of, union


@dataclass
class Blocks:
    """Final blocks (metric polygons) with their neighbours, superblock and relative density."""

    geoms: list[Polygon]
    neighbours: list[set[int]]
    superblock: np.ndarray
    density: np.ndarray
    centroids: np.ndarray

    @property
    def weights(self) -> np.ndarray:
        return np.array([g.area for g in self.geoms]) * self.density


def adjacency(geoms: list[Polygon], *, min_shared: float = 1.0) -> dict[tuple[int, int], float]:
    """Pairs (i < j) of polygons sharing more than ``min_shared`` metres of border, with length."""
    arr = np.asarray(geoms, dtype=object)
    i, j = shapely.STRtree(arr).query(arr, predicate="intersects")
    m = i < j
    i, j = i[m], j[m]
    bnd = shapely.boundary(arr)
    shared = shapely.length(shapely.intersection(bnd[i], bnd[j]))
    return {(int(a), int(b)): float(s) for a, b, s in zip(i, j, shared, strict=True)
            if s > min_shared}


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def merge_slivers(blocks: list[Polygon], *, min_area: float = 8000.0,
                  min_compact: float = 0.25) -> list[Polygon]:
    """Merge tiny or thin blocks into the neighbour they share most border with."""
    adj = adjacency(blocks)
    nb: list[dict[int, float]] = [{} for _ in blocks]
    for (a, b), s in adj.items():
        nb[a][b] = s
        nb[b][a] = s
    area = np.array([g.area for g in blocks])
    perim = np.array([g.length for g in blocks])
    compact = 4 * np.pi * area / perim**2
    parent = list(range(len(blocks)))
    group_area = area.copy()
    members: dict[int, list[int]] = {k: [k] for k in range(len(blocks))}
    small = (area < min_area) | ((compact < min_compact) & (area < 3 * min_area))
    for i in np.argsort(area, kind="stable"):
        if not small[i]:
            continue
        ri = _find(parent, int(i))
        if group_area[ri] >= min_area and compact[i] >= min_compact:
            continue
        # the neighbouring group sharing the most border with this block's group
        shared: dict[int, float] = {}
        for k in members[ri]:
            for n, s in nb[k].items():
                rn = _find(parent, n)
                if rn != ri:
                    shared[rn] = shared.get(rn, 0.0) + s
        if not shared:
            continue
        rn = max(sorted(shared), key=lambda r: shared[r])
        parent[ri] = rn
        group_area[rn] += group_area[ri]
        members[rn].extend(members.pop(ri))
    out: list[Polygon] = []
    for root in sorted(members):
        out.extend(polygons_of(union([blocks[k] for k in members[root]])))
    return out


def build_blocks(raw: list[Polygon], superblocks: list[Polygon], *, centre: tuple[float, float],
                 radius: float, rng: np.random.Generator) -> Blocks:
    """Merge slivers, then record neighbours, the containing superblock and a density per block."""
    geoms = merge_slivers(raw)
    neighbours: list[set[int]] = [set() for _ in geoms]
    for a, b in adjacency(geoms):
        neighbours[a].add(b)
        neighbours[b].add(a)
    reps = shapely.point_on_surface(np.asarray(geoms, dtype=object))
    sb_tree = shapely.STRtree(np.asarray(superblocks, dtype=object))
    # the superblock holding most of the block (merged blocks may straddle two)
    superblock = np.zeros(len(geoms), dtype=int)
    bi, si = sb_tree.query(np.asarray(geoms, dtype=object), predicate="intersects")
    best = np.zeros(len(geoms))
    inter = shapely.area(shapely.intersection(np.asarray(geoms, dtype=object)[bi],
                                              np.asarray(superblocks, dtype=object)[si]))
    for b, s, a in zip(bi, si, inter, strict=True):
        if a > best[b]:
            best[b], superblock[b] = a, s
    cent = shapely.get_coordinates(reps)
    r = np.hypot(cent[:, 0] - centre[0], cent[:, 1] - centre[1])
    density = (0.12 + np.exp(-((r / radius) ** 2))) * rng.lognormal(0.0, 0.25, len(geoms))
    return Blocks(geoms=geoms, neighbours=neighbours, superblock=superblock, density=density,
                  centroids=cent)
