"""Repeats: addresses with many cases, parties who meet again, near-repeats in space and time.

Pure functions of case rows (:func:`analysis.queries.repeat_rows`) in, lists out; each list item
names its cases (ids and codes) and never a phone or ID number (parties are compared as keyed
hashes, :mod:`analysis.identity`). Near-repeat: the cases within ``radius_m`` metres of a
first case and at most ``days`` days after it (:func:`near_repeats`), found with a k-d tree over
metric coordinates.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from itertools import combinations
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from analysis.identity import pair_label, party_tokens
from analysis.weights import CellGrid, utm_crs

_SPACE = re.compile(r"[\s,，。、（）()\-—]")


def normal_address(address: str | None) -> str:
    """The address as repeats compare it: spaces and punctuation gone (as the risk check does)."""
    return _SPACE.sub("", address or "")


def _case(row: Mapping[str, Any]) -> dict[str, Any]:
    when = row.get("reported_at")
    return {"id": int(row["id"]), "code": row.get("code"),
            "reported_at": when.isoformat() if isinstance(when, datetime) else when,
            "category": row.get("category"), "state": row.get("state")}


def _group(rows: Sequence[Mapping[str, Any]], **extra: Any) -> dict[str, Any]:
    ordered = sorted(rows, key=lambda r: (r.get("reported_at"), int(r["id"])))
    return {**extra, "count": len(ordered), "case_ids": [int(r["id"]) for r in ordered],
            "cases": [_case(r) for r in ordered],
            "open": sum(1 for r in ordered if r.get("state") not in
                        ("resolved", "followed_up", "closed"))}


def repeat_addresses(rows: Iterable[Mapping[str, Any]], *, min_cases: int = 3
                     ) -> list[dict[str, Any]]:
    """Addresses with at least ``min_cases`` cases, most first."""
    by: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    shown: dict[str, str] = {}
    for r in rows:
        key = normal_address(r.get("address"))
        if key:
            by[key].append(r)
            shown.setdefault(key, str(r.get("address")))
    out = [_group(v, address=shown[k]) for k, v in by.items() if len(v) >= min_cases]
    out.sort(key=lambda g: (-g["count"], g["address"]))
    return out


def repeat_parties(rows: Iterable[Mapping[str, Any]], key: bytes, *, min_cases: int = 2
                   ) -> list[dict[str, Any]]:
    """Pairs of parties (by keyed identity) who appear together in at least ``min_cases``
    cases; a pair is named by :func:`analysis.identity.pair_label`, never by a number."""
    by: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for r in rows:
        for a, b in combinations(sorted(party_tokens(key, r)), 2):
            by[(a, b)].append(r)
    out = [_group(v, pair=pair_label(a, b)) for (a, b), v in by.items() if len(v) >= min_cases]
    # the same cases reached by several pairs of one group (three parties meeting twice): once
    seen: set[tuple[int, ...]] = set()
    unique = []
    for g in sorted(out, key=lambda g: (-g["count"], g["pair"])):
        ids = tuple(g["case_ids"])
        if ids not in seen:
            seen.add(ids)
            unique.append(g)
    return unique


def near_repeats(rows: Sequence[Mapping[str, Any]], *, radius_m: float = 200.0,
                 days: float = 14.0, min_cases: int = 2) -> list[dict[str, Any]]:
    """Near-repeat groups, largest first: taking the cases in time order, each case not yet in a
    group opens one with the later cases (not yet in a group) within ``radius_m`` of it and at
    most ``days`` after it. Anchored on the first case, not chained: a chain of neighbours
    runs through a whole dense compound in a year and names nothing a centre can act on."""
    located = sorted((r for r in rows if r.get("lon") is not None and r.get("lat") is not None),
                     key=lambda r: (r["reported_at"], int(r["id"])))
    if len(located) < 2:
        return []
    lon = np.array([float(r["lon"]) for r in located])
    lat = np.array([float(r["lat"]) for r in located])
    x, y = CellGrid(1.0, utm_crs(float(lon.mean()), float(lat.mean()))).to_metres(lon, lat)
    t = np.array([r["reported_at"].timestamp() for r in located])
    near = cKDTree(np.column_stack([x, y])).query_ball_point(np.column_stack([x, y]), radius_m)
    taken = np.zeros(len(located), dtype=bool)
    out = []
    for k in range(len(located)):
        if taken[k]:
            continue
        ks = [j for j in near[k] if not taken[j] and 0 <= t[j] - t[k] <= days * 86400.0]
        if len(ks) < min_cases:
            continue
        taken[ks] = True
        span = (max(t[ks]) - min(t[ks])) / 86400.0
        out.append(_group([located[j] for j in ks], span_days=round(float(span), 1),
                          centre=[round(float(lon[ks].mean()), 3), round(float(lat[ks].mean()), 3)]))
    out.sort(key=lambda g: (-g["count"], g["case_ids"][0]))
    return out
