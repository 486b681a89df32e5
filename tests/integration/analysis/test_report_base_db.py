"""The report's map base on real PostGIS: one per scope and process, outlined by the scope's own
boundary, and rebuilt after a territory edit (a street's boundary, a micro-grid) — never stale."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import shapely
from sqlalchemy import Engine, text

from analysis import report
from analysis.report import map_base
from dispatch.stats_scope import Scope
from geo import db
from tests.conftest import _copy_db, loaded_template


@pytest.fixture()
def engine(settings, base_db, demo_territory, monkeypatch) -> Iterator[Engine]:
    monkeypatch.setattr(report, "BASE_CHECK_S", 0.0)  # look at the signature on every call
    name = f"{base_db}_mb{uuid.uuid4().hex[:6]}"
    eng = db.make_engine(_copy_db(settings, loaded_template(settings, base_db, demo_territory),
                                  name))
    yield eng
    eng.dispose()
    db.drop_database(settings, name)


def _west(rings: list[list[tuple[float, float]]]) -> float:
    return min(x for r in rings for x, _ in r)


def test_the_base_follows_the_scope_and_a_territory_edit(engine: Engine) -> None:
    with engine.connect() as conn:
        street = int(conn.scalar(text("SELECT min(id) FROM streets")))
        mine = {int(r[0]) for r in conn.execute(text(
            "SELECT m.id FROM micro_grids m JOIN grids g ON g.id = m.grid_id "
            "JOIN communities c ON c.id = g.community_id WHERE c.street_id = :s"), {"s": street})}
        west = float(conn.scalar(text("SELECT ST_XMin(geom) FROM streets WHERE id = :s"),
                                 {"s": street}))
        base = map_base(conn, Scope(street=street))
        assert base is not None and set(base.grids.ids) == mine == set(base.simple)
        assert map_base(conn, Scope(street=street)) is base  # kept while nothing changed
        assert _west(base.outline) == pytest.approx(west, abs=1e-3)  # the street's own boundary
        whole = map_base(conn, Scope())
        assert whole is not None and whole is not base and len(whole.grids.ids) > len(mine)
    with engine.begin() as conn:  # an administrator moves the street's boundary
        conn.execute(text("UPDATE streets SET geom = ST_Translate(geom, -0.01, 0) WHERE id = :s"),
                     {"s": street})
    with engine.connect() as conn:
        moved = map_base(conn, Scope(street=street))
        assert moved is not base and _west(moved.outline) == pytest.approx(west - 0.01, abs=1e-3)
        one = min(mine)
    with engine.begin() as conn:  # … and re-draws one of its micro-grids
        conn.execute(text("UPDATE micro_grids SET geom = ST_Multi(ST_Buffer(ST_Centroid(geom), "
                          "0.0005)) WHERE id = :m"), {"m": one})
    with engine.connect() as conn:
        again = map_base(conn, Scope(street=street))
        assert again is not moved
        assert not shapely.equals_exact(again.simple[one], moved.simple[one], 1e-9)
