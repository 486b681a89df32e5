"""Open311 GeoReport v2 shapes without a server: services, request records, XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from console.api.open311_format import (
    errors,
    request_record,
    service_definition,
    services,
    status_of,
    to_xml,
)
from dispatch.vocab import CATEGORIES, INCIDENT_STATES, OPEN_STATES

ROW = {"code": "2026-000123", "category": "labour", "state": "mediating", "outcome": None,
       "description": "拖欠工资 <script>alert(1)</script> & 加班费", "address": "青羊区草市街1号",
       "reported_at": datetime(2026, 11, 21, 8, 30, tzinfo=UTC),
       "updated_at": datetime(2026, 11, 21, 9, 0, tzinfo=UTC),
       "close_deadline": None, "lon": 104.07, "lat": 30.67, "agency": "草市街社区"}


def test_one_service_per_category_with_chinese_names() -> None:
    items = services()
    assert [s["service_code"] for s in items] == list(CATEGORIES)
    assert all(s["service_name"] == CATEGORIES[s["service_code"]] for s in items)
    assert {s["type"] for s in items} == {"realtime"}
    assert all(s["metadata"] is False and s["description"] for s in items)


def test_status_is_closed_from_resolution_on() -> None:
    for state in INCIDENT_STATES:
        assert status_of(state) == ("open" if state in OPEN_STATES else "closed")
    assert status_of("resolved") == "closed"
    assert status_of("escalated") == "open"


def test_request_record_names_our_state_and_w3c_times() -> None:
    rec = request_record(ROW)
    assert rec["service_request_id"] == "2026-000123"
    assert rec["status"] == "open"
    assert "调解中" in rec["status_notes"] and "mediating" in rec["status_notes"]
    assert rec["requested_datetime"] == "2026-11-21T08:30:00+00:00"
    assert rec["updated_datetime"] == "2026-11-21T09:00:00+00:00"
    assert rec["expected_datetime"] == ""
    assert rec["lat"] == 30.67 and rec["long"] == 104.07
    assert rec["agency_responsible"] == "草市街社区"
    closed = request_record({**ROW, "state": "resolved", "outcome": "mediated"})
    assert closed["status"] == "closed" and "调解成功" in closed["status_notes"]


def test_xml_escapes_text_and_parses_back() -> None:
    xml = to_xml("service_requests", "request", [request_record(ROW)])
    assert "<script>" not in xml
    root = ET.fromstring(xml)
    assert root.tag == "service_requests"
    req = root.find("request")
    assert req is not None
    assert req.findtext("description") == ROW["description"]
    assert req.findtext("status") == "open"
    assert req.findtext("long") == "104.07"


def test_xml_nests_lists_as_the_spec_shows() -> None:
    xml = to_xml("services", "service", services())
    root = ET.fromstring(xml)
    assert len(root.findall("service")) == len(CATEGORIES)
    assert root.find("service/metadata").text == "false"  # type: ignore[union-attr]
    defn = ET.fromstring(to_xml("x", "service_definition", [service_definition("family")]))
    attrs = defn.findall("service_definition/attributes/attribute")
    assert [a.findtext("code") for a in attrs] == ["priority", "channel"]
    assert attrs[0].findall("values/value")[0].findtext("key") == "urgent"


def test_errors_are_a_list_of_code_and_description() -> None:
    assert errors(400, "缺少 service_code") == [{"code": 400, "description": "缺少 service_code"}]
    root = ET.fromstring(to_xml("errors", "error", errors(403, "api_key 无效")))
    assert root.findtext("error/code") == "403"
