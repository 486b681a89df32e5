"""The triage queue's cut (issue 17's gap): two streets, two dispatchers, a city duty officer,
an administrator; a report lies where it was located at submission (its point, else its
poster's place), nowhere without either."""

from __future__ import annotations

from typing import Any, cast

import pytest

from console.api.triage_scope import check_report, masked_report, reader_keeps, readers_rows
from dispatch.access import Principal, scope_of
from dispatch.commands_resident import SubmitResidentReport
from dispatch.errors import Forbidden
from dispatch.events_resident import ResidentReported
from dispatch.handlers_resident import submit
from dispatch.views_resident import area_sql
from geo.locate import Location, Place
from tests.fakes.uow import FakeUnitOfWork

A = Principal(name="dispatcher1", role="dispatcher", street_id=1)
B = Principal(name="dispatcher2", role="dispatcher", street_id=2)
DUTY = Principal(name="duty", role="duty")
ADMIN = Principal(name="admin", role="admin")


def two_streets(lon: float, lat: float) -> Location:
    """Street 1 west of lon 120, street 2 east of it, nothing north of lat 31."""
    if lat > 31:
        return Location(lon, lat, False)
    s = 1 if lon < 120 else 2
    return Location(lon, lat, True, {"street": Place(s, f"S{s}", f"街道{s}"),
                                     "community": Place(10 * s, "C", "社区"),
                                     "grid": Place(100 * s, "G", "网格")})


def rows() -> list[dict[str, Any]]:
    return [{"id": 1, "street_id": 1, "community_id": 10, "grid_id": 100, "name": "王阿姨",
             "phone": "13700001234", "address": "天山路128号3栋501室",
             "description": "王阿姨说楼上装修，电话13700001234", "notes": []},
            {"id": 2, "street_id": 2, "community_id": 20, "grid_id": 200, "name": "李四",
             "phone": "13900005678", "address": None, "description": "噪音", "notes": []},
            {"id": 3, "street_id": None, "community_id": None, "grid_id": None, "name": None,
             "phone": None, "address": "不知道哪里", "description": "无坐标", "notes": []}]


def seen(p: Principal) -> list[int]:
    keep = reader_keeps(p)
    return [r["id"] for r in rows() if keep(r)]


def test_each_street_dispatcher_sees_only_its_street_and_the_city_sees_all():
    assert seen(A) == [1]
    assert seen(B) == [2]
    # located nowhere: only whole-territory readers
    assert seen(DUTY) == [1, 2, 3]
    assert seen(ADMIN) == [1, 2, 3]
    assert seen(Principal(name="d", role="dispatcher", street_id=1, community_id=99)) == []
    assert [r["id"] for r in readers_rows(A, rows())] == [1]
    assert readers_rows(None, rows()) == []


def _submitted(uow: FakeUnitOfWork, **kw: Any) -> dict[str, Any]:
    out = submit(SubmitResidentReport(**{"category": "neighbour", "description": "楼道堆物",
                                         **kw}), uow)
    return next(r for r in uow.db.tables.residents if r["id"] == out["id"])


def test_a_report_is_located_once_at_submission_point_then_place_then_nowhere():
    uow = FakeUnitOfWork(locate=two_streets)
    uow.db.tables.places["community-20"] = (120.5, 30.0)
    at_point = _submitted(uow, lon=119.5, lat=30.0, device="a" * 64)
    assert (at_point["street_id"], at_point["community_id"], at_point["grid_id"]) == (1, 10, 100)
    # a point outside the territory: the poster's place decides
    outside = _submitted(uow, lon=119.5, lat=32.0, place="community-20", device="b" * 64)
    assert outside["street_id"] == 2 and outside["grid_id"] == 200
    only_address = _submitted(uow, address="不知道哪里", device="c" * 64)
    assert only_address["street_id"] is None and only_address["community_id"] is None
    unknown_place = _submitted(uow, address="某处", place="room-404", device="d" * 64)
    assert unknown_place["street_id"] is None
    reported = [e for e in uow.db.published if isinstance(e, ResidentReported)]
    # (the fake's events pile up over commits outside ``with``: each once here)
    assert sorted({(e.report_id, e.street_id or 0) for e in reported}) == [(1, 1), (2, 2),
                                                                           (3, 0), (4, 0)]


def test_the_scoped_queue_is_one_area_filter():
    assert area_sql(scope_of(DUTY)) == ("", {})
    where, params = area_sql(scope_of(A))
    assert "r.street_id = ANY" in where and params["scope_streets"] == [1]
    where, params = area_sql(scope_of(Principal(name="d", role="dispatcher", street_id=1,
                                                community_id=10)))
    assert "r.community_id = :scope_community_id" in where and params["scope_community_id"] == 10
    # a field account with no grid has no area of its own: no report
    where, _ = area_sql(scope_of(Principal(name="f", role="field", unit_id=3)))
    assert "(false)" in where


def test_reports_and_cases_share_one_area_filter():
    """The area of a jurisdiction is written once (dispatch.views_cases.area_where): the case
    list's scope holds the very conditions the triage queue keeps, on its own alias."""
    from dispatch.views_cases import area_where, scope_sql

    for p in (A, Principal(name="d", role="dispatcher", street_id=1, community_id=10),
              Principal(name="g", role="field", grid_id=5, unit_id=3)):
        conds, params = area_where(scope_of(p), "r")
        assert area_sql(scope_of(p)) == ("AND (" + " AND ".join(conds) + ") ", params)
        cases, case_params = scope_sql(scope_of(p))
        assert " AND ".join(c.replace("r.", "i.", 1) for c in conds) in cases
        assert params.items() <= case_params.items()


class OneReport:
    """A connection answering ``report_place`` with report 2 (stored in street 2)."""

    def execute(self, *_: Any, **__: Any) -> Any:
        class Result:
            def mappings(self) -> Any:
                return self

            def first(self) -> dict[str, Any]:
                return {"id": 2, "lon": 120.5, "lat": 30.0, "place": None, "address": None,
                        "street_id": 2, "community_id": 20, "grid_id": 200}
        return Result()


def test_deciding_a_report_of_another_street_is_forbidden():
    conn = cast(Any, OneReport())
    with pytest.raises(Forbidden) as err:
        check_report(conn, A, 2, "incident.create")
    assert "不在您的辖区" in err.value.message and err.value.detail["report_id"] == 2
    assert check_report(conn, B, 2, "incident.create")["street_id"] == 2
    check_report(conn, DUTY, 2, "incident.create")


def test_masked_roles_read_the_resident_masked():
    row = rows()[0]
    out = masked_report(ADMIN, row)
    assert out["masked"] is True
    assert out["name"] == "王**" and out["phone"] == "137****1234"
    assert "13700001234" not in out["description"] and "王阿姨" not in out["description"]
    assert "128" not in out["address"]
    for p in (DUTY, A):
        clear = masked_report(p, row)
        assert clear["masked"] is False and clear["name"] == "王阿姨"
        assert clear["phone"] == "13700001234"


def test_a_desk_without_a_principal_decides_nothing():
    from console.desk.views import DeskTriage
    from console.pages.desk_triage import TriageFeed, decides

    assert decides(None) is False
    assert decides(A) and decides(DUTY)
    assert not decides(Principal(name="leader", role="leader"))
    view = DeskTriage()  # built without the page's answer: no decide buttons either
    assert view.decides is False
    TriageFeed(view, None).take({"triage": []})
    assert view.decides is False
