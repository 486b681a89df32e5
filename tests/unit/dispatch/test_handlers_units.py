"""Position pings, unit status and policy edits on the fake unit of work."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from dispatch.commands import ReportPosition, SetUnitStatus, UpdatePolicy
from dispatch.errors import InvalidCommand, InvalidTransition, NotFound
from dispatch.events import PolicyChanged, UnitMoved, UnitStatusChanged
from dispatch.handlers_units import report_position, set_unit_status, update_policy
from dispatch.telemetry import REPLAY
from tests.fakes import NOW, FakeDb, FakeUnitOfWork, run


def _db() -> FakeDb:
    db = FakeDb()
    db.add_unit(10, last_seen_at=NOW - timedelta(minutes=1))
    return db


def _ping(at_min: float = 0.0, *, unit_id: int = 10) -> ReportPosition:
    return ReportPosition(unit_id=unit_id, lon=84.88, lat=45.61,
                          at=NOW + timedelta(minutes=at_min))


def test_a_newer_ping_moves_the_unit_and_a_replay_is_kept_once():
    db = _db()
    uow = FakeUnitOfWork(db)
    got = run(report_position, _ping(), uow)
    assert got.applied and got.reason is None and not got.duplicate
    assert (db.tables.units[10].lon, db.tables.units[10].last_seen_at) == (84.88, NOW)
    assert uow.events == [UnitMoved(10, 84.88, 45.61, NOW)] and uow.commits == 1
    again = run(report_position, _ping(), FakeUnitOfWork(db))
    assert again.duplicate and not again.applied and again.reason == REPLAY
    assert len(db.tables.positions) == 1


def test_an_older_ping_is_history_only():
    db = _db()
    uow = FakeUnitOfWork(db)
    got = run(report_position, _ping(-5), uow)
    assert not got.applied and got.reason and not got.duplicate
    assert len(db.tables.positions) == 1 and db.tables.units[10].lon == 84.87
    assert uow.events == [] and uow.commits == 1


def test_ping_refusals_write_nothing():
    db = _db()
    with pytest.raises(NotFound):
        run(report_position, _ping(unit_id=99), FakeUnitOfWork(db))
    with pytest.raises(InvalidCommand) as err:
        run(report_position, _ping(24 * 60), FakeUnitOfWork(db))
    assert err.value.detail["field"] == "at" and db.writes == []


def test_going_off_duty_is_audited_on_the_unit():
    db = _db()
    uow = FakeUnitOfWork(db)
    got = run(set_unit_status, SetUnitStatus(unit_id=10, status="off_duty", actor="调度员甲"),
              uow)
    assert (got.from_status, got.to_status) == ("available", "off_duty")
    assert db.tables.units[10].status == "off_duty"
    (a,) = db.tables.audit
    assert (a.entity, a.entity_id, a.action, a.from_state, a.to_state) == (
        "unit", 10, "unit_status", "available", "off_duty")
    assert uow.events == [UnitStatusChanged(10, "available", "off_duty")] and uow.commits == 1


def test_unit_status_refusals_and_no_op():
    db = _db()
    db.add_unit(11, active_load=1, status="assigned")
    before = copy.deepcopy(db.tables)
    with pytest.raises(InvalidTransition, match="尚有 1 件在办案件，不能下班"):
        run(set_unit_status, SetUnitStatus(unit_id=11, status="off_duty", actor="甲"),
            FakeUnitOfWork(db))
    with pytest.raises(InvalidCommand) as err:
        run(set_unit_status, SetUnitStatus(unit_id=10, status="asleep", actor="甲"),
            FakeUnitOfWork(db))
    assert err.value.detail["field"] == "status"
    with pytest.raises(NotFound):
        run(set_unit_status, SetUnitStatus(unit_id=99, status="off_duty", actor="甲"),
            FakeUnitOfWork(db))
    same = FakeUnitOfWork(db)
    run(set_unit_status, SetUnitStatus(unit_id=10, status="available", actor="甲"), same)
    assert db.tables == before and db.writes == [] and not same.commits


def test_a_policy_edit_is_stored_audited_and_every_reader_told():
    db = FakeDb()
    uow = FakeUnitOfWork(db)
    got = run(update_policy, UpdatePolicy(changes={"auto_tries": 5}, actor="管理员",
                                          reason="高峰期"), uow)
    assert got.auto_tries == 5 and db.tables.settings["policy"]["auto_tries"] == 5
    assert FakeUnitOfWork(db).policy.auto_tries == 5
    (a,) = db.tables.audit
    assert (a.entity, a.action, a.reason, a.detail) == ("policy", "policy_update", "高峰期",
                                                       {"changes": {"auto_tries": 5}})
    assert uow.events == [PolicyChanged("管理员", ("auto_tries",))]
    assert uow.policies.forgotten == 1


@pytest.mark.parametrize(("cmd", "field"), [
    (UpdatePolicy(changes={"auto_tries": 5}), "actor"),
    (UpdatePolicy(changes={"auto_tries": "many"}, actor="管理员"), "auto_tries")])
def test_policy_refusals_name_the_field_and_store_nothing(cmd, field):
    db = FakeDb()
    with pytest.raises(InvalidCommand) as err:
        run(update_policy, cmd, FakeUnitOfWork(db))
    assert err.value.detail["field"] == field
    assert db.tables.settings == {} and db.writes == []
