"""What stands on the blocks: residential compounds with buildings, and named places."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon

from demo.territory.geometry import bisect, polygons_of, to_multi
from demo.territory.hierarchy import Hierarchy
from demo.territory.names import (
    HOSPITAL_NAMES,
    MARKET_STEMS,
    PARK_NAMES,
    SCHOOL_NAMES,
    SUPERMARKET_BRANDS,
    compound_names,
)


@dataclass
class Compound:
    name: str
    grid: int
    geom: MultiPolygon
    buildings: list[tuple[Point, int, int]] = field(default_factory=list)  # point, units, floors


@dataclass
class Place:
    name: str
    kind: str
    geom: Point
    facility: int | None = None  # index into the facility list


@dataclass
class Estate:
    compounds: list[Compound]
    places: list[Place]
    reserved: set[tuple[int, int]]  # (grid, piece) pairs holding a place, not housing


def _pick_pieces(h: Hierarchy, rng: np.random.Generator, *, street: int, count: int,
                 taken: set[tuple[int, int]], single: bool) -> list[tuple[int, int]]:
    """Up to ``count`` (grid, piece) slots of fair size in one street, lone-piece grids first."""
    slots = []
    for g, grid in enumerate(h.grids):
        if h.communities[grid.parent].parent != street:
            continue
        for k, p in enumerate(grid.pieces):
            if 15_000 < p.geom.area < 150_000 and (g, k) not in taken:
                alone = len(grid.pieces) == 1
                if alone or not single:
                    slots.append((g, k))
    if count <= 0:
        return []
    order = rng.permutation(len(slots))
    out: list[tuple[int, int]] = []
    used_grids = {g for g, _ in taken}
    for i in order:
        g, k = slots[int(i)]
        if g not in used_grids:
            out.append((g, k))
            used_grids.add(g)
        if len(out) == count:
            break
    return out


def _buildings(poly: MultiPolygon, centre: np.ndarray, radius: float,
               rng: np.random.Generator) -> list[tuple[Point, int, int]]:
    """Rows of slab buildings ~45 x 35 m apart inside the compound, taller near the centre."""
    x0, y0, x1, y1 = poly.bounds
    xs = np.arange(x0 + rng.uniform(10, 30), x1, rng.uniform(40, 55))
    ys = np.arange(y0 + rng.uniform(10, 25), y1, rng.uniform(30, 42))
    gx, gy = np.meshgrid(xs, ys)
    gx, gy = gx.ravel(), gy.ravel()
    inner = poly.buffer(-6)
    ok = shapely.contains_xy(inner if not inner.is_empty else poly, gx, gy)
    gx, gy = gx[ok][:40], gy[ok][:40]
    if gx.size == 0:
        c = poly.point_on_surface()
        gx, gy = np.array([c.x]), np.array([c.y])
    order = np.lexsort((gx, -gy))  # numbered row by row from the north-west
    near = float(np.exp(-((np.hypot(gx.mean() - centre[0], gy.mean() - centre[1]) / radius) ** 2)))
    out = []
    for i in order:
        tall = rng.random() < 0.15 + 0.6 * near
        floors = int(rng.integers(11, 34)) if tall else int(rng.integers(5, 8))
        out.append((Point(gx[i], gy[i]), int(rng.integers(1, 7)), floors))
    return out


def build_estate(h: Hierarchy, *, centre: tuple[float, float], radius: float,
                 rng: np.random.Generator) -> Estate:
    """Reserve slots for schools, hospitals, markets and parks; fill the rest with compounds."""
    taken: set[tuple[int, int]] = set()
    places: list[Place] = []
    schools, hospitals, parks = list(SCHOOL_NAMES), list(HOSPITAL_NAMES), list(PARK_NAMES)
    for s, street in enumerate(h.streets):
        n_comm = sum(1 for c in h.communities if c.parent == s)
        plan = [("hospital", 1 if hospitals else 0), ("school", max(1, n_comm // 4)),
                ("market", 1 + n_comm // 8), ("park", 1 if parks else 0)]
        for kind, count in plan:
            # one special grid (专属网格) per street: a hospital, school or market campus
            special = kind == ("hospital", "school", "market")[s % 3]
            picks = _pick_pieces(h, rng, street=s, count=1 if special else count, taken=taken,
                                 single=special)
            if special:
                picks += _pick_pieces(h, rng, street=s, count=count - 1,
                                      taken=taken | set(picks), single=False)
            for g, k in picks:
                if kind == "hospital" and hospitals:
                    name = hospitals.pop(0)
                elif kind == "school" and schools:
                    name = schools.pop(0)
                elif kind == "park" and parks:
                    name = parks.pop(0)
                elif kind == "market":
                    name = f"{MARKET_STEMS[len(places) % len(MARKET_STEMS)]}农贸市场"
                    if any(p.name == name for p in places):
                        name = f"{street.name.removesuffix('街道')}{name}"
                else:
                    continue
                taken.add((g, k))
                places.append(Place(name, kind, h.grids[g].pieces[k].geom.point_on_surface()))
                if special and len(h.grids[g].pieces) == 1:
                    h.grids[g].extra["kind"] = "special"
                    h.grids[g].name = f"{name}专属网格"
                    special = False
    pieces: list[tuple[int, Polygon]] = []
    for g, grid in enumerate(h.grids):
        for k, p in enumerate(grid.pieces):
            if (g, k) in taken or p.geom.area < 6_000:
                continue
            halves = ([q for side in bisect(p.geom, 0.5) for q in side]
                      if p.geom.area > 60_000 else [p.geom])
            pieces.extend((g, q) for q in halves)
    names = compound_names(len(pieces), rng=rng)
    compounds: list[Compound] = []
    for (g, poly), name in zip(pieces, names, strict=False):
        inner = to_multi(poly.buffer(-12, join_style="mitre"))
        if inner.area < 1_500:
            continue
        compounds.append(Compound(name, g, inner,
                                  _buildings(inner, np.array(centre), radius, rng)))
    # supermarkets: ground-floor shops in a few compounds
    for i in rng.choice(len(compounds), size=min(len(compounds), 2 + len(compounds) // 25),
                        replace=False):
        c = compounds[int(i)]
        brand = SUPERMARKET_BRANDS[int(rng.integers(len(SUPERMARKET_BRANDS)))]
        places.append(Place(f"{brand}（{c.name}店）", "supermarket",
                            polygons_of(c.geom)[0].point_on_surface()))
    return Estate(compounds=compounds, places=places, reserved=taken)
