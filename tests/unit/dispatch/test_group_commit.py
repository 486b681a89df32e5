"""Group commit of registrations (dispatch.group_commit) over the fake unit of work: who waits
for whom, one transaction a batch, a refused one alone, a failed batch run again one by one, a
failed commit settled by reading whether it landed."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Any

import pytest

from dispatch.commands import Party, RegisterIncident
from dispatch.errors import InvalidCommand
from dispatch.events import DuplicateFlagged, Event
from dispatch.group_commit import GroupCommit
from dispatch.handlers_intake import register
from dispatch.results import AlreadyRegistered, Registered
from tests.fakes import FakeDb, FakeUnitOfWork
from tests.fakes.db import NOW


def _cmd(k: int, **kw: Any) -> RegisterIncident:
    return RegisterIncident(**{"category": "neighbour", "channel": "hotline", "actor": "接警员",
                               "description": f"推送 {k}", "address": f"编号路{k}号",
                               "lon": 84.873, "lat": 45.596,
                               "parties": (Party(f"来电{k}", f"1390000{k:04d}"),), **kw})


def _setup(db: FakeDb, *, batch_uow: type[FakeUnitOfWork],
           alone_uow: type[FakeUnitOfWork] | None = None) -> tuple[GroupCommit, threading.Event,
                                                                       threading.Event,
                                                                       list[Event], list[str]]:
    """A group whose first batch waits at its start until ``gate`` is set (so the others queue
    meanwhile); later batches use ``batch_uow``; what ran alone is named in ``alone_ran``."""
    gate, entered = threading.Event(), threading.Event()
    published: list[Event] = []
    alone_ran: list[str] = []

    class Gated(FakeUnitOfWork):
        def __enter__(self) -> Any:
            entered.set()
            assert gate.wait(10)
            return super().__enter__()

    made: list[int] = []

    def make() -> FakeUnitOfWork:
        made.append(1)
        return Gated(db) if len(made) == 1 else batch_uow(db)

    def alone(cmd: RegisterIncident, received: datetime) -> Any:
        alone_ran.append(cmd.description or "")
        with (alone_uow or FakeUnitOfWork)(db) as uow:
            out = register(cmd, uow, received=received)
        published.extend(uow.events)
        return out

    return (GroupCommit(make, alone, published.extend, clock=lambda: NOW,
                        reads=lambda: FakeUnitOfWork(db)), gate,
            entered, published, alone_ran)


def _race(group: GroupCommit, gate: threading.Event, entered: threading.Event,
          cmds: list[RegisterIncident], *, queued: int | None = None) -> list[Any]:
    """The first command leads (and waits at the gate); the rest (``queued`` of them: a
    refused one never queues) queue; then the gate opens."""
    out: list[Any] = [None] * len(cmds)

    def run(i: int) -> None:
        try:
            out[i] = group.handle(cmds[i])
        except Exception as err:
            out[i] = err
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(cmds))]
    threads[0].start()
    assert entered.wait(10)
    for t in threads[1:]:
        t.start()
    deadline = time.monotonic() + 10
    want = len(cmds) - 1 if queued is None else queued
    while len(group._queue) < want and time.monotonic() < deadline:
        time.sleep(0.01)
    gate.set()
    for t in threads:
        t.join(10)
    return out


def test_registrations_queued_during_a_batch_share_the_next_and_a_refused_one_never_queues():
    db = FakeDb()
    group, gate, entered, published, alone = _setup(db, batch_uow=FakeUnitOfWork)
    out = _race(group, gate, entered, [_cmd(0), _cmd(1), _cmd(2, category="nope"), _cmd(3)],
                queued=2)
    assert isinstance(out[2], InvalidCommand) and out[2].detail["field"] == "category"
    codes = sorted(r.code for r in out if isinstance(r, Registered))
    assert codes == ["2026-000001", "2026-000002", "2026-000003"]  # gapless, the refusal none
    assert (group.batches, group.registrations, alone) == (2, 3, [])  # 1, then 2 together
    assert sorted(c["code"] for c in db.tables.cases.values()) == codes
    assert len([e for e in published if e.type == "incident_registered"]) == 3
    assert [a.action for a in db.tables.audit].count("register") == 3


def test_a_batch_whose_commit_failed_without_landing_runs_each_again_alone():
    class Broken(FakeUnitOfWork):  # e.g. the outbox staging or the COMMIT itself refused
        def commit(self) -> None:
            raise RuntimeError("lost")

    db = FakeDb()
    group, gate, entered, _, alone = _setup(db, batch_uow=Broken)
    out = _race(group, gate, entered, [_cmd(0), _cmd(1), _cmd(2)])
    # the second batch's commit failed and none of its cases is there: each ran again alone
    assert all(isinstance(r, Registered) for r in out), out
    assert sorted(alone) == ["推送 1", "推送 2"]
    assert sorted(c["code"] for c in db.tables.cases.values()) == [
        "2026-000001", "2026-000002", "2026-000003"]


def test_a_batch_whose_commit_landed_before_the_error_answers_each_once():
    class LateError(FakeUnitOfWork):  # the COMMIT went through, the connection broke after it
        def commit(self) -> None:
            super().commit()
            raise RuntimeError("connection closed")

    db = FakeDb()
    group, gate, entered, published, alone = _setup(db, batch_uow=LateError)
    out = _race(group, gate, entered, [_cmd(0), _cmd(1), _cmd(2)])
    assert all(isinstance(r, Registered) for r in out) and alone == [], out
    assert len(db.tables.cases) == 3  # nobody ran twice
    # the landed batch's events reach the process's listeners as any commit's do
    assert len([e for e in published if e.type == "incident_registered"]) == 3


def test_a_batch_whose_outcome_cannot_be_read_tells_each_its_error():
    class Broken(FakeUnitOfWork):
        def commit(self) -> None:
            raise RuntimeError("lost")

    db = FakeDb()
    group, gate, entered, _, alone = _setup(db, batch_uow=Broken)
    class Blind(FakeUnitOfWork):  # the read that would settle it fails too (database gone)
        def __enter__(self) -> Any:
            raise RuntimeError("database unreachable")
    group.reads = lambda: Blind(db)
    out = _race(group, gate, entered, [_cmd(0), _cmd(1), _cmd(2)])
    assert isinstance(out[0], Registered)
    assert all(isinstance(r, RuntimeError) for r in out[1:]) and alone == [], out
    assert [c["code"] for c in db.tables.cases.values()] == ["2026-000001"]


def test_a_batch_failing_before_its_commit_runs_each_again_alone():
    class Flaky(FakeUnitOfWork):
        def __enter__(self) -> Any:
            uow = super().__enter__()
            real = uow.incidents.create

            def create(values: Any, **kw: Any) -> tuple[int, str]:
                if values["description"] == "推送 2":
                    raise RuntimeError("deadlock detected")
                return real(values, **kw)
            uow.incidents.create = create
            return uow

    db = FakeDb()
    group, gate, entered, published, alone = _setup(db, batch_uow=Flaky)
    out = _race(group, gate, entered, [_cmd(0), _cmd(1), _cmd(2), _cmd(3)])
    assert all(isinstance(r, Registered) for r in out), out
    assert sorted(alone) == ["推送 1", "推送 2", "推送 3"]
    assert sorted(r.code for r in out) == [f"2026-{k:06d}" for k in range(1, 5)]
    assert len(db.tables.cases) == 4 and group.batches == 1
    assert len([e for e in published if e.type == "incident_registered"]) == 4


@pytest.mark.parametrize("n", [1, 5])
def test_one_at_a_time_each_is_its_own_batch(n: int) -> None:
    db = FakeDb()
    group = GroupCommit(lambda: FakeUnitOfWork(db), lambda c, r: None, lambda e: None,
                        clock=lambda: NOW)
    codes = [group.handle(_cmd(k)).code for k in range(n)]
    assert codes == [f"2026-{k:06d}" for k in range(1, n + 1)] and group.batches == n


def test_one_unit_of_work_a_batch_weighs_and_writes() -> None:
    db = FakeDb()
    made: list[int] = []

    def make() -> FakeUnitOfWork:
        made.append(1)
        return FakeUnitOfWork(db)
    group = GroupCommit(make, lambda c, r: None, lambda e: None, clock=lambda: NOW)
    for k in range(3):
        group.handle(_cmd(k))
    assert len(made) == 3 and len(db.tables.cases) == 3  # one unit of work each, not two


def test_two_reports_of_one_dispute_in_one_batch_link_as_one_after_the_other() -> None:
    same = {"address": "和平路1号", "parties": (Party("王五", "13900009999"),)}
    # one after the other: the second reads the first and links to it
    seq_db = FakeDb()
    seq = GroupCommit(lambda: FakeUnitOfWork(seq_db), lambda c, r: None, lambda e: None,
                      clock=lambda: NOW)
    seq.handle(_cmd(0))  # as the batch's leader is, before them
    first, second = seq.handle(_cmd(1, **same)), seq.handle(_cmd(2, **same))
    assert isinstance(first, Registered) and isinstance(second, Registered)
    assert [d.other_id for d in second.duplicates] == [first.incident_id]
    # the same two in one batch (queued behind a leader): the same link, risk and events
    db = FakeDb()
    group, gate, entered, published, alone = _setup(db, batch_uow=FakeUnitOfWork)
    out = _race(group, gate, entered, [_cmd(0), _cmd(1, **same), _cmd(2, **same)])
    a, b = out[1], out[2]
    assert isinstance(a, Registered) and isinstance(b, Registered)
    assert alone == [] and group.batches == 2
    assert [d.other_id for d in b.duplicates] == [a.incident_id]
    assert [d.reasons for d in b.duplicates] == [
        (f"疑似重复：{a.code}", *second.duplicates[0].reasons[1:])]
    assert (b.risk.level, b.risk.reasons) == (second.risk.level, second.risk.reasons)
    assert [(x["incident_id"], x["other_id"]) for x in db.tables.links] == [
        (b.incident_id, a.incident_id)]
    assert [(e.incident_id, e.other_id) for e in published
            if isinstance(e, DuplicateFlagged)] == [(b.incident_id, a.incident_id)]


def test_the_cases_a_batch_links_to_are_locked_before_its_first_write() -> None:
    db = FakeDb()
    old = db.add_case(id=50, address="和平路1号", state="located",
                      parties=[{"name": "王五", "phone": "13900009999"}])
    same = {"address": "和平路1号", "parties": (Party("王五", "13900009999"),)}
    group, gate, entered, _, alone = _setup(db, batch_uow=FakeUnitOfWork)
    out = _race(group, gate, entered, [_cmd(0), _cmd(1), _cmd(2, **same)])
    assert [d.other_id for d in out[2].duplicates] == [old["id"]] and alone == []
    second_batch = [h for h in db.held if h[1]]
    creates = [k for k, w in enumerate(db.writes) if w == "create"]
    # held before the second batch's first case was written (the first batch wrote one)
    assert second_batch == [(creates[1], [old["id"]])]


def test_a_case_is_reported_when_it_was_received_not_when_its_batch_was_written() -> None:
    later = NOW + timedelta(minutes=5)

    class Late(FakeUnitOfWork):  # the leader's clock has moved on by the time it writes
        def __init__(self, db: FakeDb) -> None:
            super().__init__(db, now=later)

    db = FakeDb()
    group, gate, entered, _, _ = _setup(db, batch_uow=Late)
    out = _race(group, gate, entered, [_cmd(0), _cmd(1), _cmd(2)])
    assert {db.tables.cases[r.incident_id]["reported_at"] for r in out} == {NOW}
    assert {a.at for a in db.audits("register")} == {NOW}


def test_one_external_id_twice_in_one_batch_makes_one_case() -> None:
    db = FakeDb()
    group, gate, entered, published, alone = _setup(db, batch_uow=FakeUnitOfWork)
    ext = {"external_source": "12345", "external_id": "A-1"}
    out = _race(group, gate, entered, [_cmd(0), _cmd(1, **ext), _cmd(2, **ext)])
    assert isinstance(out[1], Registered) and isinstance(out[2], AlreadyRegistered)
    assert out[2].incident_id == out[1].incident_id and alone == []
    assert len(db.tables.cases) == 2
    assert len([e for e in published if e.type == "incident_registered"]) == 2


def test_a_reading_connection_that_breaks_on_close_neither_loses_its_case_nor_stalls_the_queue():
    """After a database outage, closing the weighing's unit of work can raise: the queued
    registration must still be answered, and the lead must still pass on."""
    db = FakeDb()

    class BreaksOnClose(FakeUnitOfWork):
        def __exit__(self, *exc: Any) -> None:
            super().__exit__(*exc)
            raise RuntimeError("connection broke")

    group, gate, entered, _published, alone = _setup(db, batch_uow=FakeUnitOfWork)
    group.reads = lambda: BreaksOnClose(db)
    out = _race(group, gate, entered, [_cmd(0), _cmd(1), _cmd(2)])
    assert all(isinstance(r, Registered) for r in out), out
    later: list[Any] = []
    t = threading.Thread(target=lambda: later.append(group.handle(_cmd(3))))
    t.start()
    t.join(10)
    assert not t.is_alive() and isinstance(later[0], Registered)  # the next one is led too
    assert len(db.tables.cases) == 4 and alone == []


def test_a_registration_run_again_alone_is_still_reported_when_it_was_received() -> None:
    later = NOW + timedelta(minutes=5)


    class Late(FakeUnitOfWork):  # the clock has moved on by the time the retries run
        def __init__(self, db: FakeDb) -> None:
            super().__init__(db, now=later)

    class LateAndBroken(Late):  # the batch's commit fails
        def commit(self) -> None:
            raise RuntimeError("lost")

    db = FakeDb()
    group, gate, entered, _, alone = _setup(db, batch_uow=LateAndBroken, alone_uow=Late)
    out = _race(group, gate, entered, [_cmd(0), _cmd(1), _cmd(2)])
    assert all(isinstance(r, Registered) for r in out) and sorted(alone) == ["推送 1", "推送 2"]
    assert {db.tables.cases[r.incident_id]["reported_at"] for r in out} == {NOW}
    assert {a.at for a in db.audits("register")} == {NOW}
