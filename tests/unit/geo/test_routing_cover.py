"""Coverage from many units at once equals the best of single-unit runs."""

import numpy as np
import pytest

from geo.routing import RoadGraph, travel_times
from geo.routing_cover import coverage
from tests.unit.geo.test_routing import EDGES, NODES, _frame, _grid, _ll


def test_one_unit_mid_edge_reaches_the_ends_by_partial_costs():
    graph = RoadGraph.from_frame(_frame(NODES, EDGES), snap_to="all")
    lon, lat = _ll(50.0, 0.0)  # on the one-way A→B, halfway
    cov = coverage(graph, np.array([lon]), np.array([lat]))
    b = int(np.flatnonzero(graph.node_ids == 2)[0])
    a = int(np.flatnonzero(graph.node_ids == 1)[0])
    assert cov.node_s[b] == pytest.approx(5.0, abs=1e-6)  # 50 m at 10 m/s, along the one-way
    # A is behind it on a one-way: round by B → D → A
    assert cov.node_s[a] == pytest.approx(5.0 + 2 * np.hypot(50, 100) / 10, abs=1e-6)
    assert cov.units_on_network == 1 and cov.edge_s.min() == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("seed", [1, 2])
def test_many_units_equal_the_minimum_of_single_runs(seed):
    rng = np.random.default_rng(seed)
    graph = RoadGraph.from_frame(_grid(rng), snap_to="all")
    x0, y0, x1, y1 = 0.0, 0.0, 480.0, 480.0
    pts = [_ll(x, y) for x, y in rng.uniform([x0, y0], [x1, y1], size=(6, 2))]
    lon, lat = np.array([p[0] for p in pts]), np.array([p[1] for p in pts])
    cov = coverage(graph, lon, lat)
    xy = _node_xy(graph)
    # a junction's own coordinates: travel_times must treat them as the vertex itself
    nodes = np.column_stack(graph.projection.inverse(xy[:, 0], xy[:, 1]))
    singles = np.vstack([travel_times(graph, (lon[i], lat[i]), nodes).road_s
                         + graph.snap(lon[i], lat[i]).offset_m[0] / graph.access_speed_mps
                         for i in range(len(lon))])
    best = np.nanmin(np.where(np.isfinite(singles), singles, np.inf), axis=0)
    assert np.allclose(cov.node_s, best, rtol=1e-9, atol=1e-6)


def _node_xy(graph):
    """Each node's metric position from the ends of its edges."""
    xy = np.zeros((graph.n_nodes, 2))
    for j, line in enumerate(graph.lines):
        coords = np.asarray(line.coords)
        xy[graph.source[j]] = coords[0]
        xy[graph.target[j]] = coords[-1]
    return xy
