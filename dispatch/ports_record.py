"""The ports of the case's record: 吹哨/报到/会商, the mediator's record (五步 … 延期), 办结 evidence."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from dispatch.ports_rows import (
    BookingRow,
    CallRow,
    ClosureRow,
    ExtensionRow,
    FacilityRow,
    Json,
    MediatorRow,
    SessionRow,
    WhistleRow,
)


class Whistles(Protocol):
    """街道吹哨、部门报到、会商."""

    def open_of(self, incident_id: int, *, lock: bool = False) -> WhistleRow | None: ...

    def calls(self, whistle_id: int) -> list[CallRow]: ...

    def blow(self, incident_id: int, *, street_id: int | None, at: datetime, by: str,
             reason: str, report_by: datetime, departments: Sequence[str]) -> int:
        """A new whistle and its calls; an open whistle on the case → ``Conflict``."""
        ...

    def get(self, whistle_id: int, *, lock: bool = False) -> WhistleRow | None: ...

    def add_timer(self, incident_id: int, whistle_id: int, due_at: datetime) -> None: ...

    def cancel_timer(self, whistle_id: int, at: datetime) -> None: ...

    def mark_overdue(self, whistle_id: int, at: datetime) -> list[str]: ...

    def report(self, whistle_id: int, department: str, *, at: datetime, by: str,
               note: str | None) -> bool: ...

    def close(self, whistle_id: int, at: datetime) -> None: ...

    def close_all(self, incident_id: int, at: datetime) -> None: ...

    def consult(self, incident_id: int, *, whistle_id: int | None, at: datetime, by: str,
                participants: list[Json], outcome: str) -> int: ...


class Records(Protocol):
    """The mediator's record: steps, sessions, agreements, 司法确认, attachments, 延期."""

    def add_step(self, incident_id: int, *, step: str, note: str, happened_at: datetime,
                 unit_id: int | None, by: str, at: datetime) -> int: ...

    def facility(self, facility_id: int, *, lock: bool = False) -> FacilityRow | None: ...

    def bookings_overlapping(self, facility_id: int, starts_at: datetime, ends_at: datetime
                             ) -> list[BookingRow]: ...

    def add_session(self, incident_id: int, *, facility_id: int | None, place: str,
                    starts_at: datetime, ends_at: datetime, mode: str,
                    participants: list[Json], note: str | None, by: str,
                    at: datetime) -> int: ...

    def session(self, session_id: int, *, lock: bool = False) -> SessionRow | None: ...

    def cancel_session(self, session_id: int, *, by: str, at: datetime) -> bool: ...

    def next_agreement_version(self, incident_id: int) -> int: ...

    def mediators_of(self, incident_id: int) -> list[MediatorRow]: ...

    def add_agreement(self, incident_id: int, *, version: int, number: str,
                      fields: dict[str, str | None], parties: list[Json],
                      mediators: list[MediatorRow], by: str, at: datetime) -> int: ...

    def latest_agreement_id(self, incident_id: int) -> int | None: ...

    def judicial_history(self, incident_id: int) -> list[str]: ...

    def add_judicial(self, incident_id: int, *, agreement_id: int | None, status: str,
                     court: str, on_date: date, note: str | None, by: str, at: datetime
                     ) -> int: ...

    def add_attachment(self, incident_id: int, *, content: bytes, sha256: str,
                       content_type: str, filename: str, unit_id: int | None, by: str,
                       at: datetime) -> int: ...

    def pending_extension(self, incident_id: int) -> ExtensionRow | None: ...

    def add_extension(self, incident_id: int, *, days: int, reason: str, by: str, role: str,
                      unit_id: int | None, at: datetime) -> int: ...

    def extension(self, extension_id: int, *, lock: bool = False) -> ExtensionRow | None: ...

    def decide_extension(self, extension_id: int, *, status: str, by: str, at: datetime,
                         note: str | None, before: datetime | None,
                         after: datetime | None) -> None: ...


class Closures(Protocol):
    """What a 办结 rests on."""

    def reached_scene(self, incident_id: int) -> bool: ...

    def add(self, incident_id: int, *, at: datetime, actor: str, outcome: str, basis: str,
            note: str, mediator: str | None, spot_reason: str | None, agreement: str | None,
            oral_terms: str | None, referred_to: str | None) -> None: ...

    def latest(self, incident_id: int) -> ClosureRow | None: ...
