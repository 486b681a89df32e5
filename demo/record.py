"""The demo history's records, made to the live rules: each closure's evidence, each 回访 with
its answers and who gave them, and the deadline clocks of the cases still running.

A resolved demo case rests on its unit's arrival (every demo case that reached 办结 had one) or,
for a walk-in case nobody was sent to, on 当场化解 by the window officer; a mediated one rests
on its written 调解协议书 (:mod:`demo.casefile`) or carries the oral agreement's terms,
a referred one its receiving body. Follow-ups are recorded by the
lead unit that handled the case, with the method and the neighbours it asked. Open cases get
their sign-for / closure clocks (and resolved ones their 回访 clock) as stage rows, so the
scheduler chases the overdue ones like any other case once the demo runs.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from dispatch import clocks, vocab
from dispatch.policy import Policy

CLOSURE_COLUMNS = ("id", "incident_id", "at", "actor", "outcome", "basis", "note", "mediator",
                   "spot_reason", "agreement", "oral_terms", "referred_to")
FOLLOWUP_COLUMNS = ("id", "incident_id", "due_at", "done_at", "satisfaction", "agreement_holds",
                    "neighbours_visited", "note", "actor", "method")
TIMER_COLUMNS = ("id", "incident_id", "kind", "stage", "round", "due_at", "processed_at",
                 "outcome", "whistle_id")
WINDOW_OFFICER = "窗口值班员"
NOTES = {"mediated": "组织双方当面调解，达成一致", "failed": "多次调解分歧仍大，调解不成，告知其他途径",
         "withdrawn": "申请人表示已自行协商，撤回申请",
         "litigation": "调解不成，引导当事人依法起诉", "arbitration": "调解不成，引导申请劳动仲裁"}
TERMS = {  # the oral agreement's terms by category (谁、做什么、何时前)
    "neighbour": "双方互相谅解，漏水方七日内完成维修并赔偿墙面损失",
    "family": "子女按月轮流照料老人，赡养费每月5日前支付",
    "marriage": "双方协商财产分割方案，一方一个月内搬离共有住房",
    "property": "业主本月底前缴清欠费，物业公司十日内修复公共设施",
    "labour": "用人单位十五日内一次性支付拖欠工资",
    "debt": "借款人分三期还清借款，首期本月底前支付",
    "traffic": "责任方按定损金额一周内赔偿",
    "construction": "发包方按结算单分两期支付工程款",
    "land": "按原界址恢复边界，双方不再越界耕种",
    "finance": "机构退还部分费用，客户撤回投诉",
    "medical": "医院出具书面说明并给予适当补偿",
    "consumer": "商家七日内退还预付卡余额",
    "other": "当事人自行整改，社区跟踪监督",
}
REFERRED = {"litigation": "辖区人民法院", "arbitration": "辖区劳动人事争议仲裁委员会"}
METHODS = (("phone", 0.55), ("visit", 0.40), ("sms", 0.05))


def _lead_names(incidents: pd.DataFrame, assignments: pd.DataFrame,
                units: pd.DataFrame) -> pd.Series:
    """The name of each case's lead unit (the last lead sent), by incident id."""
    leads = assignments[assignments["role"] == "lead"].drop_duplicates("incident_id", keep="last")
    names = units.set_index("id")["name"]
    return pd.Series(names.reindex(leads["unit_id"]).to_numpy(), index=leads["incident_id"]
                     ).reindex(incidents["id"]).set_axis(incidents.index)


