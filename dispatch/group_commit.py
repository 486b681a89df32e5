"""Group commit for registrations: a process's concurrent registrations share one transaction.

A registration's last statement takes the year's gapless case code and keeps the counter row
locked until commit, so registrations queue on that row and each pays one WAL flush. Here the
registrations that arrive while a batch is being written wait for the next one; one of them
(the leader) writes them all in one transaction. Each is checked first in its caller's own
thread (no I/O: a refusal never queues); a registration that finds no batch being written
leads at once. The batch is one unit of work (one pool checkout a batch, not one a
registration): the external ids are locked and checked together (an id twice in one batch
makes one case), then each new one is weighed (place, earlier cases, risk: reads), every case
a new one links to is key-share locked, then each case is written by its last statement —
weighed again first if an earlier one of the same batch is among the earlier cases it would
have read, so two reports of one dispute in one batch link as they would one after the other
— then one commit (notices staged and events notified in it as always). The counter row is
locked once a batch (after the reads) and flushed once. Nobody waits for a timer: a batch is
whatever queued meanwhile.

A case's ``reported_at`` (and its clocks, and its audit rows' time) is when the centre received
it: the moment it was checked, before it queued. Its code is given at the write, in commit
order, so two registrations received a few milliseconds apart may have codes in the other
order; the record's time of receipt is the one that counts for the clocks.

Each caller gets its own answer only after its batch committed. A refused registration (a
domain error while checked or weighed) is refused alone and writes nothing; any other failure rolls the
batch back and every registration in it runs again alone in its own transaction, in its
caller's own thread (nobody waits behind one thread's retries; still reported as received
when first weighed), so one bad request never fails
the others (codes stay gapless: a rolled-back batch frees its numbers). A failure while
committing is settled by reading: if the batch's first case is not in the database, nothing
was committed and each runs again alone; if it is, the batch committed, each gets its answer
and its events are published in process as after any commit; if the database cannot say,
each caller gets the error (its outcome is unknown).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dispatch.commands import RegisterIncident
from dispatch.errors import DispatchError
from dispatch.events import Event
from dispatch.handlers_intake import (
    Intake,
    Received,
    external_of,
    party_keys,
    receive,
    rejudge,
    weigh_received,
    write,
)
from dispatch.policy import Policy
from dispatch.ports import UnitOfWork
from dispatch.results import AlreadyRegistered, Registered
from dispatch.risk import PriorCase, is_prior, prior_since
from geo.routing_snap import geodesic_m

log = logging.getLogger(__name__)
MAX_BATCH = 32


@dataclass
class _Waiting:
    got: Received
    intake: Intake | None = None  # weighed in its batch
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

    ``make_uow`` opens a unit of work (a batch's); ``reads``, when given, the one that settles
    whether a failed commit landed (else ``make_uow``'s); ``clock`` says when a registration
    was received; ``alone(cmd, received)`` runs one registration in a transaction of its own
    (the fall-back), reported as received at ``received``; ``publish(events)`` hands
    committed events to the listeners.
    """

    def __init__(self, make_uow: Callable[[], UnitOfWork],
                 alone: Callable[[RegisterIncident, datetime], Any],
                 publish: Callable[[list[Event]], None], *, clock: Callable[[], datetime],
                 max_batch: int = MAX_BATCH,
                 reads: Callable[[], UnitOfWork] | None = None) -> None:
        self.make_uow, self.alone, self.publish = make_uow, alone, publish
        self.clock = clock
        self.reads = reads or make_uow
        self.max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Waiting] = []
        self._leading = False
        self.batches = 0  # how many transactions, and how many registrations in them
        self.registrations = 0

    def handle(self, cmd: RegisterIncident) -> Registered | AlreadyRegistered:
        me = _Waiting(receive(cmd, self.clock()))  # no I/O: refusals raise here
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
            result: Registered | AlreadyRegistered = self.alone(w.got.cmd, w.got.at)
            return result
        return w.answer()

    def _run(self, batch: list[_Waiting]) -> None:
        """One transaction for ``batch``; each waiting one gets its result or error."""
        state: dict[str, Any] = {"committing": False, "events": []}
        try:
            events = self._together(batch, state)
        except Exception as err:
            if state["committing"]:
                landed = self._landed(batch)
                if landed is None:  # the database cannot say: the outcome is unknown
                    for w in batch:
                        w.result, w.error = None, err
                    return
                if landed:  # the commit landed, the error came after it: as committed
                    log.warning("a batch's commit raised after it landed", exc_info=True)
                    self.batches += 1
                    self.registrations += len(batch)
                    self.publish(state["events"])
                    return
            log.warning("a batch of %d registrations failed; each runs alone", len(batch),
                        exc_info=True)
            for w in batch:
                if not isinstance(w.error, DispatchError):  # a refusal stays refused
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

    def _together(self, batch: list[_Waiting], state: dict[str, Any]) -> list[Event]:
        with self.make_uow() as uow:
            ready, twins = _known(batch, uow)
            weighed: list[_Waiting] = []
            for w in ready:  # reads only, before any lock but the external ids'
                try:
                    w.intake = weigh_received(w.got, uow)
                except DispatchError as err:  # refused alone (writes nothing)
                    w.error = err
                    continue
                weighed.append(w)
            # every case linked to is key-share locked before the first write: the counter
            # row (locked by the first case written) never waits on another transaction
            uow.incidents.hold(sorted({d.other_id for w in weighed
                                       for d in _intake(w).dups}))
            policy = uow.policy
            written: list[tuple[Intake, Registered]] = []
            for w in weighed:  # the counter row is locked from the first of these on
                it = _intake(w)
                more = batch_priors(it, written, policy)
                if more:  # an earlier one of this batch is a case it would have read
                    it = rejudge(it, more, policy)
                reg = write(it, uow, targets_held=True)
                w.result = reg
                written.append((it, reg))
            for w, first in twins:  # the same external id twice in one batch: one case
                if first.error is not None:  # its first was refused: this one is weighed alone
                    w.retry = True
                    continue
                made = first.result
                assert isinstance(made, Registered)
                pair = external_of(w.got.cmd)
                assert pair is not None
                w.result = AlreadyRegistered(made.incident_id, made.code, made.state, *pair)
            if written:
                state["committing"] = True
                state["events"] = list(uow.events)
                uow.commit()
            return list(uow.events)


