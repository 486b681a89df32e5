"""The ports: what the handlers need of a unit of work and its case and unit repositories.

Handlers are typed against these ``Protocol``s, never the SQL classes. Two families satisfy
them: :mod:`dispatch.adapters` (PostgreSQL; mypy checks it where :mod:`dispatch.bootstrap`
hands a :class:`~dispatch.adapters.uow.SqlUnitOfWork` out as a :class:`UnitOfWork`) and the
in-memory fakes of the unit tests (``tests/fakes``). The record's repositories (吹哨, 五步,
办结) are in :mod:`dispatch.ports_record`. Rows are the typed dicts of :mod:`dispatch.ports_rows`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from dispatch.clocks import TimerSpec
from dispatch.eta import EtaProvider
from dispatch.events import Event
from dispatch.model import UnitFacts
from dispatch.policy import Policy
from dispatch.ports_outbox import Outbox
from dispatch.ports_record import Closures, Records, Whistles
from dispatch.ports_resident import Residents
from dispatch.ports_rows import AssignmentRow, AuditEntry, CaseRow, Json, TakenBy, TimerRow
from dispatch.rank import UnitTable
from dispatch.risk import PriorCase
from dispatch.telemetry import Fix
from geo.locate import Location


class Incidents(Protocol):
    """Cases: codes, rows, guarded state changes, audit, timers, supervision, links, 回访."""

    def create(self, values: Json, *, lon: float | None, lat: float | None, year: int,
               timers: Sequence[TimerSpec], links: Sequence[Json],
               audits: Sequence[AuditEntry]) -> tuple[int, str]:
        """A new case whole (row, clocks, duplicate ``links``, ``audits`` — an entity_id of
        None is the new id, a ``code`` key in a detail gets the code) with its gapless code:
        the registration's last statement before commit. Its id and code."""
        ...

    def get(self, incident_id: int, *, lock: bool = False) -> CaseRow | None: ...

    def hold(self, ids: Sequence[int]) -> None:
        """Key-share lock these cases until commit (a new case's link targets, taken before
        the counter row so that lock never waits on them)."""
        ...

    def set_state(self, incident_id: int, from_state: str, to_state: str,
                  **columns: Any) -> bool:
        """Only if the case is still in ``from_state``: False when someone changed it first."""
        ...

    def update(self, incident_id: int, **columns: Any) -> None: ...

    def locate(self, incident_id: int, lon: float, lat: float, chain: dict[str, int | None]
               ) -> None: ...

    def audit(self, *, at: datetime, actor: str, action: str, entity_id: int | None,
              entity: str = "incident", from_state: str | None = None,
              to_state: str | None = None, reason: str | None = None,
              detail: Json | None = None) -> None: ...

    def add_timers(self, incident_id: int, specs: Iterable[TimerSpec]) -> None: ...

    def cancel_timers(self, incident_id: int, kinds: Sequence[str], at: datetime) -> int: ...

    def next_round(self, incident_id: int, kind: str) -> int: ...

    def claim_due_timer(self, now: datetime) -> TimerRow | None: ...

    def finish_timer(self, timer_id: int, at: datetime, outcome: str) -> bool: ...

    def open_supervision(self, incident_id: int, *, kind: str, level: str, at: datetime,
                         by: str, reason: str) -> int: ...

    def supervision_levels(self, incident_id: int, kind: str) -> list[str]: ...

    def close_supervisions(self, incident_id: int, at: datetime, *, kind: str | None = None
                           ) -> None: ...

    def add_link(self, incident_id: int, other_id: int, *, kind: str, at: datetime, by: str,
                 score: float | None = None, reasons: Sequence[str] = ()) -> bool: ...

    def add_followup(self, incident_id: int, due_at: datetime) -> None: ...

    def complete_followup(self, incident_id: int, *, at: datetime, satisfaction: int,
                          agreement_holds: bool, neighbours: int, note: str | None,
                          actor: str, method: str | None = None) -> None: ...

    def has_agreement(self, incident_id: int) -> bool: ...

    def priors(self, *, lon: float | None, lat: float | None, address: str | None,
               keys: Sequence[str], since: datetime, radius_m: float,
               exclude: int | None = None, limit: int = 200) -> list[PriorCase]: ...


class Units(Protocol):
    """Units: race-safe capacity, assignments, who took a unit, positions, status, settings."""

    def get(self, unit_id: int, *, lock: bool = False) -> UnitFacts | None: ...

    def candidates(self) -> list[UnitFacts]: ...

    def take(self, unit_id: int) -> bool:
        """One more case for the unit only if on duty with room (one statement: no race)."""
        ...

    def release(self, unit_id: int) -> None: ...

    def who_took(self, unit_id: int) -> TakenBy: ...

    def assign(self, incident_id: int, unit_id: int, *, role: str, at: datetime, by: str
               ) -> int: ...

    def active_on(self, incident_id: int) -> list[AssignmentRow]: ...

    def release_all(self, incident_id: int, at: datetime, *, state: str = "released",
                    unit_ids: Sequence[int] | None = None) -> list[int]: ...

    def stamp(self, incident_id: int, column: str, at: datetime, unit_id: int | None
              ) -> None: ...

    def set_status_of_case_units(self, incident_id: int, status: str) -> None: ...

    def set_status(self, unit_id: int, status: str) -> None: ...

    def last_fix(self, unit_id: int) -> Fix | None: ...

    def territory_bounds(self) -> tuple[float, float, float, float] | None: ...

    def street_ids(self) -> frozenset[int]: ...

    def record_position(self, unit_id: int, lon: float, lat: float, *, at: datetime,
                        seq: int | None, accuracy_m: float | None, crs: str, reset_s: float
                        ) -> tuple[bool, bool]: ...

    def load_setting(self, key: str) -> Json | None: ...

    def save_setting(self, key: str, value: Json, *, at: datetime, by: str) -> None: ...

    def staff_names(self) -> dict[str, str]:
        """Active staff accounts: username → display name (the username when it has none)."""
        ...


class PolicySource(Protocol):
    def forget(self) -> None:
        """Read the stored policy again on next use (after an edit)."""
        ...


class Savepoint(Protocol):
    """A nested transaction: its writes are undone alone, the outer ones stand."""

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class UnitOfWork(Protocol):
    """One transaction (``with uow:``), its repositories, the time, the policy, the events.

    ``commit()`` makes the writes and the emitted events visible together; leaving ``with``
    without it rolls everything back.
    """

    @property
    def incidents(self) -> Incidents: ...

    @property
    def units(self) -> Units: ...

    @property
    def whistles(self) -> Whistles: ...

    @property
    def records(self) -> Records: ...

    @property
    def closures(self) -> Closures: ...

    @property
    def residents(self) -> Residents: ...

    @property
    def outbox(self) -> Outbox:
        """Notices staged at ``commit()`` from the events (:func:`dispatch.notices.stage`)."""
        ...

    @property
    def events(self) -> list[Event]: ...

    @property
    def policy(self) -> Policy: ...

    @property
    def policies(self) -> PolicySource: ...

    @property
    def eta(self) -> EtaProvider: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...

    def now(self) -> datetime: ...

    def locate(self, lon: float, lat: float) -> Location: ...

    def candidate_table(self) -> UnitTable:
        """Units as columns, at least every one on duty with room (``takes_cases``)."""
        ...

    def emit(self, event: Event) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def savepoint(self) -> Savepoint: ...

    def audit_apart(self, *, actor: str, action: str, entity_id: int | None,
                    reason: str | None, detail: Json) -> None:
        """One audit row in a transaction of its own (a refusal, after the rollback)."""
        ...
