"""The rows the wall's figures read, and how PostgreSQL is asked to read them (no figure's meaning).

Two measured causes made a district's wall refresh take seconds (session 10, ``EXPLAIN ANALYZE``
of every statement the refresh issues):

- **JIT.** The month's aggregate carries correlated ``EXISTS`` (the evidence behind 调解成功 and
  满意度) that the planner costs per row, so its estimate (≈650,000 at city scale) passes
  ``jit_optimize_above_cost``: PostgreSQL then compiled ~100 functions with LLVM for 3.3 s to run
  a 0.36 s query. These statements aggregate thousands of rows, never enough to pay that back:
  :func:`tune` turns JIT off for the reading transaction.
- **The planner's path at province scale.** For "open, or touched in the last days" within a
  district (``Scope.where`` and the old ``_recent`` as one ``OR``) it walked ``ix_incidents_street_id``
  over all 100,000 cases of the district and filtered 91% away, never combining the street-first
  indexes of migration 0022. :func:`recent_rows` spells the two halves out as a ``UNION ALL`` of
  disjoint branches, each of which one of those indexes serves.

The evidence (migration 0024): each case carries its evidence for 调解成功 and 满意度, kept by
trigger (:mod:`dispatch.stats_evidence`, ``*_kept``), so a window figure reads two columns
instead of three index probes per row. :data:`EVIDENCE_KEPT` ``False`` tests the definitions
once per row as before (the bench's "before" and the test comparing both).

The set of rows is unchanged: open (every state before 办结), or not open and touched
(:data:`TOUCHED`) after ``now() - (days + 1) days``; ``state`` is never NULL, so the branches
are disjoint and together the same as the ``OR``.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from dispatch import stats_evidence as evidence
from dispatch.vocab import OPEN_STATES, sql_list

# When a case was last touched: indexed as written (migrations 0008 and 0022).
TOUCHED = "greatest(i.reported_at, i.acknowledged_at, i.arrived_at, i.resolved_at, i.followed_up_at, i.close_deadline)"  # noqa: E501
# What a figure reads of a case (the wide columns: geometry, parties, text, stay behind).
COLUMNS = ("i.id, i.state, i.category, i.priority, i.outcome, i.satisfaction, i.street_id, "
           "i.community_id, i.grid_id, i.reported_at, i.acknowledged_at, i.arrived_at, "
           "i.resolved_at, i.followed_up_at, i.sign_deadline, i.close_deadline")
_OPEN = sql_list(OPEN_STATES)
# How the wall reads the evidence: the flags kept on the case (True), or the definitions
# tested once per row by :func:`recent_rows` (False: as before migration 0024).
EVIDENCE_KEPT = True


def evidence_columns() -> dict[str, str]:
    """SQL standing for 调解成功 and a recorded visit on a row of :func:`recent_rows`
    ``with_evidence`` inside a window of at most its days (the ``success`` and ``visit`` of
    :func:`dispatch.stats.window_columns`)."""
    if EVIDENCE_KEPT:
        return {"success": evidence.mediation_success_kept("i"),
                "visit": evidence.recorded_visit_kept("i")}
    return {"success": "i.ev_mediated", "visit": "i.ev_visit"}


def bounds(*days: int) -> str:
    """A one-row source ``b``: ``now()`` as ``b.now`` and ``now() - N days`` as ``b.since_N``
    for each N, computed once per statement. Written inline, ``now() - interval 'N days'`` is
    calendar arithmetic in the session's time zone evaluated again for every row and every
    figure; ``OFFSET 0`` keeps PostgreSQL from folding the row back into those tests."""
    cols = "".join(f", now() - interval '{d} days' AS since_{d}"
                   for d in sorted({int(x) for x in days}))
    return f"(SELECT now() AS now{cols} OFFSET 0) b"


def within(col: str, days: int) -> str:
    """SQL: ``i.<col>`` in the rolling window (now() - days, now()]; the statement's FROM holds
    :func:`bounds` with ``days`` (one ``now()``, the same as inline)."""
    return f"(i.{col} > b.since_{int(days)} AND i.{col} <= b.now)"


def tune(conn: Connection) -> None:
    """This transaction's reads without JIT (see the module's note; ``SET LOCAL`` ends with it)."""
    conn.execute(text("SET LOCAL jit = off"))


def recent(days: int) -> str:
    """SQL condition: open, or touched in the last ``days`` + 1 days (every row a window figure
    of ``days`` days can count: a speed-up only, each figure still tests its own column)."""
    return f"(i.state IN {_OPEN} OR {TOUCHED} > now() - interval '{int(days) + 1} days')"


def recent_rows(where: str, days: int, *, with_evidence: bool = False) -> str:
    """A row source ``(…) i`` of the cases of ``where`` (over alias ``i``) that :func:`recent`
    admits, as two index-served branches.

    With ``with_evidence`` each row also carries its kept evidence flags (migration 0024), or
    with :data:`EVIDENCE_KEPT` off ``ev_mediated`` (resolved in the last ``days``
    days and 调解成功 by :func:`dispatch.stats_evidence.mediation_success`) and
    ``ev_visit`` (followed up in the last ``days`` days, scored, and the visit recorded:
    :data:`dispatch.stats_evidence.RECORDED_VISIT`). Each is tested once per row, where every
    figure of every window tested it again before (40,000 index probes of four tables per
    district refresh at province scale, ~60% of its time); within any window of at most
    ``days`` days ending now, "in the window and ``ev_mediated``" is exactly "in the window
    and 调解成功" (:func:`evidence_columns` names what a figure reads). ``OFFSET 0`` keeps
    PostgreSQL from copying the tests back into each figure.
    """
    d = int(days)
    cols = COLUMNS + (", i.evidence_mediation, i.evidence_visit"
                      if with_evidence and EVIDENCE_KEPT else "")
    rows = (f"(SELECT {cols} FROM incidents i WHERE {where} AND i.state IN {_OPEN} "
            f"UNION ALL SELECT {cols} FROM incidents i WHERE {where} "
            f"AND i.state NOT IN {_OPEN} "
            f"AND {TOUCHED} > now() - interval '{d + 1} days') i")
    if not with_evidence or EVIDENCE_KEPT:
        return rows
    return (f"(SELECT i.*, e.ev_mediated, e.ev_visit FROM {rows} CROSS JOIN LATERAL ("
            f"SELECT CASE WHEN i.resolved_at > now() - interval '{d} days' "
            f"AND i.resolved_at <= now() THEN {evidence.mediation_success('i')} ELSE false END "
            f"AS ev_mediated, CASE WHEN i.followed_up_at > now() - interval '{d} days' "
            "AND i.followed_up_at <= now() AND i.satisfaction IS NOT NULL "
            f"THEN {evidence.RECORDED_VISIT} ELSE false END AS ev_visit OFFSET 0) e) i")
