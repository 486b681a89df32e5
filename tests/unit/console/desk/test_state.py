"""The duty desk's state without a browser or a database: deadline marks and phases, urgency
order, unit rows, allowed actions per state, map diffs, clicks and selection, and the desk's
static files (escaped text only, nothing from the internet)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from console.desk.case import allowed_actions, case_display
from console.desk.state import (
    DeskState,
    case_features,
    epoch_ms,
    live_marks,
    mark,
    phase,
    queue_rows,
    unit_features,
    unit_rows,
    urgency_key,
)
from console.map import STATIC_DIR
from dispatch import lifecycle, vocab
from dispatch.policy import Policy

T0 = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
NOW = epoch_ms(T0)
assert NOW is not None
POLICY = Policy()


def case(i: int, *, state: str = "assigned", priority: int = 3, sign_in_min: float = 60,
         close_in_h: float = 72, risk: int = 0, supervision: str | None = None,
         difficulty: str = "normal", **extra: Any) -> dict[str, Any]:
    return {"id": i, "code": f"2026-{i:06d}", "title": f"案件{i}", "category": "neighbour",
            "priority": priority, "difficulty": difficulty, "state": state, "risk_level": risk,
            "address": "天山路128号", "reported_at": T0 - timedelta(minutes=30),
            "sign_deadline": T0 + timedelta(minutes=sign_in_min),
            "close_deadline": T0 + timedelta(hours=close_in_h), "lon": 84.87, "lat": 45.6,
            "level": "community", "escalations": 0, "street_name": "胜利路街道",
            "community_name": "东风社区", "grid_name": "东风社区第6网格", "units": ["王薇"],
            "supervision": supervision, "followup_due": None, **extra}


# ---- marks and phases ----------------------------------------------------------------------------

def test_epoch_ms_reads_datetimes_and_iso_strings_alike():
    assert epoch_ms(T0) == epoch_ms("2026-11-21T16:00:00+08:00") == epoch_ms(
        "2026-11-21 16:00:00+08:00")
    assert epoch_ms(None) is None and epoch_ms("") is None


def test_mark_warns_at_the_policy_share_of_the_limit():
    # a normal case signs within 120 min; warning at 80 % gone = 24 min before the deadline
    m = mark("sign", T0, priority=3, difficulty="normal", policy=POLICY)
    assert m is not None
    assert m["label"] == "签收" and m["due_ms"] == NOW
    assert m["due_ms"] - m["warn_ms"] == 24 * 60_000
    close = mark("close", T0, priority=3, difficulty="complex", policy=POLICY)
    assert close is not None and close["due_ms"] - close["warn_ms"] == 3 * 86_400_000


@pytest.mark.parametrize(("offset_ms", "expected"), [
    (-25 * 60_000, "ok"), (-24 * 60_000, "warn"), (-1, "warn"), (0, "overdue"),
    (3_600_000, "overdue")])
def test_phase_turns_amber_at_the_warning_mark_and_red_at_the_deadline(offset_ms, expected):
    m = mark("sign", T0, priority=3, difficulty="normal", policy=POLICY)
    assert m is not None
    assert phase(m, NOW + offset_ms) == expected


def test_live_marks_follow_the_state():
    assert [m["kind"] for m in live_marks(case(1, state="assigned"), policy=POLICY)] == [
        "sign", "close"]
    assert [m["kind"] for m in live_marks(case(1, state="mediating"), policy=POLICY)] == [
        "close"]
    resolved = case(1, state="resolved", followup_due=T0 + timedelta(days=2))
    assert [m["kind"] for m in live_marks(resolved, policy=POLICY)] == ["followup"]
    assert live_marks(case(1, state="closed"), policy=POLICY) == []


# ---- queue order ---------------------------------------------------------------------------------

def test_queue_puts_overdue_then_warning_then_priority_risk_and_supervision_first():
    rows = queue_rows([
        case(1, priority=1, sign_in_min=100),                    # urgent, plenty of time
        case(2, priority=4, sign_in_min=-5),                     # low but overdue
        case(3, priority=3, sign_in_min=10),                     # warning (inside 24 min)
        case(4, priority=1, sign_in_min=100, risk=3),            # urgent and red risk
        case(5, priority=1, sign_in_min=100, supervision="yellow", risk=3),
        case(6, state="resolved", followup_due=T0 + timedelta(days=2)),
    ], policy=POLICY, now_ms=NOW)
    assert [r["id"] for r in rows] == [2, 3, 5, 4, 1, 6]
    assert rows[0]["group"] == "open" and rows[-1]["group"] == "followup"
    assert urgency_key(rows[0], NOW) < urgency_key(rows[1], NOW)


def test_queue_rows_carry_chinese_labels_place_and_marks():
    row = queue_rows([case(7, state="escalated", risk=2, escalations=1, level="street")],
                     policy=POLICY, now_ms=NOW)[0]
    assert row["state_label"] == "已上报" and row["category_label"] == "邻里纠纷"
    assert row["priority_label"] == "一般" and row["risk_label"] == "橙色"
    assert row["level_label"] == "街道矛调中心" and row["escalations"] == 1
    assert row["place"] == "东风社区 › 东风社区第6网格"
    assert [m["kind"] for m in row["clocks"]] == ["close"]  # escalated: the sign clock restarts
    assert row["reported_ms"] == NOW - 30 * 60_000


def test_unit_rows_busiest_first_with_labels_and_position_time():
    units = [
        {"id": 1, "code": "GW1", "name": "甲", "type": "grid_worker", "status": "available",
         "active_assignments": 0, "capacity": 3, "position_at": T0, "lon": 84.8, "lat": 45.6},
        {"id": 2, "code": "MD2", "name": "乙", "type": "mediator", "status": "on_scene",
         "active_assignments": 2, "capacity": 2, "position_at": None, "cases": ["2026-000001"],
         "lon": None, "lat": None},
    ]
    rows = unit_rows(units)
    assert [r["id"] for r in rows] == [2, 1]
    assert rows[0]["status_label"] == "到场处置" and rows[0]["type_label"] == "人民调解员"
    assert rows[0]["load"] == 2 and rows[0]["cases"] == ["2026-000001"]
    assert rows[1]["position_ms"] == NOW and rows[0]["position_ms"] is None
    assert list(unit_features(rows)) == ["1"]  # no position, no marker


# ---- actions -------------------------------------------------------------------------------------

def keys(state: str, **extra: Any) -> list[str]:
    return [a["key"] for a in allowed_actions({"state": state, **extra})]


def test_actions_follow_the_state_machine():
    # no 办结 on a registered, located or assigned case: nobody has been to the scene
    assert keys("registered") == ["locate", "supervise"]
    assert keys("located") == ["assign", "supervise", "escalated"]
    assert keys("assigned") == ["reassign", "acknowledged", "supervise", "escalated", "located"]
    assert keys("acknowledged") == ["reassign", "on_scene", "supervise", "escalated"]
    assert keys("on_scene", reached_scene=True) == ["mediating", "supervise", "escalated",
                                                    "resolved"]
    assert keys("escalated") == ["assign", "mediating", "supervise"]
    assert keys("resolved") == ["followup", "closed", "located"]
    assert keys("followed_up") == ["closed", "located"]
    assert keys("closed") == []
    # a walk-in case may be settled at the window (当场化解), as its own action
    assert keys("located", channel="walk_in") == ["assign", "supervise", "escalated",
                                                  "on_the_spot"]


def test_the_desk_offers_only_what_the_officer_may_do():
    leader = allowed_actions({"state": "located"}, allowed=frozenset({"read"}))
    assert leader == []
    field = allowed_actions({"state": "assigned"},
                            allowed=frozenset({"incident.transition", "incident.followup"}))
    assert [a["key"] for a in field] == ["acknowledged", "escalated", "located"]


def test_every_transition_action_is_one_the_domain_accepts_from_that_state():
    for state in vocab.INCIDENT_STATES:
        for a in allowed_actions({"state": state}):
            if a["kind"] == "transition":
                assert a["to"] in lifecycle.TRANSITIONS[state]
                assert a["to"] not in lifecycle.VIA_COMMAND


def test_actions_name_their_inputs():
    by = {a["key"]: a for a in allowed_actions({"state": "assigned"})}
    assert by["reassign"]["reassign"] is True and by["reassign"]["kind"] == "assign"
    assert by["escalated"]["note"] == "required" and by["located"]["label"] == "退回重派"
    resolve = {a["key"]: a for a in allowed_actions({"state": "mediating",
                                                     "reached_scene": True})}["resolved"]
    assert resolve["outcome"] is True and resolve["needs"] == ["outcome", "note"]
    assert resolve["note"] == "required"
    assert by["supervise"]["kind"] == "supervise"
    reopen = {a["key"]: a for a in allowed_actions({"state": "resolved"})}["located"]
    assert reopen["label"] == "重新处置" and reopen["note"] == "required"
    city = {a["key"]: a for a in allowed_actions({"state": "located", "level": "city"})}
    assert city["escalated"]["disabled"]


def test_case_display_labels_times_and_timeline():
    view = {**case(9, state="assigned"), "channel": "hotline", "language": "uyghur",
            "audit": [{"id": 1, "at": T0, "actor": "值班员", "action": "register",
                       "from_state": None, "to_state": "registered", "reason": "12345热线受理",
                       "detail": {}},
                      {"id": 2, "at": T0, "actor": "值班员", "action": "assign",
                       "from_state": "located", "to_state": "assigned", "reason": None,
                       "detail": {"unit_ids": [3]}}],
            "assignments": [{"unit_id": 3, "assigned_at": T0, "acknowledged_at": None,
                             "arrived_at": None, "released_at": None}],
            "supervisions": [], "followups": [], "links": []}
    shown = case_display(view, policy=POLICY)
    assert shown["channel_label"] == "12345热线" and shown["language_label"] == "维吾尔语"
    assert shown["reported_at_ms"] == NOW - 30 * 60_000
    assert [a["action_label"] for a in shown["audit"]] == ["受理登记", "派单"]
    assert shown["audit"][1]["from_label"] == "已定位" and shown["audit"][1]["to_label"] == "已分派"
    assert shown["assignments"][0]["assigned_at_ms"] == NOW
    assert shown["actions"][0]["key"] == "reassign"
    assert "sign_deadline" not in shown and shown["sign_deadline_ms"] == NOW + 3_600_000


# ---- a session's state -----------------------------------------------------------------------------

def snapshot(version: int, cases: list[dict[str, Any]], units: list[dict[str, Any]] | None = None
             ) -> dict[str, Any]:
    rows = queue_rows(cases, policy=POLICY, now_ms=NOW)
    board = unit_rows(units or [])
    return {"version": version, "server_ms": NOW, "local_ms": 1000.0, "queue": rows,
            "units": board, "case_features": case_features(rows),
            "unit_features": unit_features(board)}


def test_snapshots_apply_in_order_and_move_the_server_clock_on():
    state = DeskState()
    assert state.apply_snapshot(snapshot(2, [case(1)]), local_ms=1500.0)
    assert [r["id"] for r in state.queue] == [1] and state.server_ms == NOW + 500
    assert not state.apply_snapshot(snapshot(1, []))  # an older one is ignored
    assert [r["id"] for r in state.queue] == [1]


def test_map_updates_send_only_what_changed_and_remove_what_went():
    state = DeskState()
    state.apply_snapshot(snapshot(1, [case(1), case(2), case(3, state="resolved")]))
    first = state.map_updates()
    assert sorted(f["id"] for f in first["incidents"][0]) == ["1", "2"]  # resolved: not drawn
    assert first["incidents"][1] == []
    state.apply_snapshot(snapshot(2, [case(1), case(2, priority=1)]))
    ups, gone = state.map_updates()["incidents"]
    assert [f["id"] for f in ups] == ["2"] and gone == []
    assert ups[0]["properties"]["priority"] == 1
    state.apply_snapshot(snapshot(3, [case(2, priority=1)]))
    assert state.map_updates()["incidents"] == ([], ["1"])
    assert [f["id"] for f in state.map_updates(full=True)["incidents"][0]] == ["2"]


def test_sessions_do_not_share_what_they_have_sent():
    a, b = DeskState(), DeskState()
    a.apply_snapshot(snapshot(1, [case(1)]))
    b.apply_snapshot(snapshot(1, [case(1)]))
    a.map_updates()
    assert [f["id"] for f in b.map_updates()["incidents"][0]] == ["1"]


def test_click_on_a_case_marker_opens_it_and_picking_sets_the_intake_point():
    state = DeskState()
    assert state.on_click({"lat": 45.6, "lon": 84.87, "hits": []}) is None
    assert state.point is None  # not armed: a click only shows the areas
    assert state.on_click({"lat": 45.6, "lon": 84.87,
                           "hits": [{"layer": "incidents", "id": "7"}]}) == "case"
    assert state.selected == 7 and state.workspace == "case"
    state.picking = True
    assert state.on_click({"lat": 45.61, "lon": 84.88, "hits": [{"layer": "grids", "id": "3"}]}
                          ) == "point"
    assert state.point == {"lon": 84.88, "lat": 45.61, "crs": "wgs84", "source": "map"}
    assert not state.picking and state.workspace == "intake"


def test_selecting_and_showing_a_case():
    state = DeskState()
    state.select(5)
    assert state.workspace == "case" and state.case is None
    state.show_case({**case(6), "audit": []}, policy=POLICY)  # a late answer for another case
    assert state.case is None
    state.show_case({**case(5), "audit": []}, policy=POLICY)
    assert state.case is not None and state.case["code"] == "2026-000005"
    assert state.concerns_case([{"type": "state_changed", "incident_id": 5}])
    assert not state.concerns_case([{"type": "unit_moved", "unit_id": 5}])
    state.select(None)
    assert state.workspace == "intake" and state.case is None


# ---- the browser side --------------------------------------------------------------------------------

DESK_JS = sorted(STATIC_DIR.glob("desk*.js"))
EXTERNAL = re.compile(r"(?:https?:|wss?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def test_desk_scripts_never_write_markup_and_fetch_only_the_console():
    assert len(DESK_JS) >= 6
    for path in [*DESK_JS, STATIC_DIR / "desk.css"]:
        src = path.read_text(encoding="utf-8")
        assert "innerHTML" not in src and "insertAdjacentHTML" not in src, path.name
        assert "document.write" not in src and "eval(" not in src, path.name
        assert not EXTERNAL.search(src), path.name
        assert "@import" not in src and "url(http" not in src, path.name


def test_desk_components_build_without_a_server():
    from console.desk.views import VOCAB, DeskCase, DeskIntake, DeskQueue
    from console.map import IMPORTMAP
    from console.pages.desk import desk_layers

    common = STATIC_DIR / IMPORTMAP["imports"]["fq/"].removeprefix("/assets/") / "desk_common.js"
    assert "export function h(" in common.read_text(encoding="utf-8")
    for cls in (DeskIntake, DeskQueue, DeskCase):
        src = cls._esm.read_text(encoding="utf-8")
        assert 'from "fq/desk_common.js"' in src and "export function render" in src
        assert cls._importmap == IMPORTMAP
    assert VOCAB["priorities"] == {"urgent": "紧急", "high": "较急", "normal": "一般",
                                   "low": "轻微"}
    layers = {cfg["name"]: cfg for cfg in desk_layers("/api/v1")}
    assert layers["incidents"]["url"] is None and layers["units"]["url"] is None
    assert list(layers)[-2:] == ["units", "incidents"]  # cases drawn on top
