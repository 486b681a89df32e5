"""Read side of the mediator's record: a case's file (五步, sessions, agreements, 司法确认,
attachments, 延期), the rooms to book, and the masks for those who may not read the parties."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from dispatch.attachments import TYPES
from dispatch.privacy import mask_name, mask_party, mask_text, party_names
from dispatch.record import JUDICIAL, MODES, PARTICIPANT_KINDS, ROOM_KINDS, steps_checklist


def _rows(conn: Connection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(text(sql), params).mappings()]


def case_record(conn: Connection, incident_id: int) -> dict[str, Any]:
    """Everything on the case's file, oldest first; the latest agreement and 司法确认 apart."""
    p = {"i": incident_id}
    steps = _rows(conn, "SELECT s.id, s.step, s.note, s.happened_at, s.unit_id, u.name AS "
                  "unit_name, s.recorded_by, s.recorded_at FROM mediation_steps s LEFT JOIN "
                  "units u ON u.id = s.unit_id WHERE s.incident_id = :i ORDER BY s.happened_at, "
                  "s.id", p)
    sessions = _rows(conn, "SELECT id, facility_id, place, starts_at, ends_at, mode, "
                     "participants, note, booked_by, booked_at, cancelled_at, cancelled_by "
                     "FROM mediation_sessions WHERE incident_id = :i ORDER BY starts_at, id", p)
    for s in sessions:
        s["mode_label"] = MODES.get(s["mode"], s["mode"])
        for person in s["participants"]:
            person["kind_label"] = PARTICIPANT_KINDS.get(person.get("kind"), "")
    agreements = _rows(conn, "SELECT id, version, number, committee, parties, mediators, "
                       "facts, terms, performance, correction, created_by, created_at FROM "
                       "agreements WHERE incident_id = :i ORDER BY version", p)
    judicial = _rows(conn, "SELECT id, agreement_id, status, court, on_date, note, "
                     "recorded_by, recorded_at FROM judicial_confirmations WHERE "
                     "incident_id = :i ORDER BY id", p)
    for j in judicial:
        j["status_label"] = JUDICIAL[j["status"]]
    files = _rows(conn, "SELECT id, sha256, content_type, size, filename, unit_id, "
                  "uploaded_by, uploaded_at FROM attachments WHERE incident_id = :i "
                  "ORDER BY id", p)
    for f in files:
        f["type_label"] = TYPES.get(f["content_type"], f["content_type"])
    extensions = _rows(conn, "SELECT id, days, reason, requested_by, requested_role, unit_id, "
                       "requested_at, status, decided_by, decided_at, decision_note, "
                       "deadline_before, deadline_after FROM case_extensions WHERE "
                       "incident_id = :i ORDER BY id", p)
    return {"incident_id": incident_id, "steps": steps_checklist(steps), "sessions": sessions,
            "agreements": agreements, "agreement": agreements[-1] if agreements else None,
            "judicial": judicial, "judicial_status": judicial[-1] if judicial else None,
            "attachments": files, "extensions": extensions,
            "pending_extension": next((e for e in extensions if e["status"] == "pending"),
                                      None)}


def mask_record(rec: dict[str, Any], case: dict[str, Any]) -> dict[str, Any]:
    """The file as a masked reader sees it: names, phones, doors and file names hidden."""
    names = party_names(case)
    out = dict(rec)

    def txt(v: Any) -> Any:
        return mask_text(v, names) if isinstance(v, str) else v

    out["steps"] = [{**s, "entries": [{**e, "note": txt(e["note"])} for e in s["entries"]]}
                    for s in rec["steps"]]
    out["sessions"] = [{**s, "note": txt(s["note"]), "participants": [
        {**p, "name": mask_name(p.get("name")) if p.get("kind") == "party" else p.get("name")}
        for p in s["participants"]]} for s in rec["sessions"]]
    out["agreements"] = [mask_agreement(a, names) for a in rec["agreements"]]
    out["agreement"] = out["agreements"][-1] if out["agreements"] else None
    out["attachments"] = [{**f, "filename": None} for f in rec["attachments"]]
    out["extensions"] = [{**e, "reason": txt(e["reason"]), "decision_note":
                          txt(e["decision_note"])} for e in rec["extensions"]]
    out["pending_extension"] = next((e for e in out["extensions"] if e["status"] == "pending"),
                                    None)
    out["masked"] = True
    return out


def mask_agreement(a: dict[str, Any], names: list[str]) -> dict[str, Any]:
    names = names + [str(p.get("name")) for p in a.get("parties") or [] if p.get("name")]
    return {**a, "parties": [mask_party(p) for p in a.get("parties") or []],
            **{k: mask_text(a[k], names) for k in ("facts", "terms", "performance",
                                                    "correction") if a.get(k)}}


def agreement_version(conn: Connection, incident_id: int, version: int | None = None
                      ) -> dict[str, Any] | None:
    """One agreement version (the latest without ``version``) with the case's facts it prints."""
    row = conn.execute(text(
        "SELECT a.id, a.version, a.number, a.committee, a.parties, a.mediators, a.facts, "
        "a.terms, a.performance, a.correction, a.created_by, a.created_at, i.code, "
        "i.category, i.address, i.parties AS case_parties, "
        "(SELECT count(*) FROM agreements b WHERE b.incident_id = a.incident_id) AS versions "
        "FROM agreements a JOIN incidents i ON i.id = a.incident_id WHERE a.incident_id = :i "
        "AND (CAST(:v AS int) IS NULL OR a.version = :v) ORDER BY a.version DESC LIMIT 1"),
        {"i": incident_id, "v": version}).mappings().first()
    return None if row is None else dict(row)


def attachment(conn: Connection, attachment_id: int, *, content: bool = True
               ) -> dict[str, Any] | None:
    row = conn.execute(text(
        "SELECT a.id, a.incident_id, a.sha256, a.content_type, a.size, a.filename"
        + (", b.content" if content else "") + " FROM attachments a JOIN attachment_blobs b "
        "ON b.sha256 = a.sha256 WHERE a.id = :a"), {"a": attachment_id}).mappings().first()
    return None if row is None else dict(row)


def rooms(conn: Connection, *, street_id: int | None = None) -> list[dict[str, Any]]:
    """Rooms a session may be booked in: the case's street first, then the others by level."""
    return _rows(conn, (
        "SELECT id, code, name, kind, level, street_id, community_id, address FROM facilities "
        "WHERE kind = ANY(:k) ORDER BY (street_id IS NOT DISTINCT FROM :s) DESC, "
        "CASE level WHEN 'community' THEN 0 WHEN 'street' THEN 1 WHEN 'district' THEN 2 "
        "ELSE 3 END, name LIMIT 300"), {"k": sorted(ROOM_KINDS), "s": street_id})
