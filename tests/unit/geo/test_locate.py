"""Locating on a tiny hand-made territory: chain, shared edges, outside, batch."""

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.locate import Locator
from geo.territory import Territory


def _area(rows, **extra):
    geoms = [shapely.MultiPolygon([shapely.box(*b)]) for *_, b in rows]
    data = {"id": [r[0] for r in rows], "code": [r[1] for r in rows],
            "name": [r[2] for r in rows], **extra}
    return gpd.GeoDataFrame(data, geometry=geoms, crs=4326).rename_geometry("geom")


@pytest.fixture(scope="module")
def locator():
    d = (84.0, 45.0, 84.02, 45.01)
    t = Territory(frames={
        "districts": _area([(1, "D", "测试区", d)]),
        "streets": _area([(1, "S", "甲街道", d)], district_id=[1]),
        "communities": _area([(5, "C1", "西社区", (84.0, 45.0, 84.01, 45.01)),
                              (4, "C2", "东社区", (84.01, 45.0, 84.02, 45.01))],
                             street_id=[1, 1]),
        "grids": _area([(7, "G1", "西网格", (84.0, 45.0, 84.01, 45.01)),
                        (6, "G2", "东网格", (84.01, 45.0, 84.02, 45.01))],
                       community_id=[5, 4], police_grid_id=[2, 2]),
        "micro_grids": _area([(9, "M1", "西微网格", (84.0, 45.0, 84.01, 45.01)),
                              (8, "M2", "东微网格", (84.01, 45.0, 84.02, 45.01))],
                             grid_id=[7, 6]),
        "police_grids": _area([(2, "P", "一号警格", d)]),
        "facilities": gpd.GeoDataFrame({
            "id": [1, 2, 3, 4], "code": ["F1", "F2", "F3", "F4"],
            "name": ["区综治中心", "西社区综治中心", "西调解室", "东调解室"],
            "kind": ["governance_centre", "governance_centre", "mediation_room",
                     "mediation_room"],
            "level": ["district", "community", "community", "community"],
            "district_id": [1, 1, 1, 1], "street_id": [1, 1, 1, 1],
            "community_id": [None, 5, 5, 4]},
            geometry=shapely.points([(84.005, 45.005), (84.004, 45.004), (84.001, 45.001),
                                     (84.019, 45.009)]), crs=4326).rename_geometry("geom"),
    })
    return Locator.from_territory(t)


def test_chain_follows_parents_and_services(locator):
    loc = locator.locate(84.002, 45.002)
    names = {k: v.name for k, v in loc.chain.items() if v}
    assert names == {"district": "测试区", "street": "甲街道", "community": "西社区",
                     "grid": "西网格", "micro_grid": "西微网格", "police_grid": "一号警格",
                     "centre": "西社区综治中心", "mediation_room": "西调解室"}


def test_centre_falls_back_upwards_when_the_community_has_none(locator):
    assert locator.locate(84.015, 45.005).chain["centre"].name == "区综治中心"


def test_shared_edge_takes_the_lowest_id_and_its_own_parents(locator):
    loc = locator.locate(84.01, 45.005)  # on the edge between M1 (id 9) and M2 (id 8)
    assert loc.chain["micro_grid"].id == 8
    assert loc.chain["grid"].id == 6 and loc.chain["community"].id == 4


def test_outside_gives_the_nearest_grid_in_metres(locator):
    loc = locator.locate(84.03, 45.005)  # 0.01° east of the east grid
    assert not loc.inside and loc.nearest_grid.code == "G2"
    assert loc.distance_m == pytest.approx(0.01 * 111_320 * np.cos(np.radians(45.005)), rel=0.01)
    assert loc.as_dict()["inside"] is False and "distance_m" in loc.as_dict()


def test_batch_matches_single_points(locator):
    rng = np.random.default_rng(1)
    lons, lats = rng.uniform(83.99, 84.03, 500), rng.uniform(44.99, 45.02, 500)
    ids = locator.ids(lons, lats)
    for x, y, i in zip(lons[:50], lats[:50], ids[:50], strict=True):
        loc = locator.locate(float(x), float(y))
        assert (loc.chain["micro_grid"].id if loc.inside else 0) == i


def test_chain_ids_are_the_single_point_chains_in_bulk(locator):
    rng = np.random.default_rng(2)
    lons = np.r_[rng.uniform(83.99, 84.03, 300), 84.01]  # the last on the M1|M2 edge
    lats = np.r_[rng.uniform(44.99, 45.02, 300), 45.005]
    ids = locator.chain_ids(lons, lats)
    assert set(ids) == {"district", "street", "community", "grid", "micro_grid", "police_grid"}
    assert (ids["micro_grid"][-1], ids["grid"][-1], ids["community"][-1]) == (8, 6, 4)
    assert (ids["micro_grid"] == 0).any() and (ids["micro_grid"] > 0).any()
    for k, (x, y) in enumerate(zip(lons, lats, strict=True)):
        loc = locator.locate(float(x), float(y))
        for level, got in ids.items():
            place = loc.chain.get(level) if loc.inside else None
            assert got[k] == (place.id if place else 0), (level, x, y)
