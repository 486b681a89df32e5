"""The generated demo territory, once in PostGIS, still passes the import validation."""

import geopandas as gpd
from sqlalchemy import text

from geo.territory import Territory
from geo.validate import validate_hierarchy

AREAS = ("districts", "streets", "communities", "police_grids", "grids", "micro_grids")


def test_round_trip_through_postgis_keeps_the_topology(demo_engine):
    frames = {}
    with demo_engine.connect() as conn:
        for table in AREAS:
            frames[table] = gpd.read_postgis(f"SELECT * FROM {table} ORDER BY id", conn,
                                             geom_col="geom")
    problems = validate_hierarchy(Territory(frames=frames))
    assert problems == [], [p.line() for p in problems[:10]]


def test_postgis_agrees_children_lie_in_their_parents(demo_engine):
    checks = {
        "micro-grid in grid": "SELECT count(*) FROM micro_grids m JOIN grids g ON g.id = m.grid_id "
                              "WHERE NOT ST_CoveredBy(ST_Buffer(m.geom, -1e-7), g.geom)",
        "grid in community": "SELECT count(*) FROM grids g JOIN communities c "
                             "ON c.id = g.community_id "
                             "WHERE NOT ST_CoveredBy(ST_Buffer(g.geom, -1e-7), c.geom)",
        "address in its micro-grid": "SELECT count(*) FROM addresses a JOIN micro_grids m "
                                     "ON m.id = a.micro_grid_id WHERE NOT ST_Covers(m.geom, a.geom)",
        "incident in its grid": "SELECT count(*) FROM incidents i JOIN grids g ON g.id = i.grid_id "
                                "WHERE NOT ST_Covers(g.geom, i.geom)",
    }
    with demo_engine.connect() as conn:
        bad = {name: conn.scalar(text(sql)) for name, sql in checks.items()}
        valid = conn.scalar(text("SELECT bool_and(ST_IsValid(geom)) FROM micro_grids"))
    assert valid
    assert bad == dict.fromkeys(checks, 0)


def test_demo_meets_the_scale_of_the_sources(demo_engine):
    with demo_engine.connect() as conn:
        n = dict(conn.execute(text(
            "SELECT 'streets', count(*) FROM streets UNION ALL "
            "SELECT 'communities', count(*) FROM communities UNION ALL "
            "SELECT 'grids', count(*) FROM grids UNION ALL "
            "SELECT 'micro_grids', count(*) FROM micro_grids UNION ALL "
            "SELECT 'units', count(*) FROM units UNION ALL "
            "SELECT 'incidents', count(*) FROM incidents")).all())
        households = conn.execute(text(
            "SELECT min(households), max(households) FROM grids")).one()
        history = conn.scalar(text(
            "SELECT max(reported_at) - min(reported_at) FROM incidents"))
    assert n["streets"] >= 4 and n["communities"] >= 40 and n["grids"] >= 250
    assert n["micro_grids"] >= 1200 and n["units"] >= 500 and n["incidents"] >= 20000
    assert households[0] >= 300 and households[1] <= 500
    assert history.days >= 360
