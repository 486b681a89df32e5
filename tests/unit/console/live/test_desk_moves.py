"""Unit moves as small diffs: the hub's copy-on-write patch of its snapshot, and a desk session
taking the patch — only its own units, signatures kept so the next full diff sends nothing twice,
and a restricted session's jurisdiction holding for moves too. No Panel server, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from console.api.auth_scope import filter_snapshot
from console.desk.state import DeskState, epoch_ms, unit_features, unit_rows
from console.live.desk_moves import (
    MoveTrace,
    merge_deliveries,
    move_of,
    patch_moves,
    signatures,
    unit_index,
)
from dispatch.access import Principal

T0 = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def unit(i: int, *, street: int = 1, lon: float | None = 84.8, lat: float | None = 45.6
         ) -> dict[str, Any]:
    return {"id": i, "code": f"U{i}", "name": f"单位{i}", "type": "grid_worker",
            "status": "available", "active_assignments": 0, "capacity": 3, "position_at": T0,
            "lon": lon, "lat": lat, "street_id": street}


def snap(version: int = 1, units: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    units = units if units is not None else [unit(1), unit(2, street=2), unit(3)]
    board = unit_rows(units)
    return {"version": version, "server_ms": 0, "local_ms": 0.0, "queue": [], "units": board,
            "case_features": {}, "unit_features": unit_features(board),
            "unit_index": unit_index(board),
            "areas": {"incidents": {}, "units": {
                u["id"]: {"id": u["id"], "street_id": u["street_id"], "community_id": None,
                          "home_grid_id": None} for u in units}}}


def with_sigs(s: dict[str, Any]) -> dict[str, Any]:
    return {**s, "sigs": signatures(s)}


def moved(i: int, lon: float, lat: float, *, after_s: float = 60) -> dict[str, Any]:
    m = move_of({"type": "unit_moved", "unit_id": i, "lon": lon, "lat": lat,
                 "at": (T0 + timedelta(seconds=after_s)).isoformat()})
    assert m is not None
    return m


def test_move_of_reads_unit_moved_events_only():
    m = move_of({"type": "unit_moved", "unit_id": 5, "lon": 84.1, "lat": 45.2,
                 "at": T0.isoformat()})
    assert m is not None and m.pop("heard_ms") > 0
    assert m == {"id": 5, "lon": 84.1, "lat": 45.2, "position_ms": epoch_ms(T0)}
    assert move_of({"type": "unit_status_changed", "unit_id": 5}) is None
    assert move_of({"type": "unit_moved", "unit_id": "x", "lon": 1, "lat": 2}) is None


def test_patch_moves_copies_on_write_and_keeps_the_last_position():
    old = snap()
    new, rows, feats = patch_moves(old, [moved(1, 84.81, 45.61), moved(1, 84.82, 45.62, after_s=90),
                                         moved(99, 1.0, 1.0)], version=2)
    assert new["version"] == 2 and [r["id"] for r in rows] == [1] and list(feats) == ["1"]
    assert feats["1"]["geometry"]["coordinates"] == [84.82, 45.62]
    assert rows[0]["position_ms"] == epoch_ms(T0 + timedelta(seconds=90))
    row = new["units"][new["unit_index"][1]]
    assert (row["lon"], row["lat"]) == (84.82, 45.62)
    # the old snapshot (which sessions may still hold) is untouched; unmoved rows are shared
    assert old["units"][old["unit_index"][1]]["lon"] == 84.8
    assert old["unit_features"]["1"]["geometry"]["coordinates"] == [84.8, 45.6]
    assert new["units"][new["unit_index"][2]] is old["units"][old["unit_index"][2]]


def test_a_move_older_than_the_position_shown_is_skipped():
    _, rows, feats = patch_moves(snap(), [moved(1, 84.0, 45.0, after_s=-60)], version=2)
    assert rows == [] and feats == {}


def test_a_session_takes_a_move_as_a_patch_of_one_row_and_one_marker():
    state = DeskState()
    state.apply_snapshot(snap(1))
    state.map_updates(full=True)
    before = list(state.units)
    new, rows, feats = patch_moves(snap(1), [moved(3, 84.9, 45.7)], version=2)
    out_rows, out_feats = state.apply_moves(rows, feats, version=2, sent=True)
    assert [r["id"] for r in out_rows] == [3] and [f["id"] for f in out_feats] == ["3"]
    assert state.version == 2
    assert state.units[[r["id"] for r in state.units].index(3)]["lon"] == 84.9
    assert before[[r["id"] for r in before].index(3)]["lon"] == 84.8  # its own copy was patched
    # the next full snapshot (which includes the move) has nothing left to send for it
    state.apply_snapshot(new)
    assert state.map_updates()["units"] == ([], [])


def test_a_move_before_the_browser_loaded_is_sent_with_the_full_push():
    state = DeskState()
    state.apply_snapshot(snap(1))
    _, rows, feats = patch_moves(snap(1), [moved(3, 84.9, 45.7)], version=2)
    state.apply_moves(rows, feats, version=2, sent=False)
    ups = {f["id"]: f for f in state.map_updates(full=True)["units"][0]}
    assert ups["3"]["geometry"]["coordinates"] == [84.9, 45.7]


def test_a_restricted_session_gets_only_its_streets_units_in_moves_too():
    dispatcher = Principal(name="街道调度员", role="dispatcher", street_id=1)
    state = DeskState()
    state.apply_snapshot(filter_snapshot(dispatcher, snap(1)))
    assert sorted(r["id"] for r in state.units) == [1, 3]
    _, rows, feats = patch_moves(snap(1), [moved(2, 84.9, 45.7), moved(1, 84.7, 45.5)],
                                 version=2)
    out_rows, out_feats = state.apply_moves(rows, feats, version=2, sent=True)
    assert [r["id"] for r in out_rows] == [1] and [f["id"] for f in out_feats] == ["1"]
    assert "2" not in state.features["units"]


def test_a_full_snapshot_read_after_moves_sends_nothing_again():
    """The table holds more decimals than an event: rows agree at 1 cm, so the periodic
    refresh re-sends neither the board nor the markers the moves already sent."""
    state = DeskState()
    state.apply_snapshot(with_sigs(snap(1)))
    state.map_updates(full=True)
    m = move_of({"type": "unit_moved", "unit_id": 3, "lon": round(84.912345678, 7),
                 "lat": round(45.712345678, 7), "at": (T0 + timedelta(seconds=60)).isoformat()})
    assert m is not None
    new, rows, feats = patch_moves(with_sigs(snap(1)), [m], version=2)
    state.apply_moves(rows, feats, version=2, sent=True, sigs=new["sigs"])
    assert state.map_updates()["units"] == ([], [])
    board = state.units
    table = [unit(1), unit(2, street=2), unit(3, lon=84.912345678, lat=45.712345678)]
    table[2]["position_at"] = T0 + timedelta(seconds=60)
    assert state.apply_snapshot(with_sigs(snap(3, table)))
    assert state.units is board  # equal rows: no parameter event, nothing sent to the board
    assert state.map_updates()["units"] == ([], [])


def test_a_full_snapshot_with_the_same_units_in_order_patches_only_the_changed_rows():
    state = DeskState()
    state.apply_snapshot(snap(1))
    board = state.units
    table = [unit(1), unit(2, street=2), unit(3, lon=84.85)]
    assert state.apply_snapshot(snap(2, table))
    assert state.units is board and [r["id"] for r in state.patched] == [3]
    assert state.units[[r["id"] for r in state.units].index(3)]["lon"] == 84.85
    state.apply_snapshot(snap(3, [unit(1), unit(3, lon=84.85)]))  # one gone: a new list
    assert state.units is not board and state.patched == []


def _delivery(old: dict[str, Any], moves: list[dict[str, Any]], version: int
              ) -> dict[str, Any]:
    new, rows, feats = patch_moves(old, moves, version=version)
    return {"snapshot": new, "events": [{"type": "unit_moved", "v": version}],
            "moves": {"base": old["version"], "units": rows, "features": feats}}


def test_two_waiting_move_deliveries_merge_into_one_patch_from_the_first_base():
    s1 = snap(1)
    d2 = _delivery(s1, [moved(1, 84.81, 45.61), moved(3, 84.9, 45.7)], 2)
    d3 = _delivery(d2["snapshot"], [moved(1, 84.83, 45.63, after_s=90)], 3)
    both = merge_deliveries(d2, d3)
    assert both["snapshot"] is d3["snapshot"] and both["moves"]["base"] == 1
    assert both["moves"]["versions"] == [2, 3] and len(both["events"]) == 2
    assert {r["id"]: r["lon"] for r in both["moves"]["units"]} == {1: 84.83, 3: 84.9}
    assert both["moves"]["features"]["1"]["geometry"]["coordinates"] == [84.83, 45.63]
    # a session on version 1 taking the merged patch shows what taking both would show
    one, two = DeskState(), DeskState()
    for state in (one, two):
        state.apply_snapshot(snap(1))
        state.map_updates(full=True)
    one.apply_moves(both["moves"]["units"], both["moves"]["features"], version=3, sent=True)
    for d in (d2, d3):
        two.apply_moves(d["moves"]["units"], d["moves"]["features"],
                        version=d["snapshot"]["version"], sent=True)
    assert one.units == two.units and one.version == two.version == 3
    assert one.features == two.features and one.sent == two.sent
    # a third on top keeps the first base and every version
    d4 = _delivery(d3["snapshot"], [moved(2, 84.7, 45.5)], 4)
    assert merge_deliveries(both, d4)["moves"]["versions"] == [2, 3, 4]


def test_a_snapshot_between_moves_makes_the_merge_a_whole_snapshot():
    s1 = snap(1)
    d2 = _delivery(s1, [moved(1, 84.81, 45.61)], 2)
    full = {"snapshot": snap(7), "events": [{"type": "incident_created"}]}
    merged = merge_deliveries(d2, full)
    assert "moves" not in merged and merged["snapshot"] is full["snapshot"]
    assert len(merged["events"]) == 2
    d8 = _delivery(full["snapshot"], [moved(3, 84.9, 45.7)], 8)
    # moves after a whole snapshot: the whole (later) snapshot, not a patch on a base unseen
    assert "moves" not in merge_deliveries(full, d8)
    with pytest.raises(ValueError):
        merge_deliveries(d2, {"error": "数据暂不可用", "events": []})


def test_a_full_read_re_signs_only_the_features_that_changed() -> None:
    before = with_sigs(snap())
    after = snap(2, [unit(1), unit(2, street=2), unit(3)])
    after["unit_features"]["3"]["properties"]["status"] = "on_scene"
    sigs = signatures(after, before)
    assert sigs == signatures(after)  # the same signatures as signing everything afresh
    assert sigs["units"]["1"] is before["sigs"]["units"]["1"]  # equal: kept, not re-made
    assert sigs["units"]["3"] != before["sigs"]["units"]["3"]
    assert signatures(after, {"version": 1}) == sigs  # a snapshot without signatures


def test_the_trace_keeps_what_each_delivery_cost_a_session() -> None:
    trace = MoveTrace(keep=2)
    for _ in range(3):
        with trace.spending():
            sum(range(1000))
    assert len(trace.apply_cpu) == 2 and all(ms >= 0 for ms in trace.apply_cpu)
