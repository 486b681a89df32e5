"""Road travel time on small hand-made graphs: snapping, one-way, reversed runs, fallback flags."""

import itertools

import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from geo.routing import RoadGraph, route, travel_times, travel_times_to
from geo.routing_snap import LocalProjection, Snaps

LON0, LAT0 = 104.06, 30.63
PROJ = LocalProjection(LON0, LAT0)


def _ll(x, y):
    lon, lat = PROJ.inverse(x, y)
    return float(lon), float(lat)


def _frame(nodes, edges, *, speed=10.0):
    """Edges (source, target, oneway[, class]) between metric nodes {id: (x, y)}."""
    rows = []
    for i, (s, t, oneway, *cls) in enumerate(edges, start=1):
        (x0, y0), (x1, y1) = nodes[s], nodes[t]
        length = float(np.hypot(x1 - x0, y1 - y0))
        line = shapely.LineString([_ll(x0, y0), _ll(x1, y1)])
        rows.append({"id": 100 + i, "source": s, "target": t,
                     "road_class": cls[0] if cls else "residential", "length_m": length,
                     "cost_s": length / speed, "reverse_cost_s": -1.0 if oneway else length / speed,
                     "geom": line})
    return pd.DataFrame(rows)


# A(0,0) → B(100,0) one-way east; B–D–A two-way round the north; C(200,0) two-way from B.
NODES = {1: (0.0, 0.0), 2: (100.0, 0.0), 3: (200.0, 0.0), 4: (50.0, 100.0)}
EDGES = [(1, 2, True), (2, 3, False), (2, 4, False), (4, 1, False)]
DIAG = float(np.hypot(50, 100))


@pytest.fixture
def graph():
    return RoadGraph.from_frame(_frame(NODES, EDGES), snap_to="all")


def test_snap_gives_edge_fraction_and_offset(graph):
    s = graph.snap(*_ll(30.0, 12.0))
    assert graph.edge_ids[s.edge[0]] == 101
    assert s.fraction[0] == pytest.approx(0.30, abs=1e-6)
    assert s.offset_m[0] == pytest.approx(12.0, abs=1e-3)
    beyond = graph.snap(*_ll(400.0, 0.0))  # 200 m past C: still within 500 m, at C's end
    assert graph.edge_ids[beyond.edge[0]] == 102 and beyond.fraction[0] == pytest.approx(1.0)


def test_snap_batch_matches_one_by_one(graph):
    rng = np.random.default_rng(3)
    xy = rng.uniform(-100, 300, size=(300, 2))
    lon, lat = PROJ.inverse(xy[:, 0], xy[:, 1])
    batch = graph.snap(lon, lat)
    for i in range(0, 300, 7):
        one = graph.snap(lon[i], lat[i])
        assert one.offset_m[0] == pytest.approx(batch.offset_m[i], abs=1e-6)
        lines = graph.lines[graph.snappable]
        truth = shapely.distance(lines, shapely.Point(one.x[0], one.y[0])).min()
        assert one.offset_m[0] == pytest.approx(truth, abs=1e-6)


def test_partial_costs_by_fraction(graph):
    t = travel_times(graph, _ll(50.0, 0.0), [_ll(150.0, 0.0)])
    assert t.road_s[0] == pytest.approx(5.0 + 5.0, rel=1e-6)
    assert t.method[0] == "road"


def test_one_way_is_never_driven_against_its_direction(graph):
    a, b = _ll(50.0, 0.0), _ll(20.0, 0.0)  # b lies behind a on the one-way A→B
    around = 5.0 + 2 * DIAG / 10 + 2.0  # to B, round by D to A, then 20 m on
    r = route(graph, a, b)
    assert r.road_s == pytest.approx(around, rel=1e-6)
    assert r.edge_ids == (101, 103, 104, 101)
    forward = route(graph, b, a)
    assert forward.road_s == pytest.approx(3.0, rel=1e-6) and forward.edge_ids == (101,)


