"""A run with a time limit: exact within it, flagged past it; the straight-distance bound never
leaves out a point the unlimited run puts within the limit."""

import numpy as np
import pytest

from geo.routing import RoadGraph, travel_times_to
from geo.routing_reach import great_circle_m, may_reach, near_box, reach_of

from .test_routing import NODES, PROJ, _frame, _grid, _ll


def _points(rng, n, lo=-300.0, hi=800.0):
    xy = rng.uniform(lo, hi, size=(n, 2))
    return np.column_stack(PROJ.inverse(xy[:, 0], xy[:, 1]))


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_limited_run_is_exact_within_and_beyond_past(seed):
    rng = np.random.default_rng(seed)
    graph = RoadGraph.from_frame(_grid(rng), snap_to="all" if seed % 2 else "main")
    pts = _points(rng, 200)
    for dest in pts[:6]:
        full = travel_times_to(graph, pts, tuple(dest))
        finite = full.seconds[np.isfinite(full.seconds)]
        for limit in (0.0, *np.quantile(finite, [0.1, 0.5, 0.9]).tolist(), 1e9):
            cut = travel_times_to(graph, pts, tuple(dest), limit_s=limit)
            within = full.seconds <= limit
            assert np.array_equal(cut.seconds[within], full.seconds[within])
            assert np.array_equal(cut.metres[within], full.metres[within])
            assert list(cut.method[within]) == list(full.method[within])
            assert set(cut.method[~within]) <= {"beyond"} and np.isinf(cut.seconds[~within]).all()
            # the straight-distance bound keeps every point the full run has within the limit
            keep = may_reach(graph, pts[:, 0], pts[:, 1], graph.snap(*dest), limit)
            assert keep[within].all()


def test_the_bound_is_tight_enough_to_leave_far_points_out():
    rng = np.random.default_rng(5)
    graph = RoadGraph.from_frame(_grid(rng))
    r = reach_of(graph)
    assert r.free_m == 0.0 and r.speed_mps > 0
    dest = graph.snap(*_ll(240.0, 240.0))
    far = _points(rng, 100, 5_000.0, 6_000.0)
    assert not may_reach(graph, far[:, 0], far[:, 1], dest, 60.0).any()
    assert may_reach(graph, far[:, 0], far[:, 1], dest, 1e6).all()


def test_free_edges_count_as_metres_that_cost_nothing():
    nodes = {**NODES, 5: (200.0, 0.0), 6: (200.0, 50.0)}
    frame = _frame(nodes, [(1, 2, False), (2, 3, False), (3, 5, False), (5, 6, False)])
    frame.loc[frame.source == 5, ["cost_s", "reverse_cost_s"]] = 0.0  # a 50 m free link
    graph = RoadGraph.from_frame(frame)
    assert reach_of(graph).free_m == pytest.approx(50.0, abs=1e-3)
    pts = _points(np.random.default_rng(6), 300)
    dest = _ll(200.0, 50.0)
    full = travel_times_to(graph, pts, dest)
    for limit in (5.0, 12.0, 25.0):
        keep = may_reach(graph, pts[:, 0], pts[:, 1], graph.snap(*dest), limit)
        assert keep[full.seconds <= limit].all()


def test_on_one_straight_road_the_bound_is_close_and_never_short():
    """10 m/s both ways along a 2 km road: a point x metres on takes x / 10 s; the bound may
    keep a few points past the limit (its stated slack) but none within it is left out."""
    nodes = {k: (100.0 * k, 0.0) for k in range(21)}
    graph = RoadGraph.from_frame(_frame(nodes, [(k, k + 1, False) for k in range(20)]))
    x = np.linspace(1.0, 1999.0, 500)
    lon, lat = PROJ.inverse(x, np.zeros_like(x))
    dest = graph.snap(*_ll(0.0, 0.0))
    full = travel_times_to(graph, np.column_stack([lon, lat]), dest)
    assert full.seconds == pytest.approx(x / 10, rel=1e-3)
    for limit in (30.0, 90.0, 150.0):
        keep = may_reach(graph, lon, lat, dest, limit)
        assert keep[full.seconds <= limit].all()
        assert not keep[x > 10 * limit / 0.9].any()  # slack: SCALE × 0.99 of the distance


def _islands(gap_m: float):
    """Two 400 m road squares ``gap_m`` apart, driven at 25 m/s (faster than a straight line's
    6.4 m/s: the road bound reaches far past the straight one)."""
    side = [(40.0 * k, 0.0) for k in range(10)] + [(400.0, 40.0 * k) for k in range(10)]
    loop = side + [(400.0 - x, 400.0 - y) for x, y in side]
    west = dict(enumerate(loop, start=1))
    east = {k + 100: (x + 400.0 + gap_m, y) for k, (x, y) in west.items()}
    edges = [(k, k % 40 + 1, False) for k in range(1, 41)]
    edges += [(s + 100, t + 100, o) for s, t, o in edges]
    return RoadGraph.from_frame(_frame({**west, **east}, edges, speed=25.0))


