"""SQL for 吹哨、报到 and 会商 (tables of migration 0005) on the unit of work's connection."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from dispatch.errors import Conflict
from dispatch.ports_rows import CallRow, Json, WhistleRow


class WhistleRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def open_of(self, incident_id: int, *, lock: bool = False) -> WhistleRow | None:
        """The case's open whistle with its calls, or None."""
        row = self.conn.execute(text(
            "SELECT id, incident_id, street_id, blown_at, blown_by, reason, report_by "
            "FROM whistles WHERE incident_id = :i AND closed_at IS NULL"
            + (" FOR UPDATE" if lock else "")), {"i": incident_id}).mappings().first()
        if row is None:
            return None
        return cast(WhistleRow, {**row, "calls": self.calls(int(row["id"]))})

    def calls(self, whistle_id: int) -> list[CallRow]:
        return [cast(CallRow, dict(r)) for r in self.conn.execute(text(
            "SELECT department, reported_at, reported_by, note, overdue_at FROM whistle_calls "
            "WHERE whistle_id = :w ORDER BY id"), {"w": whistle_id}).mappings()]

    def blow(self, incident_id: int, *, street_id: int | None, at: datetime, by: str,
             reason: str, report_by: datetime, departments: Sequence[str]) -> int:
        """A new whistle and its calls; a concurrent open whistle on the case → Conflict."""
        try:
            with self.conn.begin_nested():
                wid = int(self.conn.scalar(text(
                    "INSERT INTO whistles (incident_id, street_id, blown_at, blown_by, reason, "
                    "report_by) VALUES (:i, :s, :at, :by, :r, :due) RETURNING id"),
                    {"i": incident_id, "s": street_id, "at": at, "by": by, "r": reason,
                     "due": report_by}))
        except IntegrityError:
            raise Conflict("该案件已有进行中的吹哨，请先报到、会商", incident_id=incident_id
                           ) from None
        self.conn.execute(text(
            "INSERT INTO whistle_calls (whistle_id, department) SELECT :w, d "
            "FROM unnest(CAST(:d AS text[])) d"), {"w": wid, "d": list(departments)})
        return wid

    def get(self, whistle_id: int, *, lock: bool = False) -> WhistleRow | None:
        """One whistle (open or closed) with its calls, or None."""
        row = self.conn.execute(text(
            "SELECT id, incident_id, street_id, blown_at, blown_by, reason, report_by, closed_at "
            "FROM whistles WHERE id = :w" + (" FOR UPDATE" if lock else "")),
            {"w": whistle_id}).mappings().first()
        return None if row is None else cast(WhistleRow, {**row, "calls": self.calls(whistle_id)})

    def add_timer(self, incident_id: int, whistle_id: int, due_at: datetime) -> None:
        """The whistle's 报到 deadline as a clock stage row (kind ``whistle``), so the
        scheduler claims and processes it exactly once like the other clocks."""
        self.conn.execute(text(
            "INSERT INTO incident_timers (incident_id, kind, stage, round, due_at, whistle_id) "
            "SELECT :i, 'whistle', 'yellow', COALESCE(max(round) + 1, 0), :d, :w "
            "FROM incident_timers WHERE incident_id = :i AND kind = 'whistle'"),
            {"i": incident_id, "w": whistle_id, "d": due_at})

    def cancel_timer(self, whistle_id: int, at: datetime) -> None:
        self.conn.execute(text(
            "UPDATE incident_timers SET processed_at = :at, outcome = 'cancelled' "
            "WHERE whistle_id = :w AND processed_at IS NULL"), {"w": whistle_id, "at": at})

    def mark_overdue(self, whistle_id: int, at: datetime) -> list[str]:
        """Stamp the calls still unreported as overdue; the departments stamped."""
        return sorted(self.conn.execute(text(
            "UPDATE whistle_calls SET overdue_at = :at WHERE whistle_id = :w "
            "AND reported_at IS NULL AND overdue_at IS NULL RETURNING department"),
            {"w": whistle_id, "at": at}).scalars())

    def report(self, whistle_id: int, department: str, *, at: datetime, by: str,
               note: str | None) -> bool:
        """Mark the department reported; False when it was not called or already reported."""
        row = self.conn.execute(text(
            "UPDATE whistle_calls SET reported_at = :at, reported_by = :by, note = :n "
            "WHERE whistle_id = :w AND department = :d AND reported_at IS NULL RETURNING id"),
            {"w": whistle_id, "d": department, "at": at, "by": by, "n": note}).first()
        return row is not None

    def close(self, whistle_id: int, at: datetime) -> None:
        self.conn.execute(text("UPDATE whistles SET closed_at = :at WHERE id = :w "
                               "AND closed_at IS NULL"), {"w": whistle_id, "at": at})

    def close_all(self, incident_id: int, at: datetime) -> None:
        self.conn.execute(text("UPDATE whistles SET closed_at = :at WHERE incident_id = :i "
                               "AND closed_at IS NULL"), {"i": incident_id, "at": at})

    def consult(self, incident_id: int, *, whistle_id: int | None, at: datetime, by: str,
                participants: list[Json], outcome: str) -> int:
        return int(self.conn.scalar(text(
            "INSERT INTO consultations (incident_id, whistle_id, held_at, recorded_by, "
            "participants, outcome) VALUES (:i, :w, :at, :by, CAST(:p AS jsonb), :o) "
            "RETURNING id"),
            {"i": incident_id, "w": whistle_id, "at": at, "by": by, "o": outcome,
             "p": json.dumps(participants, ensure_ascii=False)}))


def whistle_views(conn: Connection, incident_id: int) -> dict[str, list[dict[str, Any]]]:
    """The case's whistles (with their calls) and consultations, oldest first."""
    p = {"i": incident_id}
    whistles = [dict(r) for r in conn.execute(text(
        "SELECT id, street_id, blown_at, blown_by, reason, report_by, closed_at FROM whistles "
        "WHERE incident_id = :i ORDER BY id"), p).mappings()]
    repo = WhistleRepository(conn)
    for w in whistles:
        w["calls"] = repo.calls(int(w["id"]))
    consultations = [dict(r) for r in conn.execute(text(
        "SELECT id, whistle_id, held_at, recorded_by, participants, outcome FROM consultations "
        "WHERE incident_id = :i ORDER BY id"), p).mappings()]
    return {"whistles": whistles, "consultations": consultations}
