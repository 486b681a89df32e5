"""The event of the mediator's record: something was added to a case's file."""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.events import Event


@dataclass(frozen=True)
class CaseRecordChanged(Event):
    """``what``: step | session | agreement | judicial | attachment | extension."""

    incident_id: int
    what: str
    record_id: int
    actor: str
