"""The outbox in SQL: notices staged in the event's transaction, and the facts choosing them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, text

from dispatch.adapters import orm_outbox  # noqa: F401  (migration 0018's tables and columns)
from dispatch.adapters.repository import CASE_BY_ID
from dispatch.notices import CaseFacts, Contact, Notice, Subscription
from dispatch.ports_rows import CaseRow

# The units of a case as contacts (a JSON array of [id, name, phone, e-mail, street]).
_UNITS = ("(SELECT json_agg(json_build_array(u.id, u.name, u.phone, u.email, u.street_id) "
          "ORDER BY u.id) FROM units u WHERE u.id IN (SELECT a.unit_id FROM assignments a "
          "WHERE a.incident_id = i.id{}))")
_FACTS = CASE_BY_ID.replace(
    " FROM incidents i ", ", i.external_source AS x_source, i.external_id AS x_id, "
    + _UNITS.format(" AND a.state = 'active'") + " AS x_active, CASE WHEN :hooks AND "
    "i.external_id IS NOT NULL THEN " + _UNITS.format("") + " END AS x_handled "
    "FROM incidents i ", 1)
_MANY = _FACTS.replace("WHERE i.id = :id", "WHERE i.id = ANY(:ids)")
assert _MANY != _FACTS


def _contacts(rows: Any) -> list[Contact]:
    return [Contact(name=r[1], phone=r[2], email=r[3], unit_id=r[0], street_id=r[4])
            for r in rows or ()]


class OutboxRepository:
    """A :class:`dispatch.ports_outbox.Outbox` on the unit of work's connection."""

    def __init__(self, conn: Connection, *, off: Mapping[str, str] | None = None) -> None:
        self.conn = conn
        self.off = dict(off or {})  # channel → why this deployment cannot deliver through it

    def add(self, notices: Sequence[Notice], *, at: datetime) -> None:
        """Pending rows; a notice for a channel that is ``off`` is written ``skipped`` with the
        reason at once (as the delivery worker would mark it, never attempted)."""
        rows = [{"key": str(uuid.uuid4()), "channel": n.channel, "recipient": n.recipient,
                 "event_type": n.event_type, "incident_id": n.incident_id,
                 "subscription_id": n.subscription_id, "template": n.template,
                 "payload": json.dumps(n.payload, ensure_ascii=False, default=str), "at": at,
                 "state": "skipped" if n.channel in self.off else "pending",
                 "why": self.off.get(n.channel)}
                for n in notices]
        self.conn.execute(text(
            "INSERT INTO outbox (key, channel, recipient, event_type, incident_id, "
            "subscription_id, template, payload, next_at, created_at, state, last_error) VALUES "
            "(CAST(:key AS uuid), :channel, :recipient, :event_type, :incident_id, "
            ":subscription_id, :template, CAST(:payload AS jsonb), now(), :at, :state, :why)"),
            rows)

    def subscriptions(self) -> list[Subscription]:
        rows = self.conn.execute(text(
            "SELECT w.id, w.url, w.event_types, w.trusted, w.source, w.street_id, "
            "  (SELECT array_agg(s.id) FROM streets s WHERE s.district_id = w.district_id) "
            "    AS district_streets, w.district_id "
            "FROM webhook_subscriptions w WHERE w.active ORDER BY w.id")).mappings()
        out = []
        for r in rows:
            streets: tuple[int, ...] = ()
            if r["street_id"] is not None:
                streets = (r["street_id"],)
            elif r["district_id"] is not None:
                streets = tuple(r["district_streets"] or ()) or (-1,)  # an empty district
            out.append(Subscription(id=r["id"], url=r["url"],
                                    event_types=tuple(r["event_types"] or ()),
                                    street_ids=streets, trusted=r["trusted"], source=r["source"]))
        return out

    def contacts(self, unit_ids: Sequence[int]) -> list[Contact]:
        if not unit_ids:
            return []
        rows = self.conn.execute(text(
            "SELECT id, name, phone, email, street_id FROM units WHERE id = ANY(:ids) "
            "ORDER BY id"), {"ids": list(unit_ids)}).mappings()
        return [Contact(name=r["name"], phone=r["phone"], email=r["email"], unit_id=r["id"],
                        street_id=r["street_id"]) for r in rows]

    def handled_by(self, incident_id: int) -> list[Contact]:
        ids = self.conn.scalars(text(
            "SELECT DISTINCT unit_id FROM assignments WHERE incident_id = :id"),
            {"id": incident_id}).all()
        return self.contacts(list(ids))

    def case_facts(self, incident_id: int, *, handling: bool) -> CaseFacts:
        row = self.conn.execute(text(_FACTS), {"id": incident_id, "hooks": handling}
                                ).mappings().first()
        if row is None:
            return None, [], None, []
        return self._facts(row, handling)

    @staticmethod
    def _facts(row: Any, handling: bool) -> CaseFacts:
        case = {k: v for k, v in row.items() if not k.startswith("x_")}
        external = (row["x_source"], row["x_id"]) if row["x_id"] is not None else None
        return (cast(CaseRow, case), _contacts(row["x_active"]), external,
                _contacts(row["x_handled"]) if external and handling else [])

    def external(self, incident_id: int) -> tuple[str, str] | None:
        row = self.conn.execute(text(
            "SELECT external_source, external_id FROM incidents WHERE id = :id "
            "AND external_id IS NOT NULL"), {"id": incident_id}).first()
        return (row[0], row[1]) if row else None

    def result(self, incident_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(text(
            "SELECT c.outcome, c.note, c.agreement, c.oral_terms, c.referred_to, "
            "(SELECT a.terms FROM agreements a WHERE a.incident_id = c.incident_id "
            " ORDER BY a.version DESC LIMIT 1) AS terms, "
            "(SELECT a.parties FROM agreements a WHERE a.incident_id = c.incident_id "
            " ORDER BY a.version DESC LIMIT 1) AS agreement_parties "
            "FROM incident_closures c WHERE c.incident_id = :id ORDER BY c.id DESC LIMIT 1"),
            {"id": incident_id}).mappings().first()
        return dict(row) if row else None

    def find_externals(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """:meth:`find_external` for many at once: every id locked (in one order), then one read
        (a statement of its own, so it sees what a transaction that held a lock committed)."""
        if not pairs:
            return {}
        keys = sorted({f"fq-external:{s}:{e}" for s, e in pairs})
        self.conn.execute(text("SELECT count(pg_advisory_xact_lock(hashtext(k))) FROM ("
                               "SELECT k FROM unnest(CAST(:ks AS text[])) k ORDER BY k) s"),
                          {"ks": keys})
        rows = self.conn.execute(text(
            "SELECT i.external_source, i.external_id, i.id FROM incidents i JOIN unnest("
            "CAST(:s AS text[]), CAST(:e AS text[])) AS p(s, e) ON i.external_source = p.s "
            "AND i.external_id = p.e"),
            {"s": [p[0] for p in pairs], "e": [p[1] for p in pairs]}).all()
        return {(r[0], r[1]): int(r[2]) for r in rows}

    def many_facts(self, ids: Sequence[int], *, handling: bool) -> dict[int, CaseFacts]:
        """:meth:`case_facts` of several cases in one read (a case not found: none)."""
        rows = self.conn.execute(text(_MANY), {"ids": sorted(set(ids)), "hooks": handling}
                                 ).mappings().all() if ids else []
        return {int(r["id"]): self._facts(r, handling) for r in rows}

    def find_external(self, source: str, external_id: str) -> int | None:
        # one registration per external id at a time: the second waits, then finds the first
        self.conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                          {"k": f"fq-external:{source}:{external_id}"})
        return self.conn.scalar(text(
            "SELECT id FROM incidents WHERE external_source = :s AND external_id = :e"),
            {"s": source, "e": external_id})
