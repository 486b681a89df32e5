"""Issue 14 item 3 and issue 13 item 5: no sideways reads across streets. The precheck, the
recommendations, a unit's tasks, the statistics, the wall and the exports answer a street's
dispatcher about its own street only; a match elsewhere is told as "call that street's
centre", never as a case id, a party's name or a count."""

from __future__ import annotations

import pytest

from tests.e2e.sec_http import call
from tests.e2e.sec_plant import C_SECRETS, leaks, plant


@pytest.fixture(scope="module")
def base(writable_server: str) -> str:
    return writable_server


@pytest.fixture(scope="module")
def planted(base: str) -> dict:
    return plant(base)


def _street_name(base: str, street: int) -> str:
    _, fc, _ = call("GET", f"{base}/api/v1/layers/streets.geojson")
    return next(f["properties"]["name"] for f in fc["features"] if f["properties"]["id"] == street)


def test_precheck_tells_another_streets_match_as_whom_to_call(base: str, planted: dict) -> None:
    lon, lat = planted["point1"]
    body = {"lon": lon, "lat": lat, "description": "欠款",
            "parties": [{"name": "上官飞燕", "phone": "13755550003"}]}
    # the city's duty officer sees the match itself (the control)
    status, city, text = call("POST", f"{base}/api/v1/desk/precheck", body, user="duty")
    assert status == 200 and planted["c_code"] in text and city["risk"]["level"] >= 1
    status, out, text = call("POST", f"{base}/api/v1/desk/precheck", body, user="dispatcher1")
    assert status == 200
    assert planted["c_code"] not in text and str(planted["c"]) not in [
        str(d.get("other_id")) for d in out["duplicates"]]
    assert "同一当事人" not in text  # no count of the other street's disputes
    name = _street_name(base, planted["s2"])
    assert [e["street"] for e in out["elsewhere"]] == [name]
    assert "请联系" in out["elsewhere"][0]["message"] and out["elsewhere"][0]["centre"]
    # the phone typed is the caller's own; nothing else of the other case comes back
    assert leaks(text.replace("13755550003", ""), C_SECRETS) == []


def test_registration_answers_no_other_streets_case(base: str, planted: dict) -> None:
    lon, lat = planted["point1"]
    status, reg, text = call("POST", f"{base}/api/v1/incidents", {
        "category": "debt", "channel": "walk_in", "lon": lon, "lat": lat,
        "auto_dispatch": False, "parties": [{"name": "上官飞燕", "phone": "13755550003"}]},
        user="dispatcher1")
    assert status == 201, text
    assert planted["c_code"] not in text
    status, _case, text = call("GET", f"{base}/api/v1/incidents/{reg['id']}", user="dispatcher1")
    assert status == 200 and planted["c_code"] not in text


def test_recommendations_offer_only_units_the_dispatcher_may_send(base: str,
                                                                  planted: dict) -> None:
    _, mine, _ = call("GET", f"{base}/api/v1/units", user="dispatcher1")
    own = {u["id"] for u in mine["items"]}
    status, rec, _text = call("GET", f"{base}/api/v1/incidents/{planted['a']}/recommendations"
                             "?limit=50", user="dispatcher1")
    assert status == 200 and rec["items"]
    assert {i["unit_id"] for i in rec["items"]} <= own
    assert all(set(p["unit_ids"]) <= own for p in rec["pairs"])
    for h in rec["handover"]:  # others: their street, no name, code or position
        assert h["handover"] and h["street"] and not {"lon", "lat", "name", "code"} & set(h)
    assert rec["excluded"] == {}  # the city-wide counts of units left out: not the street's
    # the duty officer (the whole city) gets the domain's ranking as it is
    _, city, _ = call("GET", f"{base}/api/v1/incidents/{planted['a']}/recommendations?limit=50")
    assert len({i["unit_id"] for i in city["items"]} - own) > 0


def test_a_units_tasks_stop_at_the_street(base: str, planted: dict) -> None:
    url = f"{base}/api/v1/units/{planted['unit1']}/tasks"
    _, duty, _ = call("GET", url, user="duty")
    assert planted["c"] in {t["id"] for t in duty["tasks"]}
    status, out, text = call("GET", url, user="dispatcher1")
    assert status == 200 and planted["c"] not in {t["id"] for t in out["tasks"]}
    assert planted["c_code"] not in text and leaks(text, C_SECRETS) == []
    assert out["elsewhere_tasks"] >= 1
    assert call("GET", url, user="dispatcher2")[0] == 403


@pytest.mark.parametrize("path", [
    "/api/v1/stats/overview", "/api/v1/stats/trend", "/api/v1/stats/categories",
    "/api/v1/stats/ranking", "/api/v1/stats/wall"])
