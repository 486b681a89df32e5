"""The fake :class:`dispatch.ports_outbox.Outbox`: staged notices, subscriptions, external ids."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from dispatch.notices import CaseFacts, Contact, Notice, Subscription
from tests.fakes.db import FakeDb, Tables


class FakeOutbox:
    def __init__(self, db: FakeDb) -> None:
        self.db = db

    @property
    def t(self) -> Tables:
        return self.db.tables  # the current tables (a rollback replaces them)

    def add(self, notices: Sequence[Notice], *, at: datetime) -> None:
        self.db.wrote("outbox")
        for n in notices:
            self.t.outbox.append({**asdict(n), "key": str(uuid.uuid4()), "state": "pending",
                                  "attempts": 0, "next_at": at})

    def subscriptions(self) -> list[Subscription]:
        return [s for s in self.t.subscriptions]

    def contacts(self, unit_ids: Sequence[int]) -> list[Contact]:
        out = []
        for uid in sorted(set(unit_ids)):
            unit = self.t.units.get(uid)
            if unit is not None:
                extra = self.t.contacts.get(uid, {})
                out.append(Contact(name=unit.name, phone=extra.get("phone"),
                                   email=extra.get("email"), unit_id=uid,
                                   street_id=unit.street_id))
        return out

    def handled_by(self, incident_id: int) -> list[Contact]:
        return self.contacts([a["unit_id"] for a in self.t.assignments
                              if a["incident_id"] == incident_id])

    def case_facts(self, incident_id: int, *, handling: bool) -> CaseFacts:
        from tests.fakes.incidents import FakeIncidents
        from tests.fakes.units import FakeUnits

        case = FakeIncidents(self.db).get(incident_id)
        active = [a["unit_id"] for a in FakeUnits(self.db).active_on(incident_id)]
        external = self.external(incident_id)
        return (case, self.contacts(active), external,
                self.handled_by(incident_id) if external and handling else [])

    def external(self, incident_id: int) -> tuple[str, str] | None:
        return self.t.externals.get(incident_id)

    def result(self, incident_id: int) -> dict[str, Any] | None:
        closures = [c for c in self.t.closures if c.get("incident_id") == incident_id]
        if not closures:
            return None
        agreements = sorted((a for a in self.t.agreements if a.get("incident_id") == incident_id),
                            key=lambda a: a.get("version") or 0)
        last = agreements[-1] if agreements else {}
        return {**{k: closures[-1].get(k) for k in ("outcome", "note", "agreement", "oral_terms",
                                                    "referred_to")},
                "terms": last.get("terms"), "agreement_parties": last.get("parties")}

    def many_facts(self, ids: Sequence[int], *, handling: bool) -> dict[int, CaseFacts]:
        return {i: f for i in sorted(set(ids)) if (f := self.case_facts(i, handling=handling))[0]
                is not None}

    def find_externals(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
        return {p: i for p in pairs if (i := self.find_external(*p)) is not None}

    def find_external(self, source: str, external_id: str) -> int | None:
        for iid, pair in self.t.externals.items():
            if pair == (source, external_id):
                return iid
        return None