def test_route_geometry_runs_from_point_to_point(graph):
    a, b = _ll(50.0, 10.0), _ll(150.0, -10.0)
    r = route(graph, a, b)
    xy = np.column_stack(PROJ.forward(*np.array(r.geometry.coords).T))
    assert np.allclose(xy[0], (50, 10), atol=1e-3) and np.allclose(xy[-1], (150, -10), atol=1e-3)
    assert r.distance_m == pytest.approx(10 + 100 + 10, rel=1e-6)
    assert r.eta_s == pytest.approx(10.0 + 20 / graph.access_speed_mps, rel=1e-6)
    assert shapely.LineString(xy).length == pytest.approx(120.0, rel=1e-6)


def _reference(frame, points):
    """Split each edge at its points (as pgRouting's withPoints does) and run plain Dijkstra."""
    ids = {v: i for i, v in enumerate(sorted(set(frame.source) | set(frame.target)))}
    n = len(ids)
    rows, cols, costs = [], [], []
    for _, e in frame.iterrows():
        here = sorted((f, n + k) for k, (eid, f) in enumerate(points) if eid == e.id)
        chain = [(0.0, ids[e.source]), *here, (1.0, ids[e.target])]
        for (f0, u), (f1, v) in itertools.pairwise(chain):
            if e.cost_s >= 0:
                rows.append(u), cols.append(v), costs.append((f1 - f0) * e.cost_s + 1e-12)
            if e.reverse_cost_s >= 0:
                rows.append(v), cols.append(u), costs.append((f1 - f0) * e.reverse_cost_s + 1e-12)
    size = n + len(points)
    m = coo_matrix((costs, (rows, cols)), shape=(size, size)).tocsr()
    return dijkstra(m, indices=np.arange(n, size))[:, n:]


def _grid(rng, k=5, step=120.0):
    nodes = {r * k + c + 1: (c * step + rng.uniform(-20, 20), r * step + rng.uniform(-20, 20))
             for r in range(k) for c in range(k)}
    edges = []
    for r in range(k):
        for c in range(k):
            v = r * k + c + 1
            if c + 1 < k:
                edges.append((v, v + 1, bool(rng.random() < 0.3)) if rng.random() < 0.5
                             else (v + 1, v, bool(rng.random() < 0.3)))
            if r + 1 < k:
                edges.append((v, v + k, bool(rng.random() < 0.3)))
    frame = _frame(nodes, edges)
    frame["cost_s"] *= rng.uniform(0.5, 2.0, len(frame))
    frame["reverse_cost_s"] = np.where(frame.reverse_cost_s < 0, -1.0,
                                       frame.cost_s * rng.uniform(0.8, 1.2, len(frame)))
    return frame


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reversed_run_equals_forward_runs_and_a_split_graph(seed):
    rng = np.random.default_rng(seed)
    frame = _grid(rng)
    graph = RoadGraph.from_frame(frame, snap_to="all")
    xy = rng.uniform(-30, 510, size=(40, 2))
    lon, lat = PROJ.inverse(xy[:, 0], xy[:, 1])
    snaps = graph.snap(lon, lat)
    incident = snaps.take(0)
    to = travel_times_to(graph, snaps, incident)
    ref = _reference(frame, [(int(graph.edge_ids[e]), f) for e, f in zip(snaps.edge, snaps.fraction,
                                                                          strict=True)])
    assert np.allclose(to.road_s, ref[:, 0], rtol=1e-9, atol=1e-6)
    for i in range(40):
        one = travel_times(graph, snaps.take(i), incident)
        assert one.road_s[0] == pytest.approx(to.road_s[i], rel=1e-9, abs=1e-9)
        r = route(graph, snaps.take(i), incident)
        assert r.road_s == pytest.approx(to.road_s[i], rel=1e-9, abs=1e-9)
        assert r.distance_m == pytest.approx(to.metres[i], rel=1e-9, abs=1e-6)
    fro = travel_times(graph, incident, snaps)
    assert np.allclose(fro.road_s, ref[0, :], rtol=1e-9, atol=1e-6)


