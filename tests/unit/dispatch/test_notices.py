"""The outbox's plan on the fake unit of work: rows staged iff the event's transaction commits,
who is told what (units, parties, supervisors, webhooks, the 12345 exchange), and signatures."""

from __future__ import annotations

import pytest

from dispatch.commands import AssignUnits, ChangeState, Party, RegisterIncident, Supervise
from dispatch.errors import InvalidCommand
from dispatch.notices import SUPERVISORS_SETTING, Subscription
from dispatch.results import AlreadyRegistered, Registered
from dispatch.webhooks import backoff_s, sign, verify
from tests.fakes import NOW, FakeDb, FakeUnitOfWork, fake_dispatch
from tests.unit.dispatch.test_handlers_state import _db as case_with_unit

PARTIES = (Party("李四", "13900000002"), Party("王五", "13900000003", role="respondent"),
           Party("赵六"))


def _register(db: FakeDb, **kw: object) -> Registered | AlreadyRegistered:
    cmd = RegisterIncident(category="neighbour", channel="hotline", actor="接警员甲",
                           description="楼上装修噪音扰民", address="天山路128号",
                           lon=84.873, lat=45.596, parties=PARTIES, auto_dispatch=False)
    return fake_dispatch(db).handle(RegisterIncident(**{**vars(cmd), **kw}))


def test_accepted_tells_each_party_with_a_phone_alone_and_names_nobody():
    db = FakeDb()
    got = _register(db)
    assert isinstance(got, Registered)
    sms = [r for r in db.tables.outbox if r["channel"] == "sms"]
    assert sorted(r["recipient"] for r in sms) == ["13900000002", "13900000003"]  # 赵六: none
    for r in sms:
        text = r["payload"]["text"]
        assert got.code in text and "已受理" in text
        assert not any(w in text for w in ("李四", "王五", "赵六", "1390000000"))
        assert (r["template"], r["event_type"], r["state"]) == ("accepted",
                                                                "incident_registered",
                                                                "pending")
    assert len({r["key"] for r in db.tables.outbox}) == len(db.tables.outbox)  # one key each


def test_a_refused_command_stages_nothing():
    db = FakeDb()
    with pytest.raises(InvalidCommand):
        _register(db, category="nonsense")
    assert db.tables.outbox == [] and "outbox" not in db.writes


def test_a_rolled_back_transaction_takes_its_notices_with_it():
    db = FakeDb()
    db.add_case(id=1)
    uow = FakeUnitOfWork(db)
    with uow:
        from dispatch.events import StateChanged

        uow.emit(StateChanged(1, "mediating", "resolved", "甲"))
        uow.outbox.add([], at=NOW)
        # leaving without commit: nothing staged, nothing kept
    assert db.tables.outbox == []
    with uow:
        uow.emit(StateChanged(1, "mediating", "resolved", "甲"))
        uow.commit()
    assert [r["recipient"] for r in db.tables.outbox] == ["13800000001"]
    assert "已办结" in db.tables.outbox[0]["payload"]["text"]


def test_a_new_task_and_supervision_reach_the_unit_by_sms_and_email():
    db = FakeDb()
    db.add_case(id=1, state="located", sign_deadline=NOW)
    db.add_unit(10)
    db.tables.contacts[10] = {"phone": "13700000010", "email": "u10@example.org"}
    fake_dispatch(db).handle(AssignUnits(incident_id=1, unit_ids=(10,), actor="调度员甲"))
    task = [(r["channel"], r["recipient"], r["template"]) for r in db.tables.outbox
            if r["event_type"] == "units_assigned"]
    assert task == [("sms", "13700000010", "task"), ("email", "u10@example.org", "task")]
    assert "新任务" in db.tables.outbox[0]["payload"]["text"]
    db.tables.outbox.clear()
    fake_dispatch(db).handle(Supervise(incident_id=1, level="yellow", reason="未按时签收",
                                       actor="值班长"))
    assert sorted((r["channel"], r["template"]) for r in db.tables.outbox) == [
        ("email", "supervise"), ("sms", "supervise")]


def test_escalation_reaches_the_supervisors_of_the_street():
    db = case_with_unit("on_scene", arrived=True)
    db.tables.settings[SUPERVISORS_SETTING] = {"people": [
        {"name": "街道主任", "phone": "13600000001", "street_id": 7},
        {"name": "别的街道", "phone": "13600000002", "street_id": 8},
        {"name": "区督办员", "email": "duban@example.org"}]}
    fake_dispatch(db).handle(ChangeState(incident_id=1, to="escalated", actor="调解员10",
                                         note="双方分歧大，需街道协调"))
    got = sorted((r["channel"], r["recipient"]) for r in db.tables.outbox
                 if r["event_type"] == "incident_escalated")
    assert got == [("email", "duban@example.org"), ("sms", "13600000001")]


