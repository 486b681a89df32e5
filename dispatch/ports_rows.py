"""The rows that cross the seam between handlers and repositories, as typed records.

The SQL repositories build them from result mappings; the in-memory fakes of the unit tests
build them by hand. ``TypedDict`` keeps the row a plain dict at run time (the views and the
wire format already read them as dicts) while mypy checks every key a handler reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NotRequired, TypedDict

# A JSON document as stored (parties, participants, audit detail): its shape is the domain's.
Json = dict[str, Any]


class CaseRow(TypedDict):
    """One incident as :meth:`dispatch.ports.Incidents.get` reads it (incidents + incident_flow)."""

    id: int
    code: str
    channel: str
    category: str
    priority: int
    difficulty: str
    state: str
    risk_level: int
    language: str | None
    title: str
    description: str | None
    address: str | None
    lon: float | None
    lat: float | None
    street_id: int | None
    community_id: int | None
    grid_id: int | None
    micro_grid_id: int | None
    police_grid_id: int | None
    parties: list[Json]
    reported_at: datetime
    outcome: str | None
    version: int
    sign_deadline: datetime | None
    close_deadline: datetime | None
    followed_up_at: datetime | None
    level: str
    escalations: int
    one_case_plan: bool
    risk_reasons: list[str]
    risk_basis: list[Json]
    auto_dispatch: bool | None
    reopened: int
    agreement_holds: bool | None
    merged_into: int | None
    proposed_priority: int | None


class AssignmentRow(TypedDict):
    """A unit's active assignment to a case."""

    id: int
    unit_id: int
    role: str
    assigned_at: datetime
    acknowledged_at: datetime | None
    arrived_at: datetime | None
    assigned_by: str | None


class TakenBy(TypedDict, total=False):
    """Who holds a unit now (its latest active case): what a loser of a race is told."""

    unit_code: str
    unit_name: str
    status: str
    active_load: int
    capacity: int
    assigned_by: str | None
    assigned_at: datetime | None
    incident_id: int | None
    incident_code: str | None


class TimerRow(TypedDict):
    """One claimed clock stage (``whistle_id`` only on a whistle's 报到 deadline)."""

    id: int
    incident_id: int
    kind: str
    stage: str
    round: int
    due_at: datetime
    whistle_id: int | None


@dataclass(frozen=True, kw_only=True)
class AuditEntry:
    """One audit_log row as written (the fakes keep these; the SQL writes the same columns)."""

    at: datetime
    actor: str
    action: str
    entity_id: int | None
    entity: str = "incident"
    from_state: str | None = None
    to_state: str | None = None
    reason: str | None = None
    detail: Json = field(default_factory=dict)


class CallRow(TypedDict):
    """A department called by a whistle, and whether it reported."""

    department: str
    reported_at: datetime | None
    reported_by: str | None
    note: str | None
    overdue_at: datetime | None


class WhistleRow(TypedDict):
    """A whistle with its calls (``closed_at`` only when read by id)."""

    id: int
    incident_id: int
    street_id: int | None
    blown_at: datetime
    blown_by: str
    reason: str
    report_by: datetime
    closed_at: NotRequired[datetime | None]
    calls: list[CallRow]


class FacilityRow(TypedDict):
    id: int
    name: str
    kind: str
    street_id: int | None


class BookingRow(TypedDict):
    """A session overlapping a wished-for slot in the same room."""

    id: int
    incident_id: int
    code: str
    starts_at: datetime
    ends_at: datetime
    booked_by: str


class SessionRow(TypedDict):
    id: int
    incident_id: int
    facility_id: int | None
    place: str
    starts_at: datetime
    ends_at: datetime
    cancelled_at: datetime | None


class MediatorRow(TypedDict):
    unit_id: int
    name: str
    unit_type: str


class ExtensionRow(TypedDict):
    id: int
    incident_id: int
    days: int
    reason: str
    requested_by: str
    requested_role: str
    status: str


class ClosureEvidence(TypedDict):
    """What a 办结 rests on (written with who and when as an incident_closures row)."""

    outcome: str
    basis: str
    note: str
    mediator: str | None
    spot_reason: str | None
    agreement: str | None
    oral_terms: str | None
    referred_to: str | None


class ClosureRow(ClosureEvidence):
    at: datetime
    actor: str


__all__ = ["AssignmentRow", "AuditEntry", "BookingRow", "CallRow", "CaseRow", "ClosureEvidence", "ClosureRow",
           "ExtensionRow", "FacilityRow", "Json", "MediatorRow", "SessionRow", "TakenBy",
           "TimerRow", "WhistleRow"]
