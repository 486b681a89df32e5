"""Gi* as analysis.gistar computes it: esda's z on independently built weights, ArcGIS's formula,
a planted hotspot found at 99 % and a uniform field left alone."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import shapely
from esda import G_Local
from libpysal.weights import W
from shapely.geometry import box

from analysis.gistar import classify, gi_star
from analysis.hotspots import Cells, MicroGrids, features
from analysis.weights import lattice_weights, queen_weights

SEED = 20261207


def _voronoi(n: int, rng: np.random.Generator) -> list[Any]:
    """``n`` irregular polygons tiling the unit square, like micro-grids."""
    pts = shapely.multipoints(rng.random((n, 2)))
    cells = shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=box(-1, -1, 2, 2)))
    return [c.intersection(box(0, 0, 1, 1)) for c in cells]


def _touching(polys: list[Any], ids: list[Any]) -> W:
    """Queen neighbours by shapely (any shared boundary point), self included: not libpysal's."""
    tree = shapely.STRtree(polys)
    neighbours = {}
    for k, p in enumerate(polys):
        hits = tree.query(p, predicate="intersects")
        neighbours[ids[k]] = sorted(ids[j] for j in hits)  # includes k itself: Gi*'s self weight
    return W(neighbours, id_order=ids, silence_warnings=True)


def _arcgis_z(y: np.ndarray, w: W) -> np.ndarray:
    """Getis-Ord Gi* z-score as ArcGIS documents it (binary weights, self included)."""
    a = w.full()[0]
    n = len(y)
    mean = y.mean()
    s = np.sqrt((y ** 2).mean() - mean ** 2)
    wsum = a.sum(axis=1)
    num = a @ y - mean * wsum
    den = s * np.sqrt((n * (a ** 2).sum(axis=1) - wsum ** 2) / (n - 1))
    return num / den


def test_micro_grid_z_equals_esda_on_independent_weights():
    rng = np.random.default_rng(SEED)
    polys = _voronoi(300, rng)
    ids = list(range(1000, 1300))
    y = rng.poisson(3.0, len(ids)).astype(float)
    ours = gi_star(dict(zip(ids, y, strict=True)), queen_weights(ids, polys))
    direct = G_Local(y, _touching(polys, ids), transform="B", star=None, permutations=0)
    assert ours.ids == tuple(ids)
    np.testing.assert_allclose(ours.z, direct.Zs, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.z, _arcgis_z(y, _touching(polys, ids)), rtol=1e-9)


def test_cell_lattice_z_equals_esda_on_polygon_contiguity():
    rng = np.random.default_rng(SEED + 1)
    # an L-shaped study area of 250 m cells, ids in an arbitrary order
    cells = np.array([(c, r) for r in range(12) for c in range(15) if c < 6 or r < 5])
    rng.shuffle(cells)
    y = rng.poisson(2.0, len(cells)).astype(float)
    ours = gi_star(y, lattice_weights(cells))
    ids = [f"{c}_{r}" for c, r in cells.tolist()]
    squares = [box(c, r, c + 1, r + 1) for c, r in cells.tolist()]
    direct = G_Local(y, _touching(squares, ids), transform="B", star=None, permutations=0)
    np.testing.assert_allclose(ours.z, direct.Zs, rtol=1e-9, atol=1e-12)


def _field(planted: bool) -> tuple[list[int], list[Any], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED + 2)
    polys = _voronoi(900, rng)
    centres = np.array([[p.centroid.x, p.centroid.y] for p in polys])
    y = rng.poisson(2.0, len(polys)).astype(float)
    near = np.hypot(*(centres - (0.25, 0.7)).T) < 0.08
    if planted:
        y[near] += rng.poisson(6.0, near.sum())
    return list(range(len(polys))), polys, y, near


def test_a_planted_hotspot_is_found_at_99_percent():
    ids, polys, y, near = _field(planted=True)
    result = gi_star(y, queen_weights(ids, polys))
    inside = result.classes[near]
    assert (inside == 3).mean() >= 0.8, inside
    centres = np.array([[p.centroid.x, p.centroid.y] for p in polys])
    far = np.hypot(*(centres - (0.25, 0.7)).T) > 0.25
    assert (result.classes[far] == 3).mean() <= 0.01  # the planted cluster does not bleed


