"""Roles, scopes and jurisdiction decided without a database."""

import pytest

from dispatch.access import (
    ACTIONS,
    Principal,
    event_visible,
    masks_incident,
    may,
    may_act_on_unit,
    refusal,
    scope_of,
    sees_incident,
    sees_unit,
)

ADMIN = Principal(name="admin", role="admin")
DUTY = Principal(name="duty", role="duty")
LEADER = Principal(name="leader", role="leader")
D1 = Principal(name="dispatcher1", role="dispatcher", street_id=1)
D2 = Principal(name="dispatcher2", role="dispatcher", street_id=2)
COMM = Principal(name="c", role="dispatcher", street_id=1, community_id=11)
FIELD = Principal(name="field1", role="field", street_id=1, grid_id=111, unit_id=7)
FIELD_NO_GRID = Principal(name="f", role="field", unit_id=8)
OPEN311 = Principal(name="hotline", kind="api_key", scopes=frozenset({"open311"}))
DEVICE = Principal(name="gps", kind="api_key", scopes=frozenset({"device"}))

IN_1 = {"street_id": 1, "community_id": 11, "grid_id": 111}
IN_1_OTHER_GRID = {"street_id": 1, "community_id": 12, "grid_id": 121}
IN_2 = {"street_id": 2, "community_id": 21, "grid_id": 211}
UNLOCATED = {"street_id": None, "community_id": None, "grid_id": None}


@pytest.mark.parametrize("p, action, allowed", [
    (ADMIN, "admin", True), (DUTY, "admin", False), (DUTY, "incident.assign", True),
    (D1, "incident.assign", True), (D1, "simulate", False), (LEADER, "read", True),
    (LEADER, "incident.assign", False), (LEADER, "incident.create", False),
    (LEADER, "incident.unmask", True), (FIELD, "incident.assign", False),
    (FIELD, "incident.transition", True), (FIELD, "unit.position", True),
    (FIELD, "desk", False), (OPEN311, "incident.create", True), (OPEN311, "read", True),
    (OPEN311, "incident.assign", False), (OPEN311, "incident.unmask", False),
    (DEVICE, "unit.position", True), (DEVICE, "read", False),
    (Principal(name="x", role="nobody"), "read", False),
    (Principal(name="k", kind="api_key", scopes=frozenset({"bogus"})), "read", False),
])
def test_role_and_scope_actions(p, action, allowed):
    assert may(p, action) is allowed


def test_every_action_has_a_chinese_name_in_the_refusal():
    for action in ACTIONS:
        assert ACTIONS[action] in refusal(LEADER, action)
    assert "领导" in refusal(LEADER, "incident.assign")
    assert "接口密钥" in refusal(OPEN311, "incident.assign")


def test_whole_territory_roles_see_everything():
    for p in (ADMIN, DUTY, LEADER, OPEN311):
        assert scope_of(p).unrestricted
        assert all(sees_incident(p, i) for i in (IN_1, IN_2, UNLOCATED))


def test_street_dispatcher_sees_only_its_street():
    assert sees_incident(D1, IN_1) and sees_incident(D1, IN_1_OTHER_GRID)
    assert not sees_incident(D1, IN_2) and not sees_incident(D1, UNLOCATED)
    assert sees_incident(D2, IN_2) and not sees_incident(D2, IN_1)
    assert sees_unit(D1, {"id": 3, "street_id": 1, "home_grid_id": 5})
    assert not sees_unit(D1, {"id": 3, "street_id": 2, "home_grid_id": 5})


def test_dispatcher_sees_the_unlocated_cases_it_registered():
    assert sees_incident(D1, {**UNLOCATED, "created_by": "dispatcher1"})
    assert not sees_incident(D2, {**UNLOCATED, "created_by": "dispatcher1"})


def test_community_dispatcher_sees_its_community_only():
    assert sees_incident(COMM, IN_1)
    assert not sees_incident(COMM, IN_1_OTHER_GRID)


def test_field_unit_sees_its_grid_and_its_own_tasks():
    assert sees_incident(FIELD, IN_1)
    assert not sees_incident(FIELD, IN_1_OTHER_GRID)
    assert sees_incident(FIELD, IN_2, unit_ids=[7])  # assigned across the border
    assert not sees_incident(FIELD, IN_2, unit_ids=[9])
    assert sees_unit(FIELD, {"id": 7, "street_id": 2, "home_grid_id": 999})
    assert sees_unit(FIELD, {"id": 9, "street_id": 1, "home_grid_id": 111})
    assert not sees_unit(FIELD, {"id": 9, "street_id": 1, "home_grid_id": 112})