def test_off_network_falls_back_to_a_flagged_straight_line(graph):
    far = _ll(1000.0, 900.0)
    t = travel_times_to(graph, [_ll(50.0, 0.0), far], _ll(150.0, 0.0))
    assert list(t.method) == ["road", "straight_line"]
    assert np.isnan(t.road_s[1]) and np.isnan(t.many.offset_m[1]) and t.many.edge[1] == -1
    straight = np.hypot(1000 - 150, 900) * graph.detour_factor
    assert t.metres[1] == pytest.approx(straight, rel=1e-6)
    assert t.seconds[1] == pytest.approx(straight / graph.fallback_speed_mps, rel=1e-6)
    r = route(graph, far, _ll(50.0, 0.0))
    assert r.method == "straight_line" and len(r.geometry.coords) == 2
    everyone = travel_times(graph, far, [_ll(50.0, 0.0), _ll(150.0, 0.0)])
    assert set(everyone.method) == {"straight_line"}


def test_unreachable_is_inf_and_flagged():
    nodes = {**NODES, 8: (0.0, 300.0), 9: (100.0, 300.0)}  # an island to the north
    frame = _frame(nodes, [*EDGES, (8, 9, False)])
    graph = RoadGraph.from_frame(frame, snap_to="all")
    t = travel_times_to(graph, [_ll(50.0, 290.0), _ll(150.0, 5.0)], _ll(50.0, 0.0))
    assert list(t.method) == ["unreachable", "road"]
    assert np.isinf(t.seconds[0]) and np.isinf(t.metres[0])
    assert route(graph, _ll(50.0, 290.0), _ll(50.0, 0.0)).method == "unreachable"
    main = RoadGraph.from_frame(frame)  # default: snap only inside the main component
    t = travel_times_to(main, [_ll(50.0, 290.0)], _ll(50.0, 0.0))
    assert t.method[0] == "road" and graph.edge_ids[t.many.edge[0]] != 105
    assert t.many.offset_m[0] == pytest.approx(190.0, abs=1e-3)  # at D, the nearest main node


def test_one_way_dead_end_is_left_out_of_snapping_by_default():
    frame = _frame({**NODES, 5: (300.0, 0.0)}, [*EDGES, (3, 5, True)])  # C → E, no way back
    assert RoadGraph.from_frame(frame, snap_to="all").snap(*_ll(290.0, 1.0)).edge[0] == 4
    main = RoadGraph.from_frame(frame)
    assert main.edge_ids[main.snap(*_ll(290.0, 1.0)).edge[0]] == 102


def test_walking_ignores_one_way_and_leaves_out_trunk_roads():
    frame = _frame(NODES, [*EDGES[:3], (4, 1, False, "trunk")])
    walk = RoadGraph.from_frame(frame, profile="walk")
    assert 104 not in set(walk.edge_ids)
    r = route(walk, _ll(50.0, 0.0), _ll(20.0, 0.0))  # against the one-way, on foot
    assert r.edge_ids == (101,) and r.road_s == pytest.approx(30 / 1.3, rel=1e-6)
    assert walk.access_speed_mps == pytest.approx(1.3)
    drive = RoadGraph.from_frame(frame, snap_to="all")
    assert 104 in set(drive.edge_ids)
    assert route(drive, _ll(50.0, 0.0), _ll(20.0, 0.0)).edge_ids == (101, 103, 104, 101)


def test_same_edge_and_zero_cost_edges():
    nodes = {1: (0.0, 0.0), 2: (100.0, 0.0), 3: (100.0, 0.0)}
    frame = _frame(nodes, [(1, 2, False), (2, 3, False)])  # 2–3 has zero length and cost
    graph = RoadGraph.from_frame(frame)
    t = travel_times(graph, _ll(80.0, 0.0), [_ll(20.0, 0.0), _ll(100.0, 0.0)])
    assert t.road_s == pytest.approx([6.0, 2.0], rel=1e-6)


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="profile"):
        RoadGraph.from_frame(_frame(NODES, EDGES), profile="fly")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="snap"):
        RoadGraph.from_frame(_frame(NODES, EDGES), snap_to="any")  # type: ignore[arg-type]


