"""Row patches without a database: patch_snapshot puts re-read rows in their sorted places (copy
on write) and names what changed; a session whose map shows the patch's base diffs only those
features, and gets the same upserts and removals as a diff over the whole city. (The patch
against a full read on PostGIS: tests/integration/test_desk_patch.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from console.desk.state import (
    DeskState,
    case_features,
    epoch_ms,
    queue_rows,
    unit_features,
    unit_rows,
)
from console.live.desk_moves import patch_moves, signatures, unit_index
from console.live.desk_patch import Changes, event_ids, patch_snapshot
from dispatch.policy import Policy

T0 = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
NOW = epoch_ms(T0) or 0
POLICY = Policy()


def case(i: int, *, state: str = "assigned", priority: int = 3, lon: float = 84.87
         ) -> dict[str, Any]:
    return {"id": i, "code": f"2026-{i:06d}", "title": f"案件{i}", "category": "neighbour",
            "priority": priority, "difficulty": "normal", "state": state, "risk_level": 0,
            "address": "天山路128号", "reported_at": T0 - timedelta(minutes=30),
            "sign_deadline": T0 + timedelta(minutes=60 + i),
            "close_deadline": T0 + timedelta(hours=72), "lon": lon, "lat": 45.6,
            "level": "community", "escalations": 0, "street_name": "胜利路街道",
            "community_name": "东风社区", "grid_name": "东风社区第6网格", "units": [],
            "supervision": None, "followup_due": None}


def unit(i: int, *, status: str = "available", load: int = 0) -> dict[str, Any]:
    return {"id": i, "code": f"U{i:03d}", "name": f"单位{i}", "type": "grid_worker",
            "status": status, "active_assignments": load, "capacity": 3, "position_at": T0,
            "lon": 84.8 + i / 1000, "lat": 45.6, "place": "", "cases": []}


def full(incidents: list[dict[str, Any]], units: list[dict[str, Any]], version: int
         ) -> dict[str, Any]:
    """What DeskHub.compute builds from these rows."""
    queue, board = queue_rows(incidents, policy=POLICY, now_ms=NOW), unit_rows(units)
    snap = {"version": version, "server_ms": NOW, "local_ms": 0.0, "queue": queue,
            "units": board, "case_features": case_features(queue),
            "unit_features": unit_features(board), "unit_index": unit_index(board),
            "areas": {"incidents": {c["id"]: {"id": c["id"]} for c in incidents},
                      "units": {u["id"]: {"id": u["id"]} for u in units}}}
    snap["sigs"] = signatures(snap)
    return snap


CASES = [case(i) for i in range(1, 9)]
UNITS = [unit(i) for i in range(1, 7)]


def changes() -> Changes:
    """Case 2 made urgent, case 3 closed, case 9 new; unit 4 busy, unit 6 gone."""
    return Changes({2, 3, 9}, {4, 6}, incidents=[case(2, priority=1), case(9)],
                   units=[unit(4, status="on_scene", load=1)],
                   areas={"incidents": {2: {"id": 2}, 9: {"id": 9}}, "units": {4: {"id": 4}}})


def test_a_patch_equals_a_full_read_of_the_same_rows_and_names_what_changed():
    base = full(CASES, UNITS, 1)
    new = patch_snapshot(base, changes(), policy=POLICY, version=2)
    cases = [case(2, priority=1) if c["id"] == 2 else c for c in CASES if c["id"] != 3]
    units = [unit(4, status="on_scene", load=1) if u["id"] == 4 else u for u in UNITS
             if u["id"] != 6]
    want = full([*cases, case(9)], units, 2)
    for key in ("queue", "units", "case_features", "unit_features", "unit_index", "sigs",
                "areas"):
        assert new[key] == want[key], key
    assert new["queue"][0]["id"] == 2 and new["units"][0]["id"] == 4  # re-sorted
    assert new["changed"] == {"base": 1, "incidents": {"2", "3", "9"}, "units": {"4", "6"}}
    assert base == full(CASES, UNITS, 1)  # copy on write
    assert new["queue"][1] is base["queue"][0]  # unchanged rows shared


def test_a_queue_over_its_limit_drops_the_oldest_cases(monkeypatch: pytest.MonkeyPatch):
    import console.live.desk_patch

    monkeypatch.setattr(console.live.desk_patch, "QUEUE_LIMIT", 8)
    new = patch_snapshot(full(CASES, UNITS, 1), Changes({9}, set(), incidents=[case(9)]),
                         policy=POLICY, version=2)
    assert sorted(r["id"] for r in new["queue"]) == list(range(2, 10))
    assert "1" not in new["case_features"] and "1" not in new["sigs"]["incidents"]


def test_a_session_at_the_patch_base_diffs_only_the_named_features(
        monkeypatch: pytest.MonkeyPatch):
    base = full(CASES, UNITS, 1)
    new = patch_snapshot(base, changes(), policy=POLICY, version=2)
    quick, whole, got = _hinted_and_whole(monkeypatch, base, new)
    assert sorted(f["id"] for f in got["incidents"][0]) == ["2", "9"]
    assert got["incidents"][1] == ["3"] and got["units"][1] == ["6"]
    assert quick.sent == whole.sent
    assert quick.map_updates() == {"incidents": ([], []), "units": ([], [])}


def test_a_session_not_at_the_base_or_after_a_move_diffs_everything():
    base = full(CASES, UNITS, 1)
    behind = DeskState()
    behind.apply_snapshot(base)
    behind.map_updates(full=True)
    mid = patch_snapshot(base, Changes({5}, set(), incidents=[case(5, lon=84.9)]),
                         policy=POLICY, version=2)
    behind.apply_snapshot(mid)  # not pushed (browser not loaded): the map still shows 1
    new = patch_snapshot(mid, changes(), policy=POLICY, version=3)
    behind.apply_snapshot(new)
    ups = behind.map_updates()["incidents"][0]
    assert {"5", "2", "9"} <= {f["id"] for f in ups}  # case 5 not missed
    moved = patch_moves(new, [{"id": 1, "lon": 84.95, "lat": 45.7, "position_ms": NOW + 1}],
                        version=4)[0]
    # a move on top keeps the patch's hint, from the patch's base, with its unit added
    assert moved["changed"] == {**new["changed"], "units": {*new["changed"]["units"], "1"}}
    assert behind.apply_snapshot(moved)
    assert {f["id"] for f in behind.map_updates()["units"][0]} == {"1"}


def test_moves_put_on_a_patch_are_diffed_by_its_hint_as_a_whole_diff_would(
        monkeypatch: pytest.MonkeyPatch):
    """A desk hub sends a patch and the moves waiting with it as one snapshot (DeskHub._fold):
    a session at the patch's base still diffs only the named features, and finds the moved
    marker with the patched ones."""
    base = full(CASES, UNITS, 1)
    new = patch_snapshot(base, changes(), policy=POLICY, version=2)
    moved = patch_moves(new, [{"id": 1, "lon": 84.95, "lat": 45.7, "position_ms": NOW + 1}],
                        version=3)[0]
    _, _, got = _hinted_and_whole(monkeypatch, base, moved)
    assert "1" in {f["id"] for f in got["units"][0]}


def test_a_long_chain_of_moves_drops_the_hint(monkeypatch: pytest.MonkeyPatch):
    import console.live.desk_moves

    monkeypatch.setattr(console.live.desk_moves, "HINT_UNITS", 3)
    snap = patch_snapshot(full(CASES, UNITS, 1), changes(), policy=POLICY, version=2)
    snap = patch_moves(snap, [{"id": 1, "lon": 84.95, "lat": 45.7, "position_ms": NOW + 1}],
                       version=3)[0]
    assert snap["changed"]["units"] == {"1", "4", "6"}
    snap = patch_moves(snap, [{"id": 2, "lon": 84.95, "lat": 45.7, "position_ms": NOW + 1}],
                       version=4)[0]
    assert "changed" not in snap  # over the bound: the sessions diff every feature


def test_event_ids_name_cases_and_units_or_nothing():
    assert event_ids({"type": "units_assigned", "incident_id": 4, "unit_ids": [1, 2],
                      "released_unit_ids": [3]}) == ({4}, {1, 2, 3})
    assert event_ids({"type": "duplicate_flagged", "incident_id": 4, "other_id": 7}) == (
        {4, 7}, set())
    assert event_ids({"type": "unit_status_changed", "unit_id": 5}) == (set(), {5})
    assert event_ids({"type": "policy_changed", "actor": "x"}) is None
    assert event_ids({"type": "state_changed", "incident_id": "x"}) is None


def test_equal_rows_from_a_new_read_are_held_without_an_event():
    state = DeskState()
    state.apply_snapshot(full(CASES, UNITS, 1))
    again = full(CASES, UNITS, 2)  # a full read: equal rows, new objects
    fired: list[str] = []
    state.param.watch(lambda e: fired.append(e.name), ["queue", "units"])
    state.apply_snapshot(again)
    assert fired == [] and state.patched == []
    assert state.queue is again["queue"]
    assert all(a is b for a, b in zip(state.units, again["units"], strict=True))


def _hinted_and_whole(monkeypatch: pytest.MonkeyPatch, base: dict[str, Any],
                      new: dict[str, Any]) -> tuple[DeskState, DeskState, Any]:
    """Two sessions at ``base`` given ``new``: one diffs by its hint, the other (hint dropped)
    over everything; asserts the hinted one diffed the two layers only, and both found the same
    features. Returns (hinted, whole, the hinted one's updates)."""
    quick, whole = DeskState(), DeskState()
    for s in (quick, whole):
        s.apply_snapshot(base)
        s.map_updates(full=True)
        s.apply_snapshot(new)
    whole._changed = None  # as if the hint were missing: the diff over everything
    seen: list[str] = []
    original = DeskState._diff_some

    def spy(self: DeskState, layer: str, ids: Any) -> Any:
        seen.append(layer)
        return original(self, layer, ids)

    monkeypatch.setattr(DeskState, "_diff_some", spy)
    got, want = quick.map_updates(), whole.map_updates()
    assert sorted(seen) == ["incidents", "units"]
    for layer in ("incidents", "units"):
        assert sorted(f["id"] for f in got[layer][0]) == sorted(f["id"] for f in want[layer][0])
        assert sorted(got[layer][1]) == sorted(want[layer][1])
    return quick, whole, got