def closures(incidents: pd.DataFrame, assignments: pd.DataFrame,
             units: pd.DataFrame, written: pd.Series | None = None) -> pd.DataFrame:
    """One closure row per resolved demo case, with the evidence the live rule asks for;
    ``written`` (by incident id) marks the mediated ones whose 调解协议书 is on record."""
    done = incidents[incidents["outcome"].notna()]
    arrived = set(assignments.loc[assignments["arrived_at"].notna(), "incident_id"].tolist())
    lead = _lead_names(incidents, assignments, units).reindex(done.index)
    on_scene = done["id"].isin(arrived).to_numpy()
    walk_in = (done["channel"] == "walk_in").to_numpy()
    keep = on_scene | walk_in  # a case neither arrived at nor settled at the window is dropped
    if not keep.all():
        raise ValueError(f"{int((~keep).sum())} demo cases were resolved with no evidence")
    outcome = done["outcome"].tolist()
    on = on_scene.tolist()
    med = [o == "mediated" for o in outcome]
    has = (set() if written is None else set(written[written].index.tolist()))
    paper = [m and i in has for m, i in zip(med, done["id"].tolist(), strict=True)]
    who = lead.fillna(WINDOW_OFFICER).tolist()
    out = pd.DataFrame({
        "id": np.arange(1, len(done) + 1), "incident_id": done["id"].to_numpy(),
        "at": done["resolved_at"].to_numpy(),
        "actor": [a if o else WINDOW_OFFICER for a, o in zip(who, on, strict=True)],
        "outcome": outcome, "basis": ["on_scene" if o else "on_the_spot" for o in on],
        "note": [NOTES[o] for o in outcome],
        "mediator": [None if o else WINDOW_OFFICER for o in on],
        "spot_reason": [None if o else "双方均在窗口，当面调解" for o in on],
        "agreement": [("written" if w else "oral") if m else None
                      for m, w in zip(med, paper, strict=True)],
        "oral_terms": [TERMS.get(c) if m and not w else None
                       for c, m, w in zip(done["category"].tolist(), med, paper, strict=True)],
        "referred_to": [REFERRED.get(o) for o in outcome],
    })
    return out[list(CLOSURE_COLUMNS)]


