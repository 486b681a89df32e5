"""Recommendation: filter units, score them with Chinese reasons, pair 警格+网格, pick the level.

Pure: the caller supplies the incident, the units and their ETAs (:mod:`dispatch.eta`);
:mod:`dispatch.rank` scores them all at once, :func:`_rate` explains the few shown.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dispatch import vocab
from dispatch.eta import Eta
from dispatch.model import IncidentFacts, UnitFacts
from dispatch.policy import LEVEL_LABELS, LEVELS, Policy
from dispatch.rank import (
    F64,
    PAIR_TYPES,
    POLICE,
    UnitTable,
    best_rows,
    excluded_counts,
    exclusions,
    is_any,
    rank_numbers,
)

SHOWN = 50  # candidates explained per recommendation: the API's largest ``limit``
PAIR_TOP = 4  # pairs are formed from the best four of each side


@dataclass(frozen=True)
class Candidate:
    """One ranked unit: score, ETA (flagged when estimated or stale) and reasons in Chinese."""

    unit: UnitFacts
    score: float
    eta_s: float | None
    distance_m: float | None
    eta_method: str | None
    stale: bool
    reasons: tuple[str, ...]
    eta_points: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        u = self.unit
        return {"id": u.id, "unit_id": u.id, "code": u.code, "name": u.name, "type": u.unit_type,
                "status": u.status, "capacity": u.capacity, "active_assignments": u.active_load,
                "lon": u.lon, "lat": u.lat,
                "position_at": u.last_seen_at.isoformat() if u.last_seen_at else None,
                "score": self.score, "eta_s": _round(self.eta_s), "distance_m": _round(
                    self.distance_m), "eta_method": self.eta_method, "stale": self.stale,
                "reasons": list(self.reasons)}


@dataclass(frozen=True)
class PairCandidate:
    """网格员 + 社区民警 answering together; they are all there at the later arrival."""

    grid_worker: Candidate
    police: Candidate
    score: float
    eta_s: float | None
    reasons: tuple[str, ...]

    @property
    def unit_ids(self) -> tuple[int, int]:
        return (self.grid_worker.unit.id, self.police.unit.id)

    def as_dict(self) -> dict[str, Any]:
        return {"unit_ids": list(self.unit_ids), "score": self.score, "eta_s": _round(self.eta_s),
                "reasons": list(self.reasons),
                "members": [self.grid_worker.as_dict(), self.police.as_dict()]}


@dataclass(frozen=True)
class Recommendation:
    incident_id: int
    level: str
    paired: bool
    candidates: tuple[Candidate, ...]
    pairs: tuple[PairCandidate, ...] = ()
    excluded: dict[str, int] = field(default_factory=dict)  # reason → how many units
    notes: tuple[str, ...] = ()

    @property
    def best_unit_ids(self) -> tuple[int, ...]:
        """What auto-dispatch sends: the best pair where pairing is needed, else the best unit."""
        if self.paired and self.pairs:
            return self.pairs[0].unit_ids
        return (self.candidates[0].unit.id,) if self.candidates else ()

    @property
    def shown_unit_ids(self) -> tuple[int, ...]:
        """Every unit the answer names: the singles and the pairs' members."""
        return (*(c.unit.id for c in self.candidates),
                *(u for p in self.pairs for u in p.unit_ids))

    def as_dict(self, limit: int = 5) -> dict[str, Any]:
        return {"incident_id": self.incident_id, "level": self.level,
                "level_label": LEVEL_LABELS[self.level], "paired": self.paired,
                "items": [c.as_dict() for c in self.candidates[:limit]],
                "pairs": [p.as_dict() for p in self.pairs[:limit]], "excluded": self.excluded,
                "notes": list(self.notes)}


