"""The in-process locator agrees exactly with PostGIS ST_Covers, boundaries included."""

import numpy as np
import pytest
import shapely
from sqlalchemy import text

from geo.coords import from_wgs84
from geo.locate import Locator

PEER = text("""
    SELECT p.i, (SELECT m.id FROM micro_grids m
                 WHERE ST_Covers(m.geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326))
                 ORDER BY m.id LIMIT 1)
    FROM unnest(CAST(:xs AS float8[]), CAST(:ys AS float8[])) WITH ORDINALITY AS p(x, y, i)
    ORDER BY p.i""")


@pytest.fixture(scope="module")
def locator(demo_engine):
    with demo_engine.connect() as conn:
        return Locator.from_db(conn)


def _postgis(engine, lons, lats):
    with engine.connect() as conn:
        rows = conn.execute(PEER, {"xs": list(map(float, lons)), "ys": list(map(float, lats))})
        return np.array([r[1] or 0 for r in rows])


def _test_points(locator, n_random=4000, seed=3):
    rng = np.random.default_rng(seed)
    geoms = locator.layers["micro_grid"].geoms
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    pad = 0.01
    rand = np.column_stack([rng.uniform(x0 - pad, x1 + pad, n_random),
                            rng.uniform(y0 - pad, y1 + pad, n_random)])
    # vertices and edge midpoints of a few hundred cells: points on shared boundaries
    picked = geoms[rng.choice(len(geoms), 300, replace=False)]
    verts = shapely.get_coordinates(shapely.boundary(picked))
    mids = (verts[:-1] + verts[1:]) / 2
    pts = np.vstack([rand, verts, mids])
    return pts[:, 0], pts[:, 1]


def test_agrees_with_postgis_st_covers_on_random_and_boundary_points(locator, demo_engine):
    lons, lats = _test_points(locator)
    ours = locator.ids(lons, lats)
    theirs = _postgis(demo_engine, lons, lats)
    assert len(ours) > 8000
    assert (ours > 0).sum() > 2000 and (ours == 0).sum() > 100  # inside and outside both tried
    mismatch = np.flatnonzero(ours != theirs)
    assert mismatch.size == 0, list(zip(lons[mismatch][:5], lats[mismatch][:5], strict=False))


def test_chain_is_consistent_and_complete(locator, demo_engine):
    with demo_engine.connect() as conn:
        lon, lat = conn.execute(text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM micro_grids "
            "ORDER BY id LIMIT 1 OFFSET 200) x")).one()
        loc = locator.locate(lon, lat)
        chain = loc.as_dict()
        grid = conn.execute(text(
            "SELECT g.id, g.community_id, c.street_id, g.police_grid_id FROM micro_grids m "
            "JOIN grids g ON g.id = m.grid_id JOIN communities c ON c.id = g.community_id "
            "WHERE m.id = :m"), {"m": chain["micro_grid"]["id"]}).one()
        room = conn.execute(text(
            "SELECT id FROM facilities WHERE kind = 'mediation_room' "
            "ORDER BY geom <-> ST_SetSRID(ST_MakePoint(:x, :y), 4326) LIMIT 1"),
            {"x": lon, "y": lat}).scalar()
    assert chain["inside"] is True
    assert (chain["grid"]["id"], chain["community"]["id"], chain["street"]["id"],
            chain["police_grid"]["id"]) == tuple(grid)
    assert chain["district"]["name"] == "克拉玛依区"
    assert chain["centre"] and "综治中心" in chain["centre"]["name"]
    assert chain["mediation_room"]["id"] == room
    assert all(chain[k]["code"] and chain[k]["name"] for k in
               ("street", "community", "grid", "micro_grid", "police_grid"))


def test_gcj02_input_lands_where_the_wgs84_point_does(locator):
    lon, lat = shapely.get_coordinates(
        shapely.point_on_surface(locator.layers["micro_grid"].geoms[123]))[0]
    glon, glat = from_wgs84(lon, lat, "gcj02")
    assert locator.locate(float(glon), float(glat), crs="gcj02").chain["micro_grid"].id == \
        locator.locate(lon, lat).chain["micro_grid"].id
    blon, blat = from_wgs84(lon, lat, "bd09")
    loc = locator.locate(float(blon), float(blat), crs="bd09")
    assert abs(loc.lon - lon) < 1e-8 and abs(loc.lat - lat) < 1e-8


def test_outside_names_the_nearest_grid_and_distance(locator, demo_engine):
    _x0, y0, x1, y1 = shapely.total_bounds(locator.layers["grid"].geoms)
    loc = locator.locate(x1 + 0.01, (y0 + y1) / 2)  # ~780 m east at 45.6°N
    assert loc.inside is False and loc.nearest_grid is not None
    with demo_engine.connect() as conn:
        metres = conn.scalar(text(
            "SELECT ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(:x, :y), 4326)::geography)"
            " FROM grids WHERE id = :g"), {"x": x1 + 0.01, "y": (y0 + y1) / 2,
                                             "g": loc.nearest_grid.id})
    assert abs(loc.distance_m - metres) < 0.01 * metres + 2
    assert 700 < loc.distance_m < 900


def test_cache_rebuilds_when_the_areas_change(empty_engine):
    from geo.cache import SignatureCache, table_signature

    builds = []

    def build(conn):
        builds.append(1)
        return conn.scalar(text("SELECT count(*) FROM districts"))

    cache = SignatureCache(build, table_signature("districts"), check_s=0.0)
    with empty_engine.connect() as conn:
        assert cache.get(conn) == 0 and cache.get(conn) == 0
    assert len(builds) == 1  # unchanged signature: no rebuild
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO districts (id, code, name, geom) VALUES (1, 'd', '区', "
                          "ST_Multi(ST_MakeEnvelope(84, 45, 84.1, 45.1, 4326)))"))
    with empty_engine.connect() as conn:
        assert cache.get(conn) == 1
    assert len(builds) == 2
