"""The outbox's port: what staging notices and the 12345 exchange need of a unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from dispatch.notices import CaseFacts, Contact, Notice, Subscription


class Outbox(Protocol):
    """Notices written in the event's transaction, and the facts that choose them."""

    def add(self, notices: Sequence[Notice], *, at: datetime) -> None:
        """One pending row per notice, each with a fresh idempotency key."""
        ...

    def subscriptions(self) -> list[Subscription]:
        """The active webhook subscriptions (a district's resolved to its streets)."""
        ...

    def contacts(self, unit_ids: Sequence[int]) -> list[Contact]:
        """The units' names, phones and e-mails from the roster."""
        ...

    def handled_by(self, incident_id: int) -> list[Contact]:
        """Every unit sent to the case, released ones too (the 12345 result's handling unit)."""
        ...

    def case_facts(self, incident_id: int, *, handling: bool) -> CaseFacts:
        """What choosing a case's notices needs, in one read: the case row (as
        ``Incidents.get``), its active units' contacts, its external id, and (``handling``
        asked and the case external) every unit sent to it."""
        ...

    def external(self, incident_id: int) -> tuple[str, str] | None:
        """``(external_source, external_id)`` of a case from another platform."""
        ...

    def result(self, incident_id: int) -> dict[str, Any] | None:
        """The case's latest 办结 record (outcome, note, agreement kind, oral terms, referred
        to) with its latest written agreement's terms, or None before any."""
        ...

    def many_facts(self, ids: Sequence[int], *, handling: bool) -> dict[int, CaseFacts]:
        """:meth:`case_facts` of several cases in one read (a case not found is left out)."""
        ...

    def find_externals(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """:meth:`find_external` of several ids at once (each locked the same way): the
        ones already registered."""
        ...

    def find_external(self, source: str, external_id: str) -> int | None:
        """The case already registered under that external id (serialised per id until the
        transaction ends, so two concurrent registrations make one case)."""
        ...
