"""Issue 12's case rules over HTTP: the actions served with a case, closure refused without
evidence (API, Open311 key), follow-ups refused without every answer, the proposed priority."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.e2e.test_api import get
from tests.e2e.test_api_dispatch import call

pytestmark = pytest.mark.e2e
OPEN311_KEY = "demo-open311-key"


@pytest.fixture(scope="module")
def base(writable_server):
    return writable_server


def _point(base, offset):
    _, _, page = get(f"{base}/api/v1/addresses?limit=1&offset={offset}")
    return page["items"][0]


def _register(base, offset, **extra):
    item = _point(base, offset)
    status, reg = call("POST", f"{base}/api/v1/incidents", {
        "category": "property", "channel": "hotline", "title": "物业费纠纷",
        "lon": item["lon"], "lat": item["lat"], "auto_dispatch": False,
        "parties": [{"name": "钱七", "phone": "13900007777"}], **extra})
    assert status == 201, reg
    return reg


def _as_key(method, url, body=None):
    req = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(),
                                 method=method, headers={"Content-Type": "application/json",
                                                         "X-API-Key": OPEN311_KEY})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_no_path_to_resolved_without_evidence(base):
    reg = _register(base, 3001)
    iid = reg["id"]
    url = f"{base}/api/v1/incidents/{iid}"
    _, case = call("GET", url)
    names = [a["name"] for a in case["actions"]]
    assert names[0] == "assign" and "resolved" not in names and "on_the_spot" not in names
    assert all({"name", "label", "needs"} <= set(a) for a in case["actions"])
    # a located case resolved as mediated: refused, naming what is missing, audited
    status, body = call("POST", f"{url}/transitions", {"to": "resolved", "outcome": "mediated",
                                                       "note": "已调解"})
    assert status == 409 and "到场记录" in body["error"]["message"]
    assert "调解协议" in body["error"]["message"]
    # an integration's key (Open311) cannot change a case's state at all
    status, body = _as_key("POST", f"{url}/transitions", {"to": "resolved",
                                                          "outcome": "mediated"})
    assert status == 403
    _, rec = call("GET", f"{url}/recommendations")
    unit = rec["items"][0]["id"]
    assert call("POST", f"{url}/assign", {"unit_ids": [unit]})[0] == 200
    for to in ("acknowledged", "on_scene"):
        assert call("POST", f"{url}/transitions", {"to": to, "unit_id": unit})[0] == 200
    _, case = call("GET", url)
    resolve = next(a for a in case["actions"] if a["name"] == "resolved")
    assert resolve["needs"] == ["outcome", "note"]
    assert resolve["needs_by_outcome"]["litigation"] == ["referred_to"]
    status, body = call("POST", f"{url}/transitions", {"to": "resolved", "note": "已调解"})
    assert status == 409 and "办结结果" in body["error"]["message"]
    status, body = call("POST", f"{url}/transitions", {"to": "resolved",
                                                       "outcome": "arbitration", "note": "转仲裁"})
    assert status == 409 and "仲裁机构" in body["error"]["message"]
    status, body = call("POST", f"{url}/transitions", {
        "to": "resolved", "outcome": "mediated", "note": "双方同意分期缴纳",
        "oral_terms": "业主本月底前缴清上半年物业费"})
    assert status == 200, body
    _, case = call("GET", url)
    assert case["state"] == "resolved" and case["closures"][0]["agreement"] == "oral"
    refused = [a for a in case["audit"] if a["action"] == "refused"]
    assert len(refused) == 3 and all(a["actor"] == "duty" for a in refused)

    # 回访: every answer chosen by the visitor, else 422 naming the field in Chinese
    status, body = call("POST", f"{url}/followup", {"satisfaction": 5, "agreement_holds": True,
                                                    "neighbours_visited": 3})
    assert status == 422 and body["error"]["field"] == "method"
    assert "回访方式" in body["error"]["message"]
    status, body = call("POST", f"{url}/followup", {"satisfaction": 4, "agreement_holds": True,
                                                    "method": "phone", "neighbours_visited": 0})
    assert status == 200 and body["state"] == "followed_up", body


def test_errors_name_fields_in_chinese(base):
    reg = _register(base, 3002)
    status, body = call("POST", f"{base}/api/v1/incidents/{reg['id']}/supervise",
                        {"level": "yellow", "reason": ""})
    assert status == 422 and body["error"]["message"].startswith("理由（reason）")


def test_a_threat_proposes_a_priority_the_officer_decides(base):
    reg = _register(base, 3003, priority="low", description="对方扬言要报复")
    assert reg["priority"] == 4 and reg["proposed_priority"] == 1
    url = f"{base}/api/v1/incidents/{reg['id']}"
    _, case = call("GET", url)
    offer = next(a for a in case["actions"] if a["name"] == "priority")
    assert offer["proposed"] == 1
    status, body = call("POST", f"{url}/priority", {"priority": "urgent", "reason": "确有威胁"})
    assert status == 200 and body["accepted"], body
    _, case = call("GET", url)
    assert case["priority"] == 1 and case["proposed_priority"] is None
    assert case["audit"][-1]["action"] == "priority_confirm"
