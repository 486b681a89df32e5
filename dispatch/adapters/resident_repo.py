"""SQL for resident reports (扫码说事, migration 0017): the reports, their photos and notes on
the unit of work's connection, and the proof-of-work challenges spent once (own connection)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from dispatch.adapters.phone_codes import check_code
from dispatch.errors import Conflict
from dispatch.ports_rows import Json
from dispatch.views_resident import place

_COLS = ("id, tracking_code, status, category, description, address, lon, lat, place, name, "
         "phone, device_hash, photos, submitted_at, decided_at, decided_by, reject_reason, "
         "incident_id, rating, rating_note, rated_at, street_id, community_id, grid_id, phone_verified")


class ResidentRepository:
    """One transaction's view of ``resident_reports`` and ``resident_notes``."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _one(self, where: str, params: dict[str, Any], lock: bool) -> Json | None:
        row = self.conn.execute(text(
            f"SELECT {_COLS} FROM resident_reports WHERE {where}"
            + (" FOR UPDATE" if lock else "")), params).mappings().first()
        return dict(row) if row else None

    def add(self, values: Json) -> int:
        params = {**values, "photos": json.dumps(values.get("photos") or [])}
        cols = ", ".join(params)
        try:
            with self.conn.begin_nested():
                return int(self.conn.scalar(text(
                    f"INSERT INTO resident_reports ({cols}) VALUES ("
                    + ", ".join(f"CAST(:{k} AS jsonb)" if k == "photos" else f":{k}"
                                for k in params) + ") RETURNING id"), params))
        except IntegrityError:
            raise Conflict("查询码冲突，请重试", field="tracking_code") from None

    def get(self, report_id: int, *, lock: bool = False) -> Json | None:
        return self._one("id = :i", {"i": report_id}, lock)

    def by_code(self, code: str, *, lock: bool = False) -> Json | None:
        return self._one("tracking_code = :c", {"c": code}, lock)

    def recent(self, *, device: str | None, phone: str | None, since: datetime) -> list[Json]:
        if device is None and phone is None:
            return []
        rows = self.conn.execute(text(
            f"SELECT {_COLS} FROM resident_reports WHERE submitted_at >= :since AND "
            "(device_hash = :d OR phone = :p) ORDER BY submitted_at DESC LIMIT 50"),
            {"since": since, "d": device, "p": phone}).mappings()
        return [dict(r) for r in rows]

    def place_point(self, at: str) -> tuple[float, float] | None:
        found = place(self.conn, at)
        return None if found is None else (float(found["lon"]), float(found["lat"]))

    def store_blob(self, *, sha256: str, content: bytes) -> None:
        self.conn.execute(text(
            "INSERT INTO attachment_blobs (sha256, content, size) VALUES (:h, :c, :n) "
            "ON CONFLICT (sha256) DO NOTHING"), {"h": sha256, "c": content, "n": len(content)})

    def decide(self, report_id: int, *, status: str, by: str, at: datetime,
               incident_id: int | None = None, reason: str | None = None) -> None:
        self.conn.execute(text(
            "UPDATE resident_reports SET status = :s, decided_by = :by, decided_at = :at, "
            "incident_id = :i, reject_reason = :r WHERE id = :id"),
            {"s": status, "by": by, "at": at, "i": incident_id, "r": reason, "id": report_id})

    def attach(self, incident_id: int, photos: Sequence[Json], *, by: str,
               at: datetime) -> None:
        if photos:
            self.conn.execute(text(
                "INSERT INTO attachments (incident_id, sha256, content_type, size, filename, "
                "uploaded_by, uploaded_at) VALUES (:i, :h, :t, :n, :f, :by, :at)"),
                [{"i": incident_id, "h": p["sha256"], "t": p["content_type"], "n": p["size"],
                  "f": p["filename"], "by": by, "at": at} for p in photos])

    def add_note(self, report_id: int, text_: str, *, at: datetime) -> int:
        return int(self.conn.scalar(text(
            "INSERT INTO resident_notes (report_id, text, added_at) VALUES (:r, :t, :at) "
            "RETURNING id"), {"r": report_id, "t": text_, "at": at}))

    def rate(self, report_id: int, *, rating: int, note: str | None, at: datetime) -> None:
        self.conn.execute(text(
            "UPDATE resident_reports SET rating = :r, rating_note = :n, rated_at = :at "
            "WHERE id = :id"), {"r": rating, "n": note, "at": at, "id": report_id})

    def spend_phone_code(self, phone: str, code: str, *, at: datetime) -> bool:
        return check_code(self.conn, phone, code, at=at)

    def case_state(self, incident_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(text(
            "SELECT state, followed_up_at FROM incidents WHERE id = :i"),
            {"i": incident_id}).mappings().first()
        return dict(row) if row else None


def issue_challenge(conn: Connection, *, nonce: str, bits: int, at: datetime,
                    ttl_s: int) -> None:
    """Store a challenge; challenges older than ``ttl_s`` go at the same time."""
    conn.execute(text("DELETE FROM resident_challenges WHERE issued_at < :old"),
                 {"old": at - timedelta(seconds=ttl_s)})
    conn.execute(text("INSERT INTO resident_challenges (nonce, bits, issued_at) "
                      "VALUES (:n, :b, :at)"), {"n": nonce, "b": bits, "at": at})


def spend_challenge(conn: Connection, nonce: str, *, at: datetime, ttl_s: int) -> int | None:
    """The challenge's difficulty if it was live (it is gone afterwards: single use), else None."""
    bits = conn.scalar(text(
        "DELETE FROM resident_challenges WHERE nonce = :n AND issued_at >= :old RETURNING bits"),
        {"n": nonce, "old": at - timedelta(seconds=ttl_s)})
    return None if bits is None else int(bits)
