"""Commands of the mediator's record: 五步 entries, sessions, agreements, 司法确认,
attachments and 延期 (imperative, immutable; the actor is the authenticated caller)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, kw_only=True)
class RecordStep:
    """One entry of a 五步 step (listen/check/discuss/mediate/settle) with its note."""

    incident_id: int
    step: str
    note: str
    actor: str
    unit_id: int | None = None
    happened_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class BookSession:
    """A mediation session: when, where (a room from the facilities, booked, or a place), how
    (面对面 joint / 背对背 separate) and who (parties, mediators, invited 三官一律)."""

    incident_id: int
    starts_at: datetime | None
    ends_at: datetime | None
    mode: str
    participants: tuple[object, ...]
    actor: str
    facility_id: int | None = None
    place: str | None = None
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class CancelSession:
    incident_id: int
    session_id: int
    reason: str
    actor: str


@dataclass(frozen=True, kw_only=True)
class WriteAgreement:
    """A 人民调解协议书 version; the parties and mediators are taken from the record."""

    incident_id: int
    committee: str
    facts: str
    terms: str
    performance: str
    actor: str
    correction: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordJudicial:
    """司法确认: applied / confirmed / refused, by which court, on which day."""

    incident_id: int
    status: str
    court: str
    on_date: date | None
    actor: str
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class AddAttachment:
    incident_id: int
    content: bytes
    filename: str | None
    actor: str
    unit_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class RequestExtension:
    """延期: the unit (or the street) asks for more days to close, with a reason."""

    incident_id: int
    days: int
    reason: str
    actor: str
    role: str | None
    unit_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class DecideExtension:
    """The level above approves (the close clock moves) or refuses (with a reason)."""

    incident_id: int
    extension_id: int
    approve: bool
    actor: str
    role: str | None
    note: str | None = None
