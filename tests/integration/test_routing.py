"""Road travel times agree with pgRouting on the same graph and the same snapped points.

pgRouting gets our snapped points (edge id, fraction, side 'b') through ``pgr_withPointsCost``;
it adds no off-road legs, so its ``agg_cost`` is compared with our ``road_s``. Node-to-node
times are compared with ``pgr_dijkstraCost`` over every node. The target is 1 %; we assert that
and report the worst relative gap, which is rounding-level in practice.
"""

import numpy as np
import pytest
from sqlalchemy import text

from console.ops.importing import import_roads
from geo.routing import RoadGraph, route, travel_times, travel_times_to
from geo.routing_snap import Snaps
from tests.conftest import SHARED_DATA

CHENGDU = SHARED_DATA / "chengdu_wuhou_roads.geojson"
DRIVE_SQL = ("SELECT id, source, target, cost_s AS cost, reverse_cost_s AS reverse_cost "
             "FROM road_edges WHERE road_class NOT IN ('footway', 'path', 'pedestrian')")
REVERSED_SQL = ("SELECT id, source, target, reverse_cost_s AS cost, cost_s AS reverse_cost "
                "FROM road_edges WHERE road_class NOT IN ('footway', 'path', 'pedestrian')")
WALK_SQL = ("SELECT id, source, target, length_m / 1.3 AS cost, length_m / 1.3 AS reverse_cost "
            "FROM road_edges WHERE road_class NOT IN ('motorway', 'trunk')")


def points_sql(graph: RoadGraph, snaps: Snaps) -> str:
    """Our snapped points as pgRouting's points query (pid = row number + 1).

    pgRouting 3.4 drops a point at fraction 0 or 1 (it sits on a vertex): those are asked for
    by their vertex id instead, see :func:`pgr_ids`.
    """
    rows = ",".join(f"({i + 1},{int(graph.edge_ids[e])},{float(f)!r}::float8,'b'::char)"
                    for i, (e, f) in enumerate(zip(snaps.edge, snaps.fraction, strict=True))
                    if 0.0 < f < 1.0)
    rows = rows or "(0,0,0.5::float8,'b'::char)"
    return f"SELECT * FROM (VALUES {rows}) AS p(pid, edge_id, fraction, side)"


def pgr_ids(graph: RoadGraph, snaps: Snaps) -> list[int]:
    """pgRouting's id per snapped point: -pid, or the vertex id at fraction 0 / 1."""
    out = []
    for i, (e, f) in enumerate(zip(snaps.edge, snaps.fraction, strict=True)):
        if 0.0 < f < 1.0:
            out.append(-(i + 1))
        else:
            out.append(int(graph.node_ids[graph.source[e] if f <= 0.0 else graph.target[e]]))
    return out


def pgr_from_point(conn, edges_sql: str, pts_sql: str, ids: list[int], start: int) -> np.ndarray:
    """agg_cost from point ``start`` to every point (inf where pgRouting finds no path)."""
    ends = sorted(set(ids))
    rows = conn.execute(text(
        "SELECT end_pid, agg_cost FROM pgr_withPointsCost(:e, :p, :s, :ends, true, 'b')"),
        {"e": edges_sql, "p": pts_sql, "s": ids[start], "ends": ends}).all()
    cost = {int(end): float(c) for end, c in rows}
    cost[ids[start]] = 0.0
    return np.array([cost.get(i, np.inf) for i in ids])


def rel_gap(ours: np.ndarray, theirs: np.ndarray) -> float:
    both = np.isfinite(ours) & np.isfinite(theirs)
    assert np.array_equal(np.isfinite(ours), np.isfinite(theirs)), "reachability differs"
    return float(np.max(np.abs(ours[both] - theirs[both]) / np.maximum(theirs[both], 1.0)))


