"""受理, 定位, 关联与合并 on the fake unit of work: what is written, emitted, refused and audited."""

from __future__ import annotations

import copy

import pytest

from dispatch.commands import LinkIncidents, LocateIncident, Party, RegisterIncident
from dispatch.errors import InvalidCommand, InvalidTransition, NotFound
from dispatch.events import DuplicateFlagged, IncidentLocated, IncidentRegistered
from dispatch.handlers_intake import link, locate, register
from dispatch.results import Registered
from tests.fakes import NOW, FakeDb, FakeUnitOfWork, fake_dispatch, outside, run


def _register(**kw: object) -> RegisterIncident:
    base = RegisterIncident(category="neighbour", channel="hotline", actor="接警员甲",
                            description="楼上装修噪音扰民", address="天山路128号",
                            lon=84.873, lat=45.596, parties=(Party("李四", "13900000002"),))
    return RegisterIncident(**{**vars(base), **kw})


def test_register_inside_writes_the_case_its_clocks_and_two_audit_rows_in_one_commit():
    uow = FakeUnitOfWork()
    got = run(register, _register(), uow)
    assert isinstance(got, Registered)  # not an external id seen before
    assert (got.incident_id, got.code, got.state) == (1, "2026-000001", "located")
    row = uow.db.tables.cases[1]
    assert (row["state"], row["street_id"], row["grid_id"], row["police_grid_id"]) == \
        ("located", 7, 700, 9)
    assert (row["category"], row["priority"], row["created_by"]) == ("neighbour", 3, "接警员甲")
    assert row["parties"] == [{"name": "李四", "phone": "13900000002", "role": "applicant"}]
    assert {t["kind"] for t in uow.db.tables.timers} == {"sign", "close"}
    assert row["sign_deadline"] == got.sign_deadline and got.sign_deadline > NOW
    assert [(a.action, a.from_state, a.to_state) for a in uow.db.tables.audit] == [
        ("register", None, "registered"), ("locate", "registered", "located")]
    assert uow.db.tables.audit[0].reason == "12345热线受理"
    assert uow.events == [IncidentRegistered(1, "2026-000001", "neighbour", 3, 0, ()),
                          IncidentLocated(1, 700, 9, 7)]
    assert uow.commits == 1 and uow.db.published == uow.events


def test_register_outside_the_territory_stays_registered_without_a_place():
    uow = FakeUnitOfWork(locate=outside)
    got = run(register, _register(), uow)
    assert isinstance(got, Registered)  # not an external id seen before
    row = uow.db.tables.cases[1]
    assert got.state == "registered" and row["state"] == "registered"
    assert row["lon"] is None and row["street_id"] is None and not got.auto_dispatch
    assert [a.action for a in uow.db.tables.audit] == ["register"]


def test_register_links_a_probable_duplicate_by_the_same_phone():
    db = FakeDb()
    db.add_case(id=1, state="assigned", lon=None, lat=None,  # same address, same phone
                parties=[{"name": "李四", "phone": "13900000002"}])
    uow = FakeUnitOfWork(db)
    got = run(register, _register(), uow)
    assert isinstance(got, Registered)  # not an external id seen before
    assert got.incident_id == 2 and [d.other_id for d in got.duplicates] == [1]
    (lk,) = db.tables.links
    assert (lk["incident_id"], lk["other_id"], lk["kind"]) == (2, 1, "probable")
    assert DuplicateFlagged(2, 1, "probable") in uow.events


@pytest.mark.parametrize(("kw", "field"), [
    ({"category": "ufo"}, "category"), ({"channel": "pigeon"}, "channel"),
    ({"priority": "asap"}, "priority"), ({"lat": None}, "lon"),
    ({"lon": None, "lat": None, "address": "  "}, "address"), ({"actor": ""}, "actor"),
    ({"parties": (Party(" "),)}, "parties")])
def test_register_refuses_a_bad_field_by_name_and_writes_nothing(kw, field):
    uow = FakeUnitOfWork()
    with pytest.raises(InvalidCommand) as err:
        run(register, _register(**kw), uow)
    assert err.value.detail["field"] == field
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err.value.message)
    assert uow.db.writes == [] and uow.db.tables.cases == {} and not uow.commits


def test_locate_a_registered_case():
    db = FakeDb()
    db.add_case(id=1, state="registered", lon=None, lat=None, street_id=None, grid_id=None)
    uow = FakeUnitOfWork(db)
    got = run(locate, LocateIncident(incident_id=1, lon=84.88, lat=45.60, actor="接警员甲"), uow)
    assert got.state == "located" and db.tables.cases[1]["state"] == "located"
    assert (db.tables.cases[1]["lon"], db.tables.cases[1]["grid_id"]) == (84.88, 700)
    (a,) = db.tables.audit
    assert (a.action, a.from_state, a.to_state, a.actor) == ("locate", "registered", "located",
                                                            "接警员甲")
    assert uow.events == [IncidentLocated(1, 700, 9, 7)] and uow.commits == 1


