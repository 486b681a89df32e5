"""A figure's area: a district scope is its streets, and the scopes drilled below it keep it."""

from dataclasses import replace

from dispatch.stats import CHILD, Scope


def test_a_district_scope_is_its_streets_and_stays_below():
    d = Scope(district=2)
    assert (d.level, d.depth, d.area_id) == ("district", 0, 2)
    where, params = d.where()
    assert "district_id = :area_id" in where and params == {"area_id": 2}
    assert CHILD[d.level] == "street"
    street = replace(d, street=7)
    assert (street.level, street.area_id, street.where()) == ("street", 7, (
        "i.street_id = :area_id", {"area_id": 7}))
    assert street.prefix(0) == d and street.prefix(1) == street
    assert street.as_dict()["district"] == 2
    # the whole territory and a street without a district are as they were
    assert Scope().level == "all" and Scope().where() == ("TRUE", {})
    assert "district" not in Scope(7).as_dict() and Scope(7).prefix(0) == Scope()