@pytest.mark.parametrize("gap", [1_500.0, 4_000.0])
def test_points_off_the_destinations_network_are_bounded_as_straight_lines(gap):
    """A point outside the box of the destination's network can only be timed by a straight
    line, so its bound is the straight line's: the bound still keeps every point the full run
    puts within the limit (on either network, between them, past them), and leaves out the
    other network's points that only the road speed could have brought within it."""
    graph = _islands(gap)
    assert len(graph.networks) == 2
    rng = np.random.default_rng(int(gap))
    pts = _points(rng, 400, -1_000.0, 1_800.0 + gap)
    for dest in (_ll(200.0, 5.0), _ll(600.0 + gap, 395.0), _ll(390.0, 200.0)):
        to = graph.snap(*dest)
        assert graph.network_of(to) is not None
        full = travel_times_to(graph, pts, dest)
        straight = full.method == "straight_line"
        assert straight.any() and (full.method == "road").any()
        limits = np.quantile(full.seconds[np.isfinite(full.seconds)], [0.05, 0.3, 0.6, 0.95])
        for limit in (*limits.tolist(), *full.seconds[straight][:40].tolist()):
            keep = may_reach(graph, pts[:, 0], pts[:, 1], to, limit)
            assert keep[full.seconds <= limit].all(), (dest, limit)
    # the other island, within the road bound's reach but not a straight line's: left out
    to = graph.snap(*_ll(200.0, 5.0))
    other = np.array([_ll(400.0 + gap + x, y) for x in (100.0, 200.0, 300.0)
                      for y in (100.0, 300.0)])
    limit = 1.1 * gap / reach_of(graph).straight_mps / 2  # half-way across by straight line
    assert not may_reach(graph, other[:, 0], other[:, 1], to, limit).any()
    r = reach_of(graph)
    assert r.road_mps() * limit > gap + 400.0  # the road bound alone would have kept them


@pytest.mark.parametrize("lat0", [-89.0, -45.0, 0.0, 30.6, 60.0, 84.0])
@pytest.mark.parametrize("metres", [50.0, 3_000.0, 25_000.0, 80_000.0, 900_000.0])
def test_the_box_before_the_haversine_keeps_every_row_within_the_distance(lat0, metres):
    """``near_box`` only spares the haversine: every row the great circle puts within the
    distance (or just past it) is kept, across the antimeridian and near the poles too."""
    rng = np.random.default_rng(int(abs(lat0) * 7 + metres))
    lon0 = 179.9 if lat0 > 0 else float(rng.uniform(-180, 180))
    spread = np.degrees(3 * metres / 6_371_008.8) / max(np.cos(np.radians(lat0)), 0.02)
    lon = (lon0 + rng.uniform(-spread, spread, 20_000) + 180.0) % 360.0 - 180.0
    lat = np.clip(lat0 + rng.uniform(-spread, spread, 20_000), -90.0, 90.0)
    d = great_circle_m(lon0, lat0, lon, lat)
    box = near_box(lon0, lat0, lon, lat, metres)
    assert box[d <= metres * (1 + 1e-9)].all()
    assert (d <= metres).any() and not box.all()  # it does leave rows out


def test_may_reach_is_the_bound_of_every_row():
    """The box only saves work: each row's answer is the bound's (by haversine) itself."""
    rng = np.random.default_rng(11)
    graph = _islands(2_000.0)
    pts = _points(rng, 3_000, -30_000.0, 30_000.0)
    r = reach_of(graph)
    for dest in (_ll(200.0, 5.0), _ll(2_600.0, 395.0), _ll(-9_000.0, 9_000.0)):
        to = graph.snap(*dest)
        d = 0.99 * great_circle_m(float(to.lon[0]), float(to.lat[0]), pts[:, 0], pts[:, 1])
        net = graph.network_of(to)
        near = graph.near(net, pts[:, 0], pts[:, 1]) if net is not None else np.zeros(
            len(pts), bool)
        road = 0.95 * (d - r.free_m) / r.road_mps()
        lower = np.where(near, road, d / r.straight_mps) if bool(to.on_network[0]) \
            else d / r.straight_mps
        for limit in (10.0, 300.0, 2_000.0, 5_000.0):
            assert np.array_equal(may_reach(graph, pts[:, 0], pts[:, 1], to, limit),
                                  lower <= limit)
