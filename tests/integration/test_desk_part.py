"""A jurisdiction's own desk snapshot (console.live.desk_part) on real PostGIS: cut by the same
rules, a street's, a district's and a dispatcher's part show what the whole territory's snapshot
cut to them shows, while reading only their streets' rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from console.api.auth_scope import filter_snapshot
from console.bootstrap import App
from console.live.desk_hub import DeskHub
from console.live.desk_part import DeskParts, part_of
from dispatch.access import Principal
from geo.settings import Settings
from tests.conftest import demo_copy

SHOWN = ("queue", "units", "case_features", "unit_features")


@pytest.fixture(scope="module")
def app(settings: Settings, base_db: str, demo_territory: Any) -> Iterator[App]:
    from console.bootstrap import bootstrap

    with demo_copy(settings, base_db, demo_territory, tag="dpart") as (url, _):
        app = bootstrap(settings, url=url)
        try:
            yield app
        finally:
            app.engine.dispose()


def _readers(app: App) -> list[Principal]:
    with app.engine.connect() as conn:
        streets = [int(s) for s in conn.scalars(text("SELECT id FROM streets ORDER BY id"))]
        creator = conn.scalar(text("SELECT created_by FROM incidents WHERE state = 'located' "
                                   "AND street_id <> :s LIMIT 1"), {"s": streets[0]})
    return [Principal(name="street-duty", role="duty", street_id=streets[0]),
            Principal(name=str(creator or "nobody"), role="dispatcher", street_id=streets[0]),
            Principal(name="district-duty", role="duty", district_id=1,
                      district_streets=frozenset(streets[1:3]))]


def test_a_part_shows_what_the_territory_cut_to_it_shows(app: App) -> None:
    whole = DeskHub(app).compute()
    parts = DeskParts(app)
    assert len(whole["queue"]) < 2000  # the queue limit binds neither read here
    for who in _readers(app):
        key = part_of(who)
        assert key is not None
        mine = filter_snapshot(who, parts.read(key, version=whole["version"]))
        cut = filter_snapshot(who, whole)
        for k in SHOWN:
            assert mine[k] == cut[k], (who.name, k)
        assert mine["queue"], who.name
    # the part's read holds only its streets' units (the territory's are not read at all)
    street = _readers(app)[0].street_id
    assert street is not None
    raw = parts.read((frozenset({street}), None), version=0)
    assert len(raw["units"]) < len(whole["units"])


def test_whole_territory_readers_keep_the_shared_snapshot(app: App) -> None:
    assert part_of(None) is None
    assert part_of(Principal(name="boss", role="duty")) is None
    assert part_of(Principal(name="a", role="admin", street_id=1)) is None
    assert part_of(Principal(name="f", role="field", grid_id=3, unit_id=9)) is None
    parts = DeskParts(app)
    key = (frozenset({1}), None)
    first = parts.snapshot(key, version=1)
    assert parts.snapshot(key, version=2) is first and parts.reads == 1  # within MAX_AGE_S
