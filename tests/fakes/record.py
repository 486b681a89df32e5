"""The fake record repositories: :class:`Whistles`, :class:`Records`, :class:`Closures` in memory."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from dispatch.errors import Conflict
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
from tests.fakes.db import FakeDb, Tables


class _Repo:
    def __init__(self, db: FakeDb) -> None:
        self.db = db

    @property
    def t(self) -> Tables:
        return self.db.tables

    def _add(self, table: list[Json], what: str, **row: object) -> int:
        self.db.wrote(what)
        rid = len(table) + 1
        table.append({"id": rid, **row})
        return rid


def _call(c: Json) -> CallRow:
    return CallRow(department=c["department"], reported_at=c["reported_at"],
                   reported_by=c["reported_by"], note=c["note"], overdue_at=c["overdue_at"])


def _whistle(w: Json) -> WhistleRow:
    return WhistleRow(id=w["id"], incident_id=w["incident_id"], street_id=w["street_id"],
                      blown_at=w["blown_at"], blown_by=w["blown_by"], reason=w["reason"],
                      report_by=w["report_by"], closed_at=w["closed_at"],
                      calls=[_call(c) for c in w["calls"]])


class FakeWhistles(_Repo):
    def open_of(self, incident_id: int, *, lock: bool = False) -> WhistleRow | None:
        return next((_whistle(w) for w in self.t.whistles
                     if w["incident_id"] == incident_id and w["closed_at"] is None), None)

    def calls(self, whistle_id: int) -> list[CallRow]:
        return [_call(c) for c in self.t.whistles[whistle_id - 1]["calls"]]

    def blow(self, incident_id: int, *, street_id: int | None, at: datetime, by: str,
             reason: str, report_by: datetime, departments: Sequence[str]) -> int:
        if self.open_of(incident_id) is not None:  # the partial unique index's refusal
            raise Conflict("该案件已有进行中的吹哨，请先报到、会商", incident_id=incident_id)
        calls = [{"department": d, "reported_at": None, "reported_by": None, "note": None,
                  "overdue_at": None} for d in departments]
        return self._add(self.t.whistles, "blow", incident_id=incident_id, street_id=street_id,
                         blown_at=at, blown_by=by, reason=reason, report_by=report_by,
                         closed_at=None, calls=calls)

    def get(self, whistle_id: int, *, lock: bool = False) -> WhistleRow | None:
        ok = 0 < whistle_id <= len(self.t.whistles)
        return _whistle(self.t.whistles[whistle_id - 1]) if ok else None

    def add_timer(self, incident_id: int, whistle_id: int, due_at: datetime) -> None:
        rnd = 1 + max((t["round"] for t in self.t.timers if t["incident_id"] == incident_id
                       and t["kind"] == "whistle"), default=-1)
        self._add(self.t.timers, "add_whistle_timer", incident_id=incident_id, kind="whistle",
                  stage="yellow", round=rnd, due_at=due_at, whistle_id=whistle_id,
                  processed_at=None, outcome=None)

    def cancel_timer(self, whistle_id: int, at: datetime) -> None:
        self.db.wrote("cancel_whistle_timer")
        for t in self.t.timers:
            if t["whistle_id"] == whistle_id and t["processed_at"] is None:
                t.update(processed_at=at, outcome="cancelled")

    def mark_overdue(self, whistle_id: int, at: datetime) -> list[str]:
        self.db.wrote("mark_overdue")
        marked = []
        for c in self.t.whistles[whistle_id - 1]["calls"]:
            if c["reported_at"] is None and c["overdue_at"] is None:
                c["overdue_at"] = at
                marked.append(c["department"])
        return sorted(marked)

    def report(self, whistle_id: int, department: str, *, at: datetime, by: str,
               note: str | None) -> bool:
        self.db.wrote("report")
        for c in self.t.whistles[whistle_id - 1]["calls"]:
            if c["department"] == department and c["reported_at"] is None:
                c.update(reported_at=at, reported_by=by, note=note)
                return True
        return False

    def close(self, whistle_id: int, at: datetime) -> None:
        self.db.wrote("close_whistle")
        w = self.t.whistles[whistle_id - 1]
        w["closed_at"] = w["closed_at"] or at

    def close_all(self, incident_id: int, at: datetime) -> None:
        self.db.wrote("close_all_whistles")
        for w in self.t.whistles:
            if w["incident_id"] == incident_id and w["closed_at"] is None:
                w["closed_at"] = at

    def consult(self, incident_id: int, *, whistle_id: int | None, at: datetime, by: str,
                participants: list[Json], outcome: str) -> int:
        return self._add(self.t.consultations, "consult", incident_id=incident_id,
                         whistle_id=whistle_id, at=at, by=by, participants=participants,
                         outcome=outcome)


class FakeRecords(_Repo):
    def add_step(self, incident_id: int, *, step: str, note: str, happened_at: datetime,
                 unit_id: int | None, by: str, at: datetime) -> int:
        return self._add(self.t.steps, "add_step", incident_id=incident_id, step=step,
                         note=note, happened_at=happened_at, unit_id=unit_id, by=by, at=at)

    def facility(self, facility_id: int, *, lock: bool = False) -> FacilityRow | None:
        f = self.t.facilities.get(facility_id)
        return None if f is None else FacilityRow(id=f["id"], name=f["name"], kind=f["kind"],
                                                   street_id=f["street_id"])

    def bookings_overlapping(self, facility_id: int, starts_at: datetime, ends_at: datetime
                             ) -> list[BookingRow]:
        return [BookingRow(id=s["id"], incident_id=s["incident_id"],
                           code=self.t.cases[s["incident_id"]]["code"],
                           starts_at=s["starts_at"], ends_at=s["ends_at"], booked_by=s["by"])
                for s in sorted(self.t.sessions, key=lambda s: s["starts_at"])
                if s["facility_id"] == facility_id and s["cancelled_at"] is None
                and s["starts_at"] < ends_at and s["ends_at"] > starts_at]

    def add_session(self, incident_id: int, *, facility_id: int | None, place: str,
                    starts_at: datetime, ends_at: datetime, mode: str,
                    participants: list[Json], note: str | None, by: str,
                    at: datetime) -> int:
        return self._add(self.t.sessions, "add_session", incident_id=incident_id,
                         facility_id=facility_id, place=place, starts_at=starts_at,
                         ends_at=ends_at, mode=mode, participants=participants, note=note,
                         by=by, at=at, cancelled_at=None)

    def session(self, session_id: int, *, lock: bool = False) -> SessionRow | None:
        s = next((s for s in self.t.sessions if s["id"] == session_id), None)
        return None if s is None else SessionRow(
            id=s["id"], incident_id=s["incident_id"], facility_id=s["facility_id"],
            place=s["place"], starts_at=s["starts_at"], ends_at=s["ends_at"],
            cancelled_at=s["cancelled_at"])

    def cancel_session(self, session_id: int, *, by: str, at: datetime) -> bool:
        self.db.wrote("cancel_session")
        s = self.t.sessions[session_id - 1]
        if s["cancelled_at"] is not None:
            return False
        s.update(cancelled_at=at, cancelled_by=by)
        return True

    def next_agreement_version(self, incident_id: int) -> int:
        return 1 + max((a["version"] for a in self.t.agreements
                        if a["incident_id"] == incident_id), default=0)

    def mediators_of(self, incident_id: int) -> list[MediatorRow]:
        firsts: dict[int, datetime] = {}
        for a in self.t.assignments:
            if a["incident_id"] == incident_id and a["state"] != "declined":
                firsts[a["unit_id"]] = min(firsts.get(a["unit_id"], a["assigned_at"]),
                                           a["assigned_at"])
        return [MediatorRow(unit_id=u, name=self.t.units[u].name,
                            unit_type=self.t.units[u].unit_type)
                for u in sorted(firsts, key=lambda u: (firsts[u], u))]

    def add_agreement(self, incident_id: int, *, version: int, number: str,
                      fields: dict[str, str | None], parties: list[Json],
                      mediators: list[MediatorRow], by: str, at: datetime) -> int:
        return self._add(self.t.agreements, "add_agreement", incident_id=incident_id,
                         version=version, number=number, fields=dict(fields), parties=parties,
                         mediators=list(mediators), by=by, at=at)

    def latest_agreement_id(self, incident_id: int) -> int | None:
        mine = [a for a in self.t.agreements if a["incident_id"] == incident_id]
        return max(mine, key=lambda a: a["version"])["id"] if mine else None

    def judicial_history(self, incident_id: int) -> list[str]:
        return [j["status"] for j in self.t.judicial if j["incident_id"] == incident_id]

    def add_judicial(self, incident_id: int, *, agreement_id: int | None, status: str,
                     court: str, on_date: date, note: str | None, by: str, at: datetime
                     ) -> int:
        return self._add(self.t.judicial, "add_judicial", incident_id=incident_id,
                         agreement_id=agreement_id, status=status, court=court,
                         on_date=on_date, note=note, by=by, at=at)

    def add_attachment(self, incident_id: int, *, content: bytes, sha256: str,
                       content_type: str, filename: str, unit_id: int | None, by: str,
                       at: datetime) -> int:
        return self._add(self.t.attachments, "add_attachment", incident_id=incident_id,
                         sha256=sha256, content_type=content_type, size=len(content),
                         filename=filename, unit_id=unit_id, by=by, at=at)

    def _extension(self, e: Json) -> ExtensionRow:
        return ExtensionRow(id=e["id"], incident_id=e["incident_id"], days=e["days"],
                            reason=e["reason"], requested_by=e["requested_by"],
                            requested_role=e["requested_role"], status=e["status"])

    def pending_extension(self, incident_id: int) -> ExtensionRow | None:
        return next((self._extension(e) for e in self.t.extensions
                     if e["incident_id"] == incident_id and e["status"] == "pending"), None)

    def add_extension(self, incident_id: int, *, days: int, reason: str, by: str, role: str,
                      unit_id: int | None, at: datetime) -> int:
        return self._add(self.t.extensions, "add_extension", incident_id=incident_id,
                         days=days, reason=reason, requested_by=by, requested_role=role,
                         unit_id=unit_id, requested_at=at, status="pending")

    def extension(self, extension_id: int, *, lock: bool = False) -> ExtensionRow | None:
        ok = 0 < extension_id <= len(self.t.extensions)
        return self._extension(self.t.extensions[extension_id - 1]) if ok else None

    def decide_extension(self, extension_id: int, *, status: str, by: str, at: datetime,
                         note: str | None, before: datetime | None,
                         after: datetime | None) -> None:
        self.db.wrote("decide_extension")
        self.t.extensions[extension_id - 1].update(
            status=status, decided_by=by, decided_at=at, decision_note=note,
            deadline_before=before, deadline_after=after)


class FakeClosures(_Repo):
    def reached_scene(self, incident_id: int) -> bool:
        return any(a["incident_id"] == incident_id and a["arrived_at"] is not None
                   for a in self.t.assignments)

    def add(self, incident_id: int, *, at: datetime, actor: str, outcome: str, basis: str,
            note: str, mediator: str | None, spot_reason: str | None, agreement: str | None,
            oral_terms: str | None, referred_to: str | None) -> None:
        self._add(self.t.closures, "add_closure", incident_id=incident_id, at=at, actor=actor,
                  outcome=outcome, basis=basis, note=note, mediator=mediator,
                  spot_reason=spot_reason, agreement=agreement, oral_terms=oral_terms,
                  referred_to=referred_to)

    def latest(self, incident_id: int) -> ClosureRow | None:
        mine = [c for c in self.t.closures if c["incident_id"] == incident_id]
        if not mine:
            return None
        c = mine[-1]
        return ClosureRow(at=c["at"], actor=c["actor"], outcome=c["outcome"], basis=c["basis"],
                          note=c["note"], mediator=c["mediator"], spot_reason=c["spot_reason"],
                          agreement=c["agreement"], oral_terms=c["oral_terms"],
                          referred_to=c["referred_to"])
