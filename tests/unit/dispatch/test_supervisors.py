"""The escalation list (督办人名单): validated with the field named, stored, audited, and used by
the next escalation's notices."""

from __future__ import annotations

import pytest

from dispatch.commands import ChangeState
from dispatch.errors import InvalidCommand
from dispatch.notices import SUPERVISORS_SETTING
from dispatch.supervisors import SetSupervisors, check
from tests.fakes import fake_dispatch
from tests.unit.dispatch.test_handlers_state import _db as case_with_unit


def test_entries_are_checked_field_by_field():
    good = check([{"name": "街道主任", "phone": "138 0000 0001", "street_id": 7},
                  {"name": "区督办员", "username": "admin", "email": "duban@example.org"}])
    assert good[0] == {"name": "街道主任", "username": None, "phone": "138 0000 0001",
                       "email": None, "street_id": 7}
    for people, where in (
            ([{"name": "甲"}], "people[0].phone"),  # neither phone nor e-mail
            ([{"name": "甲", "phone": "1"}, {"name": "乙", "phone": "call me"}], "people[0].phone"),
            ([{"name": "甲", "email": "a@b.cn"}, {"name": "乙", "email": "no-at"}],
             "people[1].email"),
            ([{"phone": "13800000001"}], "people[0].name"),
            ([{"name": "甲", "phone": "13800000001", "street_id": 99}], "people[0].street_id"),
            ([{"name": "甲", "phone": "13800000001"}, {"name": "乙", "phone": "13800000001"}],
             "people[1].phone"),
            ([{"name": "甲", "phone": "13800000001", "role": "boss"}], "people[0]")):
        with pytest.raises(InvalidCommand) as err:
            check(people, streets=frozenset({7, 8}))
        assert err.value.detail["field"] == where, people


def test_a_stored_list_is_audited_and_tells_the_next_escalation():
    db = case_with_unit("on_scene", arrived=True)
    app = fake_dispatch(db)
    with pytest.raises(InvalidCommand):
        app.handle(SetSupervisors(people=({"name": "甲"},), actor="管理员"))
    assert SUPERVISORS_SETTING not in db.tables.settings
    app.handle(SetSupervisors(people=({"name": "街道主任", "phone": "13600000001",
                                       "street_id": 7},), actor="管理员", reason="换人"))
    assert db.tables.settings[SUPERVISORS_SETTING]["people"][0]["phone"] == "13600000001"
    (row,) = db.audits("supervisors_update")
    assert row.actor == "管理员" and row.detail["names"] == ["街道主任"]
    app.handle(ChangeState(incident_id=1, to="escalated", actor="调解员10", note="需街道协调"))
    (sms,) = [r for r in db.tables.outbox if r["event_type"] == "incident_escalated"]
    assert sms["recipient"] == "13600000001" and "上报" in sms["payload"]["text"]


def test_a_chosen_account_names_the_entry_and_an_unknown_one_is_refused():
    accounts = {"zhang": "张主任", "admin": "admin"}
    (named, own) = check([{"username": "zhang", "name": "", "phone": "13800000001"},
                          {"username": "admin", "name": "值班长", "phone": "13800000002"}],
                         accounts=accounts)
    assert named["name"] == "张主任" and own["name"] == "值班长"
    with pytest.raises(InvalidCommand) as err:
        check([{"name": "甲", "phone": "13800000001"},
               {"username": "nobody", "phone": "13800000002"}], accounts=accounts)
    assert err.value.detail["field"] == "people[1].username"
    db = case_with_unit("on_scene", arrived=True)
    db.tables.accounts.update(accounts)
    app = fake_dispatch(db)
    with pytest.raises(InvalidCommand) as err:
        app.handle(SetSupervisors(people=({"username": "gone", "phone": "13600000001"},),
                                  actor="管理员"))
    assert err.value.detail["field"] == "people[0].username"
    out = app.handle(SetSupervisors(people=({"username": "zhang", "phone": "13600000001"},),
                                    actor="管理员"))
    assert out["people"][0]["name"] == "张主任"


def test_a_supervisor_phone_follows_the_one_phone_rule():
    from dispatch.resident import PHONE

    for bad in ("１３８００００００１", "138\u00a00000 0001", "+"):  # full-width digits, odd spaces
        assert not PHONE.match(bad)
        with pytest.raises(InvalidCommand) as err:
            check([{"name": "甲", "phone": bad}])
        assert err.value.detail["field"] == "people[0].phone"
    with pytest.raises(InvalidCommand) as err:  # the same number spelt twice
        check([{"name": "甲", "phone": "138 0000 0001"}, {"name": "乙", "phone": "13800000001"}])
    assert err.value.detail["field"] == "people[1].phone"
