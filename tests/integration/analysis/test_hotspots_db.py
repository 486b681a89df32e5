"""The hotspot read model on the demo territory in PostGIS: micro-grids and their weights, counts
per period and per week, and Gi* equal to esda's on neighbours PostGIS finds itself."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from esda import G_Local
from libpysal.weights import W
from sqlalchemy import Engine, text

from analysis import queries as q
from analysis.gistar import gi_star
from analysis.hotspots import Cells, MicroGrids
from dispatch.stats_scope import Scope


def _end(conn) -> object:  # type: ignore[no-untyped-def]
    return conn.scalar(text("SELECT date_trunc('day', max(reported_at)) + interval '1 day' "
                            "FROM incidents"))


def test_weekly_bins_add_up_to_the_period_and_match_each_week(demo_engine: Engine) -> None:
    with demo_engine.connect() as conn:
        end = _end(conn)
        weeks = q.weekly_micro_counts(conn, Scope(), end, 12)
        bounds = q.week_bounds(end, 12)
        assert bounds[0][0] == end - timedelta(days=84) and bounds[-1][1] == end
        for k in (0, 5, 11):
            assert weeks[k] == q.micro_counts(conn, Scope(), *bounds[k])
        whole = q.micro_counts(conn, Scope(), bounds[0][0], end)
        summed: dict[object, float] = {}
        for week in weeks:
            for area, n in week.items():
                summed[area] = summed.get(area, 0.0) + n
        assert summed == whole and sum(whole.values()) > 1000
        located = q.points(conn, Scope(), bounds[0][0], end)
        assert len(located[0]) >= sum(whole.values()) * 0.95


def test_a_streets_micro_grids_and_outline(demo_engine: Engine) -> None:
    with demo_engine.connect() as conn:
        street = conn.scalar(text("SELECT min(id) FROM streets"))
        scope = Scope(street=street)
        ids, polys = q.micro_grids(conn, scope)
        expected = list(conn.execute(text(
            "SELECT m.id FROM micro_grids m JOIN grids g ON g.id = m.grid_id JOIN communities c "
            "ON c.id = g.community_id WHERE c.street_id = :s ORDER BY m.id"), {"s": street}).scalars())
        assert ids == expected and len(polys) == len(ids)
        outline = q.study_area(conn, scope)
    assert outline is not None
    cells = Cells.build(outline, size_m=500)
    assert cells.w.n > 0


def test_gi_star_equals_esda_on_neighbours_found_by_postgis(demo_engine: Engine) -> None:
    with demo_engine.connect() as conn:
        end = _end(conn)
        ids, polys = q.micro_grids(conn, Scope())
        counts = q.micro_counts(conn, Scope(), end - timedelta(days=90), end)
        pairs = conn.execute(text(
            "SELECT a.id, b.id FROM micro_grids a JOIN micro_grids b "
            "ON ST_Intersects(a.geom, b.geom)")).all()
    neighbours: dict[int, list[int]] = {i: [] for i in ids}
    for a, b in pairs:
        neighbours[int(a)].append(int(b))  # self included: Gi*'s own weight
    direct = G_Local(np.array([counts.get(i, 0.0) for i in ids]),
                     W(neighbours, id_order=ids, silence_warnings=True), transform="B", star=None,
                     permutations=0)
    ours = gi_star(counts, MicroGrids.build(ids, polys).g)
    assert ours.ids == tuple(ids)
    np.testing.assert_allclose(ours.z, direct.Zs, rtol=1e-9, atol=1e-12)
    assert (ours.classes == 3).sum() > 0
