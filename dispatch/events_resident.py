"""Events of resident reports (扫码说事): a report arrived, a report was decided (the desks'
triage queues change; neither is a case event, so they cause no notices)."""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.events import Event


@dataclass(frozen=True)
class ResidentReported(Event):
    """A new report waits for the desk, in this area (all None: nowhere located)."""

    report_id: int
    street_id: int | None
    community_id: int | None
    grid_id: int | None


@dataclass(frozen=True)
class ResidentDecided(Event):
    """``status``: accepted (it became ``case_id``) | rejected."""

    report_id: int
    status: str
    case_id: int | None = None


def is_resident(event_type: object) -> bool:
    """Whether a NOTIFY payload's ``type`` is one of these (the desk hub re-reads only the
    triage queue for them)."""
    return event_type in ("resident_reported", "resident_decided")