def test_a_uniform_field_has_no_hotspot():
    ids, polys, y, _ = _field(planted=False)
    w = queen_weights(ids, polys)
    plain = gi_star(y, w)
    assert (plain.classes == 3).mean() <= 0.01  # at most the chance share of 99 % hot
    assert not (gi_star(y, w, fdr_correct=True).classes != 0).any()


def test_classes_follow_two_sided_p_and_the_sign_of_z():
    z = np.array([3.0, 2.0, 1.7, 1.0, -1.7, -2.0, -3.0])
    p = np.array([0.0027, 0.0455, 0.089, 0.317, 0.089, 0.0455, 0.0027])
    assert classify(z, p).tolist() == [3, 2, 1, 0, -1, -2, -3]


@pytest.mark.parametrize("y", [np.zeros(9), np.full(9, 4.0)])
def test_counts_that_do_not_vary_give_no_class(y):
    polys = [box(i, j, i + 1, j + 1) for j in range(3) for i in range(3)]
    result = gi_star(y, queen_weights(list(range(9)), polys))
    assert not result.classes.any() and (result.p == 1).all()


def test_features_and_cells_carry_z_p_and_class():
    area = box(84.85, 45.59, 84.90, 45.62)  # ~3.9 km × 3.3 km near Karamay
    cells = Cells.build(area, size_m=500)
    assert 50 <= cells.w.n <= 80
    rng = np.random.default_rng(SEED + 3)
    lon, lat = 84.85 + 0.05 * rng.random(400), 45.59 + 0.03 * rng.random(400)
    counts = cells.counts(lon, lat)
    assert sum(counts.values()) == 400  # every point of the area falls in a cell
    feats = features(gi_star(counts, cells.w), cells.geojson())
    assert len(feats) == cells.w.n
    props = feats[0]["properties"]
    assert {"count", "z", "p", "class", "label", "colour"} <= set(props)
    ring = feats[0]["geometry"]["coordinates"][0]
    assert len(ring) == 5 and ring[0] == ring[-1]
    micro = MicroGrids.build([1, 2], [box(0, 0, 1, 1), box(1, 0, 2, 1)])
    assert micro.w.neighbors == {1: [2], 2: [1]}


def test_areas_sharing_an_edge_without_a_vertex_are_neighbours():
    # the upper square meets the long lower strip along an edge where the strip has no vertex
    # (a T-junction): libpysal's vertex-based Queen would leave them apart
    polys = [box(0, 0, 3, 1), box(1, 1, 2, 2), box(5, 5, 6, 6)]
    w = queen_weights([10, 20, 30], polys)
    assert w.neighbors == {10: [20], 20: [10], 30: []}


def test_the_micro_grids_graph_has_the_weights_neighbours_and_the_same_gi_star():
    # MicroGrids builds its Gi* graph with PySAL's vectorised Graph, not through a W: the same
    # links (a T-junction and an island included) and the same z as the W it replaced
    rng = np.random.default_rng(SEED)
    polys = [*_voronoi(60, rng), box(1, 0, 2, 0.5), box(5, 5, 6, 6)]
    ids = [i * 3 + 1 for i in range(len(polys))]
    micro = MicroGrids.build(ids, polys)
    w = queen_weights(ids, polys)
    links = {(int(a), int(b)) for a, b, v in micro.g.adjacency.reset_index().itertuples(index=False)
             if a != b and v}
    assert links == {(a, b) for a, ns in w.neighbors.items() for b in ns}
    assert micro.w.neighbors == w.neighbors  # the W, built when asked for
    y = rng.poisson(3.0, len(ids)).astype(float)
    ours = gi_star(y, micro.g)
    theirs = gi_star(y, w)
    assert ours.ids == theirs.ids
    np.testing.assert_allclose(ours.z, theirs.z)