def sample_points(conn, graph: RoadGraph, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Points scattered over the network's box and around it (some off network)."""
    lo_x, lo_y, hi_x, hi_y = conn.execute(text(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
        "FROM (SELECT ST_Extent(geom) AS e FROM road_edges) s")).one()
    rng = np.random.default_rng(seed)
    return rng.uniform(lo_x, hi_x, n), rng.uniform(lo_y, hi_y, n)


def check_against_pgrouting(conn, graph: RoadGraph, lon, lat, edges_sql: str,
                            reversed_sql: str) -> float:
    snaps = graph.snap(lon, lat)
    on = snaps.take(np.flatnonzero(snaps.on_network))
    assert len(on) >= 20
    pts, ids = points_sql(graph, on), pgr_ids(graph, on)
    worst = 0.0
    for k in (0, len(on) // 2):
        incident = on.take(k)
        to = travel_times_to(graph, on, incident)  # units → incident, one reversed run
        theirs_to = pgr_from_point(conn, reversed_sql, pts, ids, k)
        fro = travel_times(graph, incident, on)
        theirs_fro = pgr_from_point(conn, edges_sql, pts, ids, k)
        worst = max(worst, rel_gap(to.road_s, theirs_to), rel_gap(fro.road_s, theirs_fro))
    assert worst <= 0.01
    return worst


def check_nodes(conn, graph: RoadGraph, edges_sql: str) -> None:
    from scipy.sparse.csgraph import dijkstra

    n = graph.n_nodes
    for start in (0, n // 3):
        ours = dijkstra(graph.forward.matrix[:n, :n], indices=start)
        rows = conn.execute(text(
            "SELECT end_vid, agg_cost FROM pgr_dijkstraCost(:e, :s, :ends, true)"),
            {"e": edges_sql, "s": int(graph.node_ids[start]),
             "ends": [int(v) for v in graph.node_ids]}).all()
        theirs = np.full(n, np.inf)
        theirs[start] = 0.0
        theirs[np.searchsorted(graph.node_ids, [r[0] for r in rows])] = [r[1] for r in rows]
        assert rel_gap(ours, theirs) <= 1e-9


@pytest.fixture(scope="module")
def demo_graph(demo_engine):
    with demo_engine.connect() as conn:
        return RoadGraph.from_db(conn)


def test_demo_agrees_with_pgrouting(demo_engine, demo_graph):
    with demo_engine.connect() as conn:
        units = np.array(conn.execute(text(
            "SELECT ST_X(last_geom), ST_Y(last_geom) FROM units WHERE last_geom IS NOT NULL "
            "ORDER BY id LIMIT 150")).all(), dtype=float).reshape(-1, 2)
        lon, lat = sample_points(conn, demo_graph, 150, seed=7)
        lon, lat = np.r_[units[:, 0], lon], np.r_[units[:, 1], lat]
        worst = check_against_pgrouting(conn, demo_graph, lon, lat, DRIVE_SQL, REVERSED_SQL)
        check_nodes(conn, demo_graph, DRIVE_SQL)
    print(f"demo: worst relative gap to pgRouting {worst:.2e}")


def test_demo_walking_agrees_with_pgrouting(demo_engine):
    with demo_engine.connect() as conn:
        walk = RoadGraph.from_db(conn, profile="walk")
        lon, lat = sample_points(conn, walk, 120, seed=8)
        check_against_pgrouting(conn, walk, lon, lat, WALK_SQL, WALK_SQL)


def test_demo_units_to_incident_with_access_legs(demo_engine, demo_graph):
    with demo_engine.connect() as conn:
        lon, lat = sample_points(conn, demo_graph, 60, seed=9)
    t = travel_times_to(demo_graph, np.column_stack([lon, lat]), (lon[0], lat[0]))
    road = t.method == "road"
    legs = (t.many.offset_m[road] + t.one.offset_m[0]) / demo_graph.access_speed_mps
    assert np.allclose(t.seconds[road], t.road_s[road] + legs)
    for i in np.flatnonzero(road)[:10]:
        assert route(demo_graph, (lon[i], lat[i]), (lon[0], lat[0])).eta_s == pytest.approx(
            t.seconds[i], rel=1e-9)


@pytest.fixture
def chengdu(empty_engine):
    with empty_engine.begin() as conn:
        import_roads(conn, CHENGDU)
    return empty_engine


def test_chengdu_agrees_with_pgrouting_and_flags_the_rest(chengdu):
    with chengdu.connect() as conn:
        graph = RoadGraph.from_db(conn, snap_to="all")
        lon, lat = sample_points(conn, graph, 250, seed=11)
        worst = check_against_pgrouting(conn, graph, lon, lat, DRIVE_SQL, REVERSED_SQL)
        check_nodes(conn, graph, DRIVE_SQL)
        walk = RoadGraph.from_db(conn, profile="walk")
        assert not {"trunk", "motorway"} & set(conn.execute(text(
            "SELECT road_class FROM road_edges WHERE id = ANY(:ids)"),
            {"ids": [int(i) for i in walk.edge_ids]}).scalars())
        check_against_pgrouting(conn, walk, lon, lat, WALK_SQL, WALK_SQL)
        # the clipped extract has one-way edges into dead ends: with snap_to="all" a point there
        # cannot get out (inf, flagged, and pgRouting agrees); the default snaps elsewhere
        main = RoadGraph.from_db(conn)
    assert not main.snappable.all() and graph.snappable.all()
    t = travel_times(graph, (lon[0], lat[0]), np.column_stack([lon, lat]))
    assert set(t.method) <= {"road", "unreachable", "straight_line"}
    assert "unreachable" not in set(travel_times(main, (lon[0], lat[0]), np.column_stack([lon, lat])).method)
    print(f"chengdu: worst relative gap to pgRouting {worst:.2e}")


def test_chengdu_one_way_is_not_driven_backwards(chengdu):
    with chengdu.connect() as conn:
        graph = RoadGraph.from_db(conn)
        ow = np.flatnonzero(np.isinf(graph.reverse_cost) & graph.snappable
                            & (graph.length_m > 80))[:5]
        assert ow.size
        e = np.repeat(ow, 2)
        f = np.tile([0.7, 0.3], ow.size)
        lon, lat = graph.projection.inverse(
            *np.array([graph.lines[j].interpolate(fr, normalized=True).coords[0]
                       for j, fr in zip(e, f, strict=True)]).T)
        x, y = graph.projection.forward(lon, lat)
        # placed by hand: some Chengdu carriageways overlap, and snapping may pick the twin
        snaps = Snaps(lon, lat, x, y, e.astype(np.int64), f, np.zeros(e.size))
        pts, ids = points_sql(graph, snaps), pgr_ids(graph, snaps)
        for k in range(ow.size):
            ahead, behind = snaps.take(2 * k), snaps.take(2 * k + 1)
            back = route(graph, ahead, behind)
            assert back.road_s > 0.4 * graph.cost[ow[k]] + 1e-6  # a detour, not 40 % back
            theirs = pgr_from_point(conn, DRIVE_SQL, pts, ids, 2 * k)[2 * k + 1]
            assert back.road_s == pytest.approx(theirs, rel=0.01)
            on = route(graph, behind, ahead)
            assert on.road_s == pytest.approx(0.4 * graph.cost[ow[k]], rel=1e-6)
            assert on.edge_ids == (int(graph.edge_ids[ow[k]]),)


def test_chengdu_off_network_points_fall_back_flagged(chengdu):
    with chengdu.connect() as conn:
        graph = RoadGraph.from_db(conn)
    inside = graph.projection.inverse(*graph.lines[0].coords[0])
    x, y = graph.lines[0].coords[0]
    far = graph.projection.inverse(x + 3000.0, y + 3000.0)
    t = travel_times_to(graph, [far, inside], inside)
    assert list(t.method) == ["straight_line", "road"]
    assert t.seconds[1] == pytest.approx(0.0, abs=1e-6)
    r = route(graph, inside, far)
    assert r.method == "straight_line"
    assert r.distance_m == pytest.approx(np.hypot(3000, 3000) * graph.detour_factor, rel=1e-3)
