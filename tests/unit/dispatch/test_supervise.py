"""督办 as a domain command, without a database: checks, the record, its audit and event."""

from __future__ import annotations

from typing import Any

import pytest

from dispatch.commands import Supervise
from dispatch.errors import Conflict, InvalidCommand, InvalidTransition, NotFound
from dispatch.events import SupervisionOpened
from dispatch.handlers import HANDLERS
from dispatch.handlers_supervise import supervise
from tests.fakes import NOW, FakeDb, FakeUnitOfWork, fake_dispatch


def _uow(state: str = "located") -> FakeUnitOfWork:
    db = FakeDb()
    db.add_case(id=1, state=state)
    return FakeUnitOfWork(db)


def _cmd(**kw: Any) -> Supervise:
    args: dict[str, Any] = {"incident_id": 1, "level": "yellow", "reason": "  超时未签收  ",
                            "actor": "值班长"}
    args.update(kw)
    return Supervise(**args)


def test_the_bus_knows_the_command():
    assert HANDLERS[Supervise] is supervise


@pytest.mark.parametrize(("state", "kind"), [("located", "sign"), ("assigned", "sign"),
                                             ("acknowledged", "close"),
                                             ("mediating", "close"), ("escalated", "close")])
def test_opens_a_supervision_on_the_clock_the_case_is_under(state, kind):
    uow = _uow(state)
    got = supervise(_cmd(level="red"), uow)
    assert (got.kind, got.level, got.supervision_id, got.at) == (kind, "red", 1, NOW)
    assert uow.db.tables.supervisions == [{"id": 1, "incident_id": 1, "kind": kind,
                                           "level": "red", "at": NOW, "by": "值班长",
                                           "reason": "超时未签收", "closed_at": None}]
    (audit,) = uow.db.tables.audit
    assert audit.action == "supervise_manual" and audit.actor == "值班长"
    assert audit.reason == "超时未签收" and audit.detail["supervision_id"] == 1
    assert audit.entity_id == 1
    assert uow.events == [SupervisionOpened(1, kind, "red", "值班长")]
    assert uow.events[0].as_dict()["type"] == "supervision_opened"
    assert uow.commits == 1 and uow.db.published == uow.events
    assert got.as_dict()["at"] == NOW.isoformat()


@pytest.mark.parametrize(("kw", "field"), [({"level": "orange"}, "level"),
                                           ({"level": ""}, "level"),
                                           ({"reason": "   "}, "reason"),
                                           ({"reason": "长" * 501}, "reason")])
def test_bad_fields_are_refused_naming_the_field_and_write_nothing(kw, field):
    uow = _uow("assigned")
    with pytest.raises(InvalidCommand) as err:
        supervise(_cmd(**kw), uow)
    assert err.value.detail["field"] == field and err.value.status == 422
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err.value.message)
    assert not uow.db.tables.supervisions and not uow.db.tables.audit and not uow.commits
    assert uow.db.writes == []


@pytest.mark.parametrize("state", ["resolved", "followed_up", "closed"])
def test_a_resolved_or_closed_case_is_refused(state):
    uow = _uow(state)
    with pytest.raises(InvalidTransition) as err:
        supervise(_cmd(), uow)
    assert "不能督办" in err.value.message and err.value.status == 409
    assert not uow.db.tables.supervisions and not uow.events and not uow.commits
    assert uow.db.writes == []


def test_unknown_case_is_404():
    with pytest.raises(NotFound):
        supervise(_cmd(incident_id=9), _uow("located"))


def test_the_same_or_a_weaker_open_supervision_is_refused_a_stronger_one_opens():
    uow = _uow("assigned")
    supervise(_cmd(), uow)
    with pytest.raises(Conflict, match="黄牌"):
        supervise(_cmd(), uow)
    supervise(_cmd(level="red"), uow)
    with pytest.raises(Conflict, match="红牌"):
        supervise(_cmd(level="yellow"), uow)
    assert [s["level"] for s in uow.db.tables.supervisions] == ["yellow", "red"]


def test_the_bus_audits_a_refused_supervision_and_writes_nothing_else():
    db = FakeDb()
    db.add_case(id=1, state="closed")
    with pytest.raises(InvalidTransition) as err:
        fake_dispatch(db).handle(_cmd())
    (a,) = db.tables.audit
    assert (a.action, a.actor, a.entity_id, a.reason) == ("refused", "值班长", 1,
                                                         "案件已归档，不能督办")
    assert a.reason == err.value.message and a.detail["command"] == "Supervise"
    assert a.detail["asked"]["level"] == "yellow"
    assert db.tables.supervisions == [] and db.published == []