@pytest.mark.parametrize(("state", "where", "error", "words"), [
    ("registered", outside, InvalidCommand, "不在辖区内"),
    ("assigned", None, InvalidTransition, "案件已分派，不能重新定位")])
def test_locate_refusals_change_nothing(state, where, error, words):
    db = FakeDb()
    db.add_case(id=1, state=state)
    before = copy.deepcopy(db.tables)
    uow = FakeUnitOfWork(db, **({"locate": where} if where else {}))
    with pytest.raises(error, match=words):
        run(locate, LocateIncident(incident_id=1, lon=84.88, lat=45.60, actor="甲"), uow)
    assert db.tables == before and uow.db.writes == [] and not uow.events
    with pytest.raises(error, match=words):
        fake_dispatch(db, **({"locate": where} if where else {})).handle(
            LocateIncident(incident_id=1, lon=84.88, lat=45.60, actor="甲"))
    (a,) = db.tables.audit
    assert (a.action, a.detail["command"], a.entity_id) == ("refused", "LocateIncident", 1)
    assert db.tables.cases == before.cases
    with pytest.raises(NotFound):
        run(locate, LocateIncident(incident_id=5, lon=84.88, lat=45.60, actor="甲"), uow)


def _two(state: str = "located", other: str = "assigned") -> FakeDb:
    db = FakeDb()
    db.add_case(id=1, state=state)
    db.add_case(id=2, state=other)
    db.tables.timers.append({"id": 1, "incident_id": 1, "kind": "sign", "stage": "yellow",
                             "round": 0, "due_at": NOW, "whistle_id": None,
                             "processed_at": None, "outcome": None})
    return db


def test_link_related_writes_the_link_and_its_audit():
    db = _two()
    uow = FakeUnitOfWork(db)
    got = run(link, LinkIncidents(incident_id=1, other_id=2, kind="related", actor="甲",
                                  reason="同一楼栋"), uow)
    assert (got.kind, got.state) == ("related", "located")
    assert [(k["incident_id"], k["other_id"], k["kind"], k["reasons"]) for k in db.tables.links
            ] == [(1, 2, "related", ["同一楼栋"])]
    (a,) = db.tables.audit
    assert (a.action, a.entity_id, a.detail) == ("link_related", 1, {"other_id": 2})
    assert uow.events == [DuplicateFlagged(1, 2, "related")] and uow.commits == 1


def test_merge_closes_the_case_into_the_other_and_stops_its_clocks():
    db = _two()
    uow = FakeUnitOfWork(db)
    got = run(link, LinkIncidents(incident_id=1, other_id=2, kind="merged", actor="甲"), uow)
    row = db.tables.cases[1]
    assert got.state == "closed" and row["state"] == "closed"
    assert (row["merged_into"], row["outcome"], row["closed_at"]) == (2, "withdrawn", NOW)
    assert db.tables.timers[0]["outcome"] == "cancelled"
    (a,) = db.tables.audit
    assert (a.action, a.from_state, a.to_state, a.reason) == ("merge", "located", "closed",
                                                             "合并至 2026-000002")
    assert db.tables.cases[2]["state"] == "assigned"


@pytest.mark.parametrize(("cmd", "error", "words"), [
    (LinkIncidents(incident_id=1, other_id=2, kind="merged", actor="甲"), InvalidTransition,
     "只有尚未派单的案件才能合并"),
    (LinkIncidents(incident_id=2, other_id=3, kind="merged", actor="甲"), InvalidTransition,
     "目标案件 2026-000003 已归档，不能并入"),
    (LinkIncidents(incident_id=1, other_id=1, kind="related", actor="甲"), InvalidCommand,
     "不能与自身关联"),
    (LinkIncidents(incident_id=1, other_id=2, kind="same", actor="甲"), InvalidCommand,
     "关联类型"),
    (LinkIncidents(incident_id=1, other_id=9, kind="related", actor="甲"), NotFound, "9 不存在")])
def test_link_and_merge_refusals_change_nothing_and_the_bus_audits_them(cmd, error, words):
    db = _two(state="assigned", other="located")
    db.add_case(id=3, state="closed")
    before = copy.deepcopy(db.tables)
    with pytest.raises(error, match=words):
        fake_dispatch(db).handle(cmd)
    assert db.tables.cases == before.cases and db.tables.links == [] and db.published == []
    refused = db.audits("refused")
    if error is NotFound:  # a missing case is not a refusal on a case
        assert refused == []
    else:
        (a,) = refused
        assert (a.actor, a.entity_id, a.detail["command"]) == ("甲", cmd.incident_id,
                                                              "LinkIncidents")
        assert words in (a.reason or "")
    assert db.tables.audit == refused
