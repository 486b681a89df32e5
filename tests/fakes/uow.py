"""The fake :class:`dispatch.ports.UnitOfWork`: a transaction over :class:`FakeDb` in memory.

It begins on construction and again on ``with``; ``commit()`` publishes the emitted events and
keeps the tables; ``rollback()`` (or leaving ``with`` uncommitted) puts back the tables as they
were at the start, as PostgreSQL would. ``db.writes`` still lists every write attempted.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Self

from dispatch.eta import Eta, StraightLineEta
from dispatch.events import Event
from dispatch.notices import stage
from dispatch.policy import Policy
from dispatch.ports_rows import AuditEntry, Json
from dispatch.rank import UnitTable
from geo.locate import Location, Place
from tests.fakes.db import NOW, FakeDb, Tables
from tests.fakes.incidents import FakeIncidents
from tests.fakes.outbox import FakeOutbox
from tests.fakes.record import FakeClosures, FakeRecords, FakeWhistles
from tests.fakes.residents import FakeResidents
from tests.fakes.units import FakeUnits

CHAIN = {"street": Place(7, "S07", "天山路街道"), "community": Place(70, "C70", "友谊社区"),
         "grid": Place(700, "G700", "第一网格"), "micro_grid": None,
         "police_grid": Place(9, "P09", "天山路警务区")}


def inside_street_7(lon: float, lat: float) -> Location:
    """Every point falls in street 7's first grid (tests that need an outside pass their own)."""
    return Location(lon=lon, lat=lat, inside=True, chain=dict(CHAIN))


def outside(lon: float, lat: float) -> Location:
    return Location(lon=lon, lat=lat, inside=False, nearest_grid=CHAIN["grid"],
                    distance_m=1200.0)


class FakePolicies:
    def __init__(self) -> None:
        self.forgotten = 0

    def forget(self) -> None:
        self.forgotten += 1


class FakeSavepoint:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.saved = copy.deepcopy(uow.db.tables)

    def commit(self) -> None:
        pass

    def rollback(self) -> None:
        self.uow.db.tables = copy.deepcopy(self.saved)


class RecordingEta:
    """Straight-line ETAs, remembering what was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[float, float]] = []
        self._line = StraightLineEta()

    def etas_to(self, origins: Sequence[tuple[float, float]], on_foot: Sequence[bool],
                destination: tuple[float, float]) -> list[Eta]:
        self.asked.append(destination)
        return self._line.etas_to(origins, on_foot, destination)


class FakeUnitOfWork:
    def __init__(self, db: FakeDb | None = None, *, now: datetime = NOW,
                 policy: Policy | None = None,
                 locate: Callable[[float, float], Location] = inside_street_7) -> None:
        self.db = db if db is not None else FakeDb()
        self.clock = now
        self.stored_policy = policy or Policy()
        self._locate = locate
        self.policies = FakePolicies()
        self.eta = RecordingEta()
        self.events: list[Event] = []
        self.commits = 0
        self.rollbacks = 0
        self.apart: list[AuditEntry] = []  # audit rows written in transactions of their own
        self.incidents = FakeIncidents(self.db)
        self.units = FakeUnits(self.db)
        self.whistles = FakeWhistles(self.db)
        self.records = FakeRecords(self.db)
        self.closures = FakeClosures(self.db)
        self.residents = FakeResidents(self.db)
        self.outbox = FakeOutbox(self.db)
        self._staged = 0
        self._begin()

    def _begin(self) -> None:
        self._start: Tables = copy.deepcopy(self.db.tables)
        self._open = True

    def __enter__(self) -> Self:
        self._begin()
        self.events = []
        self._staged = 0
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._open:
            self.rollback()

    @property
    def policy(self) -> Policy:
        stored = self.db.tables.settings.get("policy")
        return Policy.from_dict(stored, base=self.stored_policy) if stored else \
            self.stored_policy

    def now(self) -> datetime:
        return self.clock

    def locate(self, lon: float, lat: float) -> Location:
        return self._locate(lon, lat)

    def candidate_table(self) -> UnitTable:
        return UnitTable.of(self.units.candidates())

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def commit(self) -> None:
        stage(self, self.events[self._staged:])  # as the SQL unit of work: same transaction
        self._staged = len(self.events)
        self.commits += 1
        self.db.published.extend(self.events)
        self._begin()
        self._open = False

    def rollback(self) -> None:
        self.rollbacks += 1
        self.db.tables = copy.deepcopy(self._start)
        self._open = False

    def savepoint(self) -> FakeSavepoint:
        return FakeSavepoint(self)

    def audit_apart(self, *, actor: str, action: str, entity_id: int | None,
                    reason: str | None, detail: Json) -> None:
        entry = AuditEntry(at=self.clock, actor=actor, action=action, entity_id=entity_id,
                           reason=reason, detail=dict(detail))
        self.db.tables.audit.append(entry)
        self._start.audit.append(entry)  # committed on its own: a later rollback keeps it
        self.apart.append(entry)