def test_field_unit_without_a_grid_sees_only_its_tasks():
    assert not sees_incident(FIELD_NO_GRID, IN_1)
    assert sees_incident(FIELD_NO_GRID, IN_1, unit_ids=[8])
    assert sees_unit(FIELD_NO_GRID, {"id": 8, "street_id": 1})
    assert not sees_unit(FIELD_NO_GRID, {"id": 9, "street_id": 1})


def test_acting_on_a_unit():
    assert may_act_on_unit(FIELD, {"id": 7, "street_id": 1, "home_grid_id": 111})
    assert not may_act_on_unit(FIELD, {"id": 9, "street_id": 1, "home_grid_id": 111})
    assert may_act_on_unit(D1, {"id": 9, "street_id": 1})
    assert not may_act_on_unit(D2, {"id": 9, "street_id": 1})
    assert may_act_on_unit(DEVICE, {"id": 9, "street_id": 1})


def test_who_sees_masks():
    assert not masks_incident(DUTY, IN_2)
    assert not masks_incident(D1, IN_1)
    assert masks_incident(D1, IN_2)
    assert masks_incident(LEADER, IN_1) and masks_incident(ADMIN, IN_1)
    assert masks_incident(OPEN311, IN_1)
    assert masks_incident(FIELD, IN_1)  # its grid, not its task
    assert not masks_incident(FIELD, IN_1, unit_ids=[7])


def test_live_events_follow_jurisdiction():
    ev1 = {"incident": IN_1, "unit_ids": []}
    ev2 = {"incident": IN_2, "unit_ids": [7]}
    assert event_visible(D1, ev1) and not event_visible(D1, ev2)
    assert event_visible(D2, ev2) and not event_visible(D2, ev1)
    assert event_visible(FIELD, ev2)  # its own task
    assert event_visible(DUTY, {"type": "clock"})
    assert not event_visible(D1, {"type": "clock"})
    assert event_visible(D1, {"unit": {"id": 1, "street_id": 1}})
    assert not event_visible(D1, {"unit": {"id": 1, "street_id": 2}})
    assert not event_visible(DEVICE, ev1)


def test_me_document_and_home_pages():
    me = FIELD.as_dict()
    assert me["role"] == "field" and me["unit_id"] == 7 and me["grid_id"] == 111
    assert me["home"] == "/field?unit=7"
    assert D1.as_dict()["street_id"] == 1 and D1.as_dict()["jurisdiction"]["level"] == "street"
    assert DUTY.as_dict()["jurisdiction"]["level"] == "city"
    assert {p.home_page() for p in (ADMIN, DUTY, LEADER)} == {"/admin", "/desk", "/wall"}
    assert OPEN311.as_dict()["scopes"] == ["open311"]
    assert OPEN311.actor == "hotline"


# -- the district (区县) level: a district is exactly its streets, wherever streets are asked ----
DIST = Principal(name="district", role="dispatcher", district_id=9,
                 district_streets=frozenset({1, 3}))
DIST_DUTY = Principal(name="qu-duty", role="duty", district_id=9,
                      district_streets=frozenset({1, 3}))
DIST_KEY = Principal(name="qu-key", kind="api_key", scopes=frozenset({"read"}), district_id=9,
                     district_streets=frozenset({1, 3}))
EMPTY_DIST = Principal(name="empty", role="leader", district_id=8)
IN_3 = {"street_id": 3, "community_id": 31, "grid_id": 311}


@pytest.mark.parametrize("p", [DIST, DIST_DUTY, DIST_KEY])
def test_a_district_sees_its_streets_and_nothing_else(p):
    scope = scope_of(p)
    assert not scope.unrestricted and scope.streets == {1, 3}
    assert scope.as_dict()["level"] == "district" and scope.as_dict()["label"] == "区县"
    assert sees_incident(p, IN_1) and sees_incident(p, IN_3)
    assert not sees_incident(p, IN_2) and not sees_incident(p, UNLOCATED)
    assert sees_unit(p, {"id": 1, "street_id": 3, "home_grid_id": 311})
    assert not sees_unit(p, {"id": 2, "street_id": 2, "home_grid_id": 211})
    assert event_visible(p, {"incident": IN_3}) and not event_visible(p, {"incident": IN_2})


def test_a_district_without_streets_sees_nothing_not_everything():
    assert scope_of(EMPTY_DIST).streets == frozenset()
    assert not sees_incident(EMPTY_DIST, IN_1) and not EMPTY_DIST.whole_territory


