"""Per-mediator record and the 延期 figures: what each unit handled and how, from evidence.

Definitions (printed with the figures, :data:`DEFINITIONS`): a unit *handled* a case when it was
sent to it (not declined) within the window; *调解成功（有据）* counts the handled cases that
count as 调解成功 on the wall (:mod:`dispatch.stats_evidence`, the one definition: a mediation
record and an agreement, written or recorded oral); *满意度* averages follow-ups a person
recorded; *超期* counts its cases 超期 by the window's end (or now, if earlier) by the one
definition (:mod:`dispatch.overdue`); *延期* counts the extensions asked for on its cases,
approved, refused and waiting.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

from dispatch import overdue
from dispatch import stats_evidence as evidence

DEFINITIONS: dict[str, str] = {
    "handled": "统计期内派给该力量（未退回）的案件数",
    "resolved": f"其中{evidence.RESOLVED_DEFINITION}数",
    "mediated": f"其中{evidence.CLAIMED_DEFINITION}数",
    "mediated_evidenced": f"其中{evidence.SUCCESS_DEFINITION}数（与大屏调解成功率同一口径）",
    "success_rate": "调解成功（有据）÷ 已办结",
    "satisfaction": "有人记录的回访满意度平均分（1-5 分）及回访数",
    "overdue": f"其中截至统计期末（或当前，取较早者）超期的案件数：{overdue.DEFINITION}",
    "extensions": "该力量所办案件的延期申请数、批准数、驳回数、待审批数与批准的总天数",
}

_UNITS = """
WITH handled AS (
  SELECT DISTINCT a.unit_id, a.incident_id FROM assignments a
  WHERE a.state <> 'declined' AND a.assigned_at >= :since AND a.assigned_at < :until
    AND EXISTS (SELECT 1 FROM incidents i WHERE i.id = a.incident_id AND __CASES__)
    AND (CAST(:unit AS int) IS NULL OR a.unit_id = :unit)
    AND (CAST(:type AS text) IS NULL OR a.unit_id IN (SELECT id FROM units WHERE unit_type = :type))
), cases AS MATERIALIZED (
  SELECT h.unit_id, i.id, i.state, i.outcome, i.resolved_at, i.close_deadline,
    {resolved} AS done, {claimed} AS claimed, {success} AS succeeded
  FROM handled h JOIN incidents i ON i.id = h.incident_id
), steps AS MATERIALIZED (  -- one pass over the 五步 entries (per unit: 26 s on the demo)
  SELECT s.unit_id, count(*) AS n FROM mediation_steps s
  WHERE s.recorded_at >= :since AND s.recorded_at < :until GROUP BY s.unit_id
), visits AS (  -- one pass per table, grouped by unit (a subquery per unit: 20 s over a year)
  SELECT x.unit_id, round(avg(f.satisfaction)::numeric, 2) AS satisfaction, count(*) AS n
  FROM followups f JOIN cases x ON x.id = f.incident_id
  WHERE f.done_at IS NOT NULL AND f.actor IS NOT NULL GROUP BY x.unit_id
), ext AS (
  SELECT x.unit_id, count(*) AS requested,
    count(*) FILTER (WHERE e.status = 'approved') AS approved,
    count(*) FILTER (WHERE e.status = 'refused') AS refused,
    count(*) FILTER (WHERE e.status = 'pending') AS pending,
    COALESCE(sum(e.days) FILTER (WHERE e.status = 'approved'), 0) AS days
  FROM case_extensions e JOIN cases x ON x.id = e.incident_id GROUP BY x.unit_id
), per AS (
  SELECT c.unit_id, count(c.id) AS handled,
    count(c.id) FILTER (WHERE c.done) AS resolved,
    count(c.id) FILTER (WHERE c.claimed) AS mediated,
    count(c.id) FILTER (WHERE c.succeeded) AS mediated_evidenced,
    count(c.id) FILTER (WHERE {late}) AS overdue
  FROM cases c GROUP BY c.unit_id
)
SELECT u.id, u.code, u.name, u.unit_type, u.street_id, u.community_id, u.home_grid_id,
  p.handled, p.resolved, p.mediated, p.mediated_evidenced, p.overdue,
  v.satisfaction, COALESCE(v.n, 0) AS followups,
  COALESCE(e.requested, 0) AS extensions_requested,
  COALESCE(e.approved, 0) AS extensions_approved,
  COALESCE(e.refused, 0) AS extensions_refused,
  COALESCE(e.pending, 0) AS extensions_pending,
  COALESCE(e.days, 0) AS extension_days,
  COALESCE(st.n, 0) AS steps_recorded
