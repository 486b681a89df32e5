"""Issue 14 item 4: an Open311 API key reaches its face only (the Open311 routes, the cases it
registered), and a citizen follows a case by an unguessable token, not by a sequential code."""

from __future__ import annotations

import re

import pytest
import requests
from georeport import GeoReport

from tests.e2e.sec_http import call
from tests.e2e.sec_plant import A_SECRETS, KEY, as_key, leaks, plant


@pytest.fixture(scope="module")
def base(writable_server: str) -> str:
    return writable_server


@pytest.fixture(scope="module")
def planted(base: str) -> dict:
    return plant(base)


@pytest.fixture(scope="module")
def filed(base: str, planted: dict) -> dict:
    lon, lat = planted["point1"]
    resp = requests.post(f"{base}/open311/v2/requests.json", data={
        "api_key": KEY, "service_code": "labour", "lat": str(lat), "long": str(lon),
        "description": "拖欠工资 电话13912345678", "first_name": "建国", "last_name": "王",
        "phone": "13912345678"}, timeout=60)
    assert resp.status_code == 201, resp.text
    return resp.json()[0]


@pytest.mark.parametrize("path", [
    "/api/v1/incidents", "/api/v1/incidents/{a}", "/api/v1/units", "/api/v1/units/{unit1}/tasks",
    "/api/v1/layers/incidents.geojson", "/api/v1/map/incidents.geojson",
    "/api/v1/stats/overview", "/api/v1/desk/snapshot", "/api/v1/export/wall.png",
    "/api/v1/export/street/{s1}.html", "/api/v1/admin/audit", "/api/v1/events",
    "/api/v1/geocode?q=%E7%A4%BA%E4%BE%8B%E8%B7%AF"])
def test_the_open311_key_is_refused_beyond_its_face(base: str, planted: dict, path: str) -> None:
    status, body, text = call("GET", base + path.format(**planted), **as_key())
    assert status == 403, (path, status, text[:200])
    assert "接口密钥" in body["error"]["message"] and "/open311/" in body["error"]["message"]
    assert leaks(text, A_SECRETS) == []


def test_a_write_with_the_key_through_api_v1_is_refused_and_audited(base: str,
                                                                    planted: dict) -> None:
    status, _, _ = call("POST", f"{base}/api/v1/incidents", {
        "category": "debt", "channel": "app", "lon": planted["point1"][0],
        "lat": planted["point1"][1], "parties": [{"name": "某人"}]}, **as_key())
    assert status == 403
    _, audit, _ = call("GET", f"{base}/api/v1/admin/audit?action=permission_denied",
                       user="admin")
    assert any(r["actor"] == "demo-open311" or "open311" in r["actor"]
               for r in audit["items"]), [r["actor"] for r in audit["items"]][:5]


def test_the_key_reads_only_the_cases_it_registered(base: str, planted: dict,
                                                    filed: dict) -> None:
    listed = requests.get(f"{base}/open311/v2/requests.json", params={"api_key": KEY},
                          timeout=30).json()
    codes = {r["service_request_id"] for r in listed}
    assert filed["service_request_id"] in codes
    assert planted["a_code"] not in codes and planted["c_code"] not in codes
    one = requests.get(f"{base}/open311/v2/requests/{planted['a_code']}.json",
                       params={"api_key": KEY}, timeout=30)
    assert one.status_code == 404 and leaks(one.text, A_SECRETS) == []


def test_creation_returns_an_unguessable_token_and_lookups_take_only_it(
        base: str, planted: dict, filed: dict) -> None:
    root = f"{base}/open311/v2"
    token, code = filed["token"], filed["service_request_id"]
    # a tracking code (dispatch.tracking): 12 Crockford base32 characters in groups of four
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){2}", token)
    # the public (keyless) lookups: by the token, in the GeoReport v2 shape, via georeport
    public = GeoReport(root).get_service_request(token)
    assert public["service_request_id"] == code and public["status"] == "open"
    assert public["description"] == "" and "13912345678" not in str(public)
    xml = GeoReport(root, output_format="xml").get_service_request(token)
    assert xml["service_request_id"] == code
    listed = GeoReport(root).get_service_requests(service_request_id=token)
    assert [r["service_request_id"] for r in listed] == [code]
    spec = requests.get(f"{root}/tokens/{token}.json", timeout=30).json()
    assert spec == [{"service_request_id": code, "token": token}]
    # by the case code, without a key: nothing, however many codes are tried
    assert requests.get(f"{root}/requests/{code}.json", timeout=30).status_code == 404
    year, n = code.split("-")
    walk = ",".join(f"{year}-{int(n) - k:06d}" for k in range(50))
    resp = requests.get(f"{root}/requests.json", params={"service_request_id": walk},
                        timeout=30)
    assert resp.status_code == 200 and resp.json() == []
    assert requests.get(f"{root}/requests/{planted['a_code']}.json",
                        timeout=30).status_code == 404
    # a second case gets another token
    again = requests.post(f"{root}/requests.json", data={
        "api_key": KEY, "service_code": "debt", "address_string": "示例路1号"}, timeout=60)
    assert again.status_code == 201 and again.json()[0]["token"] != token