def test_points_at_the_ends_of_a_one_way_edge_are_its_vertices(graph):
    """0 × a closed direction's cost is 0: at fraction 0 or 1 the point is the vertex."""
    def at(edge_id, fraction):
        j = int(np.flatnonzero(graph.edge_ids == edge_id)[0])
        node = graph.source[j] if fraction == 0 else graph.target[j]
        x, y = NODES[int(graph.node_ids[node])]
        lon, lat = PROJ.inverse(np.array([x]), np.array([y]))
        gx, gy = graph.projection.forward(lon, lat)
        return Snaps(lon, lat, gx, gy, np.array([j]), np.array([float(fraction)]), np.zeros(1))

    c_end = [_ll(200.0, 0.0)]
    for fraction, expected in ((0.0, 20.0), (1.0, 10.0)):  # at A, at B; one-way A → B
        t = travel_times(graph, at(101, fraction), c_end)
        assert t.road_s[0] == pytest.approx(expected, rel=1e-6)
        back = travel_times_to(graph, c_end, at(101, fraction))
        assert back.road_s[0] == pytest.approx(10.0 if fraction else 10.0 + 2 * DIAG / 10,
                                               rel=1e-6)


def test_an_empty_network_answers_everything_by_straight_line():
    empty = RoadGraph.from_frame(_frame(NODES, EDGES).iloc[:0])
    t = travel_times_to(empty, [_ll(0.0, 0.0), _ll(300.0, 400.0)], _ll(0.0, 0.0))
    assert list(t.method) == ["straight_line", "straight_line"]
    assert t.metres[1] == pytest.approx(500.0 * empty.detour_factor, rel=1e-6)
    none = travel_times_to(RoadGraph.from_frame(_frame(NODES, EDGES)), np.empty((0, 2)),
                           _ll(0.0, 0.0))
    assert none.seconds.shape == (0,)


def test_snaps_of_another_graph_are_refused(graph):
    walk = RoadGraph.from_frame(_frame(NODES, EDGES), profile="walk")
    snaps = walk.snap(*_ll(50.0, 0.0))
    with pytest.raises(ValueError, match="another road graph"):
        travel_times_to(graph, snaps, _ll(150.0, 0.0))


def test_every_separate_network_is_timed_on_its_roads():
    """Two islands of roads (a province of separate prefectures' networks): each island's
    points are snapped and timed on their own island's roads, a point is placed on the other
    point's island only (off it: the flagged straight line, never a snap onto a network the
    other point cannot reach), and a scrap of road too small to count is not snapped onto."""
    side = [(40.0 * k, 0.0) for k in range(10)] + [(400.0, 40.0 * k) for k in range(10)]
    loop = side + [(400.0 - x, 400.0 - y) for x, y in side]  # a 400 m square, 40 nodes
    west = dict(enumerate(loop, start=1))
    ring = [(k, k % 40 + 1, False) for k in range(1, 41)]
    east = {k + 100: (x + 5000.0, y) for k, (x, y) in enumerate(loop[:21], start=1)}
    scrap = {300: (2500.0, 3000.0), 301: (2510.0, 3000.0)}  # 2 nodes: not over 5% of 40
    edges = [*ring, *[(k + 100, k + 101, False) for k in range(1, 21)], (300, 301, False)]
    graph = RoadGraph.from_frame(_frame({**west, **east, **scrap}, edges))
    assert len(graph.networks) == 2 and set(graph.network[graph.snappable]) == {0, 1}
    assert not graph.snappable[graph.edge_ids == 100 + len(edges)].any()
    at_east, near_east, near_west = _ll(5200.0, 5.0), _ll(5395.0, 200.0), _ll(5.0, 200.0)
    t = travel_times_to(graph, [near_east, near_west], at_east)
    assert list(t.method) == ["road", "straight_line"]
    assert t.road_s[0] == pytest.approx((200 + 200) / 10, rel=1e-6)
    assert graph.network_of(t.one) == 1 and graph.network[t.many.edge[0]] == 1
    assert route(graph, near_east, at_east).method == "road"
    assert route(graph, near_west, at_east).method == "straight_line"
    west_t = travel_times(graph, _ll(200.0, 5.0), [near_west, near_east])
    assert list(west_t.method) == ["road", "straight_line"]
    # a point snapped alone goes to its nearest network, as before
    assert graph.network[graph.snap(*near_east).edge[0]] == 1
    # a graph of one network keeps one index
    assert RoadGraph.from_frame(_frame(west, ring)).networks == ()
    # and with only the largest network snapped, the east island had no road times
    one = RoadGraph.from_frame(_frame(west, ring))
    assert travel_times_to(one, [near_east], at_east).method[0] == "straight_line"


