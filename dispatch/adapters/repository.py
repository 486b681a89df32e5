"""SQL for incidents: codes, rows, guarded state changes, audit, timers, links, supervision."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, text
from sqlalchemy.dialects import postgresql

from dispatch.adapters import orm
from dispatch.clocks import TimerSpec
from dispatch.model import IncidentFacts, PartyFacts
from dispatch.policy import Policy
from dispatch.ports_rows import AuditEntry, CaseRow, Json, TimerRow
from dispatch.risk import PriorCase, is_prior, threat_words

# Columns kept beside the incident row in incident_flow (1:1), with their defaults.
FLOW = {"level": "'community'", "escalations": "0", "one_case_plan": "false",
        "risk_reasons": "'[]'::jsonb", "risk_basis": "'[]'::jsonb",
        "auto_dispatch": "NULL::boolean", "reopened": "0", "agreement_holds": "NULL::boolean",
        "merged_into": "NULL::int", "proposed_priority": "NULL::smallint"}
_JSONB = frozenset({"risk_reasons", "risk_basis"})
PARTY_KEYS = ("(jsonb_path_query_array(parties, '$[*].phone') || "
              "jsonb_path_query_array(parties, '$[*].name'))")
_INCIDENT = (
    "SELECT i.id, code, channel, category, priority, difficulty, state, risk_level, language, title, "
    "description, address, ST_X(geom) AS lon, ST_Y(geom) AS lat, street_id, community_id, "
    "grid_id, micro_grid_id, police_grid_id, parties, reported_at, outcome, version, "
    "sign_deadline, close_deadline, followed_up_at, "
    + ", ".join(f"COALESCE(f.{c}, {d}) AS {c}" for c, d in FLOW.items())
    + " FROM incidents i LEFT JOIN incident_flow f ON f.incident_id = i.id WHERE i.id = :id")
CASE_BY_ID = _INCIDENT  # the case row as ``get`` reads it (the outbox's facts add to it)


# A new case whole in one statement, the last of its registration: the year's counter (its row
# stays locked until commit: codes are gapless), the incident row with its code, its
# incident_flow row, clocks, duplicate links and audit rows (each audit's entity_id, when None,
# is the new id; a detail with a ``code`` key gets the code). No row is written twice. Six
# digits at least; more once a year passes 999,999 cases. The values are cast to their
# column's base type (an INSERT … SELECT does not type its parameters from the columns;
# varchar lengths are still checked by the column).
def _base_type(column: Any) -> str:
    name = column.type.compile(dialect=postgresql.dialect())
    return "text" if name.startswith(("VARCHAR", "TEXT")) else name


_TYPES = {c.name: _base_type(c) for t in (orm.incidents, orm.incident_flow) for c in t.columns
          if c.name != "geom"}
_CODE = ("CAST(:y AS text) || '-' || lpad(n.last::text, greatest(6, length(n.last::text)), "
         "'0')")
_CREATE_TAIL = (
    "t AS (INSERT INTO incident_timers (incident_id, kind, stage, round, due_at) "
    "SELECT i.id, r.kind, r.stage, r.round, r.due_at FROM i, jsonb_to_recordset("
    "CAST(:timers AS jsonb)) AS r(kind text, stage text, round int, due_at timestamptz) "
    "ON CONFLICT ON CONSTRAINT uq_incident_timers_stage DO NOTHING), "
    "l AS (INSERT INTO incident_links (incident_id, other_id, kind, score, reasons, created_at, "
    "created_by) SELECT i.id, r.other_id, r.kind, r.score, r.reasons, r.at, r.by FROM i, "
    "jsonb_to_recordset(CAST(:links AS jsonb)) AS r(other_id int, kind text, score float, "
    "reasons jsonb, at timestamptz, by text) "
    "ON CONFLICT ON CONSTRAINT uq_incident_links_pair DO NOTHING), "
    "a AS (INSERT INTO audit_log (at, actor, action, entity, entity_id, from_state, to_state, "
    "reason, detail) SELECT r.at, r.actor, r.action, r.entity, COALESCE(r.entity_id, i.id), "
    "r.from_state, r.to_state, r.reason, CASE WHEN r.detail ? 'code' THEN r.detail || "
    "jsonb_build_object('code', i.code) ELSE r.detail END FROM i, jsonb_to_recordset("
    "CAST(:rows AS jsonb)) AS r(k int, at timestamptz, actor text, action text, entity text, "
    "entity_id int, from_state text, to_state text, reason text, detail jsonb) ORDER BY r.k) "
    "SELECT id, code FROM i")


def audit_rows(audits: Sequence[AuditEntry]) -> str:
    """Audit entries as the JSON array :data:`_NUMBER` reads with ``jsonb_to_recordset``."""
    return json.dumps([{"k": k, "at": a.at.isoformat(), "actor": a.actor, "action": a.action,
                        "entity": a.entity, "entity_id": a.entity_id, "from_state": a.from_state,
                        "to_state": a.to_state, "reason": a.reason, "detail": a.detail}
                       for k, a in enumerate(audits)], ensure_ascii=False, default=str)


class IncidentRepository:
    """Incident-side statements on the unit of work's connection (one transaction)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- codes and rows ----------------------------------------------------------------------
    def create(self, values: Json, *, lon: float | None, lat: float | None, year: int,
               timers: Sequence[TimerSpec], links: Sequence[Json],
               audits: Sequence[AuditEntry]) -> tuple[int, str]:
        """Write a new case whole and give it its ``YYYY-NNNNNN`` code in one statement (see
        the comment above :data:`_TYPES`): the registration's last statement, since the
        year's counter row stays locked until commit (codes are gapless, never repeat).
        ``links``: ``other_id``, ``kind``, ``score``, ``reasons``, ``at``, ``by``. Its id
        and code."""
        own = {k: v for k, v in values.items() if k not in FLOW and k != "code"}
        flow = {k: v for k, v in values.items() if k in FLOW}
        params: Json = {"y": year, "lon": lon, "lat": lat, "rows": audit_rows(audits),
                        "timers": json.dumps([{"kind": s.kind, "stage": s.stage,
                                               "round": s.round, "due_at": s.due_at.isoformat()}
                                              for s in timers]),
                        "links": json.dumps(list(links), ensure_ascii=False, default=str)}
        cols = list(own)
        vals = [f"CAST(:v_{c} AS {_TYPES[c]})" for c in cols]
        for c in cols:
            v = own[c]
            params[f"v_{c}"] = json.dumps(v, ensure_ascii=False) if _TYPES[c] == "JSONB" else v
        if lon is not None:
            cols.append("geom")
            vals.append("ST_SetSRID(ST_MakePoint(CAST(:lon AS float), CAST(:lat AS float)), 4326)")
        fvals = []
        for c in flow:
            v = flow[c]
            params[f"f_{c}"] = json.dumps(v, ensure_ascii=False) if c in _JSONB else v
            fvals.append(f"CAST(:f_{c} AS {_TYPES[c]})")
        sql = ("WITH n AS (UPDATE incident_code_counters SET last = last + 1 WHERE year = :y "
               "RETURNING last), "
               f"i AS (INSERT INTO incidents ({', '.join(cols)}, code) SELECT {', '.join(vals)}, "
               f"{_CODE} FROM n RETURNING id, code), "
               + (f"f AS (INSERT INTO incident_flow (incident_id, {', '.join(flow)}) SELECT i.id, "
                  f"{', '.join(fvals)} FROM i), " if flow else "")
               + _CREATE_TAIL)
        row = self.conn.execute(text(sql), params).first()
        if row is None:  # first case of the year: start after any loaded codes of that year
            self.conn.execute(text(
                "INSERT INTO incident_code_counters (year, last) SELECT :y, COALESCE(max("
                "substr(code, 6)::int), 0) FROM incidents WHERE code LIKE :p AND code ~ '^[0-9]{4}-"
                "[0-9]+$' ON CONFLICT (year) DO NOTHING"), {"y": year, "p": f"{year}-%"})
            row = self.conn.execute(text(sql), params).first()
        assert row is not None
        return int(row[0]), str(row[1])

    def hold(self, ids: Sequence[int]) -> None:
        """Key-share lock the cases (a new case's link targets) before the counter row."""
        if ids:
            self.conn.execute(text("SELECT id FROM incidents WHERE id = ANY(:ids) ORDER BY id "
                                   "FOR KEY SHARE"), {"ids": sorted(set(ids))})

    def _flow(self, incident_id: int, cols: Json) -> None:
        """Upsert the case's incident_flow columns."""
        vals = {k: (json.dumps(v, ensure_ascii=False) if k in _JSONB else v)
                for k, v in cols.items()}
        names = list(vals)
        self.conn.execute(text(
            f"INSERT INTO incident_flow (incident_id, {', '.join(names)}) VALUES (:incident_id, "
            + ", ".join(f"CAST(:{c} AS jsonb)" if c in _JSONB else f":{c}" for c in names)
            + ") ON CONFLICT (incident_id) DO UPDATE SET "
            + ", ".join(f"{c} = EXCLUDED.{c}" for c in names)), {"incident_id": incident_id, **vals})

    def get(self, incident_id: int, *, lock: bool = False) -> CaseRow | None:
        row = self.conn.execute(text(_INCIDENT + (" FOR UPDATE OF i" if lock else "")),
                                {"id": incident_id}).mappings().first()
        return cast(CaseRow, dict(row)) if row else None

    def set_state(self, incident_id: int, from_state: str, to_state: str,
                  **columns: Any) -> bool:
        """Guarded change: only if the case is still in ``from_state`` (no lost update)."""
        own = {k: v for k, v in columns.items() if k not in FLOW}
        sets = "".join(f", {c} = :{c}" for c in own)
        row = self.conn.execute(text(
            f"UPDATE incidents SET state = :to, version = version + 1{sets} "
            "WHERE id = :id AND state = :frm RETURNING id"),
            {"id": incident_id, "frm": from_state, "to": to_state, **own}).first()
        flow = {k: v for k, v in columns.items() if k in FLOW}
        if row is not None and flow:
            self._flow(incident_id, flow)
        return row is not None

    def update(self, incident_id: int, **columns: Any) -> None:
        own = {k: v for k, v in columns.items() if k not in FLOW}
        flow = {k: v for k, v in columns.items() if k in FLOW}
        sets = "".join(f", {c} = :{c}" for c in own)
        self.conn.execute(text(f"UPDATE incidents SET version = version + 1{sets} "
                               "WHERE id = :id"), {"id": incident_id, **own})
        if flow:
            self._flow(incident_id, flow)

    def locate(self, incident_id: int, lon: float, lat: float, chain: dict[str, int | None]
               ) -> None:
        self.conn.execute(text(
            "UPDATE incidents SET geom = ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), "
            "street_id = :street, community_id = :community, grid_id = :grid, "
            "micro_grid_id = :micro_grid, police_grid_id = :police_grid WHERE id = :id"),
            {"id": incident_id, "lon": lon, "lat": lat, **chain})

    # -- audit ----------------------------------------------------------------------------------
    def audit(self, *, at: datetime, actor: str, action: str, entity_id: int | None,
              entity: str = "incident", from_state: str | None = None,
              to_state: str | None = None, reason: str | None = None,
              detail: Json | None = None) -> None:
        self.conn.execute(text(
            "INSERT INTO audit_log (at, actor, action, entity, entity_id, from_state, to_state, "
            "reason, detail) VALUES (:at, :actor, :action, :entity, :eid, :frm, :to, :reason, "
            "CAST(:detail AS jsonb))"),
            {"at": at, "actor": actor, "action": action, "entity": entity, "eid": entity_id,
             "frm": from_state, "to": to_state, "reason": reason,
             "detail": json.dumps(detail or {}, ensure_ascii=False, default=str)})

    # -- timers -----------------------------------------------------------------------------------
    def add_timers(self, incident_id: int, specs: Iterable[TimerSpec]) -> None:
        rows = [{"i": incident_id, "k": s.kind, "s": s.stage, "r": s.round, "d": s.due_at}
                for s in specs]
        if rows:
            self.conn.execute(text(
                "INSERT INTO incident_timers (incident_id, kind, stage, round, due_at) "
                "VALUES (:i, :k, :s, :r, :d) ON CONFLICT ON CONSTRAINT uq_incident_timers_stage "
                "DO NOTHING"), rows)

    def cancel_timers(self, incident_id: int, kinds: Sequence[str], at: datetime) -> int:
        if not kinds:
            return 0
        res = self.conn.execute(text(
            "UPDATE incident_timers SET processed_at = :at, outcome = 'cancelled' "
            "WHERE incident_id = :i AND kind = ANY(:k) AND processed_at IS NULL"),
            {"i": incident_id, "k": list(kinds), "at": at})
        return int(res.rowcount or 0)

    def next_round(self, incident_id: int, kind: str) -> int:
        return int(self.conn.scalar(text(
            "SELECT COALESCE(max(round), -1) + 1 FROM incident_timers "
            "WHERE incident_id = :i AND kind = :k"), {"i": incident_id, "k": kind}))

    def claim_due_timer(self, now: datetime) -> TimerRow | None:
        """The oldest unprocessed stage due by ``now``, row-locked; others skip it."""
        row = self.conn.execute(text(
            "SELECT id, incident_id, kind, stage, round, due_at, whistle_id FROM incident_timers "
            "WHERE processed_at IS NULL AND due_at <= :now ORDER BY due_at, id LIMIT 1 "
            "FOR UPDATE SKIP LOCKED"), {"now": now}).mappings().first()
        return cast(TimerRow, dict(row)) if row else None

    def finish_timer(self, timer_id: int, at: datetime, outcome: str) -> bool:
        row = self.conn.execute(text(
            "UPDATE incident_timers SET processed_at = :at, outcome = :o "
            "WHERE id = :id AND processed_at IS NULL RETURNING id"),
            {"id": timer_id, "at": at, "o": outcome}).first()
        return row is not None

    # -- supervision, links, follow-up -----------------------------------------------------------
    def open_supervision(self, incident_id: int, *, kind: str, level: str, at: datetime,
                         by: str, reason: str) -> int:
        return int(self.conn.scalar(text(
            "INSERT INTO supervisions (incident_id, kind, level, opened_at, opened_by, reason) "
            "VALUES (:i, :k, :l, :at, :by, :r) RETURNING id"),
            {"i": incident_id, "k": kind, "l": level, "at": at, "by": by, "r": reason}))

    def supervision_levels(self, incident_id: int, kind: str) -> list[str]:
        return list(self.conn.execute(text(
            "SELECT level FROM supervisions WHERE incident_id = :i AND kind = :k "
            "AND closed_at IS NULL ORDER BY id"), {"i": incident_id, "k": kind}).scalars())

    def close_supervisions(self, incident_id: int, at: datetime, *, kind: str | None = None
                           ) -> None:
        """Close the case's open supervisions (of one clock ``kind``, or all)."""
        self.conn.execute(text(
            "UPDATE supervisions SET closed_at = :at WHERE incident_id = :i AND closed_at IS NULL "
            "AND (CAST(:k AS text) IS NULL OR kind = :k)"), {"i": incident_id, "at": at, "k": kind})

    def add_link(self, incident_id: int, other_id: int, *, kind: str, at: datetime, by: str,
                 score: float | None = None, reasons: Sequence[str] = ()) -> bool:
        row = self.conn.execute(text(
            "INSERT INTO incident_links (incident_id, other_id, kind, score, reasons, created_at, "
            "created_by) VALUES (:i, :o, :k, :s, CAST(:r AS jsonb), :at, :by) "
            "ON CONFLICT ON CONSTRAINT uq_incident_links_pair DO NOTHING RETURNING id"),
            {"i": incident_id, "o": other_id, "k": kind, "s": score, "at": at, "by": by,
             "r": json.dumps(list(reasons), ensure_ascii=False)}).first()
        return row is not None

    def add_followup(self, incident_id: int, due_at: datetime) -> None:
        self.conn.execute(text("INSERT INTO followups (incident_id, due_at) VALUES (:i, :d)"),
                          {"i": incident_id, "d": due_at})

    def complete_followup(self, incident_id: int, *, at: datetime, satisfaction: int,
                          agreement_holds: bool, neighbours: int, note: str | None,
                          actor: str, method: str | None = None) -> None:
        params = {"i": incident_id, "at": at, "s": satisfaction, "a": agreement_holds,
                  "n": neighbours, "note": note, "actor": actor, "m": method}
        done = self.conn.execute(text(
            "UPDATE followups SET done_at = :at, satisfaction = :s, agreement_holds = :a, "
            "neighbours_visited = :n, note = :note, actor = :actor, method = :m "
            "WHERE id = (SELECT id FROM "
            "followups WHERE incident_id = :i AND done_at IS NULL ORDER BY due_at LIMIT 1) "
            "RETURNING id"), params).first()
        if done is None:  # a visit nobody scheduled is still recorded
            self.conn.execute(text(
                "INSERT INTO followups (incident_id, due_at, done_at, satisfaction, "
                "agreement_holds, neighbours_visited, note, actor, method) VALUES "
                "(:i, :at, :at, :s, :a, :n, :note, :actor, :m)"), params)

    def has_agreement(self, incident_id: int) -> bool:
        """Whether a written agreement (any version) is on the case's record (migration 0009)."""
        return bool(self.conn.scalar(text(
            "SELECT EXISTS (SELECT 1 FROM agreements WHERE incident_id = :i)"), {"i": incident_id}))

    # -- earlier cases near a new one --------------------------------------------------------------
    def priors(self, *, lon: float | None, lat: float | None, address: str | None,
               keys: Sequence[str], since: datetime, radius_m: float,
               exclude: int | None = None, limit: int = 200) -> list[PriorCase]:
        """The earlier cases of a new one (:func:`dispatch.risk.is_prior` decides: since
        ``since``, within ``radius_m`` of the point, at the address, or sharing a phone or
        name); the statement only narrows by the same conditions, so the indexes serve it."""
        where = []
        if lon is not None:
            # the box (degrees, GiST) narrows first; the geography distance decides
            where.append("(geom && ST_Expand(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :deg) "
                         "AND ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), "
                         "4326)::geography, :r))")
        if address:
            where.append("address = :addr")
        if keys:
            where.append(f"{PARTY_KEYS} ?| CAST(:keys AS text[])")
        if not where:
            return []
        dist = ("ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
                "::geography)" if lon is not None else "NULL::float")
        rows = self.conn.execute(text(
            f"SELECT id, code, state, category, reported_at, address, {dist} AS distance_m, "
            # the window is checked on the rows found, not through its index: ANDing that
            # index's bitmap (every case of the last 30 days: 78k in the province) with the
            # few near ones cost the backend 2.4 ms a registration there, 0.4-0.7 without
            "parties FROM incidents WHERE reported_at + interval '0 s' >= :since AND id <> :ex "
            "AND ("
            + " OR ".join(where) + ") ORDER BY reported_at DESC LIMIT :lim"),
            {"lon": lon, "lat": lat, "r": radius_m, "addr": address, "keys": list(keys),
             "deg": radius_m / (111_320.0 * max(0.1, math.cos(math.radians(lat or 0.0)))),
             "since": since, "ex": exclude or 0, "lim": limit}).tuples()
        # plain tuples: a hot door has up to ``limit`` rows, and a mapping per row cost more
        # than the rules that weigh them
        found = (PriorCase(
            id=i, code=code, state=state, category=category, reported_at=at, address=addr,
            distance_m=dist, phones=frozenset(p["phone"] for p in parties if p.get("phone")),
            names=frozenset(p["name"] for p in parties if p.get("name")))
            for i, code, state, category, at, addr, dist, parties in rows)
        mine = frozenset(keys)
        return [p for p in found
                if is_prior(p, address=address, keys=mine, since=since, radius_m=radius_m)]


def facts(row: CaseRow, *, policy: Policy) -> IncidentFacts:
    """The rules' view of an incident row."""
    parties = tuple(PartyFacts(name=p.get("name", ""), phone=p.get("phone"),
                               role=p.get("role", "applicant"), language=p.get("language"))
                    for p in row["parties"] or [])
    return IncidentFacts(
        id=row["id"], code=row["code"], category=row["category"], priority=row["priority"],
        difficulty=row["difficulty"], state=row["state"], risk_level=row["risk_level"],
        threat=bool(threat_words(row["description"] or "", policy)),
        language=row["language"], lon=row["lon"], lat=row["lat"], street_id=row["street_id"],
        community_id=row["community_id"], grid_id=row["grid_id"],
        police_grid_id=row["police_grid_id"], escalations=row["escalations"],
        one_case_plan=row["one_case_plan"], address=row["address"], parties=parties,
        reported_at=row["reported_at"])