def test_webhooks_by_type_and_area_with_parties_only_for_a_trusted_platform():
    db = FakeDb()
    db.tables.subscriptions += [
        Subscription(1, "http://a.example/hook", ("incident_registered",), (7,)),
        Subscription(2, "http://b.example/hook", ("incident_registered",), (8,)),  # other area
        Subscription(3, "http://c.example/hook", ("state_changed",)),  # other type
        Subscription(4, "http://d.example/hook", (), (), trusted=True)]
    _register(db)
    hooks = {r["subscription_id"]: r for r in db.tables.outbox if r["channel"] == "webhook"}
    assert set(hooks) == {1, 4}
    assert hooks[1]["payload"]["case"]["street_id"] == 7
    assert "parties" not in hooks[1]["payload"]["case"]
    assert "actor" not in hooks[1]["payload"]["event"]
    assert [p["name"] for p in hooks[4]["payload"]["case"]["parties"]] == ["李四", "王五", "赵六"]


def test_the_same_external_id_twice_is_one_case():
    db = FakeDb()
    first = _register(db, external_source="12345", external_id="GD20261207001")
    again = _register(db, external_source="12345", external_id="GD20261207001")
    assert isinstance(first, Registered) and isinstance(again, AlreadyRegistered)
    assert (again.incident_id, again.code, again.http_status) == (first.incident_id,
                                                                 first.code, 200)
    assert len(db.tables.cases) == 1 and db.tables.externals == {
        first.incident_id: ("12345", "GD20261207001")}
    other = _register(db, external_source="12345", external_id="GD20261207002")
    assert isinstance(other, Registered) and len(db.tables.cases) == 2
    with pytest.raises(InvalidCommand) as err:
        _register(db, external_id="X1")
    assert err.value.detail["field"] == "external_id"


def test_the_exchange_sends_state_and_result_back_to_the_source_only():
    db = case_with_unit("mediating", arrived=True)
    db.tables.externals[1] = ("12345", "GD-1")
    db.tables.subscriptions += [Subscription(5, "http://12345.example/back", source="12345"),
                                Subscription(6, "http://other.example/back", source="110")]
    fake_dispatch(db).handle(ChangeState(incident_id=1, to="resolved", actor="调解员10",
                                         outcome="mediated", note="双方达成一致",
                                         oral_terms="赔偿 500 元"))
    (back,) = [r for r in db.tables.outbox if r["channel"] == "webhook"]
    assert back["subscription_id"] == 5
    assert back["payload"] == {"externalId": "GD-1", "caseCode": "2026-000001",
                               "stateCode": "40", "stateName": "已办结",
                               "resultText": "调解成功；办理结果：双方达成一致；口头协议：赔偿 500 元",
                               "handledAt": NOW.isoformat(),
                               "handlingUnit": "调解员10", "eventType": "state_changed"}


@pytest.mark.parametrize("trusted", [False, True])
def test_the_result_text_masks_the_parties_for_a_receiver_not_trusted(trusted: bool) -> None:
    db = case_with_unit("mediating", arrived=True)  # party 张三, 13800000001
    db.tables.externals[1] = ("12345", "GD-1")
    db.tables.subscriptions.append(Subscription(5, "http://12345.example/back",
                                                source="12345", trusted=trusted))
    fake_dispatch(db).handle(ChangeState(
        incident_id=1, to="resolved", actor="调解员10", outcome="mediated",
        note="张三与邻居当面协商一致，联系电话13800000001，天山路128号3单元", oral_terms="张三本周内清理"))
    (back,) = [r["payload"] for r in db.tables.outbox if r["channel"] == "webhook"]
    text = back["resultText"]
    assert text.startswith("调解成功；办理结果：") and "口头协议：" in text
    if trusted:
        assert "张三" in text and "13800000001" in text
    else:
        assert not any(s in text for s in ("张三", "13800000001", "128号")), text
        assert "张*" in text and "138****0001" in text


def test_signature_and_backoff():
    sig = sign("s3cret", "1765100000", b'{"a":1}')
    assert sig.startswith("sha256=") and verify("s3cret", "1765100000", b'{"a":1}', sig)
    assert not verify("s3cret", "1765100001", b'{"a":1}', sig)
    assert not verify("other", "1765100000", b'{"a":1}', sig)
    assert [backoff_s(n, base_s=10, cap_s=60) for n in (1, 2, 3, 4, 5)] == [10, 20, 40, 60, 60]
