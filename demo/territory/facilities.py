"""Governance centres, mediation rooms and studios, police and court points, placed in their areas."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import Point

from demo.territory.estate import Estate
from demo.territory.geometry import random_point_in
from demo.territory.hierarchy import Area, Hierarchy
from demo.territory.names import STUDIO_BRANDS, AdminNames

PREFIX = {"governance_centre": "ZZ", "mediation_room": "TJS", "mediation_studio": "GZS",
          "police_station": "PCS", "police_office": "JWS", "judge_workstation": "FGS",
          "circuit_court": "XHS", "legal_aid": "FYZ"}


@dataclass
class Facility:
    code: str
    name: str
    kind: str
    level: str | None
    geom: Point
    phone: str


def _spot(area: Area, rng: np.random.Generator, reserved: set[int], *,
          near: tuple[float, float] | None = None) -> Point:
    """A point inside the area, on a piece not holding a place, preferring one near ``near``."""
    pieces = [p.geom for p in area.pieces if id(p.geom) not in reserved]
    pieces = pieces or [p.geom for p in area.pieces]
    if near is not None:
        d = [g.distance(Point(near)) for g in pieces]
        target = pieces[int(np.argmin(d))]
    else:
        w = np.array([g.area for g in pieces])
        target = pieces[int(rng.choice(len(pieces), p=w / w.sum()))]
    return random_point_in(target, rng, inset=20)


def _nudge(pt: Point, area: Area, rng: np.random.Generator) -> Point:
    """A second door of the same building: a few metres away, still inside the area."""
    for _ in range(20):
        q = Point(pt.x + rng.uniform(-12, 12), pt.y + rng.uniform(-12, 12))
        if area.geom.contains(q):
            return q
    return pt


def build_facilities(h: Hierarchy, estate: Estate, *, admin: AdminNames,
                     centre: tuple[float, float], rng: np.random.Generator) -> list[Facility]:
    """Every facility kind at its level, each standing inside the area it serves."""
    reserved = {id(h.grids[g].pieces[k].geom) for g, k in estate.reserved}
    out: list[Facility] = []
    seq: dict[str, int] = {}

    def add(kind: str, level: str | None, name: str, area_code: str, pt: Point) -> None:
        key = PREFIX[kind] + area_code
        seq[key] = seq.get(key, 0) + 1
        phone = f"0990-6{int(rng.integers(0, 1_000_000)):06d}"
        out.append(Facility(f"{key}{seq[key]:02d}", name, kind, level, pt, phone))

    d = h.district
    city_pt = _spot(d, rng, reserved, near=centre)
    add("governance_centre", "city", f"{admin.city}综治中心", admin.city_code, city_pt)
    add("governance_centre", "district", f"{admin.district}矛盾纠纷调处化解中心", d.code,
        _nudge(_spot(d, rng, reserved, near=(centre[0] + 400, centre[1] - 300)), d, rng))
    add("legal_aid", "district", f"{admin.district}法律援助中心", d.code,
        _nudge(city_pt, d, rng))
    brands = list(STUDIO_BRANDS)
    rng.shuffle(brands)
    for s, street in enumerate(h.streets):
        short = street.name.removesuffix("街道")
        hub = _spot(street, rng, reserved)
        add("governance_centre", "street", f"{street.name}综治中心", street.code, hub)
        add("legal_aid", "street", f"{street.name}法律援助工作站", street.code,
            _nudge(hub, street, rng))
        add("police_station", "street", f"{short}派出所", street.code,
            _spot(street, rng, reserved))
        for j in range(1 + int(rng.random() < 0.5)):
            label = "" if j == 0 else "（二）"
            add("circuit_court", "street", f"{admin.district}人民法院{short}巡回审判点{label}",
                street.code, _spot(street, rng, reserved))
        comms = [c for c in h.communities if c.parent == s]
        for i, comm in enumerate(comms):
            pt = _spot(comm, rng, reserved)
            add("governance_centre", "community", f"{comm.name}综治中心", comm.code, pt)
            add("mediation_room", "community", f"{comm.name}人民调解室", comm.code,
                _nudge(pt, comm, rng))
            if i % 5 == int(rng.integers(0, 5)):
                add("judge_workstation", "community", f"{comm.name}法官工作室", comm.code,
                    _nudge(pt, comm, rng))
            if i % 4 == 0:
                brand = brands.pop() if brands else f"{comm.name[:2]}"
                add("mediation_studio", "community", f"{brand}调解工作室", comm.code,
                    _spot(comm, rng, reserved))
    for pg in h.police_grids:
        add("police_office", "community", pg.name.replace("警格", "警务室"),
            pg.code.removeprefix("JG"), _spot(pg, rng, reserved))
    return out


def facility_points(facilities: list[Facility]) -> np.ndarray:
    return np.asarray(shapely.points([(f.geom.x, f.geom.y) for f in facilities]), dtype=object)
