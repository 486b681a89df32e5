"""The recommendation with its ETA cut-off equals the full computation on the demo's roads, at the
policy's horizon and at horizons short enough that units past them are ranked and shown."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from sqlalchemy import text

from dispatch.bootstrap import bootstrap
from dispatch.eta import eta_columns
from dispatch.handlers_assign import recommend_for
from dispatch.policy import Policy
from dispatch.recommend import Recommendation

HORIZONS = (3600.0, 120.0, 45.0)


def _app(engine, clock, horizon):  # type: ignore[no-untyped-def]
    base = Policy()
    policy = replace(base, weights=replace(base.weights, eta_horizon_s=horizon))
    return bootstrap(engine, clock=clock, policy=policy, policy_check_s=0)


def _cases(engine, n=12):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return [int(i) for i in conn.scalars(text(
            "SELECT id FROM incidents WHERE geom IS NOT NULL "
            "ORDER BY hashint4(id) LIMIT :n"), {"n": n})]


@pytest.mark.parametrize("horizon", HORIZONS)
def test_cut_off_ranking_equals_the_full_computation(demo_copy, clock, horizon):
    app = _app(demo_copy, clock, horizon)
    ids = _cases(demo_copy)
    assert len(ids) == 12
    with app.uow() as uow:
        for iid in ids:
            for exclude in ((), tuple(c.unit.id for c in recommend_for(
                    iid, uow, full=True).candidates[:3])):
                cut = recommend_for(iid, uow, exclude=exclude)
                full = recommend_for(iid, uow, exclude=exclude, full=True)
                assert cut.as_dict(50) == full.as_dict(50), (iid, horizon, exclude)
                assert cut.best_unit_ids == full.best_unit_ids


def test_the_etas_within_the_cut_off_are_the_full_ones(demo_copy, clock):
    app = _app(demo_copy, clock, 3600.0)
    with app.uow() as uow, demo_copy.connect() as conn:
        table = uow.candidate_table()
        placed = np.flatnonzero(table.placed)
        pts = np.column_stack((table.lon[placed], table.lat[placed]))
        foot = table.on_foot[placed]
        for lon, lat in conn.execute(text(
                "SELECT ST_X(geom), ST_Y(geom) FROM incidents WHERE geom IS NOT NULL "
                "ORDER BY hashint4(id) LIMIT 15")).all():
            full = eta_columns(app.eta, pts, foot, (lon, lat))
            for limit in (30.0, 120.0, 600.0, 3600.0):
                cut = eta_columns(app.eta, pts, foot, (lon, lat), within_s=limit)
                within = full.seconds <= limit
                assert np.array_equal(cut.seconds[within], full.seconds[within])
                assert np.array_equal(cut.metres[within], full.metres[within])
                assert (cut.method[~within] == "beyond").all()


def test_without_its_second_pass_the_cut_off_would_change_the_answer(demo_copy, clock,
                                                                    monkeypatch):
    """The comparison above can fail: at a short horizon units past it are shown, and taking
    their ETAs as unknown (no second, full pass) changes what is shown."""
    app = _app(demo_copy, clock, 45.0)
    ids = _cases(demo_copy)
    with app.uow() as uow:
        full = [recommend_for(i, uow, full=True).as_dict(50) for i in ids]
        monkeypatch.setattr(Recommendation, "shown_unit_ids", property(lambda self: ()))
        cut = [recommend_for(i, uow).as_dict(50) for i in ids]
    assert cut != full
