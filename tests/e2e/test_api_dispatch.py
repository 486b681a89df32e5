"""Issue 4's HTTP faces on the real server over a private copy of the demo."""

import json
import threading
import urllib.error
import urllib.request

import pytest

from tests.conftest import as_user
from tests.e2e.test_api import get


def call(method, url, body=None, *, user="duty"):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json", **as_user(user)})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.fixture(scope="module")
def base(writable_server):
    return writable_server


@pytest.fixture(scope="module")
def a_point(base):
    _, _, page = get(f"{base}/api/v1/addresses?limit=1&offset=1234")
    item = page["items"][0]
    return item["lon"], item["lat"], item


def test_register_locate_recommend_assign_and_walk_the_lifecycle(base, a_point):
    lon, lat, item = a_point
    status, reg = call("POST", f"{base}/api/v1/incidents", {
        "category": "neighbour", "channel": "hotline", "priority": "normal",
        "title": "楼上噪音扰民", "description": "夜间持续噪音，双方争执",
        "lon": lon, "lat": lat, "auto_dispatch": False, "actor": "值班员甲",
        "parties": [{"name": "张三", "phone": "13900001111"},
                    {"name": "李四", "phone": "13900002222", "role": "respondent"}]})
    assert status == 201, reg
    assert reg["code"].count("-") == 1 and reg["state"] == "located"
    assert reg["location"]["grid"]["id"] == item["grid_id"]
    iid = reg["id"]
    status, rec = call("GET", f"{base}/api/v1/incidents/{iid}/recommendations?limit=5")
    assert status == 200 and rec["items"], rec
    first = rec["items"][0]
    assert first["eta_s"] is not None and first["reasons"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in "".join(map(str, first["reasons"])))
    status, asg = call("POST", f"{base}/api/v1/incidents/{iid}/assign",
                       {"unit_ids": [first["id"]], "actor": "值班员甲"})
    assert status == 200, asg
    for to in ("acknowledged", "on_scene", "mediating"):
        status, body = call("POST", f"{base}/api/v1/incidents/{iid}/transitions",
                            {"to": to, "actor": "网格员"})
        assert status == 200, (to, body)
    status, body = call("POST", f"{base}/api/v1/incidents/{iid}/transitions",
                        {"to": "closed", "actor": "网格员"})
    assert status == 409 and body["error"]["message"]  # mediating → closed is refused
    status, detail = call("GET", f"{base}/api/v1/incidents/{iid}")
    assert status == 200 and detail["state"] == "mediating"
    actions = [a["to_state"] for a in detail["audit"] if a["action"] != "refused"]
    assert actions[-3:] == ["acknowledged", "on_scene", "mediating"]
    refused = detail["audit"][-1]  # the refused 归档: audited, nothing else changed
    assert (refused["action"], refused["to_state"]) == ("refused", "closed")
    assert all(a["actor"] for a in detail["audit"])


def test_two_dispatchers_racing_for_one_unit(base, a_point):
    lon, lat, _ = a_point
    ids = []
    for _ in range(2):
        _, reg = call("POST", f"{base}/api/v1/incidents", {
            "category": "family", "channel": "walk_in", "lon": lon, "lat": lat,
            "auto_dispatch": False, "parties": [{"name": "王五"}]})
        ids.append(reg["id"])
    _, units = call("GET", f"{base}/api/v1/units?status=available")
    unit = next(u for u in units["items"] if u["capacity"] == 1 or u["type"] == "mediator")
    # fill the unit up to one free slot so that exactly one of the two can have it
    free = unit["capacity"] - unit["active_assignments"]
    for _ in range(free - 1):
        _, extra = call("POST", f"{base}/api/v1/incidents", {
            "category": "family", "channel": "walk_in", "lon": lon, "lat": lat,
            "auto_dispatch": False, "parties": [{"name": "赵六"}]})
        call("POST", f"{base}/api/v1/incidents/{extra['id']}/assign",
             {"unit_ids": [unit["id"]], "actor": "调度员丙"})
    results = {}

    def go(i, who):
        results[who] = call("POST", f"{base}/api/v1/incidents/{i}/assign",
                            {"unit_ids": [unit["id"]]}, user=who)

    # two officers, each logged in: the loser is told who took the unit
    threads = [threading.Thread(target=go, args=(i, w)) for i, w in zip(ids, ("duty", "admin"),
                                                                          strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r[0] for r in results.values())
    assert codes == [200, 409], results
    loser = next(r[1] for r in results.values() if r[0] == 409)
    winner = next(w for w, r in results.items() if r[0] == 200)
    assert f"已被 {winner} 派往" in loser["error"]["message"]


def test_bad_requests_name_the_field(base):
    status, body = call("POST", f"{base}/api/v1/incidents", {"category": "fishing",
                                                             "channel": "hotline"})
    assert status == 422 and body["error"]["message"]
    req = urllib.request.Request(f"{base}/api/v1/incidents", data=b"{not json", method="POST")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=30)
    assert err.value.code == 422
    assert json.loads(err.value.read())["error"]["field"] == "body"
    status, body = call("GET", f"{base}/api/v1/incidents/99999999")
    assert status == 404
    status, body = call("POST", f"{base}/api/v1/incidents/1/assign", {"unit_ids": []})
    assert status == 422 and body["error"]["field"] == "unit_ids"


