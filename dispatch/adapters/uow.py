"""The unit of work: one connection, one transaction, the repositories, collected events.

Events are sent with ``pg_notify`` inside the transaction, so listeners (the SSE stream, other
processes) hear of a change exactly when it commits, and never of one rolled back.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from types import TracebackType

from sqlalchemy import Connection, Engine, NestedTransaction, RootTransaction, text

from dispatch.adapters.closure_repo import ClosureRepository
from dispatch.adapters.outbox_repo import OutboxRepository
from dispatch.adapters.record_repo import RecordRepository
from dispatch.adapters.repository import IncidentRepository
from dispatch.adapters.resident_repo import ResidentRepository
from dispatch.adapters.unit_cache import UnitCache
from dispatch.adapters.unit_repo import UnitRepository
from dispatch.adapters.whistle_repo import WhistleRepository
from dispatch.eta import EtaProvider
from dispatch.events import Event
from dispatch.model import UnitFacts
from dispatch.notices import stage
from dispatch.policy import Policy
from dispatch.ports_rows import Json
from dispatch.rank import UnitTable
from geo.cache import SignatureCache
from geo.locate import Location, Locator

CHANNEL = "fq_dispatch"
Clock = Callable[[], datetime]


class PolicyCache:
    """The policy from ``dispatch_settings`` (else defaults), re-read every ``check_s``."""

    def __init__(self, *, check_s: float = 5.0, default: Policy | None = None) -> None:
        self.check_s = check_s
        self.default = default or Policy()
        self._policy: Policy | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def get(self, conn: Connection) -> Policy:
        with self._lock:
            if self._policy is not None and time.monotonic() - self._checked < self.check_s:
                return self._policy
            stored = UnitRepository(conn).load_setting("policy")
            self._policy = (Policy.from_dict(stored, base=self.default) if stored
                            else self.default)
            self._checked = time.monotonic()
            return self._policy

    def forget(self) -> None:
        with self._lock:
            self._policy = None


class SqlUnitOfWork:
    """``with uow:`` opens a transaction; ``commit()`` notifies and commits; else rollback.

    It is a :class:`dispatch.ports.UnitOfWork` (mypy checks it in :mod:`dispatch.bootstrap`).
    """

    def __init__(self, engine: Engine, *, clock: Clock, eta: EtaProvider,
                 policies: PolicyCache, locators: SignatureCache[Locator],
                 unit_cache: UnitCache | None = None,
                 outbox_off: Mapping[str, str] | None = None) -> None:
        self.engine = engine
        self.outbox_off = outbox_off  # channels not configured: their notices staged skipped
        self.unit_cache = unit_cache
        self.clock = clock
        self.eta = eta
        self.policies = policies
        self.locators = locators
        self.events: list[Event] = []
        self._staged = 0
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None

    def __enter__(self) -> SqlUnitOfWork:
        self._conn = self.engine.connect()
        self._tx = self._conn.begin()
        self.incidents = IncidentRepository(self._conn)
        self.units = UnitRepository(self._conn)
        self.whistles = WhistleRepository(self._conn)
        self.records = RecordRepository(self._conn)  # the mediator's record (0009)
        self.closures = ClosureRepository(self._conn)
        self.residents = ResidentRepository(self._conn)  # 扫码说事 (0017)
        self.outbox = OutboxRepository(self._conn, off=self.outbox_off)  # staged at commit
        self.events = []
        self._staged = 0
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if self._tx is not None and self._tx.is_active:
                self._tx.rollback()
        finally:
            if self._conn is not None:
                self._conn.close()
            self._conn = self._tx = None

    @property
    def conn(self) -> Connection:
        assert self._conn is not None, "use the unit of work inside 'with'"
        return self._conn

    @property
    def policy(self) -> Policy:
        return self.policies.get(self.conn)

    def now(self) -> datetime:
        return self.clock()

    def candidate_units(self) -> list[UnitFacts]:
        """Units on duty with room, as of now: from the process's cache where there is one
        (it re-reads only rows that changed), else straight from the table."""
        if self.unit_cache is not None:
            return self.unit_cache.candidates(self.conn)
        return self.units.candidates()

    def candidate_table(self) -> UnitTable:
        """Units as columns, at least every candidate (``takes_cases`` marks them): with the
        cache, every unit, patched where rows changed; else :meth:`candidate_units`."""
        if self.unit_cache is not None:
            return self.unit_cache.table(self.conn)
        return UnitTable.of(self.units.candidates())

    def locate(self, lon: float, lat: float) -> Location:
        return self.locators.get(self.conn).locate(lon, lat)

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def commit(self) -> None:
        assert self._tx is not None
        stage(self, self.events[self._staged:])  # the outbox rows commit with their events
        self._staged = len(self.events)
        if self.events:
            payloads = [json.dumps(e.as_dict(), ensure_ascii=False, default=str)
                        for e in self.events]
            self.conn.execute(text("SELECT pg_notify(:ch, p) FROM unnest(CAST(:ps AS text[])) p"),
                              {"ch": CHANNEL, "ps": payloads})
        self._tx.commit()

    def rollback(self) -> None:
        if self._tx is not None and self._tx.is_active:
            self._tx.rollback()

    def savepoint(self) -> NestedTransaction:
        return self.conn.begin_nested()

    def audit_apart(self, *, actor: str, action: str, entity_id: int | None,
                    reason: str | None, detail: Json) -> None:
        """One audit row on a connection and transaction of its own (committed at once)."""
        with self.engine.begin() as conn:
            IncidentRepository(conn).audit(at=self.now(), actor=actor, action=action,
                                           entity_id=entity_id, reason=reason, detail=detail)

