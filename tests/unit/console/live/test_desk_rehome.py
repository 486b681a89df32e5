"""After an area replacement (``areas_replaced``) every desk reads its account's jurisdiction
again and takes its new part's hub (console.live.desk_rehome), without a database: the hub says
so in its next delivery (also merged, also with an error), and :func:`rehomed` resolves the
principal and the hub it now shares."""

from __future__ import annotations

from typing import Any

from console.live.desk_hub import DeskHub
from console.live.desk_moves import merge_deliveries
from console.live.desk_part import part_of
from console.live.desk_rehome import rehomed
from console.live.desk_route import DeskHubs
from dispatch.access import Principal
from tests.unit.console.live.test_desk_route import NoDatabase, part_hub, snapshot

OLD, NEW = 7, 107  # a street's id before and after the replacement (same code, new id)
REPLACED = {"type": "areas_replaced", "actor": "import", "incidents": 3, "units": 5}


def listening(hub: DeskHub) -> list[dict[str, Any]]:
    """Subscribe a recorder without starting the hub's thread (the test calls _refresh)."""
    got: list[dict[str, Any]] = []
    hub._subs[1] = got.append
    return got


def test_a_part_hub_tells_its_desks_the_areas_were_replaced() -> None:
    hubs = DeskHubs(lambda part: part_hub(part, hubs))
    hub = hubs.hub((frozenset({OLD}), None))
    hub._snap = snapshot([1], [2])
    got = listening(hub)
    hub.compute = lambda: snapshot([], [])  # type: ignore[method-assign,unused-ignore]
    hub.poke(REPLACED)
    assert hub._refresh() is True  # names nothing: a full read
    assert got[-1].get("replaced") is True
    hub.poke({"type": "incident_updated", "incident_id": 1})
    hub._refresh()
    assert "replaced" not in got[-1]  # said once


def test_the_territory_hub_says_it_too_even_when_its_read_fails() -> None:
    hub = DeskHub(NoDatabase(), refresh_s=600)  # type: ignore[arg-type]
    got = listening(hub)
    hub.poke(REPLACED)
    hub._refresh()
    assert "error" in got[-1] and got[-1]["replaced"] is True


def test_a_merged_delivery_keeps_the_news() -> None:
    a = {"snapshot": {"version": 1}, "events": [], "replaced": True}
    b = {"snapshot": {"version": 2}, "events": []}
    assert merge_deliveries(a, b)["replaced"] is True
    assert merge_deliveries(b, a)["replaced"] is True
    assert "replaced" not in merge_deliveries(b, b)


def test_a_street_desk_takes_its_streets_new_hub() -> None:
    hubs: DeskHubs = DeskHubs(lambda part: part_hub(part, hubs))
    before = Principal(name="disp", role="dispatcher", account_id=5, street_id=OLD)
    after = Principal(name="disp", role="dispatcher", account_id=5, street_id=NEW)
    old_hub = hubs.hub(part_of(before))  # type: ignore[arg-type]
    asked: list[int] = []

    def reread(account_id: int) -> Principal | None:
        asked.append(account_id)
        return after

    p, hub = rehomed(None, before, old_hub, reread=reread,  # type: ignore[arg-type]
                     hub_of=lambda q: hubs.hub(part_of(q)))  # type: ignore[arg-type]
    assert asked == [5] and p == after
    assert hub is not old_hub and hub.part == (frozenset({NEW}), "disp")


def test_a_desk_whose_jurisdiction_kept_its_hub_keeps_it_with_the_new_principal() -> None:
    whole = object()
    field = Principal(name="gw", role="field", account_id=9, grid_id=OLD, unit_id=3)
    moved = Principal(name="gw", role="field", account_id=9, grid_id=NEW, unit_id=3)
    p, hub = rehomed(None, field, whole, reread=lambda _i: moved,  # type: ignore[arg-type]
                     hub_of=lambda q: whole if part_of(q) is None else None)
    assert hub is whole and p == moved  # its rows are cut by the new grid


def test_no_account_or_an_account_gone_keeps_what_the_desk_has() -> None:
    hub = object()
    anonymous = Principal(name="x", role="duty")
    assert rehomed(None, anonymous, hub, reread=lambda _i: None,  # type: ignore[arg-type]
                   hub_of=lambda _q: None) == (anonymous, hub)
    gone = Principal(name="x", role="dispatcher", account_id=4, street_id=OLD)
    assert rehomed(None, gone, hub, reread=lambda _i: None,  # type: ignore[arg-type]
                   hub_of=lambda _q: None) == (gone, hub)  # old ids: it shows nothing, never more


def test_the_triage_stream_follows_its_readers_part_to_the_new_hub() -> None:
    """console.api.triage_stream re-reads its reader every few seconds; after an area
    replacement the reader's street has a new id, and the stream moves to that part's hub
    (before: it kept the old part's hub, whose triage rows were of streets gone)."""
    from console.live.desk_rehome import Following

    hubs: DeskHubs = DeskHubs(lambda part: part_hub(part, hubs))
    heard: list[tuple[Any, dict[str, Any]]] = []
    follow = Following(hubs.hub, lambda hub, payload: heard.append((hub, payload)))
    old_part, new_part = (frozenset({OLD}), None), (frozenset({NEW}), None)
    assert follow.to(old_part) is False  # the first hub: nothing left
    old = follow.hub
    try:
        assert follow.to(old_part) is False and follow.hub is old and old.subscribers == 1
        assert follow.to(new_part) is True
        assert follow.hub is not old and follow.hub.part == new_part
        assert old.subscribers == 0 and hubs.existing(old_part) is None  # dropped with it
        follow.hub._send({"snapshot": {"triage": []}})
        assert heard and heard[-1][0] is follow.hub  # deliveries name their hub
    finally:
        follow.leave()
    assert follow.hub.subscribers == 0
