"""The weekly 研判 report's own reads: daily counts, category mix, overdue, 督办 and notable cases.

Cut to a :class:`dispatch.stats_scope.Scope`, merged duplicates left out (as every figure).
Periods are Beijing calendar dates, ``start`` and ``end`` inclusive. The case rows carry the
title, address, parties and caller's name only so that :func:`masked_case` can mask them; no
caller may pass those raw fields on (the report keeps the masked title and address alone).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, text

from analysis.queries import NOT_MERGED
from dispatch.model import BEIJING
from dispatch.privacy import mask_address, mask_incident
from dispatch.stats import CLOSE_OVERDUE, OVERDUE, SIGN_OVERDUE
from dispatch.stats_scope import Scope
from dispatch.vocab import CATEGORIES, DONE_STATES, INCIDENT_STATES, PRIORITIES, sql_list

TZ = "Asia/Shanghai"
_CASE = ("i.id, i.code, i.category, i.state, i.priority, i.risk_level, i.title, i.address, "
         "i.parties, i.caller_name, i.reported_at, i.close_deadline, i.sign_deadline, "
         "s.name AS street_name")
_FROM = "incidents i LEFT JOIN streets s ON s.id = i.street_id"


def instants(start: date, end: date) -> tuple[datetime, datetime]:
    """The half-open instants ``[start 00:00, end + 1 day 00:00)`` in Beijing time."""
    return (datetime.combine(start, time(), BEIJING),
            datetime.combine(end + timedelta(days=1), time(), BEIJING))


def _cut(scope: Scope, start: date, end: date) -> tuple[str, dict[str, Any]]:
    where, params = scope.where("i")
    a, b = instants(start, end)
    return (f"{where} AND {NOT_MERGED} AND i.reported_at >= :a AND i.reported_at < :b",
            {**params, "a": a, "b": b})


def daily(conn: Connection, scope: Scope, start: date, end: date) -> list[dict[str, Any]]:
    """Cases reported and cases 办结 on each Beijing day of the period (zeros included)."""
    where, params = scope.where("i")
    a, b = instants(start, end)
    rows = conn.execute(text(
        f"SELECT d, sum(rep)::int, sum(res)::int FROM ("
        f" SELECT (i.reported_at AT TIME ZONE '{TZ}')::date AS d, 1 AS rep, 0 AS res "
        f" FROM incidents i WHERE {where} AND {NOT_MERGED} AND i.reported_at >= :a "
        f" AND i.reported_at < :b UNION ALL"
        f" SELECT (i.resolved_at AT TIME ZONE '{TZ}')::date, 0, 1 FROM incidents i "
        f" WHERE {where} AND {NOT_MERGED} AND i.state IN {sql_list(DONE_STATES)} "
        f" AND i.resolved_at >= :a AND i.resolved_at < :b) x GROUP BY d"),
        {**params, "a": a, "b": b}).all()
    got = {r[0]: (int(r[1]), int(r[2])) for r in rows}
    out = []
    for k in range((end - start).days + 1):
        day = start + timedelta(days=k)
        rep, res = got.get(day, (0, 0))
        out.append({"day": day.isoformat(), "reported": rep, "resolved": res})
    return out


def category_mix(conn: Connection, scope: Scope, start: date, end: date) -> list[dict[str, Any]]:
    """Cases reported in the period by category, largest first, with their share (%)."""
    cond, params = _cut(scope, start, end)
    rows = conn.execute(text(f"SELECT i.category, count(*) FROM incidents i WHERE {cond} "
                             "GROUP BY 1 ORDER BY 2 DESC, 1"), params).all()
    total = sum(int(r[1]) for r in rows)
    return [{"category": r[0], "label": CATEGORIES.get(r[0], r[0]), "count": int(r[1]),
             "share": round(100.0 * int(r[1]) / total, 1) if total else None} for r in rows]


def masked_case(row: dict[str, Any]) -> dict[str, Any]:
    """A case row as the report shows it: code, category, state, masked title and address, the
    street; never a party's name, phone or ID number."""
    m = mask_incident({"title": row.get("title"), "address": row.get("address"),
                       "parties": row.get("parties") or [], "caller_name": row.get("caller_name")})
    when = row.get("reported_at")
    out = {"id": int(row["id"]), "code": row.get("code"), "title": m.get("title"),
           "address": mask_address(m.get("address")),
           "category": row.get("category"),
           "category_label": CATEGORIES.get(str(row.get("category")), ""),
           "state": row.get("state"), "state_label": INCIDENT_STATES.get(str(row.get("state")), ""),
           "priority": int(row.get("priority") or 3),
           "priority_label": PRIORITIES.get(int(row.get("priority") or 3), ""),
           "risk_level": int(row.get("risk_level") or 0),
           "street": row.get("street_name") or "",
           "reported_at": when.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
           if isinstance(when, datetime) else when}
    return out