def test_statistics_are_cut_to_the_street(base: str, planted: dict, path: str) -> None:
    s1, s2 = planted["s1"], planted["s2"]
    status, own, _ = call("GET", f"{base}{path}", user="dispatcher1")
    assert status == 200
    _, asked, _ = call("GET", f"{base}{path}?street={s1}", user="dispatcher1")
    strip = ("server_ms", "computed_at", "generated_at", "age_s")
    assert {k: v for k, v in own.items() if k not in strip} == \
        {k: v for k, v in asked.items() if k not in strip}
    status, body, _ = call("GET", f"{base}{path}?street={s2}", user="dispatcher1")
    assert status == 403 and "辖区" in body["error"]["message"]
    assert call("GET", f"{base}{path}?street={s2}", user="leader")[0] == 200
    assert call("GET", f"{base}{path}", user="field1")[0] == 403


def test_street_ranking_and_grid_heat_hold_only_the_street(base: str, planted: dict) -> None:
    _, streets, _ = call("GET", f"{base}/api/v1/stats/streets", user="dispatcher1")
    assert [a["id"] for a in streets["areas"]] == [planted["s1"]]
    _, city, _ = call("GET", f"{base}/api/v1/stats/streets", user="duty")
    assert len(city["areas"]) > 1
    for which in ("heat", "overdue", "cases"):
        _, fc, _ = call("GET", f"{base}/api/v1/stats/{which}.geojson", user="dispatcher1")
        assert all(f["properties"].get("street_id") in (None, planted["s1"])
                   for f in fc["features"]), which
    _, fc, _ = call("GET", f"{base}/api/v1/stats/heat.geojson", user="dispatcher1")
    _, all_fc, _ = call("GET", f"{base}/api/v1/stats/heat.geojson", user="duty")
    assert 0 < len(fc["features"]) < len(all_fc["features"])
    # the home map's history heat is an aggregate too
    _, mine, _ = call("GET", f"{base}/api/v1/map/heat.geojson", user="dispatcher1")
    _, city, _ = call("GET", f"{base}/api/v1/map/heat.geojson", user="duty")
    assert 0 < mine["cases"] < city["cases"]
    # and the coverage of free units: another street's units are not this reader's to place
    _, mine, _ = call("GET", f"{base}/api/v1/layers/coverage.geojson", user="dispatcher1")
    _, city, _ = call("GET", f"{base}/api/v1/layers/coverage.geojson", user="duty")
    assert sum(mine["units"].values()) < sum(city["units"].values())


def test_an_export_of_another_street_is_refused(base: str, planted: dict) -> None:
    url = f"{base}/api/v1/export/street/{planted['s2']}.html"
    status, body, _ = call("GET", url, user="dispatcher1")
    assert status == 403 and "辖区" in body["error"]["message"]
    assert call("GET", f"{base}/api/v1/export/street/{planted['s1']}.html",
                user="dispatcher1")[0] == 200
    assert call("GET", url, user="duty")[0] == 200


