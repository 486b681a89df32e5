"""Domain events: what happened (past tense); each serialises to ``{"type": ..., ids...}``."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class Event:
    """Base: ``type`` is the snake-case class name (``incident_registered`` …)."""

    @property
    def type(self) -> str:
        return _snake(type(self).__name__)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        for k, v in asdict(self).items():
            out[k] = v.isoformat() if isinstance(v, datetime) else v
        return out


@dataclass(frozen=True)
class IncidentRegistered(Event):
    incident_id: int
    code: str
    category: str
    priority: int
    risk_level: int = 0
    duplicates: tuple[int, ...] = ()
    tracking_code: str | None = None  # a resident's report (扫码说事): what the party follows


@dataclass(frozen=True)
class IncidentLocated(Event):
    incident_id: int
    grid_id: int | None
    police_grid_id: int | None
    street_id: int | None


@dataclass(frozen=True)
class UnitsAssigned(Event):
    incident_id: int
    unit_ids: tuple[int, ...]
    actor: str
    auto: bool = False
    released_unit_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class StateChanged(Event):
    incident_id: int
    from_state: str
    to_state: str
    actor: str


@dataclass(frozen=True)
class DuplicateFlagged(Event):
    incident_id: int
    other_id: int
    kind: str


@dataclass(frozen=True)
class RiskRaised(Event):
    incident_id: int
    risk_level: int
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeadlineWarned(Event):
    incident_id: int
    kind: str  # sign | close | followup
    due_at: datetime | None = None


@dataclass(frozen=True)
class DeadlinePassed(Event):
    incident_id: int
    kind: str
    level: str  # yellow | red (the supervision opened)


@dataclass(frozen=True)
class PriorityChanged(Event):
    """An officer decided on the risk check's proposed priority (confirmed or kept)."""

    incident_id: int
    from_priority: int
    to_priority: int
    actor: str


@dataclass(frozen=True)
class IncidentEscalated(Event):
    incident_id: int
    level: str  # the new handling level


@dataclass(frozen=True)
class FollowUpRecorded(Event):
    incident_id: int
    satisfaction: int
    agreement_holds: bool
    reopened: bool


@dataclass(frozen=True)
class UnitMoved(Event):
    unit_id: int
    lon: float
    lat: float
    at: datetime | None = None


@dataclass(frozen=True)
class UnitStatusChanged(Event):
    unit_id: int
    from_status: str
    to_status: str


@dataclass(frozen=True)
class PolicyChanged(Event):
    actor: str
    keys: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class AreasReplaced(Event):
    """The area hierarchy was swapped under live cases (dispatch.adapters.area_replace): every
    case's street may have changed, so what a process placed by street is no longer true."""

    actor: str
    incidents: int
    units: int


@dataclass(frozen=True)
class SupervisionOpened(Event):
    """A person opened 督办 on a case (the clocks' own 督办 is :class:`DeadlinePassed`)."""

    incident_id: int
    kind: str  # the clock it presses: sign | close
    level: str  # yellow | red
    actor: str


@dataclass(frozen=True)
class WhistleBlown(Event):
    incident_id: int
    whistle_id: int
    departments: tuple[str, ...]
    report_by: datetime


@dataclass(frozen=True)
class DepartmentReported(Event):
    incident_id: int
    whistle_id: int
    department: str
    late: bool


@dataclass(frozen=True)
class WhistleOverdue(Event):
    """A whistle's 报到 deadline passed with ``departments`` unreported; 督办 at ``level``."""

    incident_id: int
    whistle_id: int
    departments: tuple[str, ...]
    level: str


@dataclass(frozen=True)
class ConsultationHeld(Event):
    incident_id: int
    consultation_id: int
    whistle_id: int | None