def test_a_street_outside_the_given_district_gives_nothing():
    odd = Principal(name="odd", role="dispatcher", district_id=9,
                    district_streets=frozenset({1, 3}), street_id=2)
    assert scope_of(odd).streets == frozenset() and not sees_incident(odd, IN_2)
    inside = Principal(name="in", role="dispatcher", district_id=9,
                       district_streets=frozenset({1, 3}), street_id=3)
    assert scope_of(inside).streets == {3} and scope_of(inside).level == "street"


def test_the_district_scope_in_sql_is_its_streets():
    from dispatch.views_cases import scope_sql

    where, params = scope_sql(scope_of(DIST))
    assert "i.street_id = ANY(CAST(:scope_streets AS int[]))" in where
    assert params["scope_streets"] == [1, 3]
    where, params = scope_sql(scope_of(D1))
    assert params["scope_streets"] == [1]
    assert scope_sql(scope_of(DUTY)) == ("", {})


def test_admin_is_the_whole_territory_whatever_it_carries():
    odd_admin = Principal(name="a", role="admin", district_id=9,
                          district_streets=frozenset({1}))
    assert scope_of(odd_admin).unrestricted


def test_an_admin_scope_key_reaches_the_admin_api_only_with_that_scope():
    admin_key = Principal(name="prov", kind="api_key", scopes=frozenset({"admin"}))
    assert may(admin_key, "admin") and not may(admin_key, "incident.unmask")
    assert not may(OPEN311, "admin") and not may(DEVICE, "read")
def test_api_keys_reach_only_their_face():
    """Issue 14 item 4: an Open311 key reached every /api/v1 route."""
    from dispatch.access import face_refusal, reaches

    assert reaches(OPEN311, "/open311/v2/requests.json")
    for path in ("/api/v1/incidents", "/api/v1/units", "/api/v1/export/wall.png",
                 "/api/v1/admin/audit", "/api/v1/stats/overview", "/api/v1/events"):
        assert not reaches(OPEN311, path), path
    assert "接口密钥" in face_refusal(OPEN311, "/api/v1/incidents")
    assert reaches(DEVICE, "/api/v1/units/3/position") and not reaches(DEVICE, "/api/v1/incidents")
    reader = Principal(name="bi", kind="api_key", scopes=frozenset({"read"}))
    assert reaches(reader, "/api/v1/stats/overview") and not reaches(reader, "/open311/v2/x")
    assert all(reaches(p, "/api/v1/incidents") for p in (ADMIN, D1, FIELD, LEADER))


def test_areas_and_the_wall_follow_jurisdiction():
    """Issue 13 item 5 / 14 item 3: aggregates are cut by the same rules as cases."""
    from dispatch.access import area_floor, sees_area

    street1 = {"street_id": 1, "community_id": None, "grid_id": None}
    assert sees_area(D1, street1) and not sees_area(D2, street1)
    assert not sees_area(D1, {"street_id": None})  # the whole territory
    assert sees_area(DUTY, {}) and sees_area(LEADER, street1)
    assert not sees_area(COMM, street1) and sees_area(COMM, {"street_id": 1, "community_id": 11})
    assert not sees_area(FIELD_NO_GRID, street1)
    assert area_floor(D1) == {"street_id": 1} and area_floor(DUTY) == {}
    assert area_floor(COMM) == {"street_id": 1, "community_id": 11}
    assert not may(FIELD, "wall") and not may(OPEN311, "wall")
    assert all(may(p, "wall") for p in (ADMIN, DUTY, D1, LEADER))


def test_a_districts_aggregates_are_its_streets_never_the_city():
    """A district reader's figures, heat and coverage: its streets only (sees_area,
    area_floor, area_filter agree with Scope.streets)."""
    from dispatch.access import area_filter, area_floor, sees_area

    assert sees_area(DIST, {"street_id": 1}) and sees_area(DIST, {"street_id": 3})
    assert not sees_area(DIST, {"street_id": 2}) and not sees_area(DIST, {"street_id": None})
    assert area_floor(DIST) == {"district_id": 9}
    assert area_filter(DIST) == {"street_ids": [1, 3]}
    assert area_filter(EMPTY_DIST) == {"street_ids": [-1]}
    assert area_filter(DUTY) == {} and area_filter(D1) == {"street_id": 1}
    assert area_filter(FIELD_NO_GRID) == {"street_id": -1}
