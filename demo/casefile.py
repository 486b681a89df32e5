"""The demo history's case files, made to the live rules: 五步 entries, mediation sessions
(rooms booked without overlap) and written 调解协议书 for the cases that were mediated.

Each handled case gets the steps its course implies: all five (听、查、议、调、定) for a
mediated one, four for a mediation that failed, three before a referral to court or
arbitration, 听 alone before a withdrawal, and the steps reached so far for a case still being
handled. Entries sit between the unit's arrival and the resolution (the live handler records
them on an open case only). A mediated or failed case had a session: a community's
人民调解室 for the harder ones (booked with the live conflict rule: half-open spans, no
overlap in a room; a clash moves the session or, failing that, holds it on the spot), the
place of the dispute for simple ones. Most mediated cases carry a written agreement (the
rest an oral one, whose terms the closure records, as 人民调解法 §28 allows); its parties and
mediators are copied as the live handler copies them. Notes, facts and terms are templates
by category: no party's name, phone or door number is written into a derived text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dispatch import record, vocab

STEP_COLUMNS = ("incident_id", "step", "note", "happened_at", "unit_id", "recorded_by",
                "recorded_at")
SESSION_COLUMNS = ("id", "incident_id", "facility_id", "place", "starts_at", "ends_at", "mode",
                   "participants", "note", "booked_by", "booked_at")
AGREEMENT_COLUMNS = ("incident_id", "version", "number", "committee", "parties", "mediators",
                     "facts", "terms", "performance", "correction", "created_by", "created_at")
# How many of the five steps each outcome's course went through.
STEPS_BY_OUTCOME = {"mediated": 5, "failed": 4, "litigation": 3, "arbitration": 3,
                    "withdrawn": 1}
STEPS_OPEN = {"on_scene": 1, "mediating": 2, "escalated": 3}
# Where in the span arrival → resolution each step happened (fractions).
STEP_AT = (0.04, 0.22, 0.45, 0.7, 0.93)
WRITTEN_SHARE = {"simple": 0.55, "normal": 0.8, "complex": 0.95}
SEPARATE = ("family", "marriage", "labour")  # 背对背 first where tempers run high
PARTICIPANT_KIND = {"community_police": "police", "auxiliary_police": "police",
                    "judge": "judge", "procurator": "procurator", "lawyer": "lawyer",
                    "psychologist": "psychologist"}
Member = tuple[int, str, str]  # unit id, name, unit type
SEPARATE_NOTE = "先背对背分别做工作，再面对面协商"
ON_SITE = "纠纷发生地（现场调解）"
NOTES: dict[str, tuple[str, ...]] = {
    "listen": ("分别听取双方陈述，了解纠纷起因和各自诉求", "接待当事人，耐心倾听，稳定情绪",
               "上门了解情况，听取当事人及知情人意见"),
    "check": ("走访邻里、查看现场，核实争议事实", "调取相关凭证和记录，摸清事实经过",
              "向网格员和知情群众了解情况，核对双方说法"),
    "discuss": ("组织各方充分发表意见，梳理分歧焦点", "召开协调会，各方畅谈，明确争议要点",
                "与双方分别沟通，听取对解决方案的意见"),
    "mediate": ("释法说理、情理结合，提出调解方案", "邀请相关部门共同参与，多元化解",
                "背对背做双方工作，逐步缩小分歧"),
    "settle": ("双方达成一致，制作调解协议并建档", "协议内容经双方确认，建立档案并明确回访",
               "落实协议履行，登记建档"),
}
FAILED_MEDIATE = "多轮调解双方分歧仍大，未能达成一致"
FACTS = "当事人因{label}产生争议，经调查核实，事实清楚，双方对争议事实无异议。"
PERFORMANCE = ("当事人按协议约定的期限自觉履行，调解委员会跟踪回访。",
               "协议自双方签字之日起生效，约定事项在期限内履行完毕，社区负责督促。",
               "双方当场履行部分事项，其余按约定期限履行，调解员回访核实。")


def _pick(rng: np.random.Generator, options: tuple[str, ...], n: int) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.integers(0, len(options), n)]


def handled(incidents: pd.DataFrame, assignments: pd.DataFrame,
            units: pd.DataFrame) -> pd.DataFrame:
    """The cases a unit reached, with their lead unit, the span worked and how many steps."""
    inc = pd.DataFrame(incidents)
    leads = assignments[assignments["role"] == "lead"].drop_duplicates("incident_id", keep="last")
    lead = leads.set_index("incident_id")["unit_id"]
    names = units.set_index("id")["name"]
    n_steps = inc["outcome"].map(STEPS_BY_OUTCOME)
    n_steps = n_steps.fillna(inc["state"].map(STEPS_OPEN)).fillna(0).astype(int)
    keep = (n_steps > 0) & inc["arrived_at"].notna() & inc["id"].isin(lead.index)
    out = inc.loc[keep, ["id", "code", "category", "difficulty", "state", "outcome", "parties",
                         "community_id", "street_id", "reported_at", "arrived_at",
                         "resolved_at"]].copy()
    out["n_steps"] = n_steps[keep].to_numpy()
    out["unit_id"] = lead.reindex(out["id"]).to_numpy()
    out["unit_name"] = names.reindex(out["unit_id"]).to_numpy()
    return out.reset_index(drop=True)


def _span_end(cases: pd.DataFrame, end: pd.Timestamp) -> pd.Series:
    """Resolution, or for a case still open the end of the history (steps so far)."""
    return cases["resolved_at"].fillna(end)


def steps(rng: np.random.Generator, cases: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """五步 entries: ``n_steps`` of them per case, in order, recorded while the case is open."""
    reps = cases["n_steps"].to_numpy()
    rows = cases.loc[cases.index.repeat(reps)].reset_index(drop=True)
    k = np.concatenate([np.arange(r) for r in reps]) if len(reps) else np.zeros(0, int)
    start, stop = rows["arrived_at"], _span_end(rows, end)
    span = (stop - start).dt.total_seconds().to_numpy()
    frac = np.asarray(STEP_AT)[k] + rng.uniform(-0.03, 0.03, len(k))
    open_ = rows["resolved_at"].isna().to_numpy()
    frac = np.where(open_, (k + rng.uniform(0.2, 0.8, len(k))) / 4.0, frac)  # spread so far
    happened = start + pd.to_timedelta(np.clip(frac, 0.0, 0.97) * span, unit="s")
    lag = np.minimum(rng.uniform(60, 1800, len(k)), np.clip(0.98 * span - frac * span, 1, None))
    recorded = happened + pd.to_timedelta(lag, unit="s")
    codes = np.asarray(list(record.STEPS), dtype=object)[k]
    note = np.empty(len(k), dtype=object)
    for i, code in enumerate(record.STEPS):
        sel = k == i
        note[sel] = _pick(rng, NOTES[code], int(sel.sum()))
    failed = (rows["outcome"] == "failed").to_numpy() & (k == 3)
    note[failed] = FAILED_MEDIATE
    out = pd.DataFrame({"incident_id": rows["id"].to_numpy(), "step": codes, "note": note,
                        "happened_at": happened.dt.floor("s").array,
                        "unit_id": rows["unit_id"].to_numpy(),
                        "recorded_by": rows["unit_name"].to_numpy(),
                        "recorded_at": recorded.dt.floor("s").array})
    return out[list(STEP_COLUMNS)]


def _participants(parties: list[dict[str, str]], team: list[Member]) -> list[dict[str, str]]:
    people = [{"name": p["name"], "kind": "party"} for p in parties if p.get("name")][:30]
    return people + [{"name": n, "kind": PARTICIPANT_KIND.get(t, "mediator")}
                     for _, n, t in team]


def sessions(rng: np.random.Generator, cases: pd.DataFrame, assignments: pd.DataFrame,
             units: pd.DataFrame, facilities: pd.DataFrame) -> pd.DataFrame:
    """One session per mediated or failed case, during its 调 step; rooms never double-booked."""
    med = cases[cases["outcome"].isin(("mediated", "failed"))].reset_index(drop=True)
    n = len(med)
    span = (med["resolved_at"] - med["arrived_at"]).dt.total_seconds().to_numpy()
    starts = med["arrived_at"] + pd.to_timedelta(span * rng.uniform(0.55, 0.65, n), unit="s")
    length = np.minimum(rng.uniform(2400, 7200, n), span * 0.2)
    ends = starts + pd.to_timedelta(length, unit="s")
    rooms = facilities[facilities["kind"] == "mediation_room"]
    room_of = rooms.drop_duplicates("community_id").set_index("community_id")
    fac = pd.Series(room_of["id"].reindex(med["community_id"]).to_numpy())
    fac[(med["difficulty"] == "simple").to_numpy()] = np.nan
    fac_id = fac.to_numpy(dtype=float, copy=True)  # written below (a view can be read-only)
    # the live rule: half-open spans, one booking of a room at a time
    s_ns = starts.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    e_ns = ends.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    limit = med["resolved_at"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    order = np.lexsort((s_ns, fac_id))
    last_room, last_end = np.nan, 0
    for i in order.tolist():
        if np.isnan(fac_id[i]):
            continue
        if fac_id[i] != last_room:
            last_room, last_end = fac_id[i], 0
        if s_ns[i] < last_end:
            shift = last_end - s_ns[i]
            if e_ns[i] + shift >= limit[i]:
                fac_id[i] = np.nan  # no free slot before the resolution: held on the spot
                continue
            s_ns[i] += shift
            e_ns[i] += shift
        last_end = e_ns[i]
    names = facilities.set_index("id")["name"]
    has_room = ~np.isnan(fac_id)
    place = np.where(has_room, names.reindex(np.where(has_room, fac_id, -1)).to_numpy(),
                     ON_SITE)
    team = _teams(med["id"], assignments, units)
    people = [_participants(p, team.get(i, [])) for p, i in zip(
        med["parties"].tolist(), med["id"].tolist(), strict=True)]
    mode = np.where(med["category"].isin(SEPARATE).to_numpy() & (rng.random(n) < 0.35),
                    "separate", "joint")
    starts_t = pd.to_datetime(s_ns, utc=True).floor("s")
    lead_time = rng.uniform(600, 86_400, n)
    arrived_ns = med["arrived_at"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    room_since = (s_ns - arrived_ns) / 1e9
    booked = starts_t - pd.to_timedelta(np.minimum(lead_time, np.maximum(room_since, 0)),
                                        unit="s")
    out = pd.DataFrame({
        "id": np.arange(1, n + 1),  # loaded as given (their audit rows name them)
        "incident_id": med["id"].to_numpy(),
        "facility_id": pd.array(np.where(has_room, fac_id, 0).astype(np.int64), dtype="Int64"),
        "place": place, "starts_at": starts_t, "ends_at": pd.to_datetime(e_ns, utc=True).floor("s"),
        "mode": mode, "participants": people,
        "note": [SEPARATE_NOTE if m == "separate" else None for m in mode.tolist()],
        "booked_by": med["unit_name"].to_numpy(), "booked_at": booked.floor("s")})
    out.loc[~has_room, "facility_id"] = pd.NA
    return out[list(SESSION_COLUMNS)]


def _teams(ids: pd.Series, assignments: pd.DataFrame,
           units: pd.DataFrame) -> dict[int, list[Member]]:
    """The units sent to each case (first sent first), as (id, name, unit type)."""
    a = assignments[assignments["incident_id"].isin(ids)].sort_values(
        ["incident_id", "assigned_at", "id"])
    a = a.drop_duplicates(["incident_id", "unit_id"])
    u = units.set_index("id")
    team: dict[int, list[Member]] = {}
    for iid, uid, name, kind in zip(a["incident_id"].tolist(), a["unit_id"].tolist(),
                                    u["name"].reindex(a["unit_id"]).tolist(),
                                    u["unit_type"].reindex(a["unit_id"]).tolist(), strict=True):
        team.setdefault(int(iid), []).append((int(uid), str(name), str(kind)))
    return team


def written(rng: np.random.Generator, cases: pd.DataFrame) -> pd.Series:
    """Which mediated cases got a written agreement (by id); the others an oral one."""
    med = cases[cases["outcome"] == "mediated"]
    share = med["difficulty"].map(WRITTEN_SHARE).fillna(0.8).to_numpy()
    return pd.Series(rng.random(len(med)) < share, index=med["id"].to_numpy())


def agreements(rng: np.random.Generator, cases: pd.DataFrame, chosen: pd.Series,
               assignments: pd.DataFrame, units: pd.DataFrame, communities: pd.DataFrame,
               terms: dict[str, str]) -> pd.DataFrame:
    """Version 1 of each written agreement, made at the 定 step (before the resolution)."""
    med = cases[cases["id"].isin(chosen[chosen].index)].reset_index(drop=True)
    n = len(med)
    span = (med["resolved_at"] - med["arrived_at"]).dt.total_seconds().to_numpy()
    made = med["arrived_at"] + pd.to_timedelta(span * rng.uniform(0.8, 0.9, n), unit="s")
    comm = communities.set_index("id")["name"].reindex(med["community_id"]).to_numpy()
    team = _teams(med["id"], assignments, units)
    mediators = [[{"unit_id": u, "name": nm, "unit_type": t} for u, nm, t in team.get(i, [])]
                 for i in med["id"].tolist()]
    parties = [[{k: p[k] for k in ("name", "phone", "role") if p.get(k)} for p in ps]
               for ps in med["parties"].tolist()]
    out = pd.DataFrame({
        "id": np.arange(1, n + 1),  # loaded as given (their audit rows name them)
        "incident_id": med["id"].to_numpy(), "version": np.ones(n, dtype=np.int16),
        "number": [record.agreement_number(c) for c in med["code"].tolist()],
        "committee": [f"{c}人民调解委员会" for c in comm],
        "parties": parties, "mediators": mediators,
        "facts": [FACTS.format(label=vocab.CATEGORIES[c]) for c in med["category"].tolist()],
        "terms": [terms[c] for c in med["category"].tolist()],
        "performance": _pick(rng, PERFORMANCE, n), "correction": None,
        "created_by": med["unit_name"].to_numpy(), "created_at": made.dt.floor("s").array})
    return out[list(AGREEMENT_COLUMNS)]
