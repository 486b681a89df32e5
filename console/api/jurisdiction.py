"""Sideways reads cut to the reader's jurisdiction: "does this exist elsewhere" answers.

Duplicate and risk checks, a case's links, a registration's duplicates, a unit's tasks and the
recommendation list look across the whole territory. For a reader limited to a street (or a
community, a grid) this module keeps what lies inside its jurisdiction and tells the rest as
"a match exists in another street: call that street's centre" — the street's name and its
governance centre, never the other case's id, code, parties or counts, nor another street's
staff with their positions. Every decision goes through :mod:`dispatch.access` (``scope_of``,
``sees_incident``, ``sees_unit``), so a new jurisdiction level plugs in there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection

from console.api.auth_scope import visible_ids
from dispatch import views_scope, vocab
from dispatch.access import Principal, scope_of, sees_unit
from dispatch.risk import Counted, retold, uncounted

_CODE = re.compile(r"(?<!\d)\d{4}-\d{6}(?!\d)")

def street_contacts(conn: Connection, street_ids: Iterable[int | None]) -> list[dict[str, Any]]:
    """Who to call about a match in these streets: the street and its governance centre."""
    out = []
    for r in views_scope.street_centres(conn, street_ids):
        centre = r["centre"] or f"{r['street']}综治中心"
        call = centre + (f"（电话 {r['phone']}）" if r["phone"] else "")
        out.append({"street": r["street"], "centre": centre, "phone": r["phone"],
                    "message": f"{r['street']}有相关记录（不在您的辖区），请联系{call}"})
    return out


def outside(conn: Connection, p: Principal, incident_ids: Iterable[int]) -> set[int]:
    """Which of these cases lie outside the principal's jurisdiction."""
    wanted = {int(i) for i in incident_ids}
    if not wanted or scope_of(p).unrestricted:
        return set()
    return wanted - visible_ids(conn, p, wanted)


def elsewhere(conn: Connection, p: Principal, incident_ids: Iterable[int]) -> list[dict[str, Any]]:
    """The contacts of the streets holding these (outside) cases, one entry per street."""
    return street_contacts(conn, views_scope.streets_of_cases(conn, incident_ids))


def elsewhere_links(conn: Connection, p: Principal, case: dict[str, Any]) -> dict[str, Any]:
    """A case view whose links to cases outside the reader's jurisdiction become one
    ``elsewhere`` link per street: no id, code, score or reasons of the other case."""
    links = case.get("links") or []
    hidden = outside(conn, p, (int(link["other_id"]) for link in links))
    if not hidden:
        return case
    kept = [link for link in links if int(link["other_id"]) not in hidden]
    for contact in elsewhere(conn, p, hidden):
        kept.append({"kind": "elsewhere", "other_id": None, "other_code": None,
                     "reasons": [contact["message"]], "street": contact["street"],
                     "centre": contact["centre"], "phone": contact["phone"]})
    return {**case, "links": kept}


def _counted(basis: Iterable[Any]) -> dict[int, Counted]:
    out = {}
    for b in basis:
        if isinstance(b, Counted):
            out[b.reason] = b
        elif isinstance(b, Mapping):
            out[int(b["reason"])] = Counted(int(b["reason"]), str(b.get("kind") or ""),
                                            int(b.get("level") or 0),
                                            tuple(int(i) for i in b.get("ids") or ()))
    return out


def cut_risk(conn: Connection, p: Principal, reasons: list[str],
             basis: Iterable[Any]) -> list[str]:
    """Risk reasons as the reader may read them: a reason counting earlier disputes counts
    only those inside the reader's jurisdiction and says the rest lie in another street (with
    whom to call, not how many); a reason stored without its basis loses its number; other
    streets' case codes are cut (:func:`cut_codes`). The level stays the case's."""
    if not reasons or scope_of(p).unrestricted:
        return list(reasons)
    counted = _counted(basis)
    hidden = outside(conn, p, {i for c in counted.values() for i in c.ids})
    out, told = [], set()
    for n, reason in enumerate(reasons):
        c = counted.get(n)
        if c is None:
            out.append(reason if counted else uncounted(reason))
        elif hidden & set(c.ids):
            out.append(retold(c, len(set(c.ids) - hidden)))
            told |= hidden & set(c.ids)
        else:
            out.append(reason)
    out += [contact["message"] for contact in elsewhere(conn, p, told)] if told else []
    return cut_codes(conn, p, out)


