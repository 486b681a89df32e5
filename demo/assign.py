"""Who handled each demo dispute: a lead, a police pair for risky ones, experts for hard ones."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from demo.when import DAY, HOUR, MINUTE

COMMON = ("neighbour", "family", "marriage", "property", "consumer", "other")
PAIR_CATEGORIES = ("family", "marriage", "neighbour", "labour", "debt", "construction")
SUPPORT_TYPE = {"family": "psychologist", "neighbour": "psychologist"}  # else lawyer
ACTIVE_STATES = ("assigned", "acknowledged", "on_scene", "mediating", "escalated")
Key = tuple[object, ...]


@dataclass
class Cases:
    """What the assigner needs of each dispute (arrays in report order)."""

    category: np.ndarray
    channel: np.ndarray
    language: np.ndarray
    difficulty: np.ndarray
    priority: np.ndarray
    risk: np.ndarray
    street: np.ndarray
    community: np.ndarray
    grid: np.ndarray
    police_grid: np.ndarray
    state: np.ndarray
    times: dict[str, np.ndarray]


class Roster:
    """Candidate lists of unit ids by key, each id repeated by capacity (busier people)."""

    def __init__(self, units: pd.DataFrame) -> None:
        self.table: dict[Key, list[int]] = defaultdict(list)
        self.capacity = dict(zip(units["id"].tolist(), units["capacity"].tolist(), strict=True))
        self.off = set(units.loc[units["status"] == "off_duty", "id"].tolist())
        self.kind = dict(zip(units["id"].tolist(), units["unit_type"].tolist(), strict=True))
        t = self.table
        cols = ["id", "unit_type", "level", "street_id", "community_id", "home_grid_id",
                "police_grid_id", "capacity", "languages", "skills"]
        records: list[dict[Any, Any]] = pd.DataFrame(units[cols]).to_dict("records")
        for r in records:
            uid, kind, lvl = int(r["id"]), r["unit_type"], r["level"]
            st = int(r["street_id"]) if pd.notna(r["street_id"]) else -1
            cm = int(r["community_id"]) if pd.notna(r["community_id"]) else -1
            weight = [uid] * int(r["capacity"])
            if kind == "grid_worker" and pd.notna(r["home_grid_id"]):
                t[("gw", int(r["home_grid_id"]))].append(uid)
            if kind in ("community_police", "auxiliary_police"):
                pg = int(r["police_grid_id"]) if pd.notna(r["police_grid_id"]) else -1
                t[("police" if kind == "community_police" else "aux", pg)].append(uid)
                t[("police_street", st)].append(uid)
            if kind in ("lawyer", "psychologist", "judge", "procurator"):
                t[(kind, st)].append(uid)
                t[(kind,)].append(uid)
            for lang in r["languages"]:
                if lang != "mandarin" and kind in ("mediator", "grid_worker"):
                    t[("lang", st, lang)] += weight
                    t[("langany", lang)] += weight
            if kind != "mediator":
                continue
            t[("streetany", st)] += weight
            t[("any",)] += weight
            for sk in r["skills"]:
                if lvl == "community":
                    t[("comm_skill", cm, sk)] += weight
                if lvl in ("community", "street"):
                    t[("street_skill", st, sk)] += weight
                else:
                    t[("district_skill", sk)] += weight
        self.arrays = {k: np.asarray(v, dtype=np.int64) for k, v in t.items()}

    def pick(self, rng: np.random.Generator, idx: np.ndarray, rule: str,
             keys: list[np.ndarray]) -> np.ndarray:
        """A random candidate for each row ``idx`` under ``(rule, *keys)``, -1 when none."""
        out = np.full(len(idx), -1, dtype=np.int64)
        if not len(idx):
            return out
        if not keys:
            cand = self.arrays.get((rule,))
            if cand is not None:
                out[:] = cand[rng.integers(0, len(cand), len(idx))]
            return out
        df = pd.DataFrame({f"k{i}": np.asarray(k, dtype=object)[idx] for i, k in enumerate(keys)})
        groups = df.groupby(list(df.columns), sort=False).indices
        for key, pos in groups.items():
            cand = self.arrays.get((rule, *(key if isinstance(key, tuple) else (key,))))
            if cand is not None:
                out[pos] = cand[rng.integers(0, len(cand), len(pos))]
        return out


def _rules(rng: np.random.Generator, c: Cases) -> np.ndarray:
    n = len(c.category)
    u = rng.random(n)
    common_simple = np.isin(c.category, COMMON) & (c.difficulty == "simple")
    rule = np.where(common_simple, np.where(u < 0.45, "gw", np.where(u < 0.8, "comm_skill",
                                                                     "street_skill")),
                    np.where(u < 0.2, "gw", "street_skill")).astype(object)
    complex_ = c.difficulty == "complex"
    rule[complex_] = np.where(u[complex_] < 0.45, "district_skill", "street_skill")
    rule[(c.channel == "grid_report") & ~complex_] = "gw"
    rule[(c.language != "mandarin") & (rng.random(n) < 0.8)] = "lang"
    return rule


FALLBACK = {"lang": "langany", "langany": "street_skill", "comm_skill": "street_skill",
            "district_skill": "street_skill", "street_skill": "streetany", "streetany": "gw",
            "gw": "any"}


def leads(rng: np.random.Generator, roster: Roster, c: Cases) -> np.ndarray:
    """The lead unit id of every dispute (-1 only if the territory has no one at all)."""
    keys = {"gw": [c.grid], "comm_skill": [c.community, c.category],
            "street_skill": [c.street, c.category], "district_skill": [c.category],
            "lang": [c.street, c.language], "langany": [c.language], "streetany": [c.street],
            "any": []}
    rule = _rules(rng, c)
    lead = np.full(len(rule), -1, dtype=np.int64)
    todo = np.arange(len(rule))
    while len(todo):
        r = rule[todo]
        for name in keys:
            sel = todo[r == name]
            lead[sel] = roster.pick(rng, sel, name, keys[name])
        todo = todo[lead[todo] < 0]
        rule[todo] = [FALLBACK.get(str(x), "") for x in rule[todo]]
        todo = todo[rule[todo] != ""]
    return lead


def _after(base: np.ndarray, lo: float, hi: float, rng: np.random.Generator,
           cap: np.ndarray, end_s: float) -> np.ndarray:
    """``base`` plus a uniform delay, kept at or below ``cap``; NaN where past ``end_s``."""
    t = base + rng.uniform(lo, hi, len(base))
    t = np.where(np.isnan(cap), t, np.minimum(t, cap))
    return np.where(t > end_s, np.nan, t)


def _support_type(c: Cases, idx: np.ndarray) -> np.ndarray:
    kind = np.array([SUPPORT_TYPE.get(str(x), "lawyer") for x in c.category[idx]], dtype=object)
    kind[c.channel[idx] == "referral"] = "judge"
    return kind


def build_assignments(rng: np.random.Generator, roster: Roster, c: Cases, lead: np.ndarray,
                      end_s: float) -> pd.DataFrame:
    """Assignment rows (times in epoch seconds), loads within capacity at ``end_s``.

    An open dispute whose lead cannot be given to anyone with room goes back to
    ``registered``: ``c.state`` and ``c.times`` are updated in place.
    """
    tm = c.times
    has = ~np.isnan(tm["assigned_at"]) & (lead >= 0)
    rows: list[pd.DataFrame] = []
    li = np.flatnonzero(has)
    rows.append(pd.DataFrame({"incident": li, "unit": lead[li], "role": "lead",
                              "assigned_at": tm["assigned_at"][li],
                              "acknowledged_at": tm["acknowledged_at"][li],
                              "arrived_at": tm["arrived_at"][li]}))
    police = roster.pick(rng, li, "police", [c.police_grid])
    risky = (np.isin(c.category[li], PAIR_CATEGORIES) & (c.risk[li] >= 1)) | (c.priority[li] == 1)
    pi = li[risky & (police >= 0) & (police != lead[li])]
    pu = police[risky & (police >= 0) & (police != lead[li])]
    res = tm["resolved_at"]
    ack = np.where(np.isnan(tm["acknowledged_at"][pi]), np.nan,
                   _after(tm["acknowledged_at"][pi], MINUTE, 15 * MINUTE, rng, res[pi], end_s))
    arr = np.where(np.isnan(tm["arrived_at"][pi]) | np.isnan(ack), np.nan,
                   _after(tm["arrived_at"][pi], 0, 20 * MINUTE, rng, res[pi], end_s))
    arr = np.where(arr < ack, ack, arr)
    rows.append(pd.DataFrame({"incident": pi, "unit": pu, "role": "pair",
                              "assigned_at": tm["assigned_at"][pi], "acknowledged_at": ack,
                              "arrived_at": arr}))
    hard = li[(c.difficulty[li] == "complex") & ~np.isnan(tm["arrived_at"][li])]
    hard = hard[rng.random(len(hard)) < 0.6]
    kind = _support_type(c, hard)
    su = np.full(len(hard), -1, dtype=np.int64)
    for k in np.unique(kind):
        sel = np.flatnonzero(kind == k)
        su[sel] = roster.pick(rng, hard[sel], str(k), [c.street])
        miss = sel[su[sel] < 0]
        su[miss] = roster.pick(rng, hard[miss], str(k), [])
    span = np.where(np.isnan(res[hard]), 2 * DAY, res[hard] - tm["arrived_at"][hard])
    s_at = tm["arrived_at"][hard] + span * rng.uniform(0.1, 0.5, len(hard))
    s_ack = _after(s_at, 10 * MINUTE, HOUR, rng, res[hard], end_s)
    s_arr = np.where(np.isnan(s_ack), np.nan, _after(s_at, 2 * HOUR, DAY, rng, res[hard], end_s))
    s_arr = np.where(s_arr < s_ack, s_ack, s_arr)
    keep = (s_at <= end_s) & (su >= 0)
    rows.append(pd.DataFrame({"incident": hard[keep], "unit": su[keep], "role": "support",
                              "assigned_at": s_at[keep], "acknowledged_at": s_ack[keep],
                              "arrived_at": s_arr[keep]}))
    a = pd.concat(rows, ignore_index=True)
    a["released_at"] = res[a["incident"].to_numpy()]
    a = a.sort_values(["assigned_at", "incident"], kind="stable").reset_index(drop=True)
    return _within_capacity(rng, roster, c, a)


def _within_capacity(rng: np.random.Generator, roster: Roster, c: Cases,
                     a: pd.DataFrame) -> pd.DataFrame:
    """Swap or drop active assignments so that nobody carries more than their capacity."""
    load: dict[int, int] = defaultdict(int)
    active = np.flatnonzero(np.isnan(a["released_at"].to_numpy()))
    unit = a["unit"].to_numpy().copy()
    drop = np.zeros(len(a), dtype=bool)
    reverted: set[int] = set()
    inc_of = a["incident"].to_numpy()
    role = a["role"].to_numpy()
    for i in active.tolist():
        inc = int(inc_of[i])
        if inc in reverted:
            drop[i] = True
            continue
        u = int(unit[i])
        if u in roster.off or load[u] >= roster.capacity[u]:
            u = _substitute(rng, roster, _pools(roster, c, inc, str(role[i]), u), load,
                            set(unit[inc_of == inc].tolist()))
        if u < 0:
            drop[i] = True
            if role[i] == "lead":
                reverted.add(inc)
            continue
        unit[i] = u
        load[u] += 1
    a = a.assign(unit=unit)
    for inc in reverted:
        c.state[inc] = "registered"
        for col in ("assigned_at", "acknowledged_at", "arrived_at"):
            c.times[col][inc] = np.nan
        drop |= inc_of == inc
    return a[~drop].reset_index(drop=True)


def _pools(roster: Roster, c: Cases, inc: int, role: str, unit: int) -> list[Key]:
    """Where to look for a stand-in: the same kind of help, nearest circle first."""
    if role == "lead":
        return [("gw", int(c.grid[inc])), ("streetany", int(c.street[inc])), ("any",)]
    if role == "pair":  # the beat officer's auxiliary, then any police of the street
        return [("aux", int(c.police_grid[inc])), ("police_street", int(c.street[inc]))]
    kind = roster.kind[unit]
    return [(kind, int(c.street[inc])), (kind,)]


def _substitute(rng: np.random.Generator, roster: Roster, pools: list[Key],
                load: dict[int, int], taken: set[int]) -> int:
    for key in pools:
        cand = roster.arrays.get(key)
        if cand is None:
            continue
        for u in rng.permutation(np.unique(cand)).tolist():
            if u not in roster.off and u not in taken and load[u] < roster.capacity[u]:
                return int(u)
    return -1
