"""Fewer deliveries from a desk hub, without a database: the moves waiting when a patch is due go
out with it as one snapshot (every desk applies, sends and paints once instead of twice), moves
wait one frame after the last delivery of either kind (a patch included) while a patch keeps its
own pace, and moves wait for a patch due just after them but never for a full read's pace."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from console.live import desk_hub
from console.live.desk_hub import DeskHub
from console.live.desk_moves import move_gap
from console.live.desk_patch import patch_snapshot
from tests.unit.console.live.test_desk_patch import CASES, POLICY, T0, UNITS, changes, full
from tests.unit.console.live.test_desk_route import SlowRead

MOVE = {"type": "unit_moved", "unit_id": 1, "lon": 84.95, "lat": 45.7,
        "at": (T0 + timedelta(minutes=1)).isoformat()}


def hub_with_rows(monkeypatch: pytest.MonkeyPatch) -> tuple[DeskHub, list[dict[str, Any]]]:
    """A whole-territory hub showing CASES and UNITS (version 1) whose patch puts in
    ``changes()`` (case 2 made urgent among others) as DeskHub.patch would; its deliveries."""
    hub = DeskHub(SlowRead(), refresh_s=600)  # type: ignore[arg-type]
    hub._snap, hub._version = full(CASES, UNITS, 1), 1

    def patch(cases: set[int], units: set[int]) -> dict[str, Any]:
        with hub._lock:
            seq = hub._seq
            hub._version += 1
            assert hub._snap is not None
            snap = patch_snapshot(hub._snap, changes(), policy=POLICY, version=hub._version)
            return hub._install(snap, seq)

    monkeypatch.setattr(hub, "patch", patch)
    sent: list[dict[str, Any]] = []
    hub._subs[0] = sent.append
    return hub, sent


def test_moves_waiting_when_a_patch_is_due_go_with_it_as_one_delivery(
        monkeypatch: pytest.MonkeyPatch) -> None:
    hub, sent = hub_with_rows(monkeypatch)
    hub.poke({"type": "state_changed", "incident_id": 2})
    hub.poke(MOVE)
    assert hub._refresh() is False  # a patch, not a full read
    assert len(sent) == 1 and "moves" not in sent[0]
    snap = sent[0]["snapshot"]
    assert snap["version"] == 3 and hub.version == 3
    assert snap["queue"][0]["id"] == 2  # the patch: case 2 made urgent
    row = snap["units"][snap["unit_index"][1]]
    assert (row["lon"], row["lat"]) == (84.95, 45.7)  # the move on top
    assert snap["unit_features"]["1"]["geometry"]["coordinates"] == [84.95, 45.7]
    # the sessions at version 1 diff only what the patch and the move named
    assert snap["changed"]["base"] == 1 and "1" in snap["changed"]["units"]
    traced = {r["version"]: r for r in hub.trace.rows()}
    assert traced[2]["cases"] == [2] and traced[3]["units"] == [1]
    assert not hub._moves


def test_moves_with_nothing_to_read_still_go_out(monkeypatch: pytest.MonkeyPatch) -> None:
    hub, sent = hub_with_rows(monkeypatch)
    hub.poke(MOVE)
    hub._due = 0.0  # a refresh came due that finds nothing to re-read
    assert hub._refresh() is False
    assert len(sent) == 1 and sent[0]["moves"]["base"] == 1
    assert [r["id"] for r in sent[0]["moves"]["units"]] == [1]


def test_moves_wait_a_frame_after_a_patch_and_a_patch_keeps_its_own_pace(
        monkeypatch: pytest.MonkeyPatch) -> None:
    hub, _ = hub_with_rows(monkeypatch)
    hub.poke({"type": "state_changed", "incident_id": 2})
    hub._refresh()
    hub.poke(MOVE)
    # the patch took the frame: the next moves wait one after it
    assert hub._moves_due(None) == hub._last_frame + move_gap(1)
    hub._send_moves([{"id": 3, "lon": 84.95, "lat": 45.7, "position_ms": None,
                      "heard_ms": 0.0}])
    hub.poke({"type": "state_changed", "incident_id": 4})
    # moves going out do not hold a case back: it waits only for the last patch's frame
    assert hub._due is not None and hub._due < hub._last_frame + move_gap(1)


def test_moves_wait_for_a_patch_due_just_after_them_not_for_a_full_read() -> None:
    hub = DeskHub(SlowRead(), refresh_s=600)  # type: ignore[arg-type]
    hub._last_frame = 100.0
    at, fold = 100.0 + move_gap(0), desk_hub.FOLD_S
    assert hub._moves_due(None) == at
    assert hub._moves_due(at + fold / 2) == at + fold / 2  # they go together
    assert hub._moves_due(100.0 + 0.5) == at  # a full read's pace: the moves go alone
