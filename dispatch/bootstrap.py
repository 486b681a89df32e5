"""Wire the dispatch domain once: engine, clock, ETA provider, policy and locator caches.

``bootstrap(engine)`` returns a :class:`Dispatch`: ``handle(command)`` runs a command in its
transaction(s) and returns a result (or raises a :class:`dispatch.errors.DispatchError` with
a Chinese message and an HTTP status); ``recommend(incident_id)`` ranks units; ``scheduler()``
gives the advisory-locked clock runner. Nothing here runs at import time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from dispatch.adapters.road_eta import LazyRoadEta
from dispatch.adapters.unit_cache import UnitCache
from dispatch.adapters.uow import Clock, PolicyCache, SqlUnitOfWork
from dispatch.commands import (
    SYSTEM,
    AssignUnits,
    AutoDispatch,
    BlowWhistle,
    ChangeState,
    DecidePriority,
    HoldConsultation,
    LinkIncidents,
    LocateIncident,
    RecordFollowUp,
    RegisterIncident,
    ReportIn,
    Supervise,
)
from dispatch.commands_resident import AcceptResidentReport, RejectResidentReport
from dispatch.errors import DispatchError, Forbidden, NotFound
from dispatch.eta import EtaProvider
from dispatch.events import Event
from dispatch.group_commit import GroupCommit
from dispatch.handlers import HANDLERS, OWN_TRANSACTIONS
from dispatch.handlers_assign import recommend_for
from dispatch.handlers_intake import register
from dispatch.policy import Policy
from dispatch.ports import UnitOfWork
from dispatch.recommend import Recommendation
from dispatch.results import Registered
from dispatch.scheduler import Scheduler
from geo.cache import SignatureCache
from geo.locate import Locator, locator_cache
from geo.routing import RoadGraph

log = logging.getLogger(__name__)
RETRY_SQLSTATES = {"40P01", "40001"}  # deadlock, serialization failure: safe to run again
# Commands on a case whose refusal is audited (the case is named, a person asked); the
# mediator's record audits its own (``*_refused``, dispatch.handlers_record.audited).
AUDITED_REFUSALS = (ChangeState, AssignUnits, RecordFollowUp, LinkIncidents, DecidePriority,
                    LocateIncident, Supervise, BlowWhistle, ReportIn, HoldConsultation,
                    AcceptResidentReport, RejectResidentReport)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Dispatch:
    """The domain's one entry point for a process (build it with :func:`bootstrap`)."""

    engine: Engine
    clock: Clock
    eta: EtaProvider
    policies: PolicyCache
    locators: SignatureCache[Locator]
    listeners: list[Callable[[Event], None]] = field(default_factory=list)
    retries: int = 3
    unit_cache: UnitCache | None = field(default_factory=UnitCache)
    make_uow: Callable[[], UnitOfWork] | None = None
    # channels this deployment cannot deliver through (``Channels.off``): their notices are
    # staged ``skipped`` with the reason instead of pending for the worker to skip
    outbox_off: Mapping[str, str] = field(default_factory=dict)

    def uow(self) -> UnitOfWork:
        """A fresh unit of work (``make_uow``'s when given: the unit tests' fakes)."""
        if self.make_uow is not None:
            return self.make_uow()
        return SqlUnitOfWork(self.engine, clock=self.clock, eta=self.eta,
                             policies=self.policies, locators=self.locators,
                             unit_cache=self.unit_cache, outbox_off=self.outbox_off)

    def __post_init__(self) -> None:
        # concurrent registrations share a transaction (dispatch.group_commit); not over fakes
        self.group: GroupCommit | None = None if self.make_uow is not None else GroupCommit(
            self.uow, self._alone, self._publish, clock=self.clock)

    def handle(self, command: Any) -> Any:
        """Run ``command``; deadlocks are retried; events go to listeners after commit."""
        if self.group is not None and type(command) is RegisterIncident:
            result = self.group.handle(command)
        else:
            result = self._committed(command)
        if isinstance(result, Registered):  # RegisterIncident, AcceptResidentReport
            return self._auto(result)
        return result

    def _alone(self, command: RegisterIncident, received: datetime) -> Any:
        """A registration of a failed group-commit batch run again in its own transaction,
        reported as received when it was first weighed (not at the retry)."""
        return self._committed(command, partial(register, received=received))

    def _committed(self, command: Any, handler: Callable[[Any, UnitOfWork], Any] | None = None
                   ) -> Any:
        """``command`` in its own transaction(s) (by ``handler``, else its table's), its events
        published (no auto-dispatch)."""
        handler = handler or HANDLERS[type(command)]
        for attempt in range(self.retries):
            uow = self.uow()
            try:
                if type(command) in OWN_TRANSACTIONS:
                    result = handler(command, uow)
                else:
                    with uow:
                        result = handler(command, uow)
            except DBAPIError as err:
                code = getattr(err.orig, "sqlstate", None)
                if code in RETRY_SQLSTATES and attempt + 1 < self.retries:
                    log.info("retrying %s after %s", type(command).__name__, code)
                    continue
                raise
            except DispatchError as err:
                self._audit_refusal(command, err)
                raise
            self._publish(uow.events)
            return result
        raise AssertionError("unreachable")

    def _audit_refusal(self, command: Any, err: DispatchError) -> None:
        """A refused command on a case changed nothing; its refusal is one audit row of its own
        (``refused``: what was asked, by whom, and the Chinese reason)."""
        if not isinstance(command, AUDITED_REFUSALS) or isinstance(err, (NotFound, Forbidden)):
            return
        actor = getattr(command, "actor", None)
        if not actor or actor == SYSTEM:
            return
        asked = {k: v for k, v in vars(command).items()
                 if k not in ("actor", "incident_id", "report_id") and v not in (None, (), False)}
        try:
            with self.uow() as uow:
                report = getattr(command, "report_id", None)  # 扫码说事's triage
                uow.incidents.audit(
                    at=uow.now(), actor=str(actor)[:60], action="refused",
                    entity="incident" if report is None else "resident_report",
                    entity_id=getattr(command, "incident_id", report),
                    to_state=getattr(command, "to", None),
                    reason=err.message, detail={"command": type(command).__name__,
                                                "code": err.code, "asked": asked,
                                                **{k: v for k, v in err.detail.items()
                                                   if k in ("field", "missing", "state")}})
                uow.commit()
        except Exception:  # the refusal still reaches the caller
            log.exception("could not audit the refusal of %s", type(command).__name__)

    def _auto(self, reg: Registered) -> Registered:
        """系统自动派单 after the registration committed: a failure leaves it located."""
        if not reg.auto_dispatch:
            return reg
        try:
            assigned = self.handle(AutoDispatch(incident_id=reg.incident_id))
        except DispatchError as err:
            return replace(reg, dispatch_error=str(err))
        return replace(reg, dispatched=assigned, state="assigned")

    def _publish(self, events: list[Event]) -> None:
        for event in events:
            for listener in self.listeners:
                try:
                    listener(event)
                except Exception:  # a listener never breaks a committed command
                    log.exception("event listener failed on %s", event.type)

    def recommend(self, incident_id: int, *, exclude: tuple[int, ...] = (), full: bool = False
                  ) -> Recommendation:
        with self.uow() as uow:
            return recommend_for(incident_id, uow, exclude=exclude, full=full)

    def policy(self) -> Policy:
        with self.engine.connect() as conn:
            return self.policies.get(conn)

    def scheduler(self, *, interval_s: float = 5.0,
                  jobs: Sequence[Callable[[], object]] = ()) -> Scheduler:
        return Scheduler(self.engine, self.handle, interval_s=interval_s, jobs=jobs)


def bootstrap(engine: Engine, *, clock: Clock | None = None, eta: EtaProvider | None = None,
              policy: Policy | None = None, policy_check_s: float = 5.0,
              locators: SignatureCache[Locator] | None = None,
              graphs: Mapping[str, SignatureCache[RoadGraph]] | None = None,
              outbox_off: Mapping[str, str] | None = None) -> Dispatch:
    """A :class:`Dispatch` over ``engine``; road ETAs from ``road_edges`` unless ``eta`` given
    (on ``graphs``, the process's drive and walk graph caches, when given); ``policy`` is the
    default under administrators' stored edits."""
    return Dispatch(engine=engine, clock=clock or utc_now,
                    eta=eta or LazyRoadEta(engine, graphs=graphs),
                    policies=PolicyCache(check_s=policy_check_s, default=policy),
                    locators=locators or locator_cache(), outbox_off=dict(outbox_off or {}))
