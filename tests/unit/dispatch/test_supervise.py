"""督办 as a domain command, without a database: checks, the record, its audit and event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from dispatch.commands import Supervise
from dispatch.errors import Conflict, InvalidCommand, InvalidTransition, NotFound
from dispatch.events import SupervisionOpened
from dispatch.handlers import HANDLERS
from dispatch.handlers_supervise import supervise

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


class FakeIncidents:
    def __init__(self, rows: dict[int, dict[str, Any]]) -> None:
        self.rows = rows
        self.supervisions: list[dict[str, Any]] = []
        self.audits: list[dict[str, Any]] = []

    def get(self, incident_id: int, *, lock: bool = False) -> dict[str, Any] | None:
        return self.rows.get(incident_id)

    def supervision_levels(self, incident_id: int, kind: str) -> list[str]:
        return [s["level"] for s in self.supervisions
                if s["incident_id"] == incident_id and s["kind"] == kind]

    def open_supervision(self, incident_id: int, **kw: Any) -> int:
        self.supervisions.append({"incident_id": incident_id, **kw})
        return len(self.supervisions)

    def audit(self, **kw: Any) -> None:
        self.audits.append(kw)


class FakeUow:
    def __init__(self, **states: str) -> None:
        self.incidents = FakeIncidents({int(k[1:]): {"id": int(k[1:]), "state": v}
                                        for k, v in states.items()})
        self.events: list[Any] = []
        self.committed = 0

    def now(self) -> datetime:
        return NOW

    def emit(self, event: Any) -> None:
        self.events.append(event)

    def commit(self) -> None:
        self.committed += 1


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
    uow = FakeUow(i1=state)
    got = supervise(_cmd(level="red"), uow)  # type: ignore[arg-type]
    assert (got.kind, got.level, got.supervision_id, got.at) == (kind, "red", 1, NOW)
    assert uow.incidents.supervisions == [{"incident_id": 1, "kind": kind, "level": "red",
                                           "at": NOW, "by": "值班长", "reason": "超时未签收"}]
    (audit,) = uow.incidents.audits
    assert audit["action"] == "supervise_manual" and audit["actor"] == "值班长"
    assert audit["reason"] == "超时未签收" and audit["detail"]["supervision_id"] == 1
    assert uow.events == [SupervisionOpened(1, kind, "red", "值班长")]
    assert uow.events[0].as_dict()["type"] == "supervision_opened"
    assert uow.committed == 1
    assert got.as_dict()["at"] == NOW.isoformat()


@pytest.mark.parametrize(("kw", "field"), [({"level": "orange"}, "level"),
                                           ({"level": ""}, "level"),
                                           ({"reason": "   "}, "reason"),
                                           ({"reason": "长" * 501}, "reason")])
def test_bad_fields_are_refused_naming_the_field_and_write_nothing(kw, field):
    uow = FakeUow(i1="assigned")
    with pytest.raises(InvalidCommand) as err:
        supervise(_cmd(**kw), uow)  # type: ignore[arg-type]
    assert err.value.detail["field"] == field and err.value.status == 422
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err.value.message)
    assert not uow.incidents.supervisions and not uow.incidents.audits and not uow.committed


@pytest.mark.parametrize("state", ["resolved", "followed_up", "closed"])
def test_a_resolved_or_closed_case_is_refused(state):
    uow = FakeUow(i1=state)
    with pytest.raises(InvalidTransition) as err:
        supervise(_cmd(), uow)  # type: ignore[arg-type]
    assert "不能督办" in err.value.message and err.value.status == 409
    assert not uow.incidents.supervisions and not uow.events and not uow.committed


def test_unknown_case_is_404():
    with pytest.raises(NotFound):
        supervise(_cmd(incident_id=9), FakeUow(i1="located"))  # type: ignore[arg-type]


def test_the_same_or_a_weaker_open_supervision_is_refused_a_stronger_one_opens():
    uow = FakeUow(i1="assigned")
    supervise(_cmd(), uow)  # type: ignore[arg-type]
    with pytest.raises(Conflict, match="黄牌"):
        supervise(_cmd(), uow)  # type: ignore[arg-type]
    supervise(_cmd(level="red"), uow)  # type: ignore[arg-type]
    with pytest.raises(Conflict, match="红牌"):
        supervise(_cmd(level="yellow"), uow)  # type: ignore[arg-type]
    assert [s["level"] for s in uow.incidents.supervisions] == ["yellow", "red"]
