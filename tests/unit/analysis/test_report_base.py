"""The report's map base: rings of the simplified micro-grids made in one vectorised pass."""

from __future__ import annotations

import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from analysis.report import rings_of


def test_rings_of_keeps_each_shape_its_parts_and_their_exterior_rings():
    square = box(0, 0, 1, 1)
    holed = Polygon([(2, 0), (5, 0), (5, 3), (2, 3)], [[(3, 1), (4, 1), (4, 2), (3, 2)]])
    two = MultiPolygon([box(10, 10, 11, 11), box(12, 10, 13, 12)])
    got = rings_of([square, holed, Polygon(), two])
    want = [[[(float(x), float(y)) for x, y in p.exterior.coords] for p in g.geoms]
            if isinstance(g, MultiPolygon) else
            ([] if g.is_empty else [[(float(x), float(y)) for x, y in g.exterior.coords]])
            for g in (square, holed, Polygon(), two)]
    assert got == want
    assert len(got[3]) == 2 and got[1][0][0] == (2.0, 0.0)  # the hole is not drawn
    assert rings_of([]) == []
    assert rings_of([shapely.from_wkt("POLYGON EMPTY")]) == [[]]