def overdue(conn: Connection, scope: Scope, *, limit: int = 50) -> dict[str, Any]:
    """Open cases past their sign-for or closing deadline now (the wall's 超期), oldest first."""
    where, params = scope.where("i")
    cond = f"{where} AND {NOT_MERGED} AND {OVERDUE}"
    counts = conn.execute(text(
        f"SELECT count(*), count(*) FILTER (WHERE {SIGN_OVERDUE}), "
        f"count(*) FILTER (WHERE {CLOSE_OVERDUE}) FROM incidents i WHERE {cond}"), params).one()
    rows = conn.execute(text(
        f"SELECT {_CASE}, {SIGN_OVERDUE} AS sign_late, "
        "round(extract(epoch FROM now() - CASE WHEN {sign} THEN i.sign_deadline "
        "ELSE i.close_deadline END) / 86400.0, 1)::float AS days_over "
        f"FROM {_FROM} WHERE {cond} ORDER BY days_over DESC, i.id LIMIT :lim".replace(
            "{sign}", SIGN_OVERDUE)), {**params, "lim": int(limit)}).mappings().all()
    items = [{**masked_case(dict(r)), "kind": "签收超时" if r["sign_late"] else "办结超期",
              "days_over": float(r["days_over"] or 0)} for r in rows]
    return {"count": int(counts[0]), "sign": int(counts[1]), "close": int(counts[2]),
            "items": items}


def supervised(conn: Connection, scope: Scope, start: date, end: date, *, limit: int = 50
               ) -> dict[str, Any]:
    """督办 opened in the period: how many (yellow, red) and the cases, reddest and latest first."""
    where, params = scope.where("i")
    a, b = instants(start, end)
    cond = (f"{where} AND {NOT_MERGED} AND EXISTS (SELECT 1 FROM supervisions v WHERE "
            "v.incident_id = i.id AND v.opened_at >= :a AND v.opened_at < :b)")
    p = {**params, "a": a, "b": b}
    counts = conn.execute(text(
        "SELECT count(*), count(*) FILTER (WHERE v.level = 'yellow'), "
        "count(*) FILTER (WHERE v.level = 'red'), count(*) FILTER (WHERE v.closed_at IS NULL) "
        f"FROM supervisions v JOIN incidents i ON i.id = v.incident_id WHERE {where} "
        f"AND {NOT_MERGED} AND v.opened_at >= :a AND v.opened_at < :b"), p).one()
    rows = conn.execute(text(
        f"SELECT {_CASE}, (SELECT max(CASE v.level WHEN 'red' THEN 2 ELSE 1 END) FROM "
        "supervisions v WHERE v.incident_id = i.id AND v.opened_at >= :a AND v.opened_at < :b) "
        "AS top, (SELECT count(*) FROM supervisions v WHERE v.incident_id = i.id "
        "AND v.opened_at >= :a AND v.opened_at < :b) AS times "
        f"FROM {_FROM} WHERE {cond} ORDER BY top DESC, i.reported_at DESC, i.id LIMIT :lim"),
        {**p, "lim": int(limit)}).mappings().all()
    items = [{**masked_case(dict(r)), "level": "红牌" if r["top"] == 2 else "黄牌",
              "times": int(r["times"])} for r in rows]
    return {"count": int(counts[0]), "yellow": int(counts[1]), "red": int(counts[2]),
            "still_open": int(counts[3]), "cases": len(items), "items": items}


def notable(conn: Connection, scope: Scope, start: date, end: date, *, limit: int = 20
            ) -> list[dict[str, Any]]:
    """The period's notable cases: red risk, 紧急 priority, or escalated past the street."""
    cond, params = _cut(scope, start, end)
    rows = conn.execute(text(
        f"SELECT {_CASE}, f.level AS handling_level FROM {_FROM} "
        "LEFT JOIN incident_flow f ON f.incident_id = i.id "
        f"WHERE {cond} AND (i.risk_level >= 3 OR i.priority = 1 "
        "OR f.level IN ('district', 'city')) "
        "ORDER BY i.risk_level DESC, i.priority, i.reported_at, i.id LIMIT :lim"),
        {**params, "lim": int(limit)}).mappings().all()
    out = []
    for r in rows:
        why = []
        if int(r["risk_level"] or 0) >= 3:
            why.append("红色风险")
        if int(r["priority"] or 3) == 1:
            why.append("紧急")
        if r["handling_level"] in ("district", "city"):
            why.append("上报至" + {"district": "区县", "city": "市"}[r["handling_level"]])
        out.append({**masked_case(dict(r)), "why": "、".join(why)})
    return out


def area_name(conn: Connection, scope: Scope) -> str:
    """The area's name as the report's title shows it (全辖区 for the whole territory)."""
    if scope.level == "all":
        return "全辖区"
    table = {"district": "districts", "street": "streets", "community": "communities",
             "grid": "grids"}[scope.level]
    return str(conn.scalar(text(f"SELECT name FROM {table} WHERE id = :x"),
                           {"x": scope.area_id}) or f"{scope.level} {scope.area_id}")


def street_scopes(conn: Connection) -> list[Scope]:
    """Every street of the territory, the scheduler's weekly areas beside the whole territory."""
    rows = conn.execute(text("SELECT id FROM streets ORDER BY id")).all()
    return [Scope(street=int(r[0])) for r in rows]