def cut_case(conn: Connection, p: Principal, case: dict[str, Any]) -> dict[str, Any]:
    """A case view cut for the reader: links elsewhere told as contacts, risk reasons counting
    only what the reader may see (:func:`cut_risk`, also where the audit trail copies them).
    The basis of the counts (other cases' ids) never leaves the server."""
    case = elsewhere_links(conn, p, case)
    basis = case.pop("risk_basis", None) or []
    reasons = case.get("risk_reasons")
    if not isinstance(reasons, list) or not reasons or scope_of(p).unrestricted:
        return case
    stored = [str(r) for r in reasons]
    cut = cut_risk(conn, p, stored, basis)
    audit = [{**a, "detail": {**a["detail"], "risk_reasons": cut}}
             if isinstance(a.get("detail"), dict) and "risk_reasons" in a["detail"] else a
             for a in case.get("audit") or []]
    return {**case, "risk_reasons": cut, **({"audit": audit} if "audit" in case else {})}


def cut_duplicates(conn: Connection, p: Principal, answer: dict[str, Any], *,
                   basis: Iterable[Any] = ()) -> dict[str, Any]:
    """A registration's (or precheck's) ``duplicates`` cut to the jurisdiction; the streets
    of the others in ``elsewhere``; risk reasons cut by :func:`cut_risk` over ``basis`` (the
    registration's :class:`~dispatch.risk.Counted`)."""
    if scope_of(p).unrestricted:
        return answer
    dups = answer.get("duplicates") or []
    hidden = outside(conn, p, (int(d["other_id"]) for d in dups))
    out = dict(answer)
    if hidden:
        out["duplicates"] = [d for d in dups if int(d["other_id"]) not in hidden]
        out["elsewhere"] = [*(answer.get("elsewhere") or []), *elsewhere(conn, p, hidden)]
    risk = out.get("risk")
    if isinstance(risk, dict):
        out["risk"] = {**risk, "reasons": cut_risk(conn, p, list(risk.get("reasons") or []),
                                                   basis)}
    return out


def cut_codes(conn: Connection, p: Principal, texts: list[str]) -> list[str]:
    """Texts with the codes of cases outside the reader's jurisdiction replaced by
    "其他街道案件" (a risk reason names the earlier dispute it counts)."""
    codes = sorted({c for t in texts for c in _CODE.findall(t)})
    if not codes or scope_of(p).unrestricted:
        return texts
    ids = views_scope.case_ids_by_code(conn, codes)
    hidden_ids = outside(conn, p, ids.values())
    hidden = [c for c, i in ids.items() if i in hidden_ids]
    out = []
    for t in texts:
        for code in hidden:
            t = t.replace(code, "其他街道案件")
        out.append(t)
    return out


def cut_tasks(conn: Connection, p: Principal, unit_id: int,
              tasks: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """A unit's tasks the reader may see, and how many others it has outside them (a count
    the unit board shows anyway as its load)."""
    if scope_of(p).unrestricted or p.unit_id == unit_id:
        return tasks, 0
    seen = visible_ids(conn, p, (int(t["id"]) for t in tasks))
    kept = [t for t in tasks if int(t["id"]) in seen]
    return kept, len(tasks) - len(kept)


def cut_recommendation(conn: Connection, p: Principal, rec: Mapping[str, Any], *,
                       limit: int) -> dict[str, Any]:
    """A recommendation (``Recommendation.as_dict``) listing only units the reader may send;
    better-ranked units it may not send are told as 移交 to their street (type, street and
    ETA, without name, code or position). The ranking itself is the domain's."""
    items, pairs = list(rec.get("items") or []), list(rec.get("pairs") or [])
    if scope_of(p).unrestricted:
        return {**rec, "items": items[:limit], "pairs": pairs[:limit], "handover": []}
    ids = {int(i["unit_id"]) for i in items}
    ids |= {int(u) for pair in pairs for u in pair.get("unit_ids") or ()}
    facts = views_scope.units_with_street(conn, ids)

    def may_send(uid: Any) -> bool:
        f = facts.get(int(uid))
        return f is not None and sees_unit(p, f)

    kept = [i for i in items if may_send(i["unit_id"])][:limit]
    handover: list[dict[str, Any]] = []
    first_kept = next((n for n, i in enumerate(items) if may_send(i["unit_id"])), len(items))
    for item in items[:min(first_kept, limit)]:
        f = facts.get(int(item["unit_id"])) or {}
        street = f.get("street") or "其他街道"
        handover.append({"handover": True, "street": street,
                         "type": item.get("type"),
                         "type_label": vocab.UNIT_TYPES.get(str(item.get("type")), ""),
                         "eta_s": item.get("eta_s"),
                         "label": f"移交{street}：其{vocab.UNIT_TYPES.get(str(item.get('type')), '力量')}"
                                  "更近，请联系该街道派单"})
    kept_pairs = [pair for pair in pairs
                  if all(may_send(u) for u in pair.get("unit_ids") or ())][:limit]
    # the domain counts excluded units (off duty, full …) city-wide: not this reader's to know
    return {**rec, "items": kept, "pairs": kept_pairs, "handover": handover, "excluded": {}}
