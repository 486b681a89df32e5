"""研判 faces: hotspots, emerging hotspots, repeats and the watch list, cut to the reader's area,
refused (403, audited) outside it, and without personal data for leaders."""

from __future__ import annotations

import re

import pytest

from tests.e2e.sec_http import call

A = "/api/v1/analysis"


@pytest.fixture(scope="module")
def streets(live_server: str) -> tuple[int, int]:
    _, me1, _ = call("GET", f"{live_server}/api/v1/auth/me", user="dispatcher1")
    _, me2, _ = call("GET", f"{live_server}/api/v1/auth/me", user="dispatcher2")
    return int(me1["street_id"]), int(me2["street_id"])


def test_hotspots_carry_z_p_and_class_for_the_readers_street(live_server: str, streets) -> None:
    s1, _ = streets
    status, city, _ = call("GET", f"{live_server}{A}/hotspots?from=2026-06-01&to=2026-11-30",
                           user="duty")
    assert status == 200 and city["type"] == "FeatureCollection" and city["by"] == "micro"
    props = city["features"][0]["properties"]
    assert {"z", "p", "class", "count", "label", "colour", "style"} <= set(props)
    assert {e["class"] for e in city["legend"]} == {-3, -2, -1, 1, 2, 3}
    assert {int(k) for k in city["classes"]} <= {-3, -2, -1, 0, 1, 2, 3}
    assert city["cases"] > 1000
    status, mine, _ = call("GET", f"{live_server}{A}/hotspots?from=2026-06-01&to=2026-11-30",
                           user="dispatcher1")
    assert status == 200 and mine["scope"]["street"] == s1
    assert 0 < len(mine["features"]) < len(city["features"]) and mine["cases"] < city["cases"]
    _, asked, _ = call("GET", f"{live_server}{A}/hotspots?street={s1}&from=2026-06-01&to=2026-11-30",
                       user="dispatcher1")
    assert asked["features"] == mine["features"]
    cells = call("GET", f"{live_server}{A}/hotspots?by=cell&size=500&category=neighbour",
                 user="duty")[1]
    assert cells["size_m"] == 500 and cells["category"] == "neighbour" and cells["features"]


@pytest.mark.parametrize("path", ["hotspots", "emerging", "repeats", "watch"])
def test_another_street_is_refused_and_a_field_account_reads_nothing(live_server: str, streets,
                                                                     path: str) -> None:
    _, s2 = streets
    status, body, _ = call("GET", f"{live_server}{A}/{path}?street={s2}", user="dispatcher1")
    assert status == 403 and "辖区" in body["error"]["message"]
    assert call("GET", f"{live_server}{A}/{path}", user="field1")[0] == 403
    assert call("GET", f"{live_server}{A}/{path}?street={s2}", user="leader")[0] == 200


@pytest.mark.parametrize("query", ["by=hex", "category=nothing", "from=2026-12-01&to=2026-11-01",
                                   "from=2026-13-01", "size=300", "weeks=4",
                                   "to=9999-12-31&from=9999-12-30"])
def test_bad_parameters_are_named(live_server: str, query: str) -> None:
    path = "emerging" if "weeks" in query else "hotspots"
    status, body, _ = call("GET", f"{live_server}{A}/{path}?{query}", user="duty")
    assert status == 400 and body["error"]["field"] in query and body["error"]["message"]


def test_emerging_hotspots_name_their_pattern(live_server: str) -> None:
    status, fc, _ = call("GET", f"{live_server}{A}/emerging?weeks=10&all=1", user="duty")
    assert status == 200 and fc["weeks"] == 10
    assert {f["properties"]["pattern"] for f in fc["features"]} <= set(fc["patterns"])
    assert all("trend_p" in f["properties"] for f in fc["features"])


_PHONE = re.compile(r"1[3-9]\d{9}")


def test_repeats_link_cases_and_leaders_see_no_personal_data(live_server: str) -> None:
    period = "from=2025-12-07&to=2026-12-06"
    _, duty, _ = call("GET", f"{live_server}{A}/repeats?kind=address&{period}", user="duty")
    _, leader, text = call("GET", f"{live_server}{A}/repeats?kind=address&{period}",
                           user="leader")
    assert duty["groups"] and len(duty["groups"]) == len(leader["groups"])
    assert all(g["count"] == len(g["case_ids"]) >= 3 for g in duty["groups"])
    assert re.search(r"\d+号楼", duty["groups"][0]["address"])  # the control
    assert not re.search(r"\d+(号|楼)", text)
    _, pairs, text = call("GET", f"{live_server}{A}/repeats?kind=parties&{period}", user="leader")
    assert pairs["groups"] and pairs["total"] >= len(pairs["groups"])
    assert all(g["pair"].startswith("P") and len(g["case_ids"]) >= 2 for g in pairs["groups"])
    assert not _PHONE.search(text)
    _, near, _ = call("GET", f"{live_server}{A}/repeats?kind=near&radius=100&days=7&{period}",
                      user="leader")
    assert near["radius_m"] == 100 and near["groups"]
    assert all(g["count"] >= 2 and g["span_days"] <= 7 for g in near["groups"])


def test_the_watch_list_is_masked_for_leaders(live_server: str) -> None:
    status, duty, _ = call("GET", f"{live_server}{A}/watch", user="duty")
    assert status == 200 and duty["count"] == len(duty["items"]) > 0
    assert all(i["risk_level"] >= 2 and i["done"] for i in duty["items"])
    _, leader, text = call("GET", f"{live_server}{A}/watch", user="leader")
    assert leader["count"] == duty["count"]
    assert all(i["masked"] for i in leader["items"]) and not _PHONE.search(text)
    _, red, _ = call("GET", f"{live_server}{A}/watch?level=3", user="duty")
    assert all(i["risk_level"] == 3 for i in red["items"])