def test_units_list_and_position_ping(base, a_point):
    lon, lat, _ = a_point
    status, units = call("GET", f"{base}/api/v1/units")
    assert status == 200 and len(units["items"]) >= 500
    u = units["items"][0]
    assert {"id", "type", "status", "capacity", "active_assignments", "lon", "lat",
            "position_at"} <= set(u)
    status, body = call("POST", f"{base}/api/v1/units/{u['id']}/position",
                        {"lon": lon, "lat": lat})
    assert status == 200, body
    status, body = call("POST", f"{base}/api/v1/units/{u['id']}/position", {"lon": lon})
    assert status == 422 and body["error"]["field"] == "lat"


def test_events_stream_carries_committed_changes(base, a_point):
    lon, lat, _ = a_point
    got: list[dict] = []
    ready = threading.Event()

    def listen():
        with urllib.request.urlopen(f"{base}/api/v1/events", timeout=30) as resp:
            ready.set()
            for raw in resp:
                line = raw.decode().strip()
                if line.startswith("data: "):
                    got.append(json.loads(line[6:]))
                    if any(e.get("type") == "incident_registered" for e in got):
                        return

    t = threading.Thread(target=listen, daemon=True)
    t.start()
    assert ready.wait(20)
    status, _ = call("POST", f"{base}/api/v1/incidents", {
        "category": "debt", "channel": "app", "lon": lon, "lat": lat, "auto_dispatch": False,
        "parties": [{"name": "钱七"}]})
    assert status == 201
    t.join(20)
    assert any(e.get("type") == "incident_registered" for e in got), got


def test_address_only_cases_are_geocoded_when_unambiguous(base):
    _, _, page = get(f"{base}/api/v1/addresses?limit=1&offset=4321")
    item = page["items"][0]
    status, reg = call("POST", f"{base}/api/v1/incidents", {
        "category": "property", "channel": "hotline", "address": item["address"] + "附近",
        "auto_dispatch": False, "parties": [{"name": "孙八"}]})
    assert status == 201, reg
    assert reg["geocode"]["used"] is True and reg["state"] == "located"
    assert reg["location"]["micro_grid"]["id"] == item["micro_grid_id"]
    status, reg = call("POST", f"{base}/api/v1/incidents", {
        "category": "property", "channel": "hotline", "address": "火星基地",
        "auto_dispatch": False, "parties": [{"name": "孙八"}]})
    assert status == 201 and reg["state"] == "registered"
    assert reg["geocode"]["used"] is False and reg["geocode"]["candidates"] == []


def test_position_pings_out_of_order_replayed_future_and_far_away(base, a_point):
    """Hostile telemetry through the API: an older fix answers 200 ``applied: false`` with the
    reason; a replay is recorded once; a future fix, a naive time, a bad counter and a point
    1,000 km off are 422 naming their field; the unit keeps its newest position."""
    from datetime import datetime, timedelta

    lon, lat, _ = a_point
    _, units = call("GET", f"{base}/api/v1/units")
    uid = units["items"][-1]["id"]
    url = f"{base}/api/v1/units/{uid}/position"
    status, first = call("POST", url, {"lon": lon, "lat": lat, "seq": 41})
    assert status == 200 and first["applied"] and first["reason"] is None, first
    at = datetime.fromisoformat(first["at"])
    status, old = call("POST", url, {"lon": lon + 0.001, "lat": lat, "seq": 40,
                                     "at": (at - timedelta(minutes=5)).isoformat()})
    assert status == 200 and (old["applied"], old["reason"]) == (False, "旧于已有位置"), old
    status, again = call("POST", url, {"lon": lon, "lat": lat, "at": first["at"], "seq": 41})
    assert status == 200 and again["duplicate"] and not again["applied"], again
    for body, field in (
            ({"at": (at + timedelta(minutes=10)).isoformat()}, "at"),
            ({"at": "2026-11-23T10:00:00"}, "at"),
            ({"seq": -1}, "seq"),
            ({"lat": lat - 9.0}, "lat")):
        status, err = call("POST", url, {"lon": lon, "lat": lat, **body})
        assert status == 422 and err["error"]["field"] == field, (body, err)
    _, units = call("GET", f"{base}/api/v1/units")
    (mine,) = [u for u in units["items"] if u["id"] == uid]
    assert datetime.fromisoformat(mine["position_at"]) == at
    assert abs(mine["lon"] - lon) < 1e-6 and abs(mine["lat"] - lat) < 1e-6


