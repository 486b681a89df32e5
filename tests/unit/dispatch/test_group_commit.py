"""Group commit of registrations (dispatch.group_commit) over the fake unit of work: who waits
for whom, one transaction a batch, a refused one alone, a failed batch run again one by one, a
failed commit settled by reading whether it landed."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from dispatch.commands import Party, RegisterIncident
from dispatch.errors import InvalidCommand
from dispatch.events import Event
from dispatch.group_commit import GroupCommit
from dispatch.handlers_intake import register
from dispatch.results import Registered
from tests.fakes import FakeDb, FakeUnitOfWork


def _cmd(k: int, **kw: Any) -> RegisterIncident:
    return RegisterIncident(**{"category": "neighbour", "channel": "hotline", "actor": "接警员",
                               "description": f"推送 {k}", "address": f"编号路{k}号",
                               "lon": 84.873, "lat": 45.596,
                               "parties": (Party(f"来电{k}", f"1390000{k:04d}"),), **kw})


def _setup(db: FakeDb, *, batch_uow: type[FakeUnitOfWork]) -> tuple[GroupCommit, threading.Event,
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

    def alone(cmd: RegisterIncident) -> Any:
        alone_ran.append(cmd.description or "")
        with FakeUnitOfWork(db) as uow:
            out = register(cmd, uow)
        published.extend(uow.events)
        return out

    return (GroupCommit(make, alone, published.extend, reads=lambda: FakeUnitOfWork(db)), gate,
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
    group, gate, entered, _, alone = _setup(db, batch_uow=LateError)
    out = _race(group, gate, entered, [_cmd(0), _cmd(1), _cmd(2)])
    assert all(isinstance(r, Registered) for r in out) and alone == [], out
    assert len(db.tables.cases) == 3  # nobody ran twice


def test_a_batch_whose_outcome_cannot_be_read_tells_each_its_error():
    class Broken(FakeUnitOfWork):
        def commit(self) -> None:
            raise RuntimeError("lost")

    db = FakeDb()
    group, gate, entered, _, alone = _setup(db, batch_uow=Broken)
    blind = [0]

    class Blind(FakeUnitOfWork):  # the read that would settle it fails too (database gone)
        def __enter__(self) -> Any:
            blind[0] += 1
            if blind[0] > 3:  # the three weighings pass; the settling read does not
                raise RuntimeError("database unreachable")
            return super().__enter__()
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
    group = GroupCommit(lambda: FakeUnitOfWork(db), lambda c: None, lambda e: None)
    codes = [group.handle(_cmd(k)).code for k in range(n)]
    assert codes == [f"2026-{k:06d}" for k in range(1, n + 1)] and group.batches == n
