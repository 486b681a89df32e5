"""The triage queue's cut (issue 17's gap): two streets, two dispatchers, a city duty officer,
an administrator; a report lies where its point is located, nowhere without one."""

from __future__ import annotations

from typing import Any, cast

import pytest

from console.api.triage_scope import ReportAreas, check_report, masked_report, reader_keeps
from dispatch.access import Principal
from dispatch.errors import Forbidden
from geo.locate import Location, Locator, Place

A = Principal(name="dispatcher1", role="dispatcher", street_id=1)
B = Principal(name="dispatcher2", role="dispatcher", street_id=2)
DUTY = Principal(name="duty", role="duty")
ADMIN = Principal(name="admin", role="admin")


class TwoStreets:
    """Street 1 west of lon 120, street 2 east of it, nothing north of lat 31."""

    def locate(self, lon: float, lat: float) -> Location:
        if lat > 31:
            return Location(lon, lat, False)
        s = 1 if lon < 120 else 2
        return Location(lon, lat, True, {"street": Place(s, f"S{s}", f"街道{s}"),
                                         "community": Place(10 * s, "C", "社区"),
                                         "grid": Place(100 * s, "G", "网格")})


def rows() -> list[dict[str, Any]]:
    return [{"id": 1, "lon": 119.5, "lat": 30.0, "place": None, "name": "王阿姨",
             "phone": "13700001234", "address": "天山路128号3栋501室",
             "description": "王阿姨说楼上装修，电话13700001234", "notes": []},
            {"id": 2, "lon": 120.5, "lat": 30.0, "place": None, "name": "李四",
             "phone": "13900005678", "address": None, "description": "噪音", "notes": []},
            {"id": 3, "lon": 120.5, "lat": 32.0, "place": None, "name": None, "phone": None,
             "address": None, "description": "境外", "notes": []},
            {"id": 4, "lon": None, "lat": None, "place": None, "name": None, "phone": None,
             "address": "不知道哪里", "description": "无坐标", "notes": []}]


def seen(p: Principal) -> list[int]:
    areas = ReportAreas(cast(Any, None), cast(Locator, TwoStreets()))
    keep = reader_keeps(p, areas)
    return [r["id"] for r in rows() if keep(r)]


def test_each_street_dispatcher_sees_only_its_street_and_the_city_sees_all():
    assert seen(A) == [1]
    assert seen(B) == [2]
    # outside the territory or without a place: only whole-territory readers
    assert seen(DUTY) == [1, 2, 3, 4]
    assert seen(ADMIN) == [1, 2, 3, 4]
    assert seen(Principal(name="d", role="dispatcher", street_id=1, community_id=99)) == []


def test_the_row_carries_its_located_area():
    areas = ReportAreas(cast(Any, None), cast(Locator, TwoStreets()))
    keep = reader_keeps(DUTY, areas)
    r = rows()
    for row in r:
        keep(row)
    assert (r[0]["street_id"], r[0]["community_id"], r[0]["grid_id"]) == (1, 10, 100)
    assert r[1]["street_id"] == 2 and r[2]["street_id"] is None and r[3]["street_id"] is None


class OneReport:
    """A connection answering ``report_place`` with report 2 (street 2's point)."""

    def execute(self, *_: Any, **__: Any) -> Any:
        class Result:
            def mappings(self) -> Any:
                return self

            def first(self) -> dict[str, Any]:
                return {"id": 2, "lon": 120.5, "lat": 30.0, "place": None}
        return Result()


def test_deciding_a_report_of_another_street_is_forbidden():
    conn, loc = cast(Any, OneReport()), cast(Locator, TwoStreets())
    with pytest.raises(Forbidden) as err:
        check_report(conn, loc, A, 2, "incident.create")
    assert "不在您的辖区" in err.value.message and err.value.detail["report_id"] == 2
    check_report(conn, loc, B, 2, "incident.create")
    check_report(conn, loc, DUTY, 2, "incident.create")


def test_masked_roles_read_the_resident_masked():
    areas = ReportAreas(cast(Any, None), cast(Locator, TwoStreets()))
    row = rows()[0]
    reader_keeps(ADMIN, areas)(row)
    out = masked_report(ADMIN, row)
    assert out["masked"] is True
    assert out["name"] == "王**" and out["phone"] == "137****1234"
    assert "13700001234" not in out["description"] and "王阿姨" not in out["description"]
    assert "128" not in out["address"]
    for p in (DUTY, A):
        clear = masked_report(p, row)
        assert clear["masked"] is False and clear["name"] == "王阿姨"
        assert clear["phone"] == "13700001234"