def _intake(w: _Waiting) -> Intake:
    assert w.intake is not None
    return w.intake


def _known(batch: list[_Waiting], uow: UnitOfWork
           ) -> tuple[list[_Waiting], list[tuple[_Waiting, _Waiting]]]:
    """The batch's external ids locked and looked up at once (as :func:`already` does one):
    a known one is answered with its case; the rest to write, and the repeats of an id
    within the batch (each with the first of that id)."""
    pairs = {id(w): external_of(w.got.cmd) for w in batch}
    wanted = [p for p in pairs.values() if p is not None]
    known = uow.outbox.find_externals(wanted) if wanted else {}
    ready: list[_Waiting] = []
    twins: list[tuple[_Waiting, _Waiting]] = []
    first: dict[tuple[str, str], _Waiting] = {}
    for w in batch:
        pair = pairs[id(w)]
        if pair is not None and pair in known:
            row = uow.incidents.get(known[pair])
            assert row is not None
            w.result = AlreadyRegistered(known[pair], row["code"], row["state"], *pair)
        elif pair is not None and pair in first:
            twins.append((w, first[pair]))
        else:
            if pair is not None:
                first[pair] = w
            ready.append(w)
    return ready, twins


def batch_priors(it: Intake, written: list[tuple[Intake, Registered]], policy: Policy
                 ) -> list[PriorCase]:
    """The cases written earlier in this batch that ``it`` would have read as earlier cases
    had it come after them (:func:`dispatch.risk.is_prior`, the repository's rule too; the
    distance on the WGS-84 spheroid, as PostGIS measures), most recent first."""
    since = prior_since(it.values["reported_at"], policy)
    keys = party_keys(it.cmd)
    here = it.point  # the new case's point is searched from even outside the territory
    out: list[PriorCase] = []
    for other, reg in written:
        v = other.values
        there = other.point if other.loc is not None and other.loc.inside else None
        dist = float(geodesic_m(here[0], here[1], [there[0]], [there[1]])[0]) \
            if here is not None and there is not None else None
        prior = PriorCase(id=reg.incident_id, code=reg.code, state=reg.state,
                          category=v["category"], reported_at=v["reported_at"],
                          address=v["address"], distance_m=dist,
                          phones=frozenset(p["phone"] for p in v["parties"] if p.get("phone")),
                          names=frozenset(p["name"] for p in v["parties"] if p.get("name")))
        if is_prior(prior, address=it.cmd.address, keys=keys, since=since,
                    radius_m=policy.duplicate_radius_m):
            out.append(prior)
    out.sort(key=lambda p: p.reported_at, reverse=True)
    return out
