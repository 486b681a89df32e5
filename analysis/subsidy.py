"""The monthly 个案补贴 statement (嘉峪关-style, per case by difficulty and outcome), priced by the
policy's :class:`dispatch.policy.Subsidy` amounts.

Which cases are paid: those 办结 (resolved_at) in the month, in the reader's area, whose lead —
the mediator or grid worker sent last before the resolution, not declined — is paid, and only
when the record proves the work:

* 调解成功: counted 调解成功 by the one definition (:mod:`dispatch.stats_evidence`: a 五步 entry
  and an agreement on record, written or oral terms written down);
* 调解不成: 办结 as 调解不成 with at least one 五步 entry in the mediation record.

Any other case (调解成功 chosen without evidence, 转诉讼/转仲裁/撤回, or never sent to anyone)
is not paid. Difficulty grade (简易/一般/疑难复杂) from recorded facts: the case's recorded
difficulty (0, 1, 2), plus one when its risk level is at least ``risk_up``, plus one when at least
``sessions_up`` mediation sessions were held before the resolution (booked, not cancelled),
capped at 疑难复杂. The statement is a pure function of those rows and the amounts: the same
month over the same record and the same amounts gives the same figures, in a fixed order, and
the same :func:`fingerprint` (printed on the workbook, so two copies can be compared). What it
does not freeze: a case reopened after the month leaves it (it is no longer 办结), and an amount
edited later prices a re-run at the new amount — the statement names the amounts it used.
Until an administrator has set every amount (:attr:`dispatch.policy.Subsidy.is_set`) nothing is
priced: the statement lists the cases that qualify, with their grade and outcome, says
:data:`UNSET` and carries no money figure (``amount_yuan`` and ``total_yuan`` None).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from typing import Any

from dispatch.model import BEIJING
from dispatch.policy import RISK_LABELS, Subsidy
from dispatch.vocab import CATEGORIES, DIFFICULTIES, UNIT_TYPES

GRADES = ("simple", "normal", "complex")
OUTCOMES = {"success": "调解成功（有据）", "failed": "调解不成（有调解记录）"}
UNSET = "补贴标准未设置"


def month_span(month: str) -> tuple[datetime, datetime]:
    """``YYYY-MM`` → the month's first instant and the next month's, Beijing time."""
    first = date.fromisoformat(f"{month}-01")
    nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return (datetime.combine(first, time(), BEIJING), datetime.combine(nxt, time(), BEIJING))


def grade(difficulty: str, risk_level: int, sessions: int, sub: Subsidy) -> str:
    """The case's difficulty grade for the subsidy (see the module docstring)."""
    points = GRADES.index(difficulty) if difficulty in GRADES else 1
    points += int(risk_level >= sub.risk_up) + int(sessions >= sub.sessions_up)
    return GRADES[min(points, len(GRADES) - 1)]


def outcome_of(row: Mapping[str, Any]) -> str | None:
    """success, failed, or None when the record does not prove a paid outcome."""
    if row["success"]:
        return "success"
    if row["outcome"] == "failed" and row["recorded"]:
        return "failed"
    return None


def scheme_text(sub: Subsidy) -> str:
    """The pricing in Chinese with the policy's current amounts (:data:`UNSET` while any is
    missing: then no amount is named)."""
    def amounts(o: str) -> str:
        return "、".join(f"{DIFFICULTIES[g]} {sub.amount(o, g)} 元" for g in GRADES)
    money = (f"按月统计办结案件的个案补贴：调解成功（有调解记录和调解协议）{amounts('success')}；"
             f"调解不成但有调解记录 {amounts('failed')}；" if sub.is_set else
             f"{UNSET}：管理员在策略中设置各补贴难度与结果的金额之前，本表只列出符合补贴条件的"
             "案件（调解成功有据，或调解不成有调解记录），不计金额；")
    return (f"{money}其他结果、无证据或未派单的案件不计。"
            "难度以登记的难易程度为基础，风险等级不低于"
            f"{RISK_LABELS.get(sub.risk_up, sub.risk_up)}升一档，办结前已举行调解 "
            f"{sub.sessions_up} 次及以上再升一档，最高为疑难复杂。补贴计给办结前最后派出的主办人员"
            "（人民调解员或网格员）。金额由管理员在策略中设置。")


def statement(rows: Iterable[Mapping[str, Any]], sub: Subsidy) -> dict[str, Any]:
    """``{"cases": [...], "people": [...], "total_yuan", "count", "priced"}``: one line per
    qualifying case (by person, then resolution time) and a total per person; with the amounts
    not all set, ``priced`` False and every money figure None."""
    priced = sub.is_set
    cases: list[dict[str, Any]] = []
    people: dict[int, dict[str, Any]] = {}
    for r in rows:
        outcome = outcome_of(r)
        if outcome is None:
            continue
        g = grade(str(r["difficulty"]), int(r["risk_level"]), int(r["sessions"]), sub)
        yuan = sub.amount(outcome, g) if priced else None
        resolved = r["resolved_at"].astimezone(BEIJING)
        cases.append({
            "incident_id": int(r["id"]), "code": r["code"], "unit_id": int(r["unit_id"]),
            "unit_code": r["unit_code"], "unit_name": r["unit_name"],
            "role_label": UNIT_TYPES.get(r["unit_type"], r["unit_type"]),
            "category": CATEGORIES.get(r["category"], r["category"]),
            "resolved_at": resolved.strftime("%Y-%m-%d %H:%M"),
            "recorded_difficulty": DIFFICULTIES.get(r["difficulty"], r["difficulty"]),
            "risk_level": int(r["risk_level"]), "sessions": int(r["sessions"]),
            "grade": g, "grade_label": DIFFICULTIES[g], "outcome": outcome,
            "outcome_label": OUTCOMES[outcome], "amount_yuan": yuan})
        p = people.setdefault(int(r["unit_id"]), {
            "unit_id": int(r["unit_id"]), "unit_code": r["unit_code"],
            "unit_name": r["unit_name"],
            "role_label": UNIT_TYPES.get(r["unit_type"], r["unit_type"]),
            "cases": 0, "success": 0, "failed": 0, "amount_yuan": 0 if priced else None})
        p["cases"] += 1
        p[outcome] += 1
        if yuan is not None:
            p["amount_yuan"] += yuan
    cases.sort(key=lambda c: (c["unit_id"], c["resolved_at"], c["incident_id"]))
    return {"cases": cases, "people": sorted(people.values(), key=lambda p: p["unit_id"]),
            "count": len(cases), "priced": priced,
            "total_yuan": sum(c["amount_yuan"] for c in cases) if priced else None}


def fingerprint(data: Mapping[str, Any], amounts: Mapping[str, Any]) -> str:
    """A short SHA-256 of the paid cases and the amounts: equal statements, equal prints."""
    body = json.dumps({"cases": data["cases"], "amounts": dict(amounts)}, sort_keys=True,
                      ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()[:16]
