"""Open311 GeoReport v2 shapes: our categories as services, cases as requests, JSON or XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

from dispatch.vocab import CATEGORIES, CHANNELS, INCIDENT_STATES, OPEN_STATES, OUTCOMES

# What an integrator reads about each category (the service's description).
_SERVICE_HINTS: dict[str, str] = {
    "neighbour": "噪音、漏水、通行、采光等邻里之间的矛盾",
    "family": "赡养、抚养、家庭成员之间的矛盾",
    "marriage": "婚姻、离婚、彩礼等纠纷",
    "property": "物业服务、物业费、公共设施纠纷",
    "labour": "拖欠工资、劳动合同、工伤等争议",
    "debt": "借款、欠款纠纷",
    "traffic": "交通事故赔偿纠纷",
    "construction": "工程款、装修纠纷",
    "land": "土地承包、宅基地、征地纠纷",
    "finance": "金融借贷、理财纠纷",
    "medical": "医患纠纷",
    "consumer": "消费者权益纠纷",
    "other": "其他矛盾纠纷",
}
GROUP = "矛盾纠纷调处"


def services() -> list[dict[str, Any]]:
    """GET services: one service per dispute category, in the category order users know."""
    return [{"service_code": code, "service_name": label, "description": _SERVICE_HINTS[code],
             "metadata": False, "type": "realtime", "keywords": f"{label},纠纷,调解",
             "group": GROUP} for code, label in CATEGORIES.items()]


def service_definition(code: str) -> dict[str, Any]:
    """The optional attributes a request of any category may carry (our extension)."""
    return {"service_code": code, "attributes": [
        {"variable": True, "code": "priority", "datatype": "singlevaluelist", "required": False,
         "datatype_description": "紧急程度", "order": 1, "description": "紧急程度",
         "values": [{"key": k, "name": v} for k, v in
                    (("urgent", "紧急"), ("high", "较急"), ("normal", "一般"), ("low", "轻微"))]},
        {"variable": True, "code": "channel", "datatype": "singlevaluelist", "required": False,
         "datatype_description": "受理渠道（默认 12345 热线）", "order": 2,
         "description": "受理渠道", "values": [{"key": k, "name": v}
                                              for k, v in CHANNELS.items()]},
    ]}


def status_of(state: str) -> str:
    """Open311's two statuses: a case is closed once it is resolved (办结) or later."""
    return "open" if state in OPEN_STATES else "closed"


def request_record(row: dict[str, Any]) -> dict[str, Any]:
    """One case as a GeoReport ``request`` (our richer state in ``status_notes``)."""
    state = str(row["state"])
    notes = f"{INCIDENT_STATES.get(state, state)}（{state}）"
    if row.get("outcome"):
        notes += f"；结果：{OUTCOMES.get(str(row['outcome']), row['outcome'])}"
    return {
        "service_request_id": row["code"],
        "status": status_of(state),
        "status_notes": notes,
        "service_name": CATEGORIES.get(str(row["category"]), str(row["category"])),
        "service_code": row["category"],
        "description": row.get("description") or "",
        "agency_responsible": row.get("agency") or "",
        "service_notice": "",
        "requested_datetime": _w3c(row.get("reported_at")),
        "updated_datetime": _w3c(row.get("updated_at") or row.get("reported_at")),
        "expected_datetime": _w3c(row.get("close_deadline")),
        "address": row.get("address") or "",
        "address_id": "",
        "zipcode": "",
        "lat": row.get("lat"),
        "long": row.get("lon"),
        "media_url": "",
    }


def _w3c(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return str(value)


def to_xml(root: str, item: str, items: list[dict[str, Any]]) -> str:
    """``<root><item><key>value</key>…</item>…</root>``; lists nest as the spec shows."""
    top = ET.Element(root)
    for entry in items:
        _fill(ET.SubElement(top, item), entry)
    return "<?xml version=\"1.0\" encoding=\"utf-8\"?>" + ET.tostring(top, encoding="unicode")


def _fill(node: ET.Element, entry: dict[str, Any]) -> None:
    for key, value in entry.items():
        child = ET.SubElement(node, key)
        if isinstance(value, dict):
            _fill(child, value)
        elif isinstance(value, list):
            singular = {"attributes": "attribute", "values": "value"}.get(key, "item")
            for v in value:
                sub = ET.SubElement(child, singular)
                if isinstance(v, dict):
                    _fill(sub, v)
                else:
                    sub.text = _text(v)
        else:
            child.text = _text(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def errors(status: int, description: str) -> list[dict[str, Any]]:
    """The spec's error list: ``[{"code": 400, "description": "…"}]``."""
    return [{"code": status, "description": description}]
