"""Planted secrets for the trust-boundary tests (issue 14): cases whose parties, phones and door
numbers are searched for in every response body of every role that may not read them.

Case A (street of ``dispatcher1``) and its duplicate B carry the names 司马青衫 / 诸葛云裳, their
phones and a door number in the title, description, address, a 督办 reason and the duplicate
link's reasons; case C (street of ``dispatcher2``) carries 上官飞燕 and its own phone, and a unit of
street 1 is assigned to it (a street-1 unit's task in street 2).
"""

from __future__ import annotations

from typing import Any

from tests.e2e.sec_http import call

KEY = "demo-open311-key"
A_SECRETS = ("司马青衫", "诸葛云裳", "13755550001", "13755550002", "77号8栋909室", "909室")
C_SECRETS = ("上官飞燕", "13755550003", "66号5栋505室")
DOOR_A = "示例路77号8栋909室"


def as_key(key: str = KEY) -> dict[str, Any]:
    """Keyword arguments of :func:`call` for a request with an API key and no account."""
    return {"user": "anonymous", "headers": {"X-API-Key": key}}


def _point_in(base: str, user: str, street: int, skip: int = 0) -> tuple[float, float]:
    _, units, _ = call("GET", f"{base}/api/v1/units", user=user)
    pts = [(u["lon"], u["lat"]) for u in units["items"]
           if u["lon"] is not None and u["street_id"] == street]
    for lon, lat in pts[skip:]:
        _, loc, _ = call("GET", f"{base}/api/v1/locate?lon={lon}&lat={lat}")
        if loc.get("inside") and (loc.get("street") or {}).get("id") == street:
            return lon, lat
    raise AssertionError(f"no point found in street {street}")


def _register(base: str, body: dict[str, Any]) -> dict[str, Any]:
    status, reg, text = call("POST", f"{base}/api/v1/incidents",
                             {"category": "neighbour", "channel": "hotline",
                              "auto_dispatch": False, **body})
    assert status == 201, text
    return reg


def plant(base: str) -> dict[str, Any]:
    """Register the planted cases (as ``duty``) and return their ids, codes and the units."""
    me = {u: call("GET", f"{base}/api/v1/auth/me", user=u)[1]
          for u in ("dispatcher1", "dispatcher2", "field1")}
    s1, s2 = me["dispatcher1"]["street_id"], me["dispatcher2"]["street_id"]
    lon1, lat1 = _point_in(base, "dispatcher1", s1)
    parties = [{"name": "司马青衫", "phone": "13755550001"},
               {"name": "诸葛云裳", "phone": "13755550002", "role": "respondent"}]
    a = _register(base, {"lon": lon1, "lat": lat1, "address": DOOR_A, "parties": parties,
                         "title": "司马青衫与诸葛云裳噪音纠纷",
                         "description": f"司马青衫称诸葛云裳夜间噪音，电话13755550001，住{DOOR_A}"})
    b = _register(base, {"lon": lon1, "lat": lat1, "address": DOOR_A, "parties": parties,
                         "title": "噪音纠纷再次来电", "description": "同一对当事人再次来电"})
    assert any(d["other_id"] == a["id"] for d in b["duplicates"]), b["duplicates"]
    status, _, text = call("POST", f"{base}/api/v1/incidents/{a['id']}/supervise", {
        "level": "yellow", "reason": f"请司马青衫回电13755550001，{DOOR_A}"})
    assert status == 200, text
    lon2, lat2 = _point_in(base, "dispatcher2", s2)
    c = _register(base, {"lon": lon2, "lat": lat2, "address": "示例路66号5栋505室",
                         "category": "debt", "title": "上官飞燕欠款纠纷",
                         "description": "上官飞燕称对方欠款，电话13755550003",
                         "parties": [{"name": "上官飞燕", "phone": "13755550003"}]})
    assert c["location"]["street"]["id"] == s2
    # a unit of street 1 (not field1's) sent to the street-2 case by the city's duty officer
    _, units, _ = call("GET", f"{base}/api/v1/units?status=available", user="dispatcher1")
    unit1 = None
    for u in units["items"]:
        if u["id"] == me["field1"]["unit_id"]:
            continue
        status, _, _ = call("POST", f"{base}/api/v1/incidents/{c['id']}/assign",
                            {"unit_ids": [u["id"]], "reason": "跨街道支援"})
        if status == 200:
            unit1 = u["id"]
            break
    assert unit1 is not None, "no unit of street 1 could be assigned"
    return {"a": a["id"], "b": b["id"], "c": c["id"], "a_code": a["code"],
            "c_code": c["code"], "s1": s1, "s2": s2, "unit1": unit1,
            "field_unit": me["field1"]["unit_id"], "point1": (lon1, lat1),
            "point2": (lon2, lat2)}


def leaks(text: str, secrets: tuple[str, ...]) -> list[str]:
    return [s for s in secrets if s in text]
