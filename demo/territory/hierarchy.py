"""The area hierarchy in metres: streets, communities, grids, micro-grids and police grids."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from shapely.geometry import MultiPolygon

from demo.territory.blocks import Blocks
from demo.territory.geometry import Piece, partition, to_multi, union
from demo.territory.names import AdminNames
from demo.territory.regions import grow_regions, kmeans_seeds, nearest_seeds, reading_order


@dataclass
class Area:
    """One area feature before projection; ``parent`` indexes the parent layer's list."""

    code: str
    name: str
    parent: int
    pieces: list[Piece]
    households: int | None = None
    extra: dict[str, object] = field(default_factory=dict)
    geom: MultiPolygon = field(default_factory=MultiPolygon)

    def finish(self) -> None:
        self.geom = to_multi(union([p.geom for p in self.pieces]))


@dataclass
class Hierarchy:
    district: Area
    streets: list[Area]
    communities: list[Area]
    grids: list[Area]
    micro_grids: list[Area]
    police_grids: list[Area]


def _largest_remainder(weights: np.ndarray, total: int, minimum: int) -> np.ndarray:
    """Integers proportional to ``weights`` summing to ``total``, each at least ``minimum``."""
    base = np.full(len(weights), minimum)
    share = weights / weights.sum() * (total - base.sum())
    extra = np.floor(share).astype(int)
    rest = total - base.sum() - extra.sum()
    extra[np.argsort(-(share - extra), kind="stable")[:rest]] += 1
    return np.asarray(base + extra)


def _split_households(total: int, k: int, rng: np.random.Generator) -> list[int]:
    """``total`` households into ``k`` micro-grids of 50-100 each, a little uneven."""
    parts = np.full(k, total // k)
    parts[: total % k] += 1
    for _ in range(k):
        i, j = rng.integers(0, k, 2)
        move = int(rng.integers(0, 9))
        if i != j and parts[i] - move >= 50 and parts[j] + move <= 100:
            parts[i] -= move
            parts[j] += move
    return [int(x) for x in parts]


def _streets(blocks: Blocks, names: list[str], seeds_xy: np.ndarray,
             quotas: np.ndarray) -> np.ndarray:
    """Street label per block: superblocks grown from seeds, so street borders are arterials."""
    units = np.unique(blocks.superblock)
    index = {int(u): i for i, u in enumerate(units)}
    unit_of = np.array([index[int(s)] for s in blocks.superblock])
    w = blocks.weights
    uw = np.bincount(unit_of, weights=w, minlength=len(units))
    uxy = np.column_stack([np.bincount(unit_of, weights=w * blocks.centroids[:, d],
                                       minlength=len(units)) / uw for d in (0, 1)])
    nb: list[set[int]] = [set() for _ in units]
    for b, ns in enumerate(blocks.neighbours):
        for n in ns:
            if unit_of[n] != unit_of[b]:
                nb[unit_of[b]].add(int(unit_of[n]))
    seeds = nearest_seeds(uxy, seeds_xy)
    lab = grow_regions(neighbours=nb, weights=uw, centroids=uxy, seeds=seeds, quotas=quotas)
    return np.asarray(lab[unit_of])


def build_hierarchy(blocks: Blocks, *, admin: AdminNames, street_names: list[str],
                    street_seeds: np.ndarray, street_codes: list[int], target_grids: int,
                    rng: np.random.Generator) -> Hierarchy:
    """Group blocks into streets and communities, then cut grids and micro-grids."""
    streets_of = [admin.street(n) for n in street_names]
    quotas = np.array([len(s.communities) for s in streets_of], dtype=float)
    street_lab = _streets(blocks, street_names, street_seeds, quotas)
    w = blocks.weights
    all_pieces = [Piece(g, float(d)) for g, d in zip(blocks.geoms, blocks.density, strict=True)]
    district = Area(admin.district_code, admin.district, -1, all_pieces)
    streets: list[Area] = []
    communities: list[Area] = []
    for si, sn in enumerate(streets_of):
        code = f"{admin.district_code}{street_codes[si]:03d}"
        mine = np.flatnonzero(street_lab == si)
        streets.append(Area(code, sn.name, 0, [all_pieces[i] for i in mine]))
        local = {int(b): i for i, b in enumerate(mine)}
        nb = [{local[n] for n in blocks.neighbours[b] if n in local} for b in mine]
        k = min(len(sn.communities), len(mine))
        seeds = kmeans_seeds(blocks.centroids[mine], w[mine], k, rng)
        lab = grow_regions(neighbours=nb, weights=w[mine], centroids=blocks.centroids[mine],
                           seeds=seeds, quotas=np.ones(k))
        cxy = np.array([np.average(blocks.centroids[mine][lab == r], axis=0,
                                   weights=w[mine][lab == r]) for r in range(k)])
        for ci, r in enumerate(reading_order(cxy, rows=max(1, round(math.sqrt(k))))):
            members = [all_pieces[mine[j]] for j in np.flatnonzero(lab == r)]
            communities.append(Area(f"{code}{ci + 1:03d}", sn.communities[ci], si, members))
    cw = np.array([sum(p.weight for p in c.pieces) for c in communities])
    n_grids = _largest_remainder(cw, target_grids, 2)

    grids: list[Area] = []
    micro: list[Area] = []
    police: list[Area] = []
    police_seq = [0] * len(streets)
    for ci, (comm, n) in enumerate(zip(communities, n_grids, strict=True)):
        street = streets[comm.parent]
        # police grids first (whole community, or 3-8 grids each), then grids inside each
        size = int(rng.integers(4, 7))
        m = 1 if (n <= 8 and rng.random() < 0.35) else math.ceil(n / size)
        sizes = [len(c) for c in np.array_split(np.arange(n), m)]
        first = len(grids)
        for j, (pgroup, pn) in enumerate(zip(partition(comm.pieces, m), sizes, strict=True)):
            police_seq[comm.parent] += 1
            police.append(Area(f"JG{street.code}{police_seq[comm.parent]:03d}",
                               f"{comm.name}警格{j + 1}", comm.parent, pgroup,
                               extra={"community": ci,
                                      "station": f"{streets_of[comm.parent].short}派出所"}))
            for group in partition(pgroup, pn):
                gi = len(grids) - first + 1
                hh = int(rng.integers(320, 481))
                grid = Area(f"{comm.code}{gi:03d}", f"{comm.name}第{gi}网格", ci, group, hh,
                            {"kind": "general", "police_grid": len(police) - 1})
                grids.append(grid)
                k = round(hh / 75)
                parts = zip(partition(group, k), _split_households(hh, k, rng), strict=True)
                for mi, (mg, mh) in enumerate(parts):
                    micro.append(Area(f"{grid.code}{mi + 1:02d}",
                                      f"{comm.name}第{gi}网格-{mi + 1}微网格",
                                      len(grids) - 1, mg, mh))
        comm.households = sum(g.households or 0 for g in grids[first:])
    for a in [district, *streets, *communities, *grids, *micro, *police]:
        a.finish()
    return Hierarchy(district, streets, communities, grids, micro, police)
