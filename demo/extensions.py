"""The demo history's 延期 requests: most cases that ran past their close deadline had asked,
and some that came close to it.

A lead unit asks before the deadline, with a reason; the street (the level above a unit)
decides while the case is still open. An approval moves the case's close deadline by the days
granted (the live handler does the same), so some late cases end within their new limit; a
refusal says why and leaves the deadline, and the case stays overdue. The requests and
decisions are audited as :mod:`dispatch.handlers_record` audits them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

EXTENSION_COLUMNS = ("incident_id", "days", "reason", "requested_by", "requested_role",
                     "unit_id", "requested_at", "status", "decided_by", "decided_at",
                     "decision_note", "deadline_before", "deadline_after")
ASKED_SHARE = 0.6  # of the cases that ran past their deadline
TIGHT, TIGHT_ASKED = 0.85, 0.25  # of those that used more than 85% of their time
APPROVED_SHARE = 0.7
DECIDER = "demo"  # the desk account that made the demo's desk acts (assigned_by, created_by)
REASONS = ("当事人一方在外地务工，需等待其返回后面对面调解", "需委托鉴定损失金额，鉴定结果尚未出具",
           "涉及多个部门职责，需协调相关单位共同参与", "当事人情绪反复，需多次背对背做工作")
REFUSALS = ("案情并不复杂，应加强调度在时限内办结", "理由不充分，请按时限组织调解")
DAY = pd.Timedelta(days=1)


def extensions(rng: np.random.Generator, incidents: pd.DataFrame, lead_id: pd.Series,
               lead_name: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
    """Extension rows, and the close deadlines (by incident id) the approvals moved."""
    inc = pd.DataFrame(incidents)
    done = inc["resolved_at"].notna() & inc["arrived_at"].notna() & inc["id"].isin(
        lead_id.index)
    over = inc["resolved_at"] > inc["close_deadline"]
    limit = inc["close_deadline"] - inc["reported_at"]
    tight = ~over & (inc["resolved_at"] - inc["reported_at"] > TIGHT * limit)
    u = rng.random(len(inc))
    late = inc[done & ((over & (u < ASKED_SHARE)) | (tight & (u < TIGHT_ASKED)))
               ].reset_index(drop=True)
    n = len(late)
    before = late["close_deadline"]
    stop = before.where(before < late["resolved_at"], late["resolved_at"])  # while open
    earliest = late["arrived_at"].where(late["arrived_at"] > stop - 2 * DAY, stop - 2 * DAY)
    asked = earliest + (stop - earliest) * rng.uniform(0.3, 0.9, n)
    decided = asked + (late["resolved_at"] - asked) * rng.uniform(0.05, 0.3, n)
    approved = rng.random(n) < APPROVED_SHARE
    need = np.ceil((late["resolved_at"] - before).dt.total_seconds().to_numpy(dtype=float)
                   / 86_400.0)
    days = np.clip(np.where(approved, np.maximum(need, 2) + rng.integers(-1, 3, n),
                            rng.integers(3, 11, n)), 1, 30).astype(np.int16)
    after = before + pd.to_timedelta(days.astype(np.int64), unit="D")
    out = pd.DataFrame({
        "incident_id": late["id"].to_numpy(), "days": days,
        "reason": np.asarray(REASONS, dtype=object)[rng.integers(0, len(REASONS), n)],
        "requested_by": lead_name.reindex(late["id"]).to_numpy(), "requested_role": "field",
        "unit_id": lead_id.reindex(late["id"]).to_numpy(), "requested_at": asked.dt.floor("s"),
        "status": np.where(approved, "approved", "refused"), "decided_by": DECIDER,
        "decided_at": decided.dt.floor("s"),
        "decision_note": np.where(approved, "同意延期", np.asarray(REFUSALS, dtype=object)[
            rng.integers(0, len(REFUSALS), n)]),
        "deadline_before": before.to_numpy(),
        "deadline_after": after.where(pd.Series(approved)).to_numpy()})
    moved = pd.Series(after[approved].to_numpy(), index=late["id"][approved].to_numpy())
    return out[list(EXTENSION_COLUMNS)], moved


def audit(ext: pd.DataFrame) -> list[pd.DataFrame]:
    """The request and the decision of each extension, as the live handlers audit them."""
    base = {"entity": "incident", "from_state": None, "to_state": None}
    asked = pd.DataFrame({"at": ext["requested_at"], "actor": ext["requested_by"],
                          "action": "extension_requested", "entity_id": ext["incident_id"],
                          "reason": ext["reason"],
                          "detail": [{"days": int(d), "status": "pending"}
                                     for d in ext["days"].tolist()], **base})
    iso = [None if pd.isna(t) else pd.Timestamp(t).isoformat()
           for t in ext["deadline_after"].tolist()]
    decided = pd.DataFrame({
        "at": ext["decided_at"], "actor": ext["decided_by"],
        "action": "extension_" + ext["status"], "entity_id": ext["incident_id"],
        "reason": ext["decision_note"],
        "detail": [{"days": int(d), "status": s, "requested_by": r,
                    "deadline_before": pd.Timestamp(b).isoformat(), "deadline_after": a}
                   for d, s, r, b, a in zip(ext["days"].tolist(), ext["status"].tolist(),
                                            ext["requested_by"].tolist(),
                                            ext["deadline_before"].tolist(), iso,
                                            strict=True)], **base})
    return [asked, decided]