def test_two_dispatchers_assigning_one_case_at_once_over_http(base, a_point):
    """Two officers, each logged in, send the same located case to different units in two
    concurrent requests: one assignment stands, the other is a 409 naming who dispatched it,
    its unit stays free, and the case's audit holds one assignment and one refusal."""
    lon, lat, _ = a_point
    _, reg = call("POST", f"{base}/api/v1/incidents", {
        "category": "neighbour", "channel": "hotline", "lon": lon, "lat": lat,
        "auto_dispatch": False, "parties": [{"name": "周七"}]})
    iid = reg["id"]
    _, rec = call("GET", f"{base}/api/v1/incidents/{iid}/recommendations?limit=5")
    units = [item["id"] for item in rec["items"]][:2]
    assert len(set(units)) == 2, rec
    start = threading.Barrier(2)
    results = {}

    def go(unit, who):
        start.wait()
        results[who] = (unit, *call("POST", f"{base}/api/v1/incidents/{iid}/assign",
                                    {"unit_ids": [unit]}, user=who))

    threads = [threading.Thread(target=go, args=(u, w))
               for u, w in zip(units, ("duty", "admin"), strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r[1] for r in results.values()) == [200, 409], results
    winner, (unit, _, _) = next((w, r) for w, r in results.items() if r[1] == 200)
    loser, (_, _, refusal) = next((w, r) for w, r in results.items() if r[1] == 409)
    assert f"已由 {winner} 派单" in refusal["error"]["message"], refusal
    _, detail = call("GET", f"{base}/api/v1/incidents/{iid}")
    assert detail["state"] == "assigned"
    assert [a["unit_id"] for a in detail["assignments"] if a["state"] == "active"] == [unit]
    acts = [(a["action"], a["actor"]) for a in detail["audit"]]
    assert acts.count(("assign", winner)) == 1 and ("assign", loser) not in acts
    assert [a for a in acts if a[0] == "refused"] == [("refused", loser)]


def test_a_stale_expected_state_is_409_over_http_and_changes_nothing(base, a_point):
    """A page that still shows 已派单 asks for 签收 after someone else signed: 409 with the
    state now, the case unchanged, the refusal audited."""
    lon, lat, _ = a_point
    _, reg = call("POST", f"{base}/api/v1/incidents", {
        "category": "neighbour", "channel": "hotline", "lon": lon, "lat": lat,
        "auto_dispatch": False, "parties": [{"name": "吴八"}]})
    iid = reg["id"]
    _, rec = call("GET", f"{base}/api/v1/incidents/{iid}/recommendations?limit=1")
    status, body = call("POST", f"{base}/api/v1/incidents/{iid}/assign",
                        {"unit_ids": [rec["items"][0]["id"]], "expected_state": "located"})
    assert status == 200, body
    status, body = call("POST", f"{base}/api/v1/incidents/{iid}/transitions",
                        {"to": "acknowledged", "expected_state": "assigned"})
    assert status == 200, body
    _, before = call("GET", f"{base}/api/v1/incidents/{iid}")
    status, body = call("POST", f"{base}/api/v1/incidents/{iid}/transitions",
                        {"to": "acknowledged", "expected_state": "assigned"},
                        user="admin")
    assert status == 409 and "已被他人处理" in body["error"]["message"], body
    status, again = call("POST", f"{base}/api/v1/incidents/{iid}/assign",
                         {"unit_ids": [rec["items"][0]["id"]], "expected_state": "located"},
                         user="admin")
    assert status == 409 and "已被他人处理" in again["error"]["message"], again
    _, after = call("GET", f"{base}/api/v1/incidents/{iid}")
    assert after["state"] == before["state"] == "acknowledged"
    assert after["assignments"] == before["assignments"]
    assert [a["action"] for a in after["audit"][len(before["audit"]):]] == ["refused", "refused"]
