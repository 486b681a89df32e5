"""SQL for the mediator's record (tables of migration 0009) on the unit of work's connection."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Connection, text

from dispatch.ports_rows import (
    BookingRow,
    ExtensionRow,
    FacilityRow,
    Json,
    MediatorRow,
    SessionRow,
)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


class RecordRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _one(self, sql: str, params: dict[str, Any]) -> dict[str, Any] | None:
        row = self.conn.execute(text(sql), params).mappings().first()
        return None if row is None else dict(row)

    def _id(self, sql: str, params: dict[str, Any]) -> int:
        return int(self.conn.scalar(text(sql), params))

    # -- 五步 ----------------------------------------------------------------------------------
    def add_step(self, incident_id: int, *, step: str, note: str, happened_at: datetime,
                 unit_id: int | None, by: str, at: datetime) -> int:
        return self._id(
            "INSERT INTO mediation_steps (incident_id, step, note, happened_at, unit_id, "
            "recorded_by, recorded_at) VALUES (:i, :s, :n, :h, :u, :by, :at) RETURNING id",
            {"i": incident_id, "s": step, "n": note, "h": happened_at, "u": unit_id, "by": by,
             "at": at})

    # -- sessions ------------------------------------------------------------------------------
    def facility(self, facility_id: int, *, lock: bool = False) -> FacilityRow | None:
        """A room, row-locked while booking so two bookings of it queue up (no overlap race)."""
        return cast(FacilityRow | None, self._one(
            "SELECT id, name, kind, street_id FROM facilities WHERE id = :f"
            + (" FOR UPDATE" if lock else ""), {"f": facility_id}))

    def bookings_overlapping(self, facility_id: int, starts_at: datetime, ends_at: datetime
                             ) -> list[BookingRow]:
        return [cast(BookingRow, dict(r)) for r in self.conn.execute(text(
            "SELECT s.id, s.incident_id, i.code, s.starts_at, s.ends_at, s.booked_by "
            "FROM mediation_sessions s JOIN incidents i ON i.id = s.incident_id "
            "WHERE s.facility_id = :f AND s.cancelled_at IS NULL AND s.starts_at < :e "
            "AND s.ends_at > :s ORDER BY s.starts_at"),
            {"f": facility_id, "s": starts_at, "e": ends_at}).mappings()]

    def add_session(self, incident_id: int, *, facility_id: int | None, place: str,
                    starts_at: datetime, ends_at: datetime, mode: str,
                    participants: list[Json], note: str | None, by: str,
                    at: datetime) -> int:
        return self._id(
            "INSERT INTO mediation_sessions (incident_id, facility_id, place, starts_at, "
            "ends_at, mode, participants, note, booked_by, booked_at) VALUES (:i, :f, :p, :s, "
            ":e, :m, CAST(:pp AS jsonb), :n, :by, :at) RETURNING id",
            {"i": incident_id, "f": facility_id, "p": place, "s": starts_at, "e": ends_at,
             "m": mode, "pp": _json(participants), "n": note, "by": by, "at": at})

    def session(self, session_id: int, *, lock: bool = False) -> SessionRow | None:
        return cast(SessionRow | None, self._one(
            "SELECT id, incident_id, facility_id, place, starts_at, ends_at, cancelled_at "
            "FROM mediation_sessions WHERE id = :s" + (" FOR UPDATE" if lock else ""),
            {"s": session_id}))

    def cancel_session(self, session_id: int, *, by: str, at: datetime) -> bool:
        return self.conn.execute(text(
            "UPDATE mediation_sessions SET cancelled_at = :at, cancelled_by = :by "
            "WHERE id = :s AND cancelled_at IS NULL RETURNING id"),
            {"s": session_id, "at": at, "by": by}).first() is not None

    # -- agreements and 司法确认 -----------------------------------------------------------------
    def next_agreement_version(self, incident_id: int) -> int:
        return self._id("SELECT COALESCE(max(version), 0) + 1 FROM agreements "
                        "WHERE incident_id = :i", {"i": incident_id})

    def mediators_of(self, incident_id: int) -> list[MediatorRow]:
        """The units ever sent to the case (first sent first), as the agreement names them."""
        return [cast(MediatorRow, dict(r)) for r in self.conn.execute(text(
            "SELECT u.id AS unit_id, u.name, u.unit_type FROM units u JOIN (SELECT unit_id, "
            "min(assigned_at) AS first FROM assignments WHERE incident_id = :i AND "
            "state <> 'declined' GROUP BY unit_id) a ON a.unit_id = u.id ORDER BY a.first, u.id"),
            {"i": incident_id}).mappings()]

    def add_agreement(self, incident_id: int, *, version: int, number: str,
                      fields: dict[str, str | None], parties: list[Json],
                      mediators: list[MediatorRow], by: str, at: datetime) -> int:
        return self._id(
            "INSERT INTO agreements (incident_id, version, number, committee, parties, "
            "mediators, facts, terms, performance, correction, created_by, created_at) VALUES "
            "(:i, :v, :no, :committee, CAST(:p AS jsonb), CAST(:m AS jsonb), :facts, :terms, "
            ":performance, :correction, :by, :at) RETURNING id",
            {"i": incident_id, "v": version, "no": number, "p": _json(parties),
             "m": _json(mediators), "by": by, "at": at, **fields})

    def latest_agreement_id(self, incident_id: int) -> int | None:
        value = self.conn.scalar(text(
            "SELECT id FROM agreements WHERE incident_id = :i ORDER BY version DESC LIMIT 1"),
            {"i": incident_id})
        return None if value is None else int(value)

    def judicial_history(self, incident_id: int) -> list[str]:
        return list(self.conn.execute(text(
            "SELECT status FROM judicial_confirmations WHERE incident_id = :i ORDER BY id"),
            {"i": incident_id}).scalars())

    def add_judicial(self, incident_id: int, *, agreement_id: int | None, status: str,
                     court: str, on_date: date, note: str | None, by: str, at: datetime) -> int:
        return self._id(
            "INSERT INTO judicial_confirmations (incident_id, agreement_id, status, court, "
            "on_date, note, recorded_by, recorded_at) VALUES (:i, :a, :s, :c, :d, :n, :by, :at) "
            "RETURNING id", {"i": incident_id, "a": agreement_id, "s": status, "c": court,
                             "d": on_date, "n": note, "by": by, "at": at})

    # -- attachments -----------------------------------------------------------------------------
    def add_attachment(self, incident_id: int, *, content: bytes, sha256: str,
                       content_type: str, filename: str, unit_id: int | None, by: str,
                       at: datetime) -> int:
        """The bytes once per digest (a second upload of the same file shares them)."""
        self.conn.execute(text(
            "INSERT INTO attachment_blobs (sha256, content, size) VALUES (:h, :c, :n) "
            "ON CONFLICT (sha256) DO NOTHING"), {"h": sha256, "c": content, "n": len(content)})
        return self._id(
            "INSERT INTO attachments (incident_id, sha256, content_type, size, filename, "
            "unit_id, uploaded_by, uploaded_at) VALUES (:i, :h, :t, :n, :f, :u, :by, :at) "
            "RETURNING id", {"i": incident_id, "h": sha256, "t": content_type,
                             "n": len(content), "f": filename, "u": unit_id, "by": by,
                             "at": at})

    # -- 延期 -------------------------------------------------------------------------------------
    def pending_extension(self, incident_id: int) -> ExtensionRow | None:
        return cast(ExtensionRow | None, self._one(
            "SELECT id, incident_id, days, reason, requested_by, requested_role, status "
            "FROM case_extensions WHERE incident_id = :i AND status = 'pending'",
            {"i": incident_id}))

    def add_extension(self, incident_id: int, *, days: int, reason: str, by: str, role: str,
                      unit_id: int | None, at: datetime) -> int:
        return self._id(
            "INSERT INTO case_extensions (incident_id, days, reason, requested_by, "
            "requested_role, unit_id, requested_at) VALUES (:i, :d, :r, :by, :role, :u, :at) "
            "RETURNING id", {"i": incident_id, "d": days, "r": reason, "by": by,
                             "role": role, "u": unit_id, "at": at})

    def extension(self, extension_id: int, *, lock: bool = False) -> ExtensionRow | None:
        return cast(ExtensionRow | None, self._one(
            "SELECT id, incident_id, days, reason, requested_by, requested_role, status "
            "FROM case_extensions WHERE id = :e" + (" FOR UPDATE" if lock else ""),
            {"e": extension_id}))

    def decide_extension(self, extension_id: int, *, status: str, by: str, at: datetime,
                         note: str | None, before: datetime | None,
                         after: datetime | None) -> None:
        self.conn.execute(text(
            "UPDATE case_extensions SET status = :s, decided_by = :by, decided_at = :at, "
            "decision_note = :n, deadline_before = :b, deadline_after = :a WHERE id = :e"),
            {"e": extension_id, "s": status, "by": by, "at": at, "n": note, "b": before,
             "a": after})

