"""A street desk open during an area replacement (console.live.desk_rehome) on real PostGIS: a
centre's areas (Chengdu's Wuhou, drawn by hand) are imported again, redrawn with the same codes
(new ids); the desk, without a reload, moves to its street's new hub and still shows its
street's case (before: an empty part until the page was reloaded)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from console.bootstrap import App
from console.live.desk_part import part_of
from console.live.desk_registry import hub_for, part_hubs
from console.ops.importing import import_areas, import_roads
from console.pages.desk import DeskSession
from dispatch.adapters.accounts import create_account, principal_for_account
from geo.settings import Settings
from tests import chengdu_files as cd
from tests.integration.test_live_hubs import until

pytestmark = pytest.mark.skipif(not cd.ROADS.exists(), reason="../shared/data is missing")
DISTRICT = ("510107", "武侯区")


@pytest.fixture
def app(settings: Settings, empty_engine: Engine, tmp_path: Path) -> Iterator[App]:
    from console.bootstrap import bootstrap

    with empty_engine.begin() as conn:
        import_areas(conn, cd.make_areas(tmp_path), district=DISTRICT)
        import_roads(conn, cd.ROADS)
    app = bootstrap(settings, url=empty_engine.url.render_as_string(hide_password=False))
    try:
        yield app
    finally:
        part_hubs(app).stop()
        app.engine.dispose()


def test_a_street_desk_follows_its_street_through_an_area_replacement(
        app: App, tmp_path: Path) -> None:
    with app.engine.begin() as conn:
        row = conn.execute(text("SELECT id, code FROM streets ORDER BY id LIMIT 1")).one()
        street, code = int(row[0]), str(row[1])
        account = create_account(conn, username="rehome_disp", password="Rehome-pass-2026",
                                 role="dispatcher", street_id=street, display_name="调度员")
        principal = principal_for_account(conn, account)
        case = int(conn.scalar(text("""
            INSERT INTO incidents (code, channel, category, title, state, geom, street_id,
                                   community_id, grid_id, micro_grid_id)
            SELECT '2026-000001', 'hotline', 'neighbour', '噪音', 'located',
                   ST_PointOnSurface(mg.geom), c.street_id, c.id, g.id, mg.id
            FROM micro_grids mg JOIN grids g ON g.id = mg.grid_id
            JOIN communities c ON c.id = g.community_id WHERE c.street_id = :s
            ORDER BY mg.id LIMIT 1 RETURNING id"""), {"s": street}))
    assert principal is not None
    session = DeskSession(app, hub_for(app, part_of(principal)))
    session.principal = session.triage_feed.principal = principal  # as page_principal() gives
    old_hub = session.hub
    heard: list[dict[str, Any]] = []
    session.token = old_hub.subscribe(heard.append)
    try:
        session.apply({"snapshot": old_hub.snapshot(max_age_s=0), "events": []})
        assert case in {r["id"] for r in session.state.queue}
        assert old_hub._source is not None and old_hub._source.wait_ready()
        redrawn = tmp_path / "redrawn"
        redrawn.mkdir()
        with app.engine.begin() as conn:  # the same codes, the inner lines drawn anew
            import_areas(conn, cd.make_areas(redrawn, seed=99), district=DISTRICT)
            new_street = conn.scalar(text("SELECT id FROM streets WHERE code = :c"), {"c": code})
        assert new_street != street
        news = until(lambda: next((p for p in heard if p.get("replaced")), None), 30.0)
        assert news is not None, "the desk was never told the areas were replaced"
        session.apply(news)
        assert session.principal is not None and session.principal.street_id == new_street
        assert session.hub is not old_hub
        assert session.hub.part == (frozenset({new_street}), "rehome_disp")
        assert old_hub.subscribers == 0  # the desk left the old part's hub
        assert case in {r["id"] for r in session.state.queue}  # its street's case, no reload
    finally:
        if session.token is not None:
            session.hub.unsubscribe(session.token)