def test_the_snap_cache_places_points_as_the_graph_does_on_each_network():
    from dispatch.adapters.road_eta import SnapCache

    side = [(40.0 * k, 0.0) for k in range(10)] + [(400.0, 40.0 * k) for k in range(10)]
    loop = side + [(400.0 - x, 400.0 - y) for x, y in side]
    west = dict(enumerate(loop, start=1))
    east = {k + 100: (x + 3000.0, y) for k, (x, y) in west.items()}
    edges = [(k, k % 40 + 1, False) for k in range(1, 41)]
    edges += [(s + 100, t + 100, o) for s, t, o in edges]
    graph = RoadGraph.from_frame(_frame({**west, **east}, edges))
    pts = np.array([_ll(x, y) for x, y in ((5.0, 200.0), (800.0, 200.0), (1500.0, 200.0),
                                           (2300.0, 200.0), (3395.0, 10.0), (9000.0, 0.0))])
    cache = SnapCache()
    cache.warm(graph, pts[:, 0], pts[:, 1])
    for onto in (0, 1):
        got = cache.snaps(graph, pts[:, 0], pts[:, 1], onto=onto)
        want = graph.snap(pts[:, 0], pts[:, 1], onto=onto)
        assert np.array_equal(got.edge, want.edge)
        on = want.on_network
        assert np.allclose(got.offset_m[on], want.offset_m[on])
        assert np.array_equal(graph.near(onto, pts[:, 0], pts[:, 1]) | ~on, np.ones(6, bool))
    assert list(graph.snap(pts[:, 0], pts[:, 1], onto=0).on_network) == [
        True, True, False, False, False, False]


def test_a_point_alone_is_placed_on_its_nearest_network():
    side = [(40.0 * k, 0.0) for k in range(10)] + [(400.0, 40.0 * k) for k in range(10)]
    loop = side + [(400.0 - x, 400.0 - y) for x, y in side]
    west = dict(enumerate(loop, start=1))
    east = {k + 100: (x + 1000.0, y) for k, (x, y) in west.items()}
    edges = [(k, k % 40 + 1, False) for k in range(1, 41)]
    edges += [(s + 100, t + 100, o) for s, t, o in edges]
    graph = RoadGraph.from_frame(_frame({**west, **east}, edges))
    rng = np.random.default_rng(3)
    pts = np.array([_ll(x, y) for x, y in rng.uniform([-700, -700], [2100, 1100], (300, 2))])
    got = graph.snap(pts[:, 0], pts[:, 1])
    each = [graph.snap(pts[:, 0], pts[:, 1], onto=k) for k in (0, 1)]
    d = np.column_stack([np.nan_to_num(s.offset_m, nan=np.inf) for s in each])
    want = np.where(d[:, 1] < d[:, 0], each[1].edge, each[0].edge)
    assert np.array_equal(got.edge, want) and (got.edge >= 0).any() and (got.edge < 0).any()
    assert np.allclose(np.nan_to_num(got.offset_m), np.nan_to_num(d.min(axis=1), posinf=0))
