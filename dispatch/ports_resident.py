"""The port of resident reports (扫码说事): what the handlers ask of its store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from dispatch.ports_rows import Json


class Residents(Protocol):
    """Resident reports, their photos (the case file's blobs) and notes."""

    def add(self, values: Json) -> int:
        """A new report (``tracking_code`` unique: a clash raises ``Conflict``)."""
        ...

    def get(self, report_id: int, *, lock: bool = False) -> Json | None: ...

    def by_code(self, code: str, *, lock: bool = False) -> Json | None: ...

    def recent(self, *, device: str | None, phone: str | None, since: datetime
               ) -> list[Json]:
        """Reports since ``since`` from this device or this phone, newest first."""
        ...

    def place_point(self, at: str) -> tuple[float, float] | None:
        """The point of a poster's place (``community-12`` / ``room-3``), or None."""
        ...

    def store_blob(self, *, sha256: str, content: bytes) -> None: ...

    def decide(self, report_id: int, *, status: str, by: str, at: datetime,
               incident_id: int | None = None, reason: str | None = None) -> None: ...

    def attach(self, incident_id: int, photos: Sequence[Json], *, by: str,
               at: datetime) -> None:
        """The report's photos as the case's attachments (the blobs are stored already)."""
        ...

    def add_note(self, report_id: int, text: str, *, at: datetime) -> int: ...

    def rate(self, report_id: int, *, rating: int, note: str | None, at: datetime) -> None: ...

    def spend_phone_code(self, phone: str, code: str, *, at: datetime) -> bool:
        """Spend ``phone``'s live SMS code if ``code`` is it (in the report's transaction)."""
        ...

    def case_state(self, incident_id: int) -> dict[str, Any] | None:
        """``state`` and ``followed_up_at`` of the case a report became."""
        ...
