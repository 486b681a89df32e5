"""Domain facts: an incident and a unit as the rules see them (plain data, no database)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone

BEIJING = timezone(timedelta(hours=8))  # shifts are kept in local (Beijing) time


@dataclass(frozen=True, kw_only=True)
class PartyFacts:
    name: str
    phone: str | None = None
    role: str = "applicant"
    language: str | None = None


@dataclass(frozen=True, kw_only=True)
class IncidentFacts:
    """What ranking, clocks and risk rules need of a case."""

    id: int
    code: str = ""
    category: str
    priority: int = 3
    difficulty: str = "normal"
    state: str = "located"
    risk_level: int = 0
    threat: bool = False  # threat words in the description (民转刑 warning)
    language: str | None = None
    lon: float | None = None
    lat: float | None = None
    street_id: int | None = None
    community_id: int | None = None
    grid_id: int | None = None
    police_grid_id: int | None = None
    escalations: int = 0
    one_case_plan: bool = False
    address: str | None = None
    parties: tuple[PartyFacts, ...] = ()
    reported_at: datetime | None = None

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages or dialects the parties speak besides Mandarin: the case's own and
        each party's (a 老乡调解员 who speaks any of them helps)."""
        got = [self.language, *(p.language for p in self.parties)]
        return tuple(dict.fromkeys(x for x in got if x and x != "mandarin"))


@dataclass(frozen=True, kw_only=True)
class UnitFacts:
    """A dispatchable person with live state (status, load, last position)."""

    id: int
    unit_type: str
    code: str = ""
    name: str = ""
    skills: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("mandarin",)
    level: str = "community"
    street_id: int | None = None
    community_id: int | None = None
    home_grid_id: int | None = None
    police_grid_id: int | None = None
    status: str = "available"
    capacity: int = 1
    active_load: int = 0
    on_foot: bool = False
    shift: str = "day"
    shift_start: time | None = None
    shift_end: time | None = None
    lon: float | None = None
    lat: float | None = None
    last_seen_at: datetime | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def has_room(self) -> bool:
        return self.active_load < self.capacity

    def on_shift(self, now: datetime) -> bool:
        """Whether ``now`` falls in the unit's shift (24h and on-call: always)."""
        if self.shift in ("24h", "on_call") or self.shift_start is None or self.shift_end is None:
            return True
        local = now.astimezone(BEIJING).time() if now.tzinfo else now.time()
        start, end = self.shift_start, self.shift_end
        if start < end:
            return start <= local < end
        return local >= start or local < end  # runs past midnight

    def position_age_s(self, now: datetime) -> float | None:
        if self.last_seen_at is None:
            return None
        return max(0.0, (now - self.last_seen_at).total_seconds())
