"""The fake :class:`dispatch.ports_resident.Residents`: resident reports in memory."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from dispatch.errors import Conflict
from dispatch.ports_rows import Json
from dispatch.resident import normal_phone
from tests.fakes.db import FakeDb


class FakeResidents:
    def __init__(self, db: FakeDb) -> None:
        self.db = db

    @property
    def rows(self) -> list[Json]:
        return self.db.tables.residents

    def add(self, values: Json) -> int:
        self.db.wrote("resident_report")
        if any(r["tracking_code"] == values["tracking_code"] for r in self.rows):
            raise Conflict("查询码冲突，请重试", field="tracking_code")
        rid = len(self.rows) + 1
        self.rows.append({"id": rid, "status": "pending", "decided_at": None,
                          "decided_by": None, "reject_reason": None, "incident_id": None,
                          "rating": None, "rating_note": None, "rated_at": None, "notes": [],
                          **values})
        return rid

    def get(self, report_id: int, *, lock: bool = False) -> Json | None:
        return next((r for r in self.rows if r["id"] == report_id), None)

    def by_code(self, code: str, *, lock: bool = False) -> Json | None:
        return next((r for r in self.rows if r["tracking_code"] == code), None)

    def recent(self, *, device: str | None, phone: str | None, since: datetime) -> list[Json]:
        return [r for r in reversed(self.rows) if r["submitted_at"] >= since and (
            (device is not None and r["device_hash"] == device)
            or (phone is not None and r["phone"] == phone))]

    def place_point(self, at: str) -> tuple[float, float] | None:
        return self.db.tables.places.get(at)

    def store_blob(self, *, sha256: str, content: bytes) -> None:
        self.db.tables.blobs.setdefault(sha256, content)

    def decide(self, report_id: int, *, status: str, by: str, at: datetime,
               incident_id: int | None = None, reason: str | None = None) -> None:
        self.db.wrote(f"resident_{status}")
        row = self.get(report_id)
        assert row is not None
        row.update(status=status, decided_by=by, decided_at=at, incident_id=incident_id,
                   reject_reason=reason)

    def attach(self, incident_id: int, photos: Sequence[Json], *, by: str,
               at: datetime) -> None:
        for p in photos:
            self.db.tables.attachments.append({"incident_id": incident_id, "uploaded_by": by,
                                               "uploaded_at": at, **p})

    def add_note(self, report_id: int, text: str, *, at: datetime) -> int:
        row = self.get(report_id)
        assert row is not None
        row["notes"].append({"text": text, "added_at": at})
        return sum(len(r["notes"]) for r in self.rows)

    def rate(self, report_id: int, *, rating: int, note: str | None, at: datetime) -> None:
        row = self.get(report_id)
        assert row is not None
        row.update(rating=rating, rating_note=note, rated_at=at)

    def spend_phone_code(self, phone: str, code: str, *, at: datetime) -> bool:
        phone = normal_phone(phone)
        if self.db.tables.phone_codes.get(phone) != code:
            return False
        del self.db.tables.phone_codes[phone]
        return True

    def case_state(self, incident_id: int) -> dict[str, Any] | None:
        case = self.db.tables.cases.get(incident_id)
        return None if case is None else {"state": case["state"],
                                          "followed_up_at": case.get("followed_up_at")}
