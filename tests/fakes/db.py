"""The fake database: plain tables in memory, seeded by the helpers below, shared by the fakes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dispatch.events import Event
from dispatch.model import UnitFacts
from dispatch.ports_rows import AuditEntry, Json

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Beijing, a Monday


@dataclass
class Tables:
    """Everything a transaction may change; a rollback puts back a copy of all of it."""

    cases: dict[int, Json] = field(default_factory=dict)  # every incidents/incident_flow column
    units: dict[int, UnitFacts] = field(default_factory=dict)
    last_seq: dict[int, int | None] = field(default_factory=dict)
    assignments: list[Json] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)
    timers: list[Json] = field(default_factory=list)
    supervisions: list[Json] = field(default_factory=list)
    links: list[Json] = field(default_factory=list)
    followups: list[Json] = field(default_factory=list)
    settings: dict[str, Json] = field(default_factory=dict)
    positions: list[Json] = field(default_factory=list)
    codes: dict[int, int] = field(default_factory=dict)
    whistles: list[Json] = field(default_factory=list)  # with their "calls"
    consultations: list[Json] = field(default_factory=list)
    steps: list[Json] = field(default_factory=list)
    facilities: dict[int, Json] = field(default_factory=dict)
    sessions: list[Json] = field(default_factory=list)
    agreements: list[Json] = field(default_factory=list)
    judicial: list[Json] = field(default_factory=list)
    attachments: list[Json] = field(default_factory=list)
    extensions: list[Json] = field(default_factory=list)
    closures: list[Json] = field(default_factory=list)
    residents: list[Json] = field(default_factory=list)  # resident_reports, with "notes"
    blobs: dict[str, bytes] = field(default_factory=dict)
    places: dict[str, tuple[float, float]] = field(default_factory=dict)  # posters' ?at= points
    phone_codes: dict[str, str] = field(default_factory=dict)  # phone → its live SMS code
    accounts: dict[str, str] = field(default_factory=dict)  # active staff: username → name
    outbox: list[Json] = field(default_factory=list)  # staged notices (migration 0018)
    subscriptions: list[Any] = field(default_factory=list)  # dispatch.notices.Subscription
    contacts: dict[int, Json] = field(default_factory=dict)  # a unit's phone and e-mail
    externals: dict[int, tuple[str, str]] = field(default_factory=dict)


@dataclass
class FakeDb:
    """The tables, what was published on commit, and every write attempted (even rolled back)."""

    tables: Tables = field(default_factory=Tables)
    published: list[Event] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    bounds: tuple[float, float, float, float] | None = None
    held: list[tuple[int, list[int]]] = field(default_factory=list)  # (writes before, case ids)

    def wrote(self, what: str) -> None:
        self.writes.append(what)

    def add_case(self, **kw: Any) -> Json:
        row = case_row(**kw)
        self.tables.cases[int(row["id"])] = row
        return row

    def add_unit(self, uid: int, unit_type: str = "mediator", **kw: Any) -> UnitFacts:
        args: dict[str, Any] = {"code": f"U{uid:03d}", "name": f"调解员{uid}", "street_id": 7,
                                "community_id": 70, "lon": 84.87, "lat": 45.60,
                                "last_seen_at": NOW}
        args.update(kw)
        unit = UnitFacts(id=uid, unit_type=unit_type, **args)
        self.tables.units[uid] = unit
        self.tables.last_seq[uid] = None
        return unit

    def audits(self, action: str | None = None) -> list[AuditEntry]:
        return [a for a in self.tables.audit if action is None or a.action == action]


def case_row(*, id: int = 1, state: str = "located", **kw: Any) -> Json:
    """A case as stored, located in street 7 unless told otherwise."""
    row: Json = {
        "id": id, "code": f"2026-{id:06d}", "channel": "hotline", "category": "neighbour",
        "priority": 3, "difficulty": "normal", "state": state, "risk_level": 0,
        "language": None, "title": "邻里噪音纠纷", "description": "楼上装修噪音",
        "address": "天山路128号", "lon": 84.873, "lat": 45.596, "street_id": 7,
        "community_id": 70, "grid_id": 700, "micro_grid_id": None, "police_grid_id": 9,
        "parties": [{"name": "张三", "phone": "13800000001", "role": "applicant"}],
        "reported_at": NOW, "outcome": None, "version": 0, "sign_deadline": None,
        "close_deadline": None, "followed_up_at": None, "level": "community",
        "escalations": 0, "one_case_plan": False, "risk_reasons": [], "risk_basis": [],
        "auto_dispatch": None, "reopened": 0, "agreement_holds": None, "merged_into": None,
        "proposed_priority": None,
    }
    row.update(kw)
    return row
