"""A street desk open during an area replacement (console.live.desk_rehome) on real PostGIS: the
demo's areas are replaced by themselves (same codes, new ids); the desk, without a reload,
moves to its street's new hub and still shows its street's case (before: an empty part until
the page was reloaded)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from console.bootstrap import App
from console.live.desk_part import part_of
from console.live.desk_registry import hub_for, part_hubs
from console.pages.desk import DeskSession
from dispatch.adapters.accounts import create_account, principal_for_account
from dispatch.adapters.area_replace import replace_keeping_history
from geo.settings import Settings
from tests.conftest import demo_copy
from tests.integration.test_desk_part_hubs import register
from tests.integration.test_live_hubs import until


@pytest.fixture(scope="module")
def app(settings: Settings, base_db: str, demo_territory: Any) -> Iterator[App]:
    from console.bootstrap import bootstrap

    with demo_copy(settings, base_db, demo_territory, tag="rehome") as (url, _):
        app = bootstrap(settings, url=url)
        try:
            yield app
        finally:
            part_hubs(app).stop()
            app.engine.dispose()


def test_a_street_desk_follows_its_street_through_an_area_replacement(
        app: App, demo_territory: Any) -> None:
    with app.engine.begin() as conn:
        row = conn.execute(text("SELECT id, code FROM streets ORDER BY id LIMIT 1")).one()
        street, code = int(row[0]), str(row[1])
        account = create_account(conn, username="rehome_disp", password="Rehome-pass-2026",
                                 role="dispatcher", street_id=street, display_name="调度员")
        principal = principal_for_account(conn, account)
    assert principal is not None
    case = register(app, street, 1)
    session = DeskSession(app, hub_for(app, part_of(principal)))
    session.principal = session.triage_feed.principal = principal  # as page_principal() gives
    old_hub = session.hub
    heard: list[dict[str, Any]] = []
    session.token = old_hub.subscribe(heard.append)
    try:
        session.apply({"snapshot": old_hub.snapshot(max_age_s=0), "events": []})
        assert case in {r["id"] for r in session.state.queue}
        assert old_hub._source is not None and old_hub._source.wait_ready()
        with app.engine.begin() as conn:
            replace_keeping_history(conn, demo_territory, actor="import")
            new_street = conn.scalar(text("SELECT id FROM streets WHERE code = :c"), {"c": code})
        assert new_street != street
        news = until(lambda: next((p for p in heard if p.get("replaced")), None), 30.0)
        assert news is not None, "the desk was never told the areas were replaced"
        session.apply(news)
        assert session.principal is not None and session.principal.street_id == new_street
        assert session.hub is not old_hub and session.hub.part == (frozenset({new_street}),
                                                                  "rehome_disp")
        assert old_hub.subscribers == 0  # the desk left the old part's hub
        assert case in {r["id"] for r in session.state.queue}  # its street's case, no reload
    finally:
        if session.token is not None:
            session.hub.unsubscribe(session.token)
