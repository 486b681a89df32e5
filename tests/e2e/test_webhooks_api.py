"""The outbox and webhook admin API and the intake's external id, over HTTP on a real console:
the secret once, list/disable/log/delete audited, channels off said so, one case per 12345 id."""

from __future__ import annotations

import pytest

from tests.e2e.test_api_dispatch import call


@pytest.fixture(scope="module")
def base(writable_server: str) -> str:
    return writable_server


def test_subscriptions_are_created_listed_disabled_logged_and_deleted(base: str) -> None:
    api = f"{base}/api/v1/admin/webhooks"
    status, made = call("POST", api, {"name": "区平台", "url": "http://127.0.0.1:9/hook",
                                      "event_types": ["state_changed"]}, user="admin")
    assert status == 201 and len(made["secret"]) == 48 and made["active"] is True
    status, listed = call("GET", api, user="admin")
    (mine,) = [s for s in listed["items"] if s["id"] == made["id"]]
    assert status == 200 and "secret" not in mine and mine["event_types"] == ["state_changed"]
    assert listed["event_types"]["units_assigned"] == "分派"
    assert call("POST", f"{api}/{made['id']}/disable", {}, user="admin") == (
        200, {"id": made["id"], "active": False})
    status, log = call("GET", f"{api}/{made['id']}/deliveries", user="admin")
    assert status == 200 and log["items"] == []
    assert call("DELETE", f"{api}/{made['id']}", {}, user="admin")[0] == 200
    assert call("DELETE", f"{api}/{made['id']}", {}, user="admin")[0] == 404
    status, err = call("POST", api, {"name": "x", "url": "ftp://host/x"}, user="admin")
    assert status == 422 and err["error"]["field"] == "url" and "http" in err["error"]["message"]
    status, err = call("POST", api, {"name": "x", "url": "http://h/x",
                                     "event_types": ["nonsense"]}, user="admin")
    assert status == 422 and "事件类型" in err["error"]["message"]
    assert call("GET", api, user="duty")[0] == 403  # the administrator's only
    status, audit = call("GET", f"{base}/api/v1/admin/audit?action=webhook_create,webhook_disable,"
                                "webhook_delete", user="admin")
    assert status == 200 and {"webhook_create", "webhook_disable", "webhook_delete"} <= {
        r["action"] for r in audit["items"]}


def test_the_outbox_page_says_which_channels_are_off(base: str) -> None:
    status, d = call("GET", f"{base}/api/v1/admin/outbox", user="admin")
    assert status == 200
    assert d["channels"]["sms"] == {"label": "短信", "configured": False,
                                    "note": "未配置短信网关（FQ_SMS_URL、FQ_SMS_KEY）"}
    assert d["channels"]["webhook"]["configured"] is True
    assert call("POST", f"{base}/api/v1/admin/outbox/999999/retry", {}, user="admin")[0] == 404
    assert call("GET", f"{base}/api/v1/admin/outbox?state=nonsense", user="admin")[0] == 422


def test_the_same_external_id_twice_is_one_case_over_http(base: str) -> None:
    body = {"category": "debt", "channel": "hotline", "address": "天山路128号",
            "description": "12345 转办：欠款纠纷", "external_source": "12345",
            "external_id": "GD-E2E-0001",
            "parties": [{"name": "张三", "phone": "13800000009"}]}
    status, first = call("POST", f"{base}/api/v1/incidents", body)
    assert status == 201, first
    status, again = call("POST", f"{base}/api/v1/incidents", body)
    assert status == 200 and again["existing"] is True
    assert (again["id"], again["code"]) == (first["id"], first["code"])
    status, err = call("POST", f"{base}/api/v1/incidents", {**body, "external_source": None})
    assert status == 422 and err["error"]["field"] == "external_id"


def test_open311_with_the_senders_id_twice_is_one_case(base: str) -> None:
    import requests

    form = {"api_key": "demo-open311-key", "service_code": "neighbour",
            "address_string": "天山路128号", "description": "12345 转办：噪音",
            "attribute[external_id]": "GD-311-0001", "attribute[external_source]": "12345"}
    first = requests.post(f"{base}/open311/v2/requests.json", data=form, timeout=60)
    assert first.status_code == 201, first.text
    again = requests.post(f"{base}/open311/v2/requests.json", data=form, timeout=60)
    assert again.status_code == 200, again.text
    assert again.json()[0]["service_request_id"] == first.json()[0]["service_request_id"]
    assert "未重复登记" in again.json()[0]["service_notice"]


def test_the_supervisors_list_is_edited_validated_and_audited(base: str) -> None:
    api = f"{base}/api/v1/admin/supervisors"
    status, d = call("GET", api, user="admin")
    assert status == 200 and {"people", "accounts", "streets"} <= set(d)
    street = d["streets"][0]["id"]
    status, err = call("POST", api, {"people": [{"username": "nobody-here", "phone": "13800000001"}]},
                       user="admin")
    assert status == 422 and err["error"]["field"] == "people[0].username"
    status, err = call("POST", api, {"people": [{"name": "甲", "email": "bad"}]}, user="admin")
    assert status == 422 and err["error"]["field"] == "people[0].email"
    assert "电子邮箱" in err["error"]["message"]
    status, d = call("POST", api, {"people": [
        {"username": "admin", "phone": "13800000001", "street_id": street},
        {"name": "区督办员", "email": "duban@example.org"}], "reason": "测试"}, user="admin")
    assert status == 200
    assert [(p["name"], p["street_id"]) for p in d["people"]] == [
        (next(a["display_name"] or "admin" for a in d["accounts"] if a["username"] == "admin"),
         street), ("区督办员", None)]
    assert call("GET", api, user="duty")[0] == 403
    status, audit = call("GET", f"{base}/api/v1/admin/audit?action=supervisors_update,"
                                "supervisors_refused", user="admin")
    assert {"supervisors_update", "supervisors_refused"} <= {r["action"] for r in audit["items"]}


def test_an_allow_list_refuses_other_receivers(base: str) -> None:
    policy = f"{base}/api/v1/admin/policy"
    status, err = call("POST", policy, {"changes": {"webhook_hosts": ["10.0.0.0/33"]}},
                       user="admin")
    assert status == 422 and err["error"]["field"] == "webhook_hosts"
    assert call("POST", policy, {"changes": {"webhook_hosts": ["10.0.0.0/8"]}},
                user="admin")[0] == 200
    try:
        api = f"{base}/api/v1/admin/webhooks"
        status, err = call("POST", api, {"name": "外部", "url": "http://127.0.0.1:9/hook"},
                           user="admin")
        assert status == 422 and err["error"]["field"] == "url" and "10.0.0.0/8" in err[
            "error"]["message"]
        status, made = call("POST", api, {"name": "内网", "url": "http://10.9.8.7/hook"},
                            user="admin")
        assert status == 201
        call("DELETE", f"{api}/{made['id']}", {}, user="admin")
    finally:
        assert call("POST", policy, {"changes": {"webhook_hosts": []}}, user="admin")[0] == 200