FROM per p JOIN units u ON u.id = p.unit_id
LEFT JOIN visits v ON v.unit_id = u.id LEFT JOIN ext e ON e.unit_id = u.id
LEFT JOIN steps st ON st.unit_id = u.id
WHERE (CAST(:type AS text) IS NULL OR u.unit_type = :type)
ORDER BY p.handled DESC, u.id LIMIT :limit
""".format(resolved=evidence.resolved("i"), claimed=evidence.claimed("i"),
           success=evidence.mediation_success("i"), late=overdue.late("c", by=":until"))


def mediator_records(conn: Connection, *, now: datetime, days: int = 30,
                     unit_id: int | None = None, unit_type: str | None = None,
                     limit: int = 500) -> list[dict[str, Any]]:
    """One row per unit that handled a case in the last ``days`` days (most cases first)."""
    return unit_records(conn, since=now - timedelta(days=days), until=now, unit_id=unit_id,
                        unit_type=unit_type, limit=limit)


def unit_records(conn: Connection, *, since: datetime, until: datetime,
                 cases: tuple[str, dict[str, Any]] = ("TRUE", {}), unit_id: int | None = None,
                 unit_type: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
    """One row per unit sent a case in ``[since, until)``; ``cases`` a condition over incidents
    ``i`` (built by the caller from vocabularies and an area, never from user text) and its
    parameters, e.g. :meth:`dispatch.stats_scope.Scope.where`."""
    where, params = cases
    rows = [dict(r) for r in conn.execute(text(_UNITS.replace("__CASES__", where)), {
        **params, "since": since, "until": until, "unit": unit_id, "type": unit_type,
        "limit": limit}).mappings()]
    for r in rows:
        r["success_rate"] = (round(r["mediated_evidenced"] / r["resolved"], 4)
                             if r["resolved"] else None)
        r["satisfaction"] = None if r["satisfaction"] is None else float(r["satisfaction"])
    return rows


def extension_figures(conn: Connection, *, now: datetime, days: int = 30,
                      street_id: int | None = None) -> dict[str, Any]:
    """延期 in the window: requested, approved, refused, waiting, days granted, approval rate."""
    row = dict(conn.execute(text(
        "SELECT count(*) AS requested, count(*) FILTER (WHERE e.status = 'approved') AS "
        "approved, count(*) FILTER (WHERE e.status = 'refused') AS refused, "
        "count(*) FILTER (WHERE e.status = 'pending') AS pending, COALESCE(sum(e.days) FILTER "
        "(WHERE e.status = 'approved'), 0) AS days_granted FROM case_extensions e JOIN "
        "incidents i ON i.id = e.incident_id WHERE e.requested_at >= :since AND "
        "e.requested_at < :until AND (CAST(:s AS int) IS NULL OR i.street_id = :s)"),
        {"since": now - timedelta(days=days), "until": now, "s": street_id}).mappings().one())
    decided = row["approved"] + row["refused"]
    row["approval_rate"] = round(row["approved"] / decided, 4) if decided else None
    row["days"] = days
    return row


def extension_windows(conn: Connection, where: str, params: dict[str, Any], *,
                      windows: tuple[int, ...], not_merged: str = "TRUE") -> dict[Any, Any]:
    """延期 on the cases of ``where`` (over incidents ``i``) for the wall: asked for, approved
    and refused in each rolling window (decisions counted when made), and waiting now."""
    cols = "".join(
        f", count(*) FILTER (WHERE e.requested_at > now() - interval '{int(d)} days' AND "
        f"e.requested_at <= now()) AS requested_{int(d)}"
        + "".join(f", count(*) FILTER (WHERE e.status = '{k}' AND e.decided_at > now() - "
                  f"interval '{int(d)} days' AND e.decided_at <= now()) AS {k}_{int(d)}"
                  for k in ("approved", "refused")) for d in windows)
    # only rows some figure counts (pending, or asked or decided within the longest window):
    # implied by every FILTER, so the territory's other extensions are not joined to cases
    span = max(windows, default=0)
    recent = (f" OR e.requested_at > now() - interval '{int(span)} days' OR e.decided_at > "
              f"now() - interval '{int(span)} days'") if windows else ""
    row = conn.execute(text(
        f"SELECT count(*) FILTER (WHERE e.status = 'pending') AS pending{cols} "
        f"FROM case_extensions e JOIN incidents i ON i.id = e.incident_id "
        f"WHERE (e.status = 'pending'{recent}) AND {where} AND {not_merged}"),
        params).mappings().one()
    out: dict[Any, Any] = {"pending": int(row["pending"])}
    for d in windows:
        out[d] = {f"extensions_{k}": int(row[f"{k}_{int(d)}"])
                  for k in ("requested", "approved", "refused")}
    return out
