"""Commands: what a person or the system asks the domain to do (imperative, immutable)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

SYSTEM = "system"  # the actor name of automatic actions (auto-dispatch, the scheduler)


@dataclass(frozen=True)
class Party:
    """One party of a dispute: name, phone, role (applicant/respondent/third_party), language."""

    name: str
    phone: str | None = None
    role: str = "applicant"
    language: str | None = None


@dataclass(frozen=True, kw_only=True)
class RegisterIncident:
    """受理: register a dispute; a point (any CRS) locates it at once, else stays registered."""

    category: str
    channel: str
    actor: str
    priority: str = "normal"  # urgent | high | normal | low
    difficulty: str = "normal"  # simple | normal | complex ("3715")
    title: str = ""
    description: str = ""
    address: str | None = None
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    parties: tuple[Party, ...] = ()
    language: str | None = None  # the parties' language or dialect, if not Mandarin
    auto_dispatch: bool | None = None  # None: as the policy says for category and priority
    # a case from another platform (12345 …): the same external id twice is one case
    external_source: str | None = None
    external_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class LocateIncident:
    """定位: give a registered incident its point (any CRS)."""

    incident_id: int
    lon: float
    lat: float
    actor: str
    crs: str = "wgs84"


@dataclass(frozen=True, kw_only=True)
class AssignUnits:
    """分派: send one unit or a pair; ``reason`` is required to override the system's choice."""

    incident_id: int
    unit_ids: tuple[int, ...]
    actor: str
    reason: str | None = None
    reassign: bool = False  # release the current units first (改派)
    expected_state: str | None = None  # refuse if the case moved on meanwhile


@dataclass(frozen=True, kw_only=True)
class AutoDispatch:
    """系统自动派单: assign the best recommendation (pair where needed), trying the next on
    conflict; ``exclude`` skips units already tried (e.g. the one that failed to sign)."""

    incident_id: int
    actor: str = SYSTEM
    reason: str = "系统自动派单"
    exclude: tuple[int, ...] = ()
    reassign: bool = False


@dataclass(frozen=True, kw_only=True)
class ChangeState:
    """A lifecycle transition (签收, 到场, 调解, 上报, 办结, 归档 …) with a note."""

    incident_id: int
    to: str
    actor: str
    note: str | None = None
    outcome: str | None = None  # required when ``to == "resolved"``, chosen by a person
    unit_id: int | None = None  # the unit signing / arriving, when it is one unit's act
    expected_state: str | None = None
    # 办结 evidence (dispatch.lifecycle.check_closure): 当场化解 at the window by the actor,
    # a recorded oral agreement's terms, the court or arbitration body a case is referred to
    on_the_spot: bool = False
    spot_reason: str | None = None
    oral_terms: str | None = None
    referred_to: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordFollowUp:
    """回访: satisfaction 1-5, whether the agreement holds, how (电话/上门/短信) and how many
    neighbours were asked (走一家访三家), each chosen by ``actor`` (no defaults: a missing
    answer is refused, never assumed); dissatisfaction reopens."""

    incident_id: int
    satisfaction: int | None
    agreement_holds: bool | None
    method: str | None
    neighbours_visited: int | None
    actor: str
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class DecidePriority:
    """The officer's answer to the risk check's proposed priority: ``priority`` (1-4) is the
    one they confirm (the proposal) or keep (their own); either way audited."""

    incident_id: int
    priority: int
    actor: str
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class LinkIncidents:
    """Confirm a duplicate / related case, or merge ``incident_id`` into ``other_id``."""

    incident_id: int
    other_id: int
    kind: str  # duplicate | related | merged
    actor: str
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReportPosition:
    """A unit's position ping, in any CRS; older pings go to history only."""

    unit_id: int
    lon: float
    lat: float
    crs: str = "wgs84"
    at: datetime | None = None  # the device's fix time (with a time zone); default: now
    seq: int | None = None  # the device's counter, if it keeps one
    accuracy_m: float | None = None


@dataclass(frozen=True, kw_only=True)
class SetUnitStatus:
    """A unit reports itself available, off duty, en route or on scene."""

    unit_id: int
    status: str
    actor: str
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class UpdatePolicy:
    """An administrator edits the dispatch policy (a partial dict merged over the current)."""

    changes: dict[str, object] = field(default_factory=dict)
    actor: str = ""
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class RunClocks:
    """One scheduler tick: process every deadline stage due by now (at most ``limit``)."""

    limit: int = 500


@dataclass(frozen=True, kw_only=True)
class Supervise:
    """督办 by a person: a yellow or red supervision on an open case, with the reason."""

    incident_id: int
    level: str  # yellow | red
    reason: str
    actor: str


@dataclass(frozen=True, kw_only=True)
class BlowWhistle:
    """街道吹哨: the case's street calls departments to report within ``report_within_h``."""

    incident_id: int
    departments: tuple[str, ...]
    reason: str
    actor: str
    report_within_h: float = 24.0


@dataclass(frozen=True, kw_only=True)
class ReportIn:
    """部门报到: a called department reports on the case's open whistle."""

    incident_id: int
    department: str
    actor: str
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class HoldConsultation:
    """会商: who took part (names, optionally their department) and what was decided."""

    incident_id: int
    participants: tuple[object, ...]
    outcome: str
    actor: str
