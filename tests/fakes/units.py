"""The fake :class:`dispatch.ports.Units`: capacity, assignments, positions, settings in memory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from dispatch.model import UnitFacts
from dispatch.ports_rows import AssignmentRow, Json, TakenBy
from dispatch.telemetry import Fix
from tests.fakes.db import FakeDb, Tables


class FakeUnits:
    def __init__(self, db: FakeDb) -> None:
        self.db = db

    @property
    def t(self) -> Tables:
        return self.db.tables

    def _set(self, unit_id: int, **kw: Any) -> None:
        self.t.units[unit_id] = replace(self.t.units[unit_id], **kw)

    def get(self, unit_id: int, *, lock: bool = False) -> UnitFacts | None:
        return self.t.units.get(unit_id)

    def candidates(self) -> list[UnitFacts]:
        return [u for _, u in sorted(self.t.units.items())
                if u.status != "off_duty" and u.active_load < u.capacity]

    def take(self, unit_id: int) -> bool:
        self.db.wrote("take")
        u = self.t.units.get(unit_id)
        if u is None or u.status == "off_duty" or u.active_load >= u.capacity:
            return False
        self._set(unit_id, active_load=u.active_load + 1,
                  status="assigned" if u.status == "available" else u.status)
        return True

    def release(self, unit_id: int) -> None:
        self.db.wrote("release")
        u = self.t.units[unit_id]
        if u.active_load > 0:
            free = u.active_load == 1 and u.status != "off_duty"
            self._set(unit_id, active_load=u.active_load - 1,
                      status="available" if free else u.status)

    def who_took(self, unit_id: int) -> TakenBy:
        u = self.t.units.get(unit_id)
        if u is None:
            return TakenBy()
        took = TakenBy(unit_code=u.code, unit_name=u.name, status=u.status,
                       active_load=u.active_load, capacity=u.capacity, assigned_by=None,
                       assigned_at=None, incident_id=None, incident_code=None)
        active = sorted((a for a in self.t.assignments
                         if a["unit_id"] == unit_id and a["state"] == "active"),
                        key=lambda a: (a["assigned_at"], a["id"]))
        if active:
            a = active[-1]
            took["assigned_by"], took["assigned_at"] = a["assigned_by"], a["assigned_at"]
            took["incident_id"] = a["incident_id"]
            took["incident_code"] = self.t.cases[a["incident_id"]]["code"]
        return took

    def assign(self, incident_id: int, unit_id: int, *, role: str, at: datetime, by: str
               ) -> int:
        self.db.wrote("assign")
        aid = len(self.t.assignments) + 1
        self.t.assignments.append({"id": aid, "incident_id": incident_id, "unit_id": unit_id,
                                   "role": role, "state": "active", "assigned_at": at,
                                   "assigned_by": by, "acknowledged_at": None,
                                   "arrived_at": None, "released_at": None})
        return aid

    def active_on(self, incident_id: int) -> list[AssignmentRow]:
        return [AssignmentRow(id=a["id"], unit_id=a["unit_id"], role=a["role"],
                              assigned_at=a["assigned_at"],
                              acknowledged_at=a["acknowledged_at"], arrived_at=a["arrived_at"],
                              assigned_by=a["assigned_by"])
                for a in self.t.assignments
                if a["incident_id"] == incident_id and a["state"] == "active"]

    def release_all(self, incident_id: int, at: datetime, *, state: str = "released",
                    unit_ids: Sequence[int] | None = None) -> list[int]:
        self.db.wrote("release_all")
        ended = []
        for a in self.t.assignments:
            if a["incident_id"] == incident_id and a["state"] == "active" and \
                    (unit_ids is None or a["unit_id"] in unit_ids):
                a.update(state=state, released_at=at)
                ended.append(a["unit_id"])
        for uid in sorted(ended):
            self.release(uid)
        return sorted(ended)

    def stamp(self, incident_id: int, column: str, at: datetime, unit_id: int | None) -> None:
        self.db.wrote("stamp")
        for a in self.t.assignments:
            if a["incident_id"] == incident_id and a["state"] == "active" and \
                    (unit_id is None or a["unit_id"] == unit_id) and a[column] is None:
                a[column] = at

    def set_status_of_case_units(self, incident_id: int, status: str) -> None:
        self.db.wrote("set_status_of_case_units")
        for a in self.t.assignments:
            if a["incident_id"] == incident_id and a["state"] == "active" and \
                    self.t.units[a["unit_id"]].status != "off_duty":
                self._set(a["unit_id"], status=status)

    def set_status(self, unit_id: int, status: str) -> None:
        self.db.wrote("set_status")
        self._set(unit_id, status=status)

    def last_fix(self, unit_id: int) -> Fix | None:
        u = self.t.units.get(unit_id)
        return None if u is None else Fix(u.last_seen_at, self.t.last_seq.get(unit_id))

    def territory_bounds(self) -> tuple[float, float, float, float] | None:
        return self.db.bounds

    def street_ids(self) -> frozenset[int]:
        return frozenset(range(1, 21))  # the fake territory's streets

    def staff_names(self) -> dict[str, str]:
        return dict(self.db.tables.accounts)

    def record_position(self, unit_id: int, lon: float, lat: float, *, at: datetime,
                        seq: int | None, accuracy_m: float | None, crs: str, reset_s: float
                        ) -> tuple[bool, bool]:
        """The SQL's rules: an exact replay is kept once; the unit moves only on a newer fix."""
        self.db.wrote("record_position")
        key = (unit_id, at, lon, lat)
        if any((p["unit_id"], p["at"], p["lon"], p["lat"]) == key for p in self.t.positions):
            return False, False
        self.t.positions.append({"unit_id": unit_id, "at": at, "lon": lon, "lat": lat,
                                 "accuracy_m": accuracy_m, "crs": crs, "seq": seq})
        u, last_seq = self.t.units[unit_id], self.t.last_seq.get(unit_id)
        seen = u.last_seen_at
        if seen is None:
            newer = True
        elif seq is not None and last_seq is not None and last_seq != seq:
            newer = seq > last_seq or at > seen + timedelta(seconds=reset_s)
        else:
            newer = seen < at
        if newer:
            self._set(unit_id, lon=lon, lat=lat, last_seen_at=at)
            self.t.last_seq[unit_id] = seq
        return True, newer

    def load_setting(self, key: str) -> Json | None:
        value = self.t.settings.get(key)
        return None if value is None else dict(value)

    def save_setting(self, key: str, value: Json, *, at: datetime, by: str) -> None:
        self.db.wrote("save_setting")
        self.t.settings[key] = dict(value)
