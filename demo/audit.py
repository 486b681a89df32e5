"""The demo history's audit trail: for every case the rows the live handlers write, in order.

受理 (register) and 定位 (locate) at the report, 派单 (assign, lead and police pair) at
``assigned_at``, then the unit's 签收, 到场, 开始调解 (an hour on scene is a mediation, as the
history generator has it), 上报 where a case went up, 办结 with its closure evidence, 回访 and
归档, each at the timestamp the case row carries and from the state before it.
Desk acts are by the account that made the rows (``created_by`` / ``assigned_by``), a unit's
acts by the unit. Reasons are the record's own texts (templates, no party's name).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from dispatch import record, vocab

AUDIT_COLUMNS = ("at", "actor", "action", "entity", "entity_id", "from_state", "to_state",
                 "reason", "detail")
MEDIATING_AFTER = pd.Timedelta(hours=1)
SPECIALISTS = frozenset({"judge", "procurator", "lawyer", "psychologist"})
ESCALATE_REASON = "案情复杂，涉及多方利益，提请上级矛调中心协调化解"


def _rows(at: Any, actor: Any, action: Any, iid: Any, frm: Any, to: Any, reason: Any,
          detail: Any) -> pd.DataFrame:
    n = len(iid)

    def col(v: Any) -> Any:
        return [v] * n if isinstance(v, str) or v is None else v
    return pd.DataFrame({"at": at, "actor": col(actor), "action": col(action),
                         "entity": "incident", "entity_id": np.asarray(iid, dtype=np.int64),
                         "from_state": col(frm), "to_state": col(to), "reason": col(reason),
                         "detail": detail})


def transitions(incidents: pd.DataFrame, assignments: pd.DataFrame, units: pd.DataFrame,
                closures: pd.DataFrame, followups: pd.DataFrame, *, end: pd.Timestamp
                ) -> list[pd.DataFrame]:
    """The state changes of every case, each with the actor and time the case row implies
    (``end``: when the history stops; a case still up a level went there before it)."""
    inc = pd.DataFrame(incidents)
    out: list[pd.DataFrame] = []
    ch = inc["channel"].map(vocab.CHANNELS)
    out.append(_rows(inc["reported_at"], inc["created_by"], "register", inc["id"], None,
                     "registered", (ch + "受理").tolist(),
                     [{"code": c, "priority": int(p), "level": "community", "risk": int(r)}
                      for c, p, r in zip(inc["code"].tolist(), inc["priority"].tolist(),
                                         inc["risk_level"].tolist(), strict=True)]))
    loc = inc[inc["state"] != "registered"]
    out.append(_rows(loc["reported_at"], loc["created_by"], "locate", loc["id"], "registered",
                     "located", None,
                     [{"street_id": s, "community_id": c, "grid_id": g} for s, c, g in zip(
                         _ints(loc["street_id"]), _ints(loc["community_id"]),
                         _ints(loc["grid_id"]), strict=True)]))
    first = assignments[assignments["role"].isin(("lead", "pair"))]
    sent = first.groupby("incident_id").agg(at=("assigned_at", "min"),
                                            by=("assigned_by", "first"))
    team: dict[int, list[int]] = {}
    for i, u in zip(first["incident_id"].tolist(), first["unit_id"].tolist(), strict=True):
        team.setdefault(int(i), []).append(int(u))
    sent["units"] = [team[i] for i in sent.index.tolist()]
    lead = assignments[assignments["role"] == "lead"].drop_duplicates("incident_id", keep="last")
    lead_of = lead.set_index("incident_id")["unit_id"]
    name_of = units.set_index("id")["name"]
    out.append(_rows(sent["at"], sent["by"].tolist(), "assign", sent.index, "located",
                     "assigned", None,
                     [{"unit_ids": [int(u) for u in us], "released": [], "auto": False,
                       "recommendation": []} for us in sent["units"].tolist()]))
    inc = inc[inc["id"].isin(sent.index)].copy()
    inc["unit_id"] = lead_of.reindex(inc["id"]).to_numpy()
    inc["unit"] = name_of.reindex(inc["unit_id"]).to_numpy()

    def unit_step(col: str, frm: str, to: str, rows: pd.DataFrame | None = None) -> None:
        r = inc if rows is None else rows
        r = r[r[col].notna()]
        out.append(_rows(r[col], r["unit"].tolist(), "transition", r["id"], frm, to, None,
                         [{"unit_id": int(u)} for u in r["unit_id"].tolist()]))

    unit_step("acknowledged_at", "assigned", "acknowledged")
    unit_step("arrived_at", "acknowledged", "on_scene")
    talk = inc["arrived_at"] + MEDIATING_AFTER
    mediating = inc["state"].isin(("mediating", "escalated")) | (
        inc["resolved_at"].notna() & (inc["resolved_at"] > talk))
    inc["mediating_at"] = talk.where(mediating)
    unit_step("mediating_at", "on_scene", "mediating")
    up = inc[inc["state"] == "escalated"]
    if len(up):
        out.append(_rows(up["mediating_at"] + (end - up["mediating_at"]) / 2, up["unit"].tolist(),
                         "transition", up["id"], "mediating", "escalated", ESCALATE_REASON,
                         [{}] * len(up)))
    done = closures.merge(inc[["id", "mediating_at", "unit_id"]], left_on="incident_id",
                          right_on="id", how="left")
    frm = np.where(done["mediating_at"].notna(), "mediating", "on_scene")
    spot = (done["basis"] == "on_the_spot").to_numpy()
    keys = ("outcome", "basis", "mediator", "spot_reason", "agreement", "oral_terms",
            "referred_to")
    detail = [{k: v for k, v in zip(keys, vals, strict=True) if isinstance(v, str)}
              for vals in zip(*(done[k].tolist() for k in keys), strict=True)]
    out.append(_rows(done["at"], done["actor"].tolist(),
                     np.where(spot, "resolve_on_the_spot", "transition"),
                     done["incident_id"], np.where(spot, "located", frm), "resolved",
                     done["note"].tolist(), detail))
    fu = followups[followups["done_at"].notna()]
    out.append(_rows(fu["done_at"], fu["actor"].tolist(), "transition", fu["incident_id"],
                     "resolved", "followed_up", fu["note"].tolist(),
                     [{"satisfaction": int(s), "agreement_holds": bool(h),
                       "neighbours_visited": int(v), "method": m} for s, h, v, m in zip(
                         fu["satisfaction"].tolist(), fu["agreement_holds"].tolist(),
                         fu["neighbours_visited"].tolist(), fu["method"].tolist(), strict=True)]))
    filed = pd.DataFrame(incidents)
    filed = filed[filed["closed_at"].notna()]
    out.append(_rows(filed["closed_at"], filed["created_by"].tolist(), "transition",
                     filed["id"], np.where(filed["followed_up_at"].notna(), "followed_up",
                                           "resolved"), "closed", None, [{}] * len(filed)))
    return out


def bookings(sessions: pd.DataFrame) -> pd.DataFrame:
    """安排调解 rows, as the live booking writes them, for the sessions a specialist (法官、检察官、
    律师、心理咨询师) took part in: in the live product a booking is how such a person joins a
    case (no 派单 sends one once the unit is on scene)."""
    kinds = [{str(p["kind"]) for p in people} for people in sessions["participants"].tolist()]
    s = sessions[[bool(k & SPECIALISTS) for k in kinds]]
    detail = [{"facility_id": None if pd.isna(f) else int(f), "place": place, "mode": mode,
               "starts_at": starts.isoformat(), "ends_at": ends.isoformat(),
               "participants": len(people),
               "officials": sorted({str(p["kind"]) for p in people} & record.OFFICIALS),
               "id": int(sid)}
              for sid, f, place, mode, starts, ends, people in zip(
                  s["id"].tolist(), s["facility_id"].tolist(), s["place"].tolist(),
                  s["mode"].tolist(), s["starts_at"].tolist(), s["ends_at"].tolist(),
                  s["participants"].tolist(), strict=True)]
    return _rows(s["booked_at"], s["booked_by"].tolist(), "session_booked", s["incident_id"],
                 None, None, s["note"].tolist(), detail)


def _ints(s: pd.Series) -> list[int | None]:
    return [None if pd.isna(v) else int(v) for v in s.tolist()]


def audit_rows(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """One frame in time order (ties: case, then the order the parts were given)."""
    frames = []
    for k, p in enumerate(parts):
        if len(p):
            p = p.copy()
            p["at"] = pd.to_datetime(p["at"], utc=True)
            p["_part"] = k
            frames.append(p)
    out = pd.concat(frames, ignore_index=True)
    out = out.sort_values(["at", "entity_id", "_part"], kind="stable").reset_index(drop=True)
    return out[list(AUDIT_COLUMNS)]
