"""The people's records' read model: per-unit figures, sign-for and arrival times, and the cases a
month's 个案补贴 statement pays for.

Cases are cut to a :class:`dispatch.stats_scope.Scope` (the reader's jurisdiction) and merged
duplicates are left out, as in :mod:`analysis.queries`. The counts of cases, success, 满意度,
超期 and 延期 come from :func:`dispatch.mediator_stats.unit_records` (one definition with the
mediators' record and the wall: :mod:`dispatch.stats_evidence`); this module adds only the
clock figures and the statement's rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from analysis.queries import NOT_MERGED
from dispatch import stats_evidence as evidence
from dispatch.mediator_stats import unit_records
from dispatch.stats_scope import Scope


def _cases(scope: Scope) -> tuple[str, dict[str, Any]]:
    where, params = scope.where("i")
    return f"{where} AND {NOT_MERGED}", params


def unit_figures(conn: Connection, scope: Scope, start: datetime, end: datetime, *,
                 unit_type: str) -> list[dict[str, Any]]:
    """:func:`dispatch.mediator_stats.unit_records` for the scope's cases sent in the period."""
    return unit_records(conn, since=start, until=end, cases=_cases(scope), unit_type=unit_type,
                        limit=5000)


_TIMES = """
SELECT a.unit_id,
  count(*) AS sent,
  count(a.acknowledged_at) AS signed,
  count(*) FILTER (WHERE i.sign_deadline IS NOT NULL) AS sign_due,
  count(*) FILTER (WHERE a.acknowledged_at IS NOT NULL AND i.sign_deadline IS NOT NULL
                   AND a.acknowledged_at <= i.sign_deadline) AS signed_on_time,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM a.acknowledged_at
    - a.assigned_at)) FILTER (WHERE a.acknowledged_at IS NOT NULL) AS sign_median_s,
  count(a.arrived_at) AS arrived,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM a.arrived_at
    - a.assigned_at)) FILTER (WHERE a.arrived_at IS NOT NULL) AS arrive_median_s
FROM assignments a JOIN incidents i ON i.id = a.incident_id JOIN units u ON u.id = a.unit_id
WHERE a.state <> 'declined' AND a.assigned_at >= :since AND a.assigned_at < :until
  AND u.unit_type = :type AND __CASES__
GROUP BY a.unit_id
"""


def unit_times(conn: Connection, scope: Scope, start: datetime, end: datetime, *,
               unit_type: str) -> dict[int, dict[str, Any]]:
    """Per unit, over its assignments (not declined) made in the period: how many were signed
    for (签收) and arrived, signed by the case's sign deadline, and the median minutes from
    being sent to signing and to arriving."""
    where, params = _cases(scope)
    out: dict[int, dict[str, Any]] = {}
    for r in conn.execute(text(_TIMES.replace("__CASES__", where)), {
            **params, "since": start, "until": end, "type": unit_type}).mappings():
        row = dict(r)
        for k in ("sign_median_s", "arrive_median_s"):
            v = row.pop(k)
            row[k[:-2] + "_min"] = None if v is None else round(float(v) / 60, 1)
        out[int(row.pop("unit_id"))] = row
    return out


# The unit paid for a case: the lead sent last before its resolution (declined ones never).
_STATEMENT = f"""
SELECT i.id, i.code, i.category, i.difficulty, i.risk_level, i.outcome, i.resolved_at,
  i.street_id, u.id AS unit_id, u.code AS unit_code, u.name AS unit_name,
  u.unit_type, {evidence.mediation_success("i")} AS success,
  {evidence.mediation_record("i")} AS recorded,
  (SELECT count(*) FROM mediation_sessions m WHERE m.incident_id = i.id
     AND m.cancelled_at IS NULL AND m.starts_at < i.resolved_at) AS sessions
FROM incidents i
JOIN LATERAL (SELECT a.unit_id FROM assignments a WHERE a.incident_id = i.id
  AND a.role = 'lead' AND a.state <> 'declined' AND a.assigned_at <= i.resolved_at
  ORDER BY a.assigned_at DESC, a.id DESC LIMIT 1) lead ON TRUE
JOIN units u ON u.id = lead.unit_id
WHERE {evidence.resolved("i")} AND i.resolved_at >= :start AND i.resolved_at < :end
  AND u.unit_type IN ('mediator', 'grid_worker') AND __CASES__
ORDER BY u.id, i.resolved_at, i.id
"""


def statement_rows(conn: Connection, scope: Scope, start: datetime,
                   end: datetime) -> list[dict[str, Any]]:
    """The cases 办结 in ``[start, end)`` whose lead (a mediator or grid worker) was sent to
    them, with the facts the statement prices: outcome and its evidence (the one definition of
    :mod:`dispatch.stats_evidence`), recorded difficulty, risk level and the mediation sessions
    held (booked, not cancelled, begun before the resolution). A case never sent to anyone has
    no lead and is not here."""
    where, params = _cases(scope)
    rows = conn.execute(text(_STATEMENT.replace("__CASES__", where)),
                        {**params, "start": start, "end": end}).mappings()
    return [dict(r) for r in rows]