def test_a_field_account_does_not_open_the_wall(base: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(user="field1")
    page.goto(f"{base}/wall", wait_until="domcontentloaded")
    page.get_by_text("无权访问此页面").wait_for(timeout=60_000)
    assert page.locator(".wall-page").count() == 0
    page.close()


def test_a_street_dispatchers_wall_shows_its_street(base: str, planted: dict,
                                                   browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(user="dispatcher1", viewport={"width": 1920, "height": 1080})
    page.goto(f"{base}/wall", wait_until="domcontentloaded")
    page.get_by_text(_street_name(base, planted["s1"])).first.wait_for(timeout=60_000)
    assert page.get_by_text("无权访问此页面").count() == 0
    assert page.get_by_text(_street_name(base, planted["s2"])).count() == 0
    page.close()


def test_a_street_wall_opens_on_its_street_and_never_climbs_above(base: str,
                                                                  planted: dict) -> None:
    """The wall page's session for a street dispatcher (``console.pages.wall``)."""
    from console.pages.wall import WallSession
    from dispatch.stats import Scope

    class FakeHub:  # the parts of StatsHub a session reads
        interval = 1.0

        def board(self, scope: Scope) -> dict:
            return {"scope": {"level": scope.level, "street": scope.street,
                              "community": scope.community, "grid": scope.grid,
                              "name": "", "code": "", "chain": [], "bbox": None},
                    "overview": {}, "trend": [], "categories": [], "ranking": [],
                    "cases": [], "window_days": 30}

        def heat(self) -> dict:
            return {"grids": [{"id": 1, "intake": 3, "open": 1, "overdue": 0},
                              {"id": 2, "intake": 5, "open": 2, "overdue": 1}],
                    "cases": [{"id": 9, "grid_id": 2, "street_id": 2, "lon": 1.0, "lat": 1.0}]}

        def grid_shapes(self) -> list:
            square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
            return [{"type": "Feature", "id": "1", "geometry": square,
                     "properties": {"id": 1, "street_id": 1, "community_id": 11}},
                    {"type": "Feature", "id": "2", "geometry": square,
                     "properties": {"id": 2, "street_id": 2, "community_id": 21}}]

    wall = WallSession(FakeHub(), floor=Scope(1))  # type: ignore[arg-type]
    assert wall.scope == Scope(1)
    assert [r["id"] for r in wall.heat()["grids"]] == [1] and wall.heat()["cases"] == []
    wall.set_scope(Scope())
    assert wall.scope == Scope(1)
    wall.set_scope(Scope(2))
    assert wall.scope == Scope(1)
    wall.set_scope(Scope(1, 11))
    assert wall.scope == Scope(1, 11)


def _far_point(base: str, street: int, near: tuple[float, float]) -> tuple[float, float]:
    """A point of ``street`` well away from ``near`` (not the same place for the risk check)."""
    _, units, _ = call("GET", f"{base}/api/v1/units")
    pts = sorted({(u["lon"], u["lat"]) for u in units["items"]
                  if u["lon"] is not None and u["street_id"] == street},
                 key=lambda q: -((q[0] - near[0]) ** 2 + (q[1] - near[1]) ** 2))
    for lon, lat in pts:
        _, loc, _ = call("GET", f"{base}/api/v1/locate?lon={lon}&lat={lat}")
        if (loc.get("street") or {}).get("id") == street:
            return lon, lat
    raise AssertionError(f"no point found in street {street}")


def test_a_risk_count_counts_only_what_the_reader_may_see(base: str, planted: dict) -> None:
    """The risk check counts the same parties' earlier disputes city-wide (the level is the
    case's), but a street's dispatcher reads the count of its own street's, and that the
    rest lie in another street with whom to call — not how many."""
    party = [{"name": "欧阳明月", "phone": "13755550009"}]
    codes = []
    for lon, lat in (planted["point2"], planted["point2"],
                     _far_point(base, planted["s1"], planted["point1"])):
        status, reg, text = call("POST", f"{base}/api/v1/incidents", {
            "category": "debt", "channel": "hotline", "lon": lon, "lat": lat,
            "auto_dispatch": False, "parties": party})
        assert status == 201, text
        codes.append(reg["code"])
    lon, lat = planted["point1"]
    status, reg, text = call("POST", f"{base}/api/v1/incidents", {
        "category": "debt", "channel": "walk_in", "lon": lon, "lat": lat, "priority": "normal",
        "auto_dispatch": False, "parties": party}, user="dispatcher1")
    assert status == 201, text
    assert reg["risk"]["level"] == 3  # three earlier disputes: the level is the city's
    # the parties' count is the reader's own street's (the same place's count is of the
    # reader's own door: the demo history there ages with the clock, so it is not asserted)
    parties_said = [r for r in reg["risk"]["reasons"] if "同一当事人" in r]
    assert parties_said and not [r for r in parties_said if "3 起" in r or "2 起" in r], \
        reg["risk"]["reasons"]
    assert any("您的辖区内 1 起" in r and "其他街道另有记录" in r for r in reg["risk"]["reasons"])
    status, _, text = call("POST", f"{base}/api/v1/incidents/{reg['id']}/priority",
                           {"priority": "urgent"}, user="dispatcher1")
    assert status == 200, text
    # the duty officer (the whole city) reads the count as the domain made it
    _, city, _ = call("GET", f"{base}/api/v1/incidents/{reg['id']}", user="duty")
    assert any("同一当事人之间已发生 3 起纠纷" in r for r in city["risk_reasons"])
    assert "risk_basis" not in city
    status, case, text = call("GET", f"{base}/api/v1/incidents/{reg['id']}", user="dispatcher1")
    assert status == 200
    assert not [r for r in case["risk_reasons"] if "同一当事人" in r and (
        "3 起" in r or "2 起" in r)] and "risk_basis" not in case
    assert not [c for c in codes[:2] if c in text]  # the other street's cases: not named
    reasons = case["risk_reasons"]
    assert any("您的辖区内 1 起" in r for r in reasons), reasons
    street2 = _street_name(base, planted["s2"])
    assert any(r.startswith(street2) and "请联系" in r for r in reasons), reasons
    # the audit trail's copy of the reasons (the priority decision) is cut the same way
    decided = [a for a in case["audit"] if a["action"] == "priority_confirm"]
    assert decided and decided[0]["detail"]["risk_reasons"] == reasons