def followups(rng: np.random.Generator, incidents: pd.DataFrame, assignments: pd.DataFrame,
              units: pd.DataFrame, *, policy: Policy) -> pd.DataFrame:
    """回访 rows: done ones with the lead unit's answers, pending ones due after resolution."""
    owed = incidents[incidents["outcome"].notna()
                     & ~incidents["outcome"].isin(sorted(_no_followup()))
                     | incidents["followed_up_at"].notna()]
    n = len(owed)
    done = owed["followed_up_at"].notna().to_numpy()
    lead = _lead_names(incidents, assignments, units).reindex(owed.index)
    method = rng.choice(np.array([k for k, _ in METHODS]), size=n,
                        p=np.array([w for _, w in METHODS])).tolist()
    sat = owed["satisfaction"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    holds = (~((sat <= 2) & (rng.random(n) < 0.5))).tolist()
    visited = rng.integers(1, 4, n).tolist()
    due = owed["resolved_at"] + pd.Timedelta(days=policy.followup_days)
    flags = done.tolist()
    out = pd.DataFrame({
        "id": np.arange(1, n + 1), "incident_id": owed["id"].to_numpy(),
        "due_at": due.to_numpy(), "done_at": owed["followed_up_at"].to_numpy(),
        "satisfaction": pd.array([int(x) if d and not np.isnan(x) else None
                                  for x, d in zip(sat.tolist(), flags, strict=True)],
                                 dtype="Int16"),
        "agreement_holds": pd.array([h if d else None for h, d in zip(holds, flags, strict=True)],
                                    dtype="boolean"),
        "neighbours_visited": np.array([v if d and m == "visit" else 0 for v, d, m in zip(
            visited, flags, method, strict=True)], dtype=np.int16),
        "note": ["走一家访三家" if d and m == "visit" else None
                 for d, m in zip(flags, method, strict=True)],
        "actor": [a if d else None for a, d in zip(lead.fillna(WINDOW_OFFICER).tolist(), flags,
                                                   strict=True)],
        "method": [m if d else None for m, d in zip(method, flags, strict=True)],
    })
    return out[list(FOLLOWUP_COLUMNS)]


def _no_followup() -> frozenset[str]:
    from dispatch.lifecycle import NO_FOLLOWUP

    return NO_FOLLOWUP


def timers(incidents: pd.DataFrame, *, policy: Policy) -> pd.DataFrame:
    """The clock stages of the cases still running, as the live handlers would have planned
    them (sign-for while owed, closure while open, 回访 while resolved); none processed yet."""
    rows: list[tuple[int, str, str, datetime]] = []

    def plan(iid: int, kind: str, start: pd.Timestamp, due: pd.Timestamp | None,
             limit_s: float | None = None) -> None:
        span = limit_s if limit_s is not None or due is None else (due - start).total_seconds()
        assert span is not None
        for spec in clocks.plan(kind, start.to_pydatetime(), span, policy=policy):
            rows.append((iid, spec.kind, spec.stage, spec.due_at))

    running = incidents[incidents["state"].isin((*vocab.OPEN_STATES, "resolved"))]
    for iid, state, outcome, reported, sign, close, resolved in zip(
            running["id"].tolist(), running["state"].tolist(), running["outcome"].tolist(),
            running["reported_at"].tolist(), running["sign_deadline"].tolist(),
            running["close_deadline"].tolist(), running["resolved_at"].tolist(), strict=True):
        if state in clocks.LIVE_STATES["sign"]:
            plan(iid, "sign", reported, sign)
        if state in vocab.OPEN_STATES:
            plan(iid, "close", reported, close)
        if state == "resolved" and outcome not in _no_followup():
            plan(iid, "followup", resolved, None, policy.followup_days * 86_400.0)
    out = pd.DataFrame(rows, columns=["incident_id", "kind", "stage", "due_at"])
    out.insert(0, "id", np.arange(1, len(out) + 1))
    out["round"] = np.zeros(len(out), dtype=np.int16)
    out["due_at"] = pd.to_datetime(out["due_at"], utc=True)
    out["processed_at"] = pd.Series([pd.NaT] * len(out), dtype="datetime64[ns, UTC]")
    out["outcome"] = None
    out["whistle_id"] = pd.array([pd.NA] * len(out), dtype="Int64")
    return out[list(TIMER_COLUMNS)]


def flows(incidents: pd.DataFrame) -> pd.DataFrame:
    """The handling level of the cases still up a level, as the live 上报 leaves it: one level
    above the community (``clocks.next_level``; every demo case starts there), escalated once."""
    up = incidents[incidents["state"] == "escalated"]
    return pd.DataFrame({"incident_id": up["id"].to_numpy(dtype=np.int64),
                         "level": [clocks.next_level("community")] * len(up),
                         "escalations": np.ones(len(up), dtype=np.int16)})


def records(seed: int, incidents: pd.DataFrame, assignments: pd.DataFrame, units: pd.DataFrame,
            *, facilities: pd.DataFrame, communities: pd.DataFrame, end: datetime,
            policy: Policy | None = None) -> dict[str, pd.DataFrame]:
    """The record tables of a generated history, keyed by table name (load after incidents):
    closures, 回访, clocks, the case files (:mod:`demo.casefile`) and the audit trail
    (:mod:`demo.audit`). ``end`` is the moment the history runs up to."""
    from demo import audit as demo_audit
    from demo import casefile as demo_casefile
    from demo import extensions as demo_extensions

    rng = np.random.default_rng([seed, 7])
    policy = policy or Policy()
    stop = pd.Timestamp(end)
    cases = demo_casefile.handled(incidents, assignments, units)
    steps = demo_casefile.steps(rng, cases, stop)
    sessions = demo_casefile.sessions(rng, cases, assignments, units, facilities)
    written = demo_casefile.written(rng, cases)
    agreements = demo_casefile.agreements(rng, cases, written, assignments, units, communities,
                                          TERMS)
    closed = closures(incidents, assignments, units, written)
    visits = followups(rng, incidents, assignments, units, policy=policy)
    lead = cases.set_index("id")
    ext, moved = demo_extensions.extensions(rng, incidents, lead["unit_id"], lead["unit_name"])
    incidents = incidents.copy()  # approved extensions moved these close deadlines
    at = incidents["id"].isin(moved.index)
    incidents.loc[at, "close_deadline"] = moved.reindex(incidents.loc[at, "id"]).to_numpy()
    # the transitions, 延期 and the bookings that brought a specialist in: the record's other
    # rows (五步, bookings, agreements) would add 130k audit rows and double the demo's load
    # time; their tables carry who and when
    audit = demo_audit.audit_rows([
        *demo_audit.transitions(incidents, assignments, units, closed, visits, end=stop),
        *demo_extensions.audit(ext), demo_audit.bookings(sessions)])
    return {"incidents": incidents, "incident_flow": flows(incidents),
            "incident_closures": closed, "followups": visits,
            "case_extensions": ext,
            "incident_timers": timers(incidents, policy=policy), "mediation_steps": steps,
            "mediation_sessions": sessions, "agreements": agreements, "audit_log": audit}
