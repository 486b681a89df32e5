"""Ranking thousands of units at once: the numbers of ``recommend._rate`` as array arithmetic.

A :class:`UnitTable` holds a unit list as columns (built once per change of the units, e.g.
by the process's unit cache). :func:`rank_numbers` gives every unit's exclusion reason (or
none), its score and its ETA sort key for one incident — the same rules, the same sums in the
same order as ``recommend._rate``, so the same floats (a unit test holds the two equal); the
few units shown are then explained one by one by ``recommend.score_unit``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dispatch.model import IncidentFacts, UnitFacts
from dispatch.policy import LEVELS, Policy

F64 = NDArray[np.float64]
BOOL = NDArray[np.bool_]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US = timedelta(microseconds=1)
NONE = -1  # an absent id in an integer column
IGNORED = -2  # a row outside ``among``: neither ranked nor counted as excluded
# why a unit cannot take the case, in the order the rules ask (the first that applies counts)
SKIPPED, OFF_DUTY, FULL, OFF_SHIFT, WRONG_TYPE = range(5)
REASONS = ("已尝试/已退回", "下班/休息", "已满负荷", "不在班次时间", "类型不适配")
PAIR_TYPES = ("grid_worker", "community_police")
POLICE = ("community_police", "auxiliary_police")


def _member(unit: UnitFacts, has: str, name: str) -> bool:
    """Whether ``unit`` is of type ``name`` (``has`` "unit_type") or has it in a tuple field."""
    return bool(unit.unit_type == name) if has == "unit_type" else name in getattr(unit, has)


def _ids(values: Iterable[int | None]) -> NDArray[np.int64]:
    return np.fromiter((NONE if v is None else v for v in values), dtype=np.int64)


@dataclass(frozen=True, eq=False)
class UnitTable:
    """A unit list as columns, in the list's order (``units[k]`` is row ``k``)."""

    units: tuple[UnitFacts, ...]
    id: NDArray[np.int64]
    unit_type: NDArray[np.str_]
    level_index: NDArray[np.int64]  # position in LEVELS, -1 when unknown
    street_id: NDArray[np.int64]
    community_id: NDArray[np.int64]
    home_grid_id: NDArray[np.int64]
    police_grid_id: NDArray[np.int64]
    off_duty: BOOL
    active_load: F64
    capacity: F64
    on_call: BOOL
    on_foot: BOOL
    lon: F64  # NaN without a position
    lat: F64
    seen_us: NDArray[np.int64]  # last position time, µs since 1970; no time: ``seen_known`` False
    seen_known: BOOL
    shift_code: NDArray[np.int64]  # the row's shift pattern (shift, start, end)
    shift_rows: tuple[int, ...]  # one row of each pattern
    _by_category: dict[str, BOOL] = field(default_factory=dict, repr=False)
    _by_language: dict[str, BOOL] = field(default_factory=dict, repr=False)
    _by_type: dict[str, BOOL] = field(default_factory=dict, repr=False)
    # the three memberships above are filled on first ask by any request's thread: under this
    # lock, so a column is built once and ``with_rows`` never iterates a dict being filled
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def of(cls, units: Sequence[UnitFacts]) -> UnitTable:
        keys: dict[tuple[Any, ...], int] = {}
        rows: list[int] = []
        codes = []
        for k, u in enumerate(units):
            code = keys.setdefault((u.shift, u.shift_start, u.shift_end), len(keys))
            if code == len(rows):
                rows.append(k)
            codes.append(code)
        seen = [u.last_seen_at for u in units]
        return cls(
            units=tuple(units), id=_ids(u.id for u in units),
            unit_type=np.array([u.unit_type for u in units], dtype=np.str_),
            level_index=_ids(LEVELS.index(u.level) if u.level in LEVELS else None
                             for u in units),
            street_id=_ids(u.street_id for u in units),
            community_id=_ids(u.community_id for u in units),
            home_grid_id=_ids(u.home_grid_id for u in units),
            police_grid_id=_ids(u.police_grid_id for u in units),
            off_duty=np.array([u.status == "off_duty" for u in units], dtype=bool),
            active_load=np.array([u.active_load for u in units], dtype=float),
            capacity=np.array([u.capacity for u in units], dtype=float),
            on_call=np.array([u.shift == "on_call" for u in units], dtype=bool),
            on_foot=np.array([bool(u.on_foot) for u in units], dtype=bool),
            lon=np.array([math.nan if u.lon is None else u.lon for u in units], dtype=float),
            lat=np.array([math.nan if u.lat is None else u.lat for u in units], dtype=float),
            seen_us=np.array([0 if s is None else (s - EPOCH) // US for s in seen],
                             dtype=np.int64),
            seen_known=np.array([s is not None for s in seen], dtype=bool),
            shift_code=np.array(codes, dtype=np.int64), shift_rows=tuple(rows))

    def __len__(self) -> int:
        return len(self.units)

    def with_rows(self, changed: dict[int, UnitFacts]) -> UnitTable:
        """A copy with rows replaced (row → the unit's new facts, same id): columns copied
        and patched, so a few moved units cost microseconds, not a rebuild."""
        if not changed:
            return self
        rows = np.fromiter(changed, dtype=np.int64, count=len(changed))
        part = UnitTable.of(list(changed.values()))
        if not np.array_equal(part.id, self.id[rows]):
            raise ValueError("with_rows keeps each row's unit id")
        units = list(self.units)
        for k, u in changed.items():
            units[k] = u
        cols: dict[str, Any] = {"units": tuple(units)}
        for name in _COLUMNS:
            col = getattr(self, name).copy()
            col[rows] = getattr(part, name)
            cols[name] = col
        shifts = {self.shift_key(k): c for c, k in enumerate(self.shift_rows) if k >= 0}
        code = self.shift_code.copy()
        shift_rows = list(self.shift_rows)
        for k, u in changed.items():  # a shift pattern not seen before gets a new code
            key = (u.shift, u.shift_start, u.shift_end)
            if key not in shifts:
                shifts[key] = len(shift_rows)
                shift_rows.append(k)
            code[k] = shifts[key]
        for c, k in enumerate(shift_rows):  # a representative that changed pattern: another
            if k >= 0 and code[k] != c:
                found = np.flatnonzero(code == c)
                shift_rows[c] = int(found[0]) if found.size else -1
        table = UnitTable(**cols, shift_code=code, shift_rows=tuple(shift_rows))
        with self._lock:  # a snapshot of the memberships asked before: patched, not rebuilt
            asked = [(dict(self._by_category), table._by_category, "skills"),
                     (dict(self._by_language), table._by_language, "languages"),
                     (dict(self._by_type), table._by_type, "unit_type")]
        for mine, theirs, has in asked:
            for name, col in mine.items():
                col = col.copy()
                col[rows] = [_member(u, has, name) for u in changed.values()]
                theirs[name] = col
        return table

    def shift_key(self, row: int) -> tuple[Any, ...]:
        u = self.units[row]
        return (u.shift, u.shift_start, u.shift_end)

    @property
    def takes_cases(self) -> BOOL:
        """On duty with room: what ``UnitRepository.candidates`` selects."""
        return ~self.off_duty & (self.active_load < self.capacity)

    @property
    def placed(self) -> BOOL:
        """Rows with a position (both coordinates)."""
        return ~(np.isnan(self.lon) | np.isnan(self.lat))

    def _kept(self, kept: dict[str, BOOL], key: str, build: Callable[[], BOOL]) -> BOOL:
        got = kept.get(key)
        if got is None:
            with self._lock:  # built once, whichever thread asks first
                got = kept.get(key)
                if got is None:
                    got = kept[key] = build()
        return got

    def skilled(self, category: str) -> BOOL:
        return self._kept(self._by_category, category, lambda: np.array(
            [category in u.skills for u in self.units], dtype=bool))

    def of_type(self, unit_type: str) -> BOOL:
        """Rows of this unit type (kept: comparing thousands of strings per request adds up)."""
        return self._kept(self._by_type, unit_type, lambda: self.unit_type == unit_type)

    def speaks(self, language: str) -> BOOL:
        return self._kept(self._by_language, language, lambda: np.array(
            [language in u.languages for u in self.units], dtype=bool))

    def on_shift(self, now: datetime) -> BOOL:
        """Whether each unit is on shift at ``now`` (asked once per shift pattern)."""
        on = np.array([k >= 0 and self.units[k].on_shift(now) for k in self.shift_rows],
                      dtype=bool)
        return on[self.shift_code] if len(self.units) else np.zeros(0, dtype=bool)


@dataclass(frozen=True, eq=False)
class Numbers:
    """Per row: the exclusion (index into REASONS, -1 when eligible), score, ETA sort key."""

    why: NDArray[np.int64]
    score: F64
    eta_key: F64


_COLUMNS = ("id", "unit_type", "level_index", "street_id", "community_id", "home_grid_id",
            "police_grid_id", "off_duty", "active_load", "capacity", "on_call", "on_foot", "lon",
            "lat", "seen_us", "seen_known")


def is_any(table: UnitTable, types: Sequence[str]) -> BOOL:
    """Rows of any of ``types``."""
    out = np.zeros(len(table), dtype=bool)
    for t in dict.fromkeys(types):
        out |= table.of_type(t)
    return out


def exclusions(table: UnitTable, *, now: datetime, types: tuple[str, ...], paired: bool,
               exclude: Iterable[int] = (), among: BOOL | None = None) -> NDArray[np.int64]:
    """Each row's exclusion (index into REASONS; -1: it may be offered; IGNORED: outside
    ``among``), the first rule that applies."""
    skipped = np.fromiter(exclude, dtype=np.int64)
    why = np.full(len(table), -1, dtype=np.int64)
    # the last rule first, so the first that applies is the one left (np.select's answer, at a
    # fraction of its cost on a province's units)
    why[~(is_any(table, types) | (paired & is_any(table, PAIR_TYPES)))] = WRONG_TYPE
    why[~table.on_shift(now)] = OFF_SHIFT
    why[~(table.active_load < table.capacity)] = FULL
    why[table.off_duty] = OFF_DUTY
    if skipped.size:
        why[np.isin(table.id, skipped)] = SKIPPED
    if among is not None:
        why[~among] = IGNORED
    return why


def rank_numbers(table: UnitTable, incident: IncidentFacts, eta_s: F64, *, policy: Policy,
                 now: datetime, level: str, types: tuple[str, ...], paired: bool,
                 exclude: Iterable[int] = (), among: BOOL | None = None,
                 eligible_only: bool = False, why: NDArray[np.int64] | None = None) -> Numbers:
    """Exclusions, scores and ETA keys of every row; ``eta_s`` per row, NaN where none;
    rows outside ``among`` (when given) are :data:`IGNORED`. With ``eligible_only`` only
    the rows that may be offered (no exclusion) are scored, the others' score is NaN and
    their ETA key ``inf``: what a recommendation reads (it offers only those, and counts the
    others by their exclusion alone), for a fraction of the arithmetic at province scale.
    ``why``: the rows' :func:`exclusions` for the same arguments, when already asked."""
    n = len(table)
    fits = is_any(table, types)
    pair_side = is_any(table, PAIR_TYPES)
    if why is None:
        why = exclusions(table, now=now, types=types, paired=paired, exclude=exclude,
                         among=among)
    if not eligible_only:
        score, eta_key = _scores(table, slice(None), incident, eta_s, policy=policy, now=now,
                                 level=level, types=types, fits=fits, pair_side=pair_side)
        return Numbers(why, score, eta_key)
    rows = np.flatnonzero(why == -1)
    score, eta_key = np.full(n, np.nan), np.full(n, math.inf)
    score[rows], eta_key[rows] = _scores(table, rows, incident, eta_s[rows], policy=policy,
                                         now=now, level=level, types=types, fits=fits[rows],
                                         pair_side=pair_side[rows])
    return Numbers(why, score, eta_key)


def _scores(table: UnitTable, rows: slice | NDArray[np.int64], incident: IncidentFacts,
            eta_s: F64, *, policy: Policy, now: datetime, level: str, types: tuple[str, ...],
            fits: BOOL, pair_side: BOOL) -> tuple[F64, F64]:
    """Score and ETA key of the ``rows`` (``eta_s``, ``fits`` and ``pair_side`` given for
    them): the sums of ``recommend._rate`` in its order."""
    w = policy.weights
    n = fits.size
    lon, seen_us = table.lon[rows], table.seen_us[rows]
    now_us = (now - EPOCH) // US
    age_s = np.maximum(0, now_us - seen_us) / 1e6
    stale = ~table.seen_known[rows] | (age_s > policy.stale_position_s) | np.isnan(lon)
    # an ETA from a stale position is a guess: it earns nothing and sorts last (the unit is
    # ranked on what is known: its grid, type, skills, load)
    has_eta = ~np.isnan(lon) & ~np.isnan(eta_s) & ~stale
    finite = has_eta & np.isfinite(eta_s)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.where(finite, w.eta * np.maximum(0.0, 1 - eta_s / w.eta_horizon_s), 0.0)
        type_pts = np.zeros(n)
        for k, t in reversed(list(enumerate(types))):  # the first place of a type counts
            type_pts[table.of_type(t)[rows]] = w.type_rank * (1 - k / len(types))
        total = np.where(fits, total + type_pts, total)
        if incident.category:
            total = np.where(table.skilled(incident.category)[rows], total + w.skill, total)
        langs = incident.languages  # the case's and each party's own, not Mandarin
        if langs:
            speaks = np.zeros(n, dtype=bool)
            for lang in langs:
                speaks |= table.speaks(lang)[rows]
            total = total + np.where(speaks, w.language, w.no_language)
        grid_worker = table.of_type("grid_worker")[rows]
        police = is_any(table, POLICE)[rows]
        near = np.full(n, np.nan)  # the last rule first: the first that applies is left
        if incident.street_id:
            near[table.street_id[rows] == incident.street_id] = w.same_street
        if incident.community_id:
            near[table.community_id[rows] == incident.community_id] = w.same_community
        if incident.police_grid_id:
            near[police & (table.police_grid_id[rows] == incident.police_grid_id)] = \
                w.own_police_grid
        if incident.grid_id:
            near[grid_worker & (table.home_grid_id[rows] == incident.grid_id)] = w.own_grid
        total = np.where(np.isnan(near), total, total + near)
        leveled = np.ones(n, dtype=bool) if level == "community" else ~pair_side
        target = LEVELS.index(level)
        level_index = table.level_index[rows]
        diff = np.where(level_index >= 0, np.abs(level_index - target), 3)
        level_pts = np.where(diff == 0, w.level_match, -w.level_match * diff.astype(float) / 2)
        total = np.where(leveled, total + level_pts, total)
        active_load, capacity = table.active_load[rows], table.capacity[rows]
        total = np.where(active_load > 0, total + w.load * active_load / capacity, total)
        total = np.where(table.on_call[rows], total + w.on_call, total)
        total = np.where(stale, total + w.stale, total)
    return round_1(total), np.where(has_eta, eta_s, math.inf)


def round_1(values: F64) -> F64:
    """``round(v, 1)`` of each value, exactly as Python rounds (correctly, half to even):
    numpy's scale-and-rint agrees except next to a tie, where Python itself decides."""
    out = np.round(values, 1)
    with np.errstate(invalid="ignore"):
        tens = values * 10
        near = np.abs(tens - np.floor(tens) - 0.5) < 1e-6
    for k in np.flatnonzero(near).tolist():
        out[k] = round(float(values[k]), 1)
    return out


def best_rows(numbers: Numbers, table: UnitTable, rows: BOOL, n: int) -> list[int]:
    """The ``n`` best of ``rows``: score high first, then ETA, then unit id."""
    idx = np.flatnonzero(rows)
    if not idx.size or n <= 0:
        return []
    if idx.size > n:  # only rows scoring at least the n-th best score can be among the n
        nth = np.partition(numbers.score[idx], idx.size - n)[idx.size - n]
        if np.isfinite(nth):
            idx = idx[numbers.score[idx] >= nth]
    order = np.lexsort((table.id[idx], numbers.eta_key[idx], -numbers.score[idx]))
    return idx[order[:n]].tolist()


def excluded_counts(numbers: Numbers) -> dict[str, int]:
    """Reason → how many units, in the order the reasons first occur (as the loop counted)."""
    why = numbers.why[numbers.why >= 0]
    codes, first, counts = np.unique(why, return_index=True, return_counts=True)
    return {REASONS[c]: int(k) for _, c, k in sorted(zip(first.tolist(), codes.tolist(),
                                                         counts.tolist(), strict=True))}