def _round(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else round(v, 1)


def suitable_types(incident: IncidentFacts, policy: Policy) -> tuple[str, ...]:
    types = policy.unit_types.get(incident.category, ("mediator", "grid_worker"))
    if incident.threat or incident.risk_level >= 3:
        types = (*[t for t in POLICE if t not in types], *types)  # a threat wants police first
    return types


def _rate(unit: UnitFacts, incident: IncidentFacts, eta: Eta | None, *, policy: Policy,
          now: datetime, level: str, types: tuple[str, ...], words: list[str] | None = None
          ) -> tuple[float, float, bool]:
    """Score, ETA points and staleness of one eligible unit; its reasons in Chinese appended to
    ``words`` when given. One code path ranks every unit (without words no string is built:
    thousands of units per request) and explains the few that are shown."""
    w = policy.weights
    say = words.append if words is not None else None
    total = eta_pts = 0.0  # summed in the order the reasons are given
    age = unit.position_age_s(now)
    stale = age is None or age > policy.stale_position_s or unit.lon is None
    if eta is not None and unit.lon is not None:  # the ETA reason comes first
        if math.isfinite(eta.seconds) and not stale:
            eta_pts = total = w.eta * max(0.0, 1 - eta.seconds / w.eta_horizon_s)
            if say:
                how = "（直线估算）" if eta.method == "straight_line" else ""
                say(f"{'步行' if unit.on_foot else '车程'}约 {max(1, round(eta.seconds / 60))} 分钟{how}")
        elif math.isfinite(eta.seconds) and say:  # a guess from an old fix: said, not ranked
            say(f"按旧位置估算约 {max(1, round(eta.seconds / 60))} 分钟（不计入排序）")
        elif say:
            say("道路不可达")
    if unit.unit_type in types:
        total += w.type_rank * (1 - types.index(unit.unit_type) / len(types))
        if say:
            threat = unit.unit_type in POLICE and (incident.threat or incident.risk_level >= 3)
            why = "有威胁言辞/红色风险，需警力" if threat else f"适配{_cat(incident)}"
            say(f"{vocab.UNIT_TYPES.get(unit.unit_type, unit.unit_type)}（{why}）")
    if incident.category in unit.skills:
        total += w.skill
        if say:
            say(f"擅长{_cat(incident)}")
    langs = incident.languages  # the case's and each party's own
    if langs:
        spoken = [x for x in langs if x in unit.languages]
        total += w.language if spoken else w.no_language
        if say:
            names = "、".join(vocab.LANGUAGES.get(x, x) for x in (spoken or langs))
            say(f"会说{names}（老乡调解）" if spoken else f"不会{names}")
    near = None
    if unit.unit_type == "grid_worker" and incident.grid_id and unit.home_grid_id == incident.grid_id:
        near = (w.own_grid, "本网格网格员")
    elif (unit.unit_type in POLICE and incident.police_grid_id
          and unit.police_grid_id == incident.police_grid_id):
        near = (w.own_police_grid, "本警格民警")
    elif incident.community_id and unit.community_id == incident.community_id:
        near = (w.same_community, "同社区")
    elif incident.street_id and unit.street_id == incident.street_id:
        near = (w.same_street, "同街道")
    if near:
        total += near[0]
        if say:
            say(near[1])
    if unit.unit_type not in PAIR_TYPES or level == "community":
        diff = abs(LEVELS.index(unit.level) - LEVELS.index(level)) if unit.level in LEVELS else 3
        total += w.level_match if diff == 0 else -w.level_match * diff / 2
        if say:
            say(f"层级相符（{LEVEL_LABELS[level]}）" if diff == 0 else
                f"层级{LEVEL_LABELS.get(unit.level, unit.level)}，目标{LEVEL_LABELS[level]}")
    if unit.active_load:
        total += w.load * unit.active_load / unit.capacity
        if say:
            say(f"在办 {unit.active_load}/{unit.capacity} 件")
    elif say:
        say(f"空闲（容量 {unit.capacity}）")
    if unit.shift == "on_call":
        total += w.on_call
        if say:
            say("随叫随到（非值班）")
    if stale:
        total += w.stale
        if say:
            say("无位置信息，无法估算到达时间" if unit.lon is None else "位置从未上报，ETA 不可靠"
                if age is None else f"位置已 {(age or 0) / 60:.0f} 分钟未更新，ETA 不可靠")
            say("按所属网格与驻地排序")
    return round(total, 1), eta_pts, stale


def score_unit(unit: UnitFacts, incident: IncidentFacts, eta: Eta | None, *, policy: Policy,
               now: datetime, level: str, types: tuple[str, ...]) -> Candidate:
    """Points and reasons for one eligible unit."""
    words: list[str] = []
    score, eta_pts, stale = _rate(unit, incident, eta, policy=policy, now=now, level=level,
                                  types=types, words=words)
    seconds, metres, method = (eta.seconds, eta.metres, eta.method) if (
        eta is not None and unit.lon is not None) else (None, None, None)
    return Candidate(unit, score, seconds, metres, method, stale, tuple(words), eta_points=eta_pts)


def _cat(incident: IncidentFacts) -> str:
    return vocab.CATEGORIES.get(incident.category, incident.category)


def pair_up(grid_workers: list[Candidate], police: list[Candidate], *, policy: Policy,
            top: int = PAIR_TOP) -> list[PairCandidate]:
    """Best (grid worker, police) pairs: members' points less their own ETA points, plus the
    ETA points of the pair's later arrival."""
    w = policy.weights
    out = []
    for g in grid_workers[:top]:
        for p in police[:top]:
            etas = [c.eta_s for c in (g, p) if c.eta_s is not None]
            eta = max(etas) if len(etas) == 2 else None
            eta_pts = w.eta * max(0.0, 1 - eta / w.eta_horizon_s) if eta is not None and \
                math.isfinite(eta) else 0.0
            base = (g.score - g.eta_points + p.score - p.eta_points) / 2
            when = f"两人到齐约 {max(1, round(eta / 60))} 分钟" if eta is not None and \
                math.isfinite(eta) else "到齐时间未知"
            reasons = ("警格+网格联动", when, f"网格员 {g.unit.name}：" + "、".join(g.reasons),
                       f"民警 {p.unit.name}：" + "、".join(p.reasons))
            out.append(PairCandidate(g, p, round(base + eta_pts, 1), eta, reasons))
    out.sort(key=lambda c: (-c.score, c.eta_s if c.eta_s is not None else math.inf,
                            c.unit_ids))
    return out


def _own_police_note(table: UnitTable, why: NDArray[np.int64], police_grid_id: int
                     ) -> list[str]:
    """Say so where no officer of the case's own police grid can go now (the pairs offered
    then hold a neighbouring grid's officer; a single unit is the other choice). Which of
    them is off duty or full the unit board shows; a table of candidates only cannot say."""
    own = table.of_type("community_police") & (table.police_grid_id == police_grid_id)
    if (why[own] == -1).any():
        return []
    return ["本警格没有可派的社区民警（下班、不在班或已满负荷）：组合中为相邻警格民警，或先派单人"]


def eta_column(table: UnitTable, etas: Mapping[int, Eta]) -> F64:
    """Each row's ETA seconds from ``etas`` by unit id, NaN where there is none."""
    got = (etas.get(i) for i in table.id.tolist())
    return np.fromiter((math.nan if e is None else e.seconds for e in got), dtype=float,
                       count=len(table))


def _plan(incident: IncidentFacts, policy: Policy) -> tuple[str, bool, tuple[str, ...]]:
    """The level, whether a pair is wanted, and the suitable unit types."""
    level = policy.level_for(incident.priority, incident.difficulty, incident.risk_level,
                             incident.escalations)
    paired = incident.one_case_plan or policy.needs_pair(
        incident.category, incident.priority, incident.risk_level, threat=incident.threat)
    return level, paired, suitable_types(incident, policy)


def exclusions_for(incident: IncidentFacts, table: UnitTable, *, policy: Policy, now: datetime,
                   exclude: Iterable[int] = (), among: NDArray[np.bool_] | None = None
                   ) -> NDArray[np.int64]:
    """Each row's exclusion for ``incident`` (:func:`dispatch.rank.exclusions`; -1: it may be
    offered), as :func:`recommend` asks it: pass it back as ``why`` to ask it once."""
    _, paired, types = _plan(incident, policy)
    return exclusions(table, now=now, types=types, paired=paired, exclude=exclude, among=among)


def offerable(incident: IncidentFacts, table: UnitTable, *, policy: Policy, now: datetime,
              exclude: Iterable[int] = (), among: NDArray[np.bool_] | None = None
              ) -> NDArray[np.bool_]:
    """The rows :func:`recommend` may offer (no exclusion): the only ones whose ETA it reads
    (the others are counted by their exclusion alone)."""
    return exclusions_for(incident, table, policy=policy, now=now, exclude=exclude,
                          among=among) == -1


def recommend(incident: IncidentFacts, units: Iterable[UnitFacts] | UnitTable,
              etas: Mapping[int, Eta], *, policy: Policy, now: datetime,
              exclude: Iterable[int] = (), top: int = SHOWN, eta_s: F64 | None = None,
              among: NDArray[np.bool_] | None = None, why: NDArray[np.int64] | None = None
              ) -> Recommendation:
    """Rank the units that can take ``incident`` now; pairs too where the policy wants them.

    Every unit is filtered and scored at once as numbers (:mod:`dispatch.rank`, no words);
    the best ``top`` singles and the best :data:`PAIR_TOP` of each pair side become candidates
    with their reasons, which is what a city of thousands of units can afford per request.
    ``units`` may come as a :class:`UnitTable` (kept between requests) with ``among`` the
    rows to consider (the others neither ranked nor counted) and ``eta_s`` as the rows' ETA
    seconds (else taken from ``etas``); ``why`` the rows' :func:`exclusions_for` the same
    incident, units and arguments when the caller asked them already.
    """
    level, paired, types = _plan(incident, policy)
    table = units if isinstance(units, UnitTable) else UnitTable.of(list(units))
    numbers = rank_numbers(table, incident, eta_column(table, etas) if eta_s is None else eta_s,
                           policy=policy, now=now, level=level, types=types, paired=paired,
                           exclude=exclude, among=among, eligible_only=True, why=why)
    ok = numbers.why == -1  # IGNORED rows (outside ``among``: off duty or full) are never offered

    def best(rows: NDArray[np.bool_], n: int) -> list[Candidate]:
        return [score_unit(table.units[k], incident, etas.get(table.units[k].id), policy=policy,
                           now=now, level=level, types=types)
                for k in best_rows(numbers, table, ok & rows, n)]

    singles = best(is_any(table, types), top)
    pairs = pair_up(best(table.of_type("grid_worker"), PAIR_TOP),
                    best(table.of_type("community_police"), PAIR_TOP), policy=policy,
                    top=PAIR_TOP) if paired else []
    notes = []
    if paired and incident.police_grid_id:
        notes.extend(_own_police_note(table, numbers.why, incident.police_grid_id))
    if paired and not pairs:
        notes.append("需警格+网格联动，但当前没有可用的网格员与民警组合，先派单人")
    if incident.one_case_plan:
        notes.append("红色风险：一事一策")
    return Recommendation(incident.id, level, paired, tuple(singles), tuple(pairs),
                          excluded_counts(numbers), tuple(notes))
