"""The 民转刑 risk watch list: open cases flagged orange or red, and what has been done on each.

Pure shaping of :func:`analysis.queries.watch_rows`: the risk, its reasons and the earlier cases
they count (``risk_basis``), and the handling so far in plain words (units sent, mediation
steps, supervisions, whistles, escalations, 一事一策). Masking is the face's: these rows carry
the case title and reasons, which may name the parties.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from dispatch.policy import RISK_LABELS
from dispatch.vocab import CATEGORIES, INCIDENT_STATES, UNIT_TYPES

LEVEL_NAMES = {"community": "社区", "street": "街道", "district": "区县", "city": "市"}


def done(row: Mapping[str, Any]) -> list[str]:
    """What has been done on the case, in the order a reader checks it."""
    out = []
    n = int(row.get("assignments") or 0)
    if n:
        types = "、".join(UNIT_TYPES.get(t, t) for t in sorted(row.get("unit_types") or ()))
        out.append(f"已派单 {n} 次（{types}）" if types else f"已派单 {n} 次")
    else:
        out.append("尚未派单")
    if row.get("one_case_plan"):
        out.append("已列一事一策")
    if int(row.get("steps") or 0):
        out.append(f"调解记录 {int(row['steps'])} 条")
    if int(row.get("supervisions") or 0):
        out.append(f"督办 {int(row['supervisions'])} 次")
    if int(row.get("whistles") or 0):
        out.append(f"吹哨 {int(row['whistles'])} 次")
    if int(row.get("escalations") or 0):
        level = LEVEL_NAMES.get(str(row.get("handling_level")), str(row.get("handling_level")))
        out.append(f"已上报 {int(row['escalations'])} 级（现由{level}处置）")
    return out


def basis_ids(row: Mapping[str, Any]) -> list[int]:
    """The earlier cases the risk reasons count (``incident_flow.risk_basis``)."""
    ids: set[int] = set()
    for b in row.get("risk_basis") or ():
        if isinstance(b, Mapping):
            ids.update(int(i) for i in b.get("ids") or ())
    return sorted(ids)


def watch_list(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The watch list's items, red first, then oldest first (the query's order kept)."""
    out = []
    for r in rows:
        when = r.get("reported_at")
        deadline = r.get("close_deadline")
        out.append({
            "id": int(r["id"]), "code": r.get("code"), "title": r.get("title"),
            "category": r.get("category"), "category_label": CATEGORIES.get(str(r.get("category")), ""),
            "state": r.get("state"), "state_label": INCIDENT_STATES.get(str(r.get("state")), ""),
            "risk_level": int(r.get("risk_level") or 0),
            "risk_label": RISK_LABELS.get(int(r.get("risk_level") or 0), ""),
            "risk_reasons": list(r.get("risk_reasons") or ()),
            "related_case_ids": basis_ids(r),
            "reported_at": when.isoformat() if isinstance(when, datetime) else when,
            "close_deadline": deadline.isoformat() if isinstance(deadline, datetime) else deadline,
            "done": done(r),
            "street_id": r.get("street_id"), "community_id": r.get("community_id"),
            "grid_id": r.get("grid_id")})
    return out
