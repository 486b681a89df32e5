"""Group commit for registrations: a process's concurrent registrations share one transaction.

A registration's last statement takes the year's gapless case code and keeps the counter row
locked until commit, so registrations queue on that row and each pays one WAL flush. Here the
registrations that arrive while a batch is being written wait for the next one; one of them
(the leader) writes them all in one transaction. Each is weighed first in its caller's own
thread and connection (checks, place, earlier cases, risk: reads only, as concurrent
registrations always were); in the batch each external id is checked (and locked), then each
case written by its last statement, then one commit (notices staged and events notified in it
as always). The counter row is locked once a
batch and flushed once. Nobody waits for a timer: a batch is whatever queued meanwhile.

Each caller gets its own answer only after its batch committed. A refused registration (a
domain error while weighed) is refused alone and writes nothing; any other failure rolls the
batch back and every registration in it runs again alone in its own transaction, in its
caller's own thread (nobody waits behind one thread's retries), so one bad request never fails
the others (codes stay gapless: a rolled-back batch frees its numbers). A failure while
committing is settled by reading: if the batch's first case is not in the database, nothing
was committed and each runs again alone; if it is, the batch committed and each gets its answer;
if the database cannot say, each caller gets the error (its outcome is unknown).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dispatch.commands import RegisterIncident
from dispatch.events import Event
from dispatch.handlers_intake import Intake, already, weigh, write
from dispatch.ports import UnitOfWork
from dispatch.results import AlreadyRegistered, Registered

log = logging.getLogger(__name__)
MAX_BATCH = 32


@dataclass
class _Waiting:
    cmd: RegisterIncident
    intake: Intake
    done: threading.Event = field(default_factory=threading.Event)
    lead: bool = False  # woken to write the next batch, not with an answer
    retry: bool = False  # woken to run again alone, in its own transaction and thread
    result: Registered | AlreadyRegistered | None = None
    error: BaseException | None = None

    def answer(self) -> Registered | AlreadyRegistered:
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


class GroupCommit:
    """``handle(cmd)``: the registration committed (with others of its batch), or its error.

    ``make_uow`` opens a unit of work (``reads``, when given, the one a registration is
    weighed in); ``alone(cmd)`` runs one registration in a transaction of
    its own (the fall-back); ``publish(events)`` hands committed events to the listeners.
    """

    def __init__(self, make_uow: Callable[[], UnitOfWork],
                 alone: Callable[[RegisterIncident], Any],
                 publish: Callable[[list[Event]], None], *, max_batch: int = MAX_BATCH,
                 reads: Callable[[], UnitOfWork] | None = None) -> None:
        self.make_uow, self.alone, self.publish = make_uow, alone, publish
        self.reads = reads or make_uow  # the unit of work a registration is weighed in
        self.max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Waiting] = []
        self._leading = False
        self.batches = 0  # how many transactions, and how many registrations in them
        self.registrations = 0

    def handle(self, cmd: RegisterIncident) -> Registered | AlreadyRegistered:
        with self.reads() as uow:  # reads only, in this thread: refusals raise here
            intake = weigh(cmd, uow)
        me = _Waiting(cmd, intake)
        with self._lock:
            self._queue.append(me)
            lead = not self._leading
            self._leading = True
        if not lead:
            me.done.wait()
            if not me.lead:
                return self._answer(me)
        with self._lock:  # the leader: what queued meanwhile, itself first among them
            batch = self._queue[:self.max_batch]
            del self._queue[:self.max_batch]
        try:
            self._run(batch)
        except BaseException as err:  # never leave the batch waiting (nor the next leader)
            for w in batch:
                if w.result is None and w.error is None and not w.retry:
                    w.error = err
            raise
        finally:
            for w in batch:
                if w is not me:
                    w.done.set()
            with self._lock:  # the first still waiting leads the next batch
                if self._queue:
                    self._queue[0].lead = True
                    self._queue[0].done.set()
                else:
                    self._leading = False
        return self._answer(me)

    def _answer(self, w: _Waiting) -> Registered | AlreadyRegistered:
        if w.retry:  # in the caller's own thread, beside the others' retries
            result: Registered | AlreadyRegistered = self.alone(w.cmd)
            return result
        return w.answer()

    def _run(self, batch: list[_Waiting]) -> None:
        """One transaction for ``batch``; each waiting one gets its result or error."""
        state: dict[str, bool] = {"committing": False}
        try:
            events = self._together(batch, state)
        except Exception as err:
            if state["committing"]:
                landed = self._landed(batch)
                if landed is None:  # the database cannot say: the outcome is unknown
                    for w in batch:
                        w.result, w.error = None, err
                    return
                if landed:  # the commit landed, the error came after it
                    log.warning("a batch's commit raised after it landed", exc_info=True)
                    self.batches += 1
                    self.registrations += len(batch)
                    return
            log.warning("a batch of %d registrations failed; each runs alone", len(batch),
                        exc_info=True)
            for w in batch:
                w.result, w.error, w.retry = None, None, True
            return
        self.batches += 1
        self.registrations += len(batch)
        self.publish(events)

    def _landed(self, batch: list[_Waiting]) -> bool | None:
        """Whether the batch's commit landed (its first written case is there; one
        transaction: all or none), or None when the database cannot say."""
        ids = [w.result.incident_id for w in batch if isinstance(w.result, Registered)]
        if not ids:
            return False
        try:
            with self.reads() as uow:
                return uow.incidents.get(ids[0]) is not None
        except Exception:
            log.warning("could not read whether a batch committed", exc_info=True)
            return None

    def _together(self, batch: list[_Waiting], state: dict[str, bool]) -> list[Event]:
        with self.make_uow() as uow:
            ready: list[_Waiting] = []
            for w in batch:
                known = already(w.cmd, uow)
                if known is not None:
                    w.result = known
                else:
                    ready.append(w)
            for w in ready:  # the counter row is locked from the first of these on
                w.result = write(w.intake, uow)
            if ready:
                state["committing"] = True
                uow.commit()
            return list(uow.events)
