"""What handlers return to the caller (HTTP faces serialise these with ``as_dict``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from dispatch.risk import DuplicateHit, RiskAssessment


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class Result:
    def as_dict(self) -> dict[str, Any]:
        return {k: _plain(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Registered(Result):
    incident_id: int
    code: str
    state: str
    priority: int
    level: str
    location: dict[str, Any] | None
    duplicates: tuple[DuplicateHit, ...]
    risk: RiskAssessment
    sign_deadline: datetime
    close_deadline: datetime
    auto_dispatch: bool
    dispatched: Assigned | None = None
    dispatch_error: str | None = None  # why auto-dispatch found nobody (case stays located)
    proposed_priority: int | None = None  # the risk check's proposal, for the officer to decide

    def as_dict(self) -> dict[str, Any]:
        out = {"id": self.incident_id, **super().as_dict()}
        out["risk"] = {"level": self.risk.level, "label": self.risk.label,
                       "reasons": list(self.risk.reasons), "threat": self.risk.threat,
                       "one_case_plan": self.risk.one_case_plan}
        return out


@dataclass(frozen=True)
class AlreadyRegistered(Result):
    """The external id was registered before: this is that case (nothing was written)."""

    incident_id: int
    code: str
    state: str
    external_source: str
    external_id: str
    existing: bool = True
    http_status: ClassVar[int] = 200  # the faces answer 200, not 201: nothing was created

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.incident_id, **super().as_dict()}


@dataclass(frozen=True)
class Located(Result):
    incident_id: int
    state: str
    location: dict[str, Any]


@dataclass(frozen=True)
class Assigned(Result):
    incident_id: int
    unit_ids: tuple[int, ...]
    state: str
    sign_deadline: datetime | None  # None only on a case loaded without one
    released_unit_ids: tuple[int, ...] = ()
    auto: bool = False
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class StateChanged(Result):
    incident_id: int
    from_state: str
    to_state: str
    at: datetime
    released_unit_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class FollowedUp(Result):
    incident_id: int
    state: str
    reopened: bool
    reason: str


@dataclass(frozen=True)
class PriorityDecided(Result):
    incident_id: int
    priority: int
    proposed: int
    accepted: bool


@dataclass(frozen=True)
class Linked(Result):
    incident_id: int
    other_id: int
    kind: str
    state: str


@dataclass(frozen=True)
class PositionRecorded(Result):
    unit_id: int
    lon: float
    lat: float
    at: datetime
    current: bool  # False: an older ping (history only) or a replay (not recorded again)
    applied: bool = False  # the same as ``current``, the name the API answers with
    reason: str | None = None  # why not applied (旧于已有位置 …)
    seq: int | None = None
    duplicate: bool = False  # an exact replay: no second history row, no event
    outside_m: float = 0.0  # metres outside the territory's box (within the tolerance)


@dataclass(frozen=True)
class UnitStatusSet(Result):
    unit_id: int
    from_status: str
    to_status: str


@dataclass(frozen=True)
class TickReport(Result):
    ran: bool  # False: another process holds the scheduler lock
    processed: int = 0
    warned: int = 0
    supervised: int = 0
    escalated: int = 0
    reassigned: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Supervised(Result):
    incident_id: int
    supervision_id: int
    kind: str
    level: str
    at: datetime


@dataclass(frozen=True)
class Whistled(Result):
    incident_id: int
    whistle_id: int
    departments: tuple[str, ...]
    report_by: datetime


@dataclass(frozen=True)
class ReportedIn(Result):
    incident_id: int
    whistle_id: int
    department: str
    late: bool
    waiting_for: tuple[str, ...]  # departments called that have not reported yet


@dataclass(frozen=True)
class Consulted(Result):
    incident_id: int
    consultation_id: int
    whistle_id: int | None
    absent: tuple[str, ...]  # departments called that never reported before the 会商
