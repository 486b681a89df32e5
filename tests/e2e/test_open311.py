"""Open311 GeoReport v2 on the real server, read by a client library none of us wrote.

``georeport`` (PyPI, Apache-2.0) reads services and requests in JSON and XML; it has no
create call, so requests are posted form-encoded exactly as the GeoReport v2 spec shows.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import requests
from georeport import GeoReport

from dispatch.vocab import CATEGORIES
from tests.e2e.test_api import get

KEY = "demo-open311-key"


@pytest.fixture(scope="module")
def root(writable_server: str) -> str:
    return f"{writable_server}/open311/v2"


@pytest.fixture(scope="module")
def a_point(writable_server: str) -> tuple[float, float, str]:
    _, _, page = get(f"{writable_server}/api/v1/addresses?limit=1&offset=2345")
    item = page["items"][0]
    return item["lon"], item["lat"], item["address"]


def post(root: str, fmt: str = "json", **form: str) -> requests.Response:
    return requests.post(f"{root}/requests.{fmt}", data=form, timeout=60)


def test_services_in_json_and_xml(root: str) -> None:
    for fmt in ("json", "xml"):
        services = GeoReport(root, output_format=fmt).get_service_list()
        codes = [s["service_code"] for s in services]
        assert codes == list(CATEGORIES)
        assert services[1]["service_name"] == "家庭纠纷"
    defn = GeoReport(root).get_service_definition("labour")
    assert [a["code"] for a in defn["attributes"]] == ["priority", "channel"]


def test_a_request_posted_by_point_is_located_and_read_back(root: str, a_point) -> None:
    lon, lat, _ = a_point
    resp = post(root, api_key=KEY, service_code="labour", lat=str(lat), long=str(lon),
                description="工地拖欠三名工人工资两个月 电话13912345678", first_name="建国",
                last_name="王", phone="13912345678")
    assert resp.status_code == 201, resp.text
    created = resp.json()[0]
    code = created["service_request_id"]
    assert code.startswith("20") and "已定位" in created["service_notice"]

    client = GeoReport(root, api_key=KEY)
    mine = requests.get(f"{root}/requests/{code}.json", params={"api_key": KEY}, timeout=30)
    assert mine.status_code == 200
    rec = mine.json()[0]
    assert rec["status"] == "open" and rec["service_code"] == "labour"
    assert "工资" in rec["description"]
    assert abs(rec["long"] - lon) < 1e-6 and abs(rec["lat"] - lat) < 1e-6

    # Without the key (georeport sends none on reads): by the token given at intake (case
    # codes are sequential), progress only, nothing personal.
    token = created["token"]
    public = client.get_service_request(token)
    assert public["service_request_id"] == code and public["status"] == "open"
    assert public["description"] == "" and "13912345678" not in str(public)
    xml = GeoReport(root, output_format="xml").get_service_request(token)
    assert xml["service_request_id"] == code and xml["status"] == "open"
    listed = client.get_service_requests(service_request_id=token)
    assert [r["service_request_id"] for r in listed] == [code]


def test_an_address_only_request_is_registered_and_listed(root: str, a_point) -> None:
    _, _, address = a_point
    resp = post(root, "xml", api_key=KEY, service_code="neighbour", address_string=address,
                description="楼上漏水")
    assert resp.status_code == 201, resp.text
    doc = ET.fromstring(resp.text)
    code = doc.findtext("request/service_request_id")
    assert code
    listed = requests.get(f"{root}/requests.json", params={"api_key": KEY, "status": "open"},
                          timeout=30).json()
    assert code in [r["service_request_id"] for r in listed]
    assert all(r["status"] == "open" for r in listed)


@pytest.mark.parametrize(("form", "status", "words"), [
    ({"service_code": "labour", "lat": "30.6"}, 403, "api_key"),
    ({"api_key": "wrong", "service_code": "labour", "lat": "30.6", "long": "104"}, 403, "api_key"),
    ({"api_key": KEY, "lat": "30.6", "long": "104.0"}, 400, "service_code"),
    ({"api_key": KEY, "service_code": "ufo", "lat": "30.6", "long": "104.0"}, 400, "service_code"),
    ({"api_key": KEY, "service_code": "debt"}, 400, "address_string"),
    ({"api_key": KEY, "service_code": "debt", "lat": "30.6"}, 400, "long"),
    ({"api_key": KEY, "service_code": "debt", "lat": "north", "long": "104"}, 400, "lat"),
    ({"api_key": KEY, "service_code": "debt", "lat": "95", "long": "104"}, 400, "lat"),
    ({"api_key": KEY, "service_code": "debt", "address_string": "某地",
      "attribute[priority]": "asap"}, 400, "priority"),
])
def test_bad_posts_get_the_specs_error_list_and_write_nothing(root: str, form, status, words
                                                              ) -> None:
    before = requests.get(f"{root}/requests.json", params={"api_key": KEY}, timeout=30).json()
    resp = post(root, **form)
    assert resp.status_code == status, resp.text
    err = resp.json()[0]
    assert err["code"] == status and words in err["description"]
    after = requests.get(f"{root}/requests.json", params={"api_key": KEY}, timeout=30).json()
    assert len(after) == len(before)


def test_reads_without_a_key_need_a_token(root: str) -> None:
    resp = requests.get(f"{root}/requests.json", timeout=30)
    assert resp.status_code == 403
    xml = requests.get(f"{root}/requests.xml", timeout=30)
    assert xml.status_code == 403 and ET.fromstring(xml.text).findtext("error/code") == "403"
    assert requests.get(f"{root}/requests/1999-000001.json", timeout=30).status_code == 404
