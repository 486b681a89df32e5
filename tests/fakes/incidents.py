"""The fake :class:`dispatch.ports.Incidents`: the SQL repository's statements over plain tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from dispatch.clocks import TimerSpec
from dispatch.eta import haversine_m
from dispatch.ports_rows import AuditEntry, CaseRow, Json, TimerRow
from dispatch.risk import PriorCase, is_prior
from tests.fakes.db import FakeDb, Tables, case_row


def as_case(r: Json) -> CaseRow:
    """The columns :meth:`get` reads back (the SQL SELECT's list)."""
    return CaseRow(
        id=r["id"], code=r["code"], channel=r["channel"], category=r["category"],
        priority=r["priority"], difficulty=r["difficulty"], state=r["state"],
        risk_level=r["risk_level"], language=r["language"], title=r["title"],
        description=r["description"], address=r["address"], lon=r["lon"], lat=r["lat"],
        street_id=r["street_id"], community_id=r["community_id"], grid_id=r["grid_id"],
        micro_grid_id=r["micro_grid_id"], police_grid_id=r["police_grid_id"],
        parties=list(r["parties"]), reported_at=r["reported_at"], outcome=r["outcome"],
        version=r["version"], sign_deadline=r["sign_deadline"],
        close_deadline=r["close_deadline"], followed_up_at=r["followed_up_at"],
        level=r["level"], escalations=r["escalations"], one_case_plan=r["one_case_plan"],
        risk_reasons=list(r["risk_reasons"]), risk_basis=list(r["risk_basis"]),
        auto_dispatch=r["auto_dispatch"], reopened=r["reopened"],
        agreement_holds=r["agreement_holds"], merged_into=r["merged_into"],
        proposed_priority=r["proposed_priority"])


class FakeIncidents:
    def __init__(self, db: FakeDb) -> None:
        self.db = db

    @property
    def t(self) -> Tables:
        return self.db.tables

    def create(self, values: Json, *, lon: float | None, lat: float | None, year: int,
               timers: Sequence[TimerSpec], links: Sequence[Json],
               audits: Sequence[AuditEntry]) -> tuple[int, str]:
        self.db.wrote("create")
        n = self.t.codes.get(year, 0) + 1
        self.t.codes[year] = n
        code = f"{year}-{n:06d}"
        iid = self._insert({**values, "code": code}, lon=lon, lat=lat)
        self.add_timers(iid, timers)
        self.db.writes.pop()
        for k in links:
            self.add_link(iid, k["other_id"], kind=k["kind"], at=k["at"], by=k["by"],
                          score=k["score"], reasons=k["reasons"])
            self.db.writes.pop()
        for a in audits:
            detail = {**a.detail, "code": code} if "code" in a.detail else dict(a.detail)
            self.audit(at=a.at, actor=a.actor, action=a.action,
                       entity_id=iid if a.entity_id is None else a.entity_id,
                       entity=a.entity, from_state=a.from_state, to_state=a.to_state,
                       reason=a.reason, detail=detail)
            self.db.writes.pop()
        return iid, code

    def _insert(self, values: Json, *, lon: float | None, lat: float | None) -> int:
        iid = max(self.t.cases, default=0) + 1
        row = case_row(id=iid, lon=lon, lat=lat, street_id=None, community_id=None,
                       grid_id=None, police_grid_id=None)
        row.update(values)
        self.t.cases[iid] = row
        if values.get("external_id") is not None:
            self.t.externals[iid] = (values["external_source"], values["external_id"])
        return iid

    def hold(self, ids: Sequence[int]) -> None:
        self.db.held.append((len(self.db.writes), sorted(set(ids))))

    def get(self, incident_id: int, *, lock: bool = False) -> CaseRow | None:
        r = self.t.cases.get(incident_id)
        return None if r is None else as_case(r)

    def set_state(self, incident_id: int, from_state: str, to_state: str,
                  **columns: Any) -> bool:
        self.db.wrote("set_state")
        r = self.t.cases.get(incident_id)
        if r is None or r["state"] != from_state:
            return False
        r.update(columns, state=to_state, version=r["version"] + 1)
        return True

    def update(self, incident_id: int, **columns: Any) -> None:
        self.db.wrote("update")
        r = self.t.cases[incident_id]
        r.update(columns, version=r["version"] + 1)

    def locate(self, incident_id: int, lon: float, lat: float, chain: dict[str, int | None]
               ) -> None:
        self.db.wrote("locate")
        self.t.cases[incident_id].update({"lon": lon, "lat": lat},
                                         **{f"{k}_id": v for k, v in chain.items()})

    def audit(self, *, at: datetime, actor: str, action: str, entity_id: int | None,
              entity: str = "incident", from_state: str | None = None,
              to_state: str | None = None, reason: str | None = None,
              detail: Json | None = None) -> None:
        self.db.wrote("audit")
        self.t.audit.append(AuditEntry(at=at, actor=actor, action=action, entity_id=entity_id,
                                       entity=entity, from_state=from_state, to_state=to_state,
                                       reason=reason, detail=dict(detail or {})))

    def add_timers(self, incident_id: int, specs: Iterable[TimerSpec]) -> None:
        self.db.wrote("add_timers")
        for s in specs:
            key = (incident_id, s.kind, s.stage, s.round)
            if not any((t["incident_id"], t["kind"], t["stage"], t["round"]) == key
                       for t in self.t.timers):
                self.t.timers.append({"id": len(self.t.timers) + 1, "incident_id": incident_id,
                                      "kind": s.kind, "stage": s.stage, "round": s.round,
                                      "due_at": s.due_at, "whistle_id": None,
                                      "processed_at": None, "outcome": None})

    def cancel_timers(self, incident_id: int, kinds: Sequence[str], at: datetime) -> int:
        self.db.wrote("cancel_timers")
        n = 0
        for t in self.t.timers:
            if t["incident_id"] == incident_id and t["kind"] in kinds and \
                    t["processed_at"] is None:
                t.update(processed_at=at, outcome="cancelled")
                n += 1
        return n

    def next_round(self, incident_id: int, kind: str) -> int:
        return 1 + max((t["round"] for t in self.t.timers
                        if t["incident_id"] == incident_id and t["kind"] == kind), default=-1)

    def claim_due_timer(self, now: datetime) -> TimerRow | None:
        due = sorted((t for t in self.t.timers if t["processed_at"] is None
                      and t["due_at"] <= now), key=lambda t: (t["due_at"], t["id"]))
        if not due:
            return None
        t = due[0]
        return TimerRow(id=t["id"], incident_id=t["incident_id"], kind=t["kind"],
                        stage=t["stage"], round=t["round"], due_at=t["due_at"],
                        whistle_id=t["whistle_id"])

    def finish_timer(self, timer_id: int, at: datetime, outcome: str) -> bool:
        self.db.wrote("finish_timer")
        for t in self.t.timers:
            if t["id"] == timer_id and t["processed_at"] is None:
                t.update(processed_at=at, outcome=outcome)
                return True
        return False

    def open_supervision(self, incident_id: int, *, kind: str, level: str, at: datetime,
                         by: str, reason: str) -> int:
        self.db.wrote("open_supervision")
        sid = len(self.t.supervisions) + 1
        self.t.supervisions.append({"id": sid, "incident_id": incident_id, "kind": kind,
                                    "level": level, "at": at, "by": by, "reason": reason,
                                    "closed_at": None})
        return sid

    def supervision_levels(self, incident_id: int, kind: str) -> list[str]:
        return [s["level"] for s in self.t.supervisions if s["incident_id"] == incident_id
                and s["kind"] == kind and s["closed_at"] is None]

    def close_supervisions(self, incident_id: int, at: datetime, *, kind: str | None = None
                           ) -> None:
        self.db.wrote("close_supervisions")
        for s in self.t.supervisions:
            if s["incident_id"] == incident_id and s["closed_at"] is None and \
                    (kind is None or s["kind"] == kind):
                s["closed_at"] = at

    def add_link(self, incident_id: int, other_id: int, *, kind: str, at: datetime, by: str,
                 score: float | None = None, reasons: Sequence[str] = ()) -> bool:
        self.db.wrote("add_link")
        if any((k["incident_id"], k["other_id"], k["kind"]) == (incident_id, other_id, kind)
               for k in self.t.links):
            return False
        self.t.links.append({"incident_id": incident_id, "other_id": other_id, "kind": kind,
                             "score": score, "reasons": list(reasons), "at": at, "by": by})
        return True

    def add_followup(self, incident_id: int, due_at: datetime) -> None:
        self.db.wrote("add_followup")
        self.t.followups.append({"incident_id": incident_id, "due_at": due_at, "done_at": None})

    def complete_followup(self, incident_id: int, *, at: datetime, satisfaction: int,
                          agreement_holds: bool, neighbours: int, note: str | None,
                          actor: str, method: str | None = None) -> None:
        self.db.wrote("complete_followup")
        done = {"done_at": at, "satisfaction": satisfaction, "agreement_holds": agreement_holds,
                "neighbours_visited": neighbours, "note": note, "actor": actor, "method": method}
        owed = sorted((f for f in self.t.followups if f["incident_id"] == incident_id
                       and f["done_at"] is None), key=lambda f: f["due_at"])
        if owed:
            owed[0].update(done)
        else:  # a visit nobody scheduled is still recorded
            self.t.followups.append({"incident_id": incident_id, "due_at": at, **done})

    def has_agreement(self, incident_id: int) -> bool:
        return any(a["incident_id"] == incident_id for a in self.t.agreements)

    def priors(self, *, lon: float | None, lat: float | None, address: str | None,
               keys: Sequence[str], since: datetime, radius_m: float,
               exclude: int | None = None, limit: int = 200) -> list[PriorCase]:
        found = []
        for r in self.t.cases.values():
            if r["reported_at"] < since or r["id"] == (exclude or 0):
                continue
            near = None if lon is None or lat is None or r["lon"] is None else \
                haversine_m((lon, lat), (r["lon"], r["lat"]))
            phones = frozenset(p["phone"] for p in r["parties"] if p.get("phone"))
            names = frozenset(p["name"] for p in r["parties"] if p.get("name"))
            prior = PriorCase(
                id=r["id"], code=r["code"], state=r["state"], category=r["category"],
                reported_at=r["reported_at"], address=r["address"], distance_m=near,
                phones=phones, names=names)
            if is_prior(prior, address=address, keys=frozenset(keys), since=since,
                        radius_m=radius_m):
                found.append(prior)
        found.sort(key=lambda p: p.reported_at, reverse=True)
        return found[:limit]
