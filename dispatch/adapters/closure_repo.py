"""SQL for closure evidence: arrivals on record, agreements on record, the closure rows."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Connection, text

from dispatch.ports_rows import ClosureRow


class ClosureRepository:
    """What a 办结 rests on, on the unit of work's connection (one transaction)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def reached_scene(self, incident_id: int) -> bool:
        """Whether any unit sent to the case (now or earlier) has its arrival stamped."""
        return bool(self.conn.scalar(text(
            "SELECT EXISTS (SELECT 1 FROM assignments WHERE incident_id = :i "
            "AND arrived_at IS NOT NULL)"), {"i": incident_id}))

    def add(self, incident_id: int, *, at: datetime, actor: str, outcome: str, basis: str,
            note: str, mediator: str | None, spot_reason: str | None, agreement: str | None,
            oral_terms: str | None, referred_to: str | None) -> None:
        self.conn.execute(text(
            "INSERT INTO incident_closures (incident_id, at, actor, outcome, basis, note, "
            "mediator, spot_reason, agreement, oral_terms, referred_to) VALUES (:i, :at, :actor, "
            ":outcome, :basis, :note, :mediator, :spot, :agreement, :oral, :referred)"),
            {"i": incident_id, "at": at, "actor": actor, "outcome": outcome, "basis": basis,
             "note": note, "mediator": mediator, "spot": spot_reason, "agreement": agreement,
             "oral": oral_terms, "referred": referred_to})

    def latest(self, incident_id: int) -> ClosureRow | None:
        row = self.conn.execute(text(
            "SELECT at, actor, outcome, basis, note, mediator, spot_reason, agreement, "
            "oral_terms, referred_to FROM incident_closures WHERE incident_id = :i "
            "ORDER BY id DESC LIMIT 1"), {"i": incident_id}).mappings().first()
        return cast(ClosureRow, dict(row)) if row else None
