"""One set of in-memory fakes of :mod:`dispatch.ports` for the handlers' unit tests (no database).

``conforms`` below is checked by mypy (``./run lint`` includes ``tests/fakes``): each fake is
assigned to its Protocol, so a fake that drifts from the port fails the lint, not a test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from dispatch.bootstrap import Dispatch
from dispatch.ports import Incidents, PolicySource, Savepoint, UnitOfWork, Units
from dispatch.ports_outbox import Outbox
from dispatch.ports_record import Closures, Records, Whistles
from geo.locate import locator_cache
from tests.fakes.db import NOW, FakeDb, Tables, case_row
from tests.fakes.incidents import FakeIncidents
from tests.fakes.outbox import FakeOutbox
from tests.fakes.record import FakeClosures, FakeRecords, FakeWhistles
from tests.fakes.units import FakeUnits
from tests.fakes.uow import FakePolicies, FakeSavepoint, FakeUnitOfWork, inside_street_7, outside

C = TypeVar("C")
R = TypeVar("R")


def run(handler: Callable[[C, UnitOfWork], R], cmd: C, uow: FakeUnitOfWork) -> R:
    """The handler in one transaction, as the bus runs it: uncommitted writes roll back."""
    with uow:
        return handler(cmd, uow)


def conforms(db: FakeDb) -> tuple[UnitOfWork, Incidents, Units, Whistles, Records, Closures,
                                  PolicySource, Savepoint, Outbox]:
    """Each fake as its port (a static check; calling it also proves the fakes construct)."""
    uow = FakeUnitOfWork(db)
    return (uow, FakeIncidents(db), FakeUnits(db), FakeWhistles(db), FakeRecords(db),
            FakeClosures(db), FakePolicies(), FakeSavepoint(uow), FakeOutbox(db))


def fake_dispatch(db: FakeDb, **uow: Any) -> Dispatch:
    """The real bus (:class:`Dispatch`: refusal audits, publishing) over fresh fake units of
    work on ``db``; the engine is never connected to (``make_uow`` replaces it)."""
    from sqlalchemy import create_engine

    from dispatch.adapters.uow import PolicyCache

    def make() -> FakeUnitOfWork:
        return FakeUnitOfWork(db, **uow)

    return Dispatch(engine=create_engine("postgresql+psycopg://"), clock=lambda: NOW,
                    eta=FakeUnitOfWork(db).eta, policies=PolicyCache(),
                    locators=locator_cache(), unit_cache=None, make_uow=make)


__all__ = ["NOW", "FakeClosures", "FakeDb", "FakeIncidents", "FakeOutbox", "FakeRecords", "FakeUnitOfWork",
           "FakeUnits", "FakeWhistles", "Tables", "case_row", "conforms", "fake_dispatch",
           "inside_street_7", "outside", "run"]
