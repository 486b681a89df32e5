"""SQL for units: race-safe capacity, assignments, who-took-it, positions, status, policy."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, text

from dispatch.model import UnitFacts
from dispatch.ports_rows import AssignmentRow, Json, TakenBy
from dispatch.telemetry import Fix

UNIT_COLS = (
    "id, code, name, unit_type, skills, languages, level, street_id, community_id, home_grid_id, "
    "police_grid_id, status, capacity, active_load, on_foot, shift, shift_start, shift_end, "
    "ST_X(last_geom) AS lon, ST_Y(last_geom) AS lat, last_seen_at")


def unit_facts(r: Any) -> UnitFacts:
    return UnitFacts(
        id=r["id"], code=r["code"], name=r["name"], unit_type=r["unit_type"],
        skills=tuple(r["skills"] or ()), languages=tuple(r["languages"] or ()), level=r["level"],
        street_id=r["street_id"], community_id=r["community_id"],
        home_grid_id=r["home_grid_id"], police_grid_id=r["police_grid_id"], status=r["status"],
        capacity=r["capacity"], active_load=r["active_load"], on_foot=r["on_foot"],
        shift=r["shift"], shift_start=r["shift_start"], shift_end=r["shift_end"], lon=r["lon"],
        lat=r["lat"], last_seen_at=r["last_seen_at"])


class UnitRepository:
    """Unit-side statements on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, unit_id: int, *, lock: bool = False) -> UnitFacts | None:
        row = self.conn.execute(text(f"SELECT {UNIT_COLS} FROM units WHERE id = :id"
                                     + (" FOR UPDATE" if lock else "")),
                                {"id": unit_id}).mappings().first()
        return unit_facts(row) if row else None

    def candidates(self) -> list[UnitFacts]:
        """Every unit on duty with room for one more case."""
        rows = self.conn.execute(text(
            f"SELECT {UNIT_COLS} FROM units WHERE status <> 'off_duty' "
            "AND active_load < capacity ORDER BY id")).mappings()
        return [unit_facts(r) for r in rows]

    def take(self, unit_id: int) -> bool:
        """One more case for the unit, only if it has room and is on duty: one statement, so
        of two racing transactions exactly one gets the last place (the other re-reads the
        row after the winner commits and finds it full)."""
        row = self.conn.execute(text(
            "UPDATE units SET active_load = active_load + 1, version = version + 1, "
            "status = CASE WHEN status = 'available' THEN 'assigned' ELSE status END "
            "WHERE id = :id AND status <> 'off_duty' AND active_load < capacity RETURNING id"),
            {"id": unit_id}).first()
        return row is not None

    def release(self, unit_id: int) -> None:
        self.conn.execute(text(
            "UPDATE units SET active_load = active_load - 1, version = version + 1, "
            "status = CASE WHEN active_load = 1 AND status <> 'off_duty' THEN 'available' "
            "ELSE status END WHERE id = :id AND active_load > 0"), {"id": unit_id})

    def who_took(self, unit_id: int) -> TakenBy:
        """The unit's latest active case and who sent it (for the loser of a race)."""
        row = self.conn.execute(text(
            "SELECT u.code AS unit_code, u.name AS unit_name, u.status, u.active_load, "
            "u.capacity, a.assigned_by, a.assigned_at, i.id AS incident_id, i.code AS "
            "incident_code FROM units u LEFT JOIN LATERAL (SELECT * FROM assignments a "
            "WHERE a.unit_id = u.id AND a.state = 'active' ORDER BY a.assigned_at DESC, a.id "
            "DESC LIMIT 1) a ON true LEFT JOIN incidents i ON i.id = a.incident_id "
            "WHERE u.id = :id"), {"id": unit_id}).mappings().first()
        return cast(TakenBy, dict(row)) if row else TakenBy()

    def assign(self, incident_id: int, unit_id: int, *, role: str, at: datetime, by: str) -> int:
        return int(self.conn.scalar(text(
            "INSERT INTO assignments (incident_id, unit_id, role, state, assigned_at, "
            "assigned_by) VALUES (:i, :u, :r, 'active', :at, :by) RETURNING id"),
            {"i": incident_id, "u": unit_id, "r": role, "at": at, "by": by}))

    def active_on(self, incident_id: int) -> list[AssignmentRow]:
        return [cast(AssignmentRow, dict(r)) for r in self.conn.execute(text(
            "SELECT id, unit_id, role, assigned_at, acknowledged_at, arrived_at, assigned_by "
            "FROM assignments WHERE incident_id = :i AND state = 'active' ORDER BY id"),
            {"i": incident_id}).mappings()]

    def release_all(self, incident_id: int, at: datetime, *, state: str = "released",
                    unit_ids: Sequence[int] | None = None) -> list[int]:
        """End the case's active assignments (or only ``unit_ids``); free the units' places."""
        rows: list[int] = list(self.conn.execute(text(
            "UPDATE assignments SET state = :s, released_at = :at WHERE incident_id = :i "
            "AND state = 'active' AND (CAST(:u AS int[]) IS NULL OR unit_id = ANY(CAST(:u AS int[]))) "
            "RETURNING unit_id"),
            {"i": incident_id, "at": at, "s": state,
             "u": list(unit_ids) if unit_ids is not None else None}).scalars().all())
        for uid in sorted(rows):
            self.release(uid)
        return sorted(rows)

    def stamp(self, incident_id: int, column: str, at: datetime, unit_id: int | None) -> None:
        """Acknowledge / arrive on the case's active assignments (one unit's, or all)."""
        self.conn.execute(text(
            f"UPDATE assignments SET {column} = COALESCE({column}, :at) WHERE incident_id = :i "
            "AND state = 'active' AND (CAST(:u AS int) IS NULL OR unit_id = :u)"),
            {"i": incident_id, "at": at, "u": unit_id})

    def set_status_of_case_units(self, incident_id: int, status: str) -> None:
        self.conn.execute(text(
            "UPDATE units u SET status = :s, version = version + 1 FROM assignments a "
            "WHERE a.unit_id = u.id AND a.incident_id = :i AND a.state = 'active' "
            "AND u.status <> 'off_duty'"), {"i": incident_id, "s": status})

    def set_status(self, unit_id: int, status: str) -> None:
        self.conn.execute(text("UPDATE units SET status = :s, version = version + 1 "
                               "WHERE id = :id"), {"id": unit_id, "s": status})

    def last_fix(self, unit_id: int) -> Fix | None:
        """The unit's last accepted fix (time and device counter), or None: no such unit."""
        row = self.conn.execute(text("SELECT last_seen_at, last_seq FROM units WHERE id = :u"),
                                {"u": unit_id}).first()
        return None if row is None else Fix(row[0], row[1])

    def territory_bounds(self) -> tuple[float, float, float, float] | None:
        """The box around the territory's streets (WGS-84), or None before any is loaded."""
        row = self.conn.execute(text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            "(SELECT ST_Extent(geom) AS e FROM streets) b")).first()
        if row is None or row[0] is None:
            return None
        return float(row[0]), float(row[1]), float(row[2]), float(row[3])

    def street_ids(self) -> frozenset[int]:
        return frozenset(self.conn.execute(text("SELECT id FROM streets")).scalars())

    def record_position(self, unit_id: int, lon: float, lat: float, *, at: datetime,
                        seq: int | None, accuracy_m: float | None, crs: str, reset_s: float
                        ) -> tuple[bool, bool]:
        """``(recorded, current)``: the ping in history unless it exactly replays one there
        (same unit, time and point: the unique index keeps one, whoever commits first), and
        the unit's current position only if the ping is newer than its last accepted fix.

        The newer-test sits in the UPDATE's WHERE (:func:`dispatch.telemetry.is_newer` in
        SQL): of two racing pings the later one waits for the row, re-reads it after the
        first commits, and applies only if still newer, so the newest wins in any commit order.
        """
        p = {"u": unit_id, "at": at, "lon": lon, "lat": lat, "acc": accuracy_m, "crs": crs,
             "seq": seq, "reset": float(reset_s)}
        kept = self.conn.execute(text(
            "INSERT INTO unit_positions (unit_id, at, geom, accuracy_m, source_crs, seq) VALUES "
            "(:u, :at, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :acc, :crs, :seq) "
            "ON CONFLICT (unit_id, at, (ST_X(geom)), (ST_Y(geom))) DO NOTHING RETURNING id"),
            p).first()
        if kept is None:
            return False, False
        row = self.conn.execute(text(
            "UPDATE units SET last_geom = ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), "
            "last_seen_at = :at, last_seq = CAST(:seq AS bigint) WHERE id = :u AND ("
            "last_seen_at IS NULL OR CASE WHEN CAST(:seq AS bigint) IS NOT NULL AND last_seq IS "
            "NOT NULL AND last_seq <> CAST(:seq AS bigint) THEN CAST(:seq AS bigint) > last_seq "
            "OR CAST(:at AS timestamptz) > last_seen_at + make_interval(secs => "
            "CAST(:reset AS double precision)) ELSE last_seen_at < CAST(:at AS timestamptz) END) "
            "RETURNING id"), p).first()
        return True, row is not None

    # -- settings -----------------------------------------------------------------------------
    def load_setting(self, key: str) -> Json | None:
        value = self.conn.scalar(text("SELECT value FROM dispatch_settings WHERE key = :k"),
                                 {"k": key})
        return dict(value) if value is not None else None

    def save_setting(self, key: str, value: Json, *, at: datetime, by: str) -> None:
        self.conn.execute(text(
            "INSERT INTO dispatch_settings (key, value, updated_at, updated_by) VALUES "
            "(:k, CAST(:v AS jsonb), :at, :by) ON CONFLICT (key) DO UPDATE SET value = "
            "EXCLUDED.value, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by"),
            {"k": key, "v": json.dumps(value, ensure_ascii=False), "at": at, "by": by})

    def staff_names(self) -> dict[str, str]:
        return {r[0]: r[1] for r in self.conn.execute(text(
            "SELECT username, coalesce(nullif(display_name, ''), username) FROM accounts "
            "WHERE active"))}
